'use strict';
/**
 * Benchmark peer: N cdk8s-plus-32 Deployments (one container each) exposed via a Service, in one
 * chart, synthesized to YAML in <outdir>. Usage: node bench/apps/cdk8s-plus-app.cjs <N> <outdir>
 *
 * The last stdout line is JSON: { n, maxRssKiB, phasesMs: { require, construct, synth } }.
 */
const t0 = process.hrtime.bigint();
const cdk8s = require('cdk8s');
const kplus = require('cdk8s-plus-32');
const t1 = process.hrtime.bigint();

const n = Number(process.argv[2]);
const outdir = process.argv[3];
if (!Number.isInteger(n) || n < 1 || !outdir) {
  console.error('usage: node bench/apps/cdk8s-plus-app.cjs <N> <outdir>');
  process.exit(2);
}

const app = new cdk8s.App({ outdir });
const chart = new cdk8s.Chart(app, 'bench');
for (let i = 0; i < n; i++) {
  const deployment = new kplus.Deployment(chart, `w${i}`, {
    containers: [{ image: 'ghcr.io/example/bench-service:1.2.3', portNumber: 8080 }],
  });
  deployment.exposeViaService();
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
