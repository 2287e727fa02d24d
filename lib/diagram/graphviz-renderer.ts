import { MlsecError } from '../core/errors';
import { GraphvizWorkerPool } from './graphviz-worker-pool';

/** A rendering under way in a worker thread; `svg()` waits for it (once). */
export interface PendingSvg {
  /** The SVG, waiting up to the timeout given at the start. */
  svg(): string;
  /** Gives up on this rendering if it is still under way (its answer is no longer wanted). */
  discard(): void;
}

/**
 * Starts laying out `dot` on a Graphviz worker from the pool ({@link GraphvizWorkerPool}) and
 * returns at once. The worker goes back to the pool once its SVG is collected.
 */
export function startDotToSvg(dot: string, timeoutMs = 30_000, pool: GraphvizWorkerPool = GraphvizWorkerPool.shared): PendingSvg {
  const worker = pool.take();
  worker.post(dot);
  const deadline = Date.now() + timeoutMs;
  let answer: string | MlsecError | undefined;
  return {
    svg() {
      if (answer === undefined) {
        try {
          answer = worker.wait(deadline, timeoutMs);
          pool.give(worker);
        } catch (err) {
          answer = err instanceof MlsecError ? err : new MlsecError(String(err));
        }
      }
      if (answer instanceof MlsecError) throw answer;
      return answer;
    },
    discard() {
      if (answer !== undefined) return;
      answer = new MlsecError('this rendering was discarded');
      worker.terminate();
    },
  };
}
