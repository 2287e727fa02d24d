import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { MlsecError } from '../core/errors';

/**
 * One worker thread running Graphviz compiled to WebAssembly (`@viz-js/viz`), laying out one
 * graph at a time. It starts at once and instantiates the module, then lays out a small graph so
 * the WebAssembly code is compiled by the time the real graph arrives. Its isolate keeps that
 * code at V8's baseline tier (see the worker source). Synth is synchronous, so
 * the caller waits on a shared counter (`Atomics.wait`) and reads the answer from the message port
 * without an event-loop turn.
 */
export class GraphvizWorker {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private busy = false;
  private terminated = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, signal: this.signal, viz: require.resolve('@viz-js/viz') },
      transferList: [port2],
    });
    // A worker nobody waits on (idle, or its synth failed earlier) must not keep the process alive.
    this.worker.unref();
    this.port.unref();
  }

  /** True once the worker is stopped; it lays out nothing more. */
  public get isTerminated(): boolean {
    return this.terminated;
  }

  /** Sends `dot` to the worker and returns at once; {@link wait} collects the answer. */
  public post(dot: string): void {
    if (this.terminated) throw new MlsecError('this Graphviz worker is stopped; start another');
    if (this.busy) throw new MlsecError('this Graphviz worker lays out one graph at a time');
    this.busy = true;
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(dot);
  }

  /**
   * The SVG of the graph posted last, waiting until `deadline` (a `Date.now()` value); the error
   * of a timeout names `timeoutMs`. A timeout or a Graphviz error stops the worker (its state is
   * not trusted after either); an SVG leaves it ready for the next graph.
   */
  public wait(deadline: number, timeoutMs: number): string {
    if (!this.busy) throw new MlsecError('no graph was posted to this Graphviz worker');
    this.busy = false;
    if (Atomics.wait(this.signal, 0, 0, Math.max(0, deadline - Date.now())) === 'timed-out') {
      this.terminate();
      throw new MlsecError(`Graphviz did not answer within ${timeoutMs} ms`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as { svg?: string; error?: string } | undefined;
    if (reply && typeof reply.svg === 'string') return reply.svg;
    this.terminate();
    throw new MlsecError(`Graphviz could not render the diagram: ${reply?.error ?? 'no answer'}`);
  }

  /** Stops the thread (and frees its WebAssembly memory). */
  public terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.port.close();
    void this.worker.terminate();
  }
}

const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { port, signal, viz } = workerData;
// Keeps V8 from re-optimizing Graphviz's WebAssembly with TurboFan: an isolate with a debugger
// attached stays on its baseline (Liftoff) code. On 2 cores the tier-up's ~100-150 ms of
// background CPU took the core synth runs on, and the layout is no slower without it (bench/README.md,
// stop 16). Only this worker's isolate is affected; no port is opened, nothing can pause it
// (setSkipAllPauses), and a Node built without the inspector simply keeps the default tiering.
try {
  const session = new (require('inspector').Session)();
  session.connect();
  session.post('Debugger.enable');
  session.post('Debugger.setSkipAllPauses', { skip: true });
} catch {}
const answer = (message) => { port.postMessage(message); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); };
const engine = require(viz).instance().then((graphviz) => {
  graphviz.render('digraph warm { subgraph cluster_a { a -> b [label="x"] } b -> c }', { format: 'svg' });
  return graphviz;
});
port.on('message', (dot) => {
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
