'use strict';
/**
 * Benchmark child: builds N hardened workloads with mlsec-cdk (compiled dist/) and synthesizes
 * them into <outdir>. Usage: node bench/apps/mlsec-app.cjs <N> <outdir>
 *
 * Shape of each workload i (0-based):
 *   - zone Z1..Z9 round-robin (Z0 is declarative, it runs no containers)
 *   - one exposed port (8080), a health check, a data volume (addDataVolume)
 *   - one flow to workload i-1 on 8080 (i >= 1): a start-order chain, never a cycle
 *
 * The last stdout line is JSON: { n, maxRssKiB, phasesMs: { require, construct, synth } }.
 */
const t0 = process.hrtime.bigint();
const { App, Vps, Workload, Image, HealthCheck, Zone } = require('../../dist/index.js');
const t1 = process.hrtime.bigint();

const n = Number(process.argv[2]);
const outdir = process.argv[3];
if (!Number.isInteger(n) || n < 1 || !outdir) {
  console.error('usage: node bench/apps/mlsec-app.cjs <N> <outdir>');
  process.exit(2);
}

const app = new App({ outdir });
const vps = new Vps(app, 'bench', { domain: 'bench.example.com' });
const zones = Zone.all().filter((z) => z.index !== 0);
const image = Image.fromRegistry('ghcr.io/example/bench-service', '1.2.3');
const health = HealthCheck.command(['/app/healthcheck', '--port', '8080']);

let previous;
for (let i = 0; i < n; i++) {
  const w = new Workload(vps, `w${i}`, {
    zone: zones[i % zones.length],
    image,
    ports: [8080],
    healthCheck: health,
  });
  w.addDataVolume('data', '/var/lib/app');
  if (previous) w.connections.allowTo(previous, { port: 8080 });
  previous = w;
}
const t2 = process.hrtime.bigint();

app.synth();
const t3 = process.hrtime.bigint();

const ms = (a, b) => Number(b - a) / 1e6;
console.log(JSON.stringify({
  n,
  maxRssKiB: process.resourceUsage().maxRSS,
  phasesMs: { require: ms(t0, t1), construct: ms(t1, t2), synth: ms(t2, t3) },
}));
