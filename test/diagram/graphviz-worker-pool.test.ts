/**
 * The Graphviz worker pool: a second synth in the same process reuses the worker of the first
 * (its WebAssembly compiled and optimized), an idle worker does not outlive its timer, and a
 * worker whose answer cannot be trusted (a Graphviz error, a timeout, a discarded layout) is
 * stopped instead of reused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { App, Testing, Workload } from '../../lib';
import { startDotToSvg } from '../../lib/diagram/graphviz-renderer';
import { GraphvizWorkerPool } from '../../lib/diagram/graphviz-worker-pool';
import { expectClearError } from '../property/support';

const DOT = 'digraph g { subgraph cluster_z { a -> b } b -> c }';
const pools: GraphvizWorkerPool[] = [];
function pool(idleMs?: number): GraphvizWorkerPool {
  const p = new GraphvizWorkerPool(idleMs);
  pools.push(p);
  return p;
}
afterEach(() => pools.splice(0).forEach((p) => p.drain()));

describe('GraphvizWorkerPool', () => {
  it('gives the worker of a finished layout to the next one', () => {
    const p = pool();
    const first = startDotToSvg(DOT, 30_000, p);
    expect(p.idleCount).toBe(0);
    const svg = first.svg();
    expect(p.idleCount).toBe(1);
    const second = startDotToSvg(DOT, 30_000, p);
    expect(p.idleCount).toBe(0);
    expect(second.svg()).toBe(svg);
    expect(p.idleCount).toBe(1);
  });

  it('keeps one idle worker at most, and stops it after the idle time', async () => {
    const p = pool(50);
    const a = startDotToSvg(DOT, 30_000, p);
    const b = startDotToSvg(DOT, 30_000, p);
    a.svg();
    b.svg();
    expect(p.idleCount).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(p.idleCount).toBe(0);
  });

  it('prestarts one worker only, which the next layout takes', () => {
    const p = pool();
    p.prestart();
    p.prestart();
    expect(p.idleCount).toBe(1);
    expect(startDotToSvg(DOT, 30_000, p).svg()).toMatch(/<svg /);
  });

  it('stops a worker whose graph Graphviz refused, and names the error', () => {
    const p = pool();
    const bad = startDotToSvg('digraph g { a -> }', 30_000, p);
    expect(() => bad.svg()).toThrow(/Graphviz could not render the diagram: .*syntax error/);
    expect(() => bad.svg()).toThrow(/Graphviz could not render/);
    expect(p.idleCount).toBe(0);
  });

  it('stops a worker that did not answer in time', () => {
    const p = pool();
    const late = startDotToSvg(DOT, 0, p);
    expect(() => late.svg()).toThrow('Graphviz did not answer within 0 ms');
    expect(p.idleCount).toBe(0);
  });

  it('stops the worker of a discarded layout, and keeps a collected one', () => {
    const p = pool();
    const dropped = startDotToSvg(DOT, 30_000, p);
    dropped.discard();
    expect(() => dropped.svg()).toThrow('this rendering was discarded');
    expect(p.idleCount).toBe(0);
    const kept = startDotToSvg(DOT, 30_000, p);
    kept.svg();
    kept.discard();
    expect(p.idleCount).toBe(1);
    expect(startDotToSvg(DOT).svg()).toBe(kept.svg());
  });
});

describe('the shared pool across synths of the reference lab', () => {
  it('renders the same diagram on a reused worker, and a failed synth gives its worker back', () => {
    const shared = GraphvizWorkerPool.shared;
    const synthLab = () => {
      const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
      createLab(app);
      return app;
    };
    const first = Testing.synth(synthLab()).file('lab/architecture.svg');
    expect(shared.idleCount).toBe(1);

    const broken = synthLab();
    const worker = broken.node.findAll().find((c): c is Workload => Workload.isWorkload(c) && c.serviceName === 'scan-service')!;
    worker.node.addValidation({ validate: () => ['prop \'x\' is broken on purpose'] });
    expectClearError(() => Testing.synth(broken), { paths: [worker.node.path], prop: "prop 'x'", allowed: /broken on purpose/ });
    expect(shared.idleCount).toBe(1);

    expect(Testing.synth(synthLab()).file('lab/architecture.svg')).toBe(first);
    expect(shared.idleCount).toBe(1);
  });
});
