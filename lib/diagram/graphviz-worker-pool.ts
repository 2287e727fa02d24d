import { GraphvizWorker } from './graphviz-worker';

/**
 * Graphviz workers kept between synths of one process: a second synth (a test suite, a watch
 * loop) reuses the thread whose WebAssembly is already compiled and optimized instead of starting
 * and compiling another. At most one worker waits idle, and only for `idleMs`, so a process that
 * synthesizes once holds no thread and no WebAssembly memory for long.
 */
export class GraphvizWorkerPool {
  /** The pool synth uses. */
  public static readonly shared = new GraphvizWorkerPool();

  private idle?: GraphvizWorker;
  private timer?: ReturnType<typeof setTimeout>;

  /** @param idleMs how long an idle worker is kept before it is stopped (default 10 s) */
  constructor(private readonly idleMs = 10_000) {}

  /**
   * Makes sure a worker is idle or starting, so the next {@link take} finds its WebAssembly
   * compiled: a diagram calls this when it is constructed and takes the worker at synth. Unused,
   * the worker stops after `idleMs` like any idle one.
   */
  public prestart(): void {
    if (this.idle === undefined) this.give(new GraphvizWorker());
  }

  /** The idle worker if there is one, else a new one (starting now). */
  public take(): GraphvizWorker {
    const worker = this.idle;
    if (worker === undefined) return new GraphvizWorker();
    this.idle = undefined;
    clearTimeout(this.timer);
    return worker;
  }

  /** Takes back a worker that finished its graph: kept if none is idle, else stopped. */
  public give(worker: GraphvizWorker): void {
    if (worker.isTerminated) return;
    if (this.idle !== undefined) {
      worker.terminate();
      return;
    }
    this.idle = worker;
    // unref: an idle worker's timer must not keep the process alive either.
    this.timer = setTimeout(() => this.drain(), this.idleMs);
    this.timer.unref();
  }

  /** Workers waiting for the next graph (0 or 1). */
  public get idleCount(): number {
    return this.idle === undefined ? 0 : 1;
  }

  /** Stops the idle worker now. */
  public drain(): void {
    clearTimeout(this.timer);
    this.idle?.terminate();
    this.idle = undefined;
  }
}
