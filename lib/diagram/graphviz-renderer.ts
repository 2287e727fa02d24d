import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';
import { MlsecError } from '../core/errors';

/** A rendering under way in a worker thread; `svg()` waits for it (once). */
export interface PendingSvg {
  /** The SVG, waiting up to the timeout given at the start. */
  svg(): string;
}

/** A Graphviz engine loading in a worker thread, ready to lay out one graph. */
export interface GraphvizEngine {
  /** Sends `dot` to the engine (once per engine) and returns at once. */
  render(dot: string, timeoutMs?: number): PendingSvg;
}

/**
 * Starts Graphviz compiled to WebAssembly (`@viz-js/viz`) in a worker thread and returns at once:
 * the thread starts, instantiates the module and lays out a small graph (so the WebAssembly code
 * is compiled by the time the real graph arrives) while this thread goes on building the tree.
 * `render(dot)` posts the graph; `svg()` then waits synchronously: synth is synchronous, so this
 * thread waits on a shared counter (`Atomics.wait`) and reads the answer from the message port
 * without an event-loop turn.
 */
export function startGraphvizEngine(): GraphvizEngine {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { port: port2, signal, viz: require.resolve('@viz-js/viz') },
    transferList: [port2],
  });
  // An engine nobody uses (no synth, or synth failed earlier) must not keep the process alive.
  worker.unref();
  port1.unref();
  let used = false;
  return {
    render(dot: string, timeoutMs = 30_000): PendingSvg {
      if (used) throw new MlsecError('a Graphviz engine renders one graph; start another');
      used = true;
      port1.postMessage(dot);
      const started = Date.now();
      let answer: string | MlsecError | undefined;
      return {
        svg() {
          if (answer === undefined) {
            try {
              const left = Math.max(0, timeoutMs - (Date.now() - started));
              if (Atomics.wait(signal, 0, 0, left) === 'timed-out') {
                answer = new MlsecError(`Graphviz did not answer within ${timeoutMs} ms`);
              } else {
                const reply = receiveMessageOnPort(port1)?.message as { svg?: string; error?: string } | undefined;
                answer = reply && typeof reply.svg === 'string' ? reply.svg : new MlsecError(`Graphviz could not render the diagram: ${reply?.error ?? 'no answer'}`);
              }
            } finally {
              port1.close();
              void worker.terminate();
            }
          }
          if (answer instanceof MlsecError) throw answer;
          return answer;
        },
      };
    },
  };
}

/** Starts rendering DOT to SVG in a new engine (see {@link startGraphvizEngine}). */
export function startDotToSvg(dot: string, timeoutMs = 30_000): PendingSvg {
  return startGraphvizEngine().render(dot, timeoutMs);
}

/** Renders DOT to SVG and waits for it (see {@link startDotToSvg}). */
export function renderDotToSvg(dot: string, timeoutMs = 30_000): string {
  return startDotToSvg(dot, timeoutMs).svg();
}

const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { port, signal, viz } = workerData;
const answer = (message) => { port.postMessage(message); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); };
const engine = require(viz).instance().then((graphviz) => {
  graphviz.render('digraph warm { subgraph cluster_a { a -> b [label="x"] } b -> c }', { format: 'svg' });
  return graphviz;
});
port.once('message', (dot) => {
  engine
    .then((graphviz) => {
      const result = graphviz.render(dot, { format: 'svg' });
      // Graphviz reports a layout it had to botch (e.g. "trouble in init_rank") as errors beside a
      // "successful" render: refuse it rather than write a misleading picture.
      const errors = result.errors.filter((e) => e.level === 'error');
      if (result.status === 'success' && errors.length === 0) answer({ svg: result.output });
      else answer({ error: (errors.length > 0 ? errors : result.errors).map((e) => e.message.trim()).join('; ') });
    })
    .catch((err) => answer({ error: String(err && err.message || err) }));
});
`;
