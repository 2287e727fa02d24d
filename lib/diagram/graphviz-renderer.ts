import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';
import { MlsecError } from '../core/errors';

/**
 * Renders DOT to SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`), synchronously: synth
 * is synchronous and the WebAssembly module loads asynchronously, so a worker thread loads it and
 * renders while this thread waits on a shared counter (`Atomics.wait`), then reads the answer from
 * the message port without an event loop turn.
 */
export function renderDotToSvg(dot: string, timeoutMs = 30_000): string {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { dot, port: port2, signal, viz: require.resolve('@viz-js/viz') },
    transferList: [port2],
  });
  try {
    if (Atomics.wait(signal, 0, 0, timeoutMs) === 'timed-out') throw new MlsecError(`Graphviz did not answer within ${timeoutMs} ms`);
    const reply = receiveMessageOnPort(port1)?.message as { svg?: string; error?: string } | undefined;
    if (!reply || typeof reply.svg !== 'string') throw new MlsecError(`Graphviz could not render the diagram: ${reply?.error ?? 'no answer'}`);
    return reply.svg;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { dot, port, signal, viz } = workerData;
const answer = (message) => { port.postMessage(message); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); };
require(viz).instance()
  .then((graphviz) => {
    const result = graphviz.render(dot, { format: 'svg' });
    if (result.status === 'success') answer({ svg: result.output });
    else answer({ error: result.errors.map((e) => e.message).join('; ') });
  })
  .catch((err) => answer({ error: String(err && err.message || err) }));
`;
