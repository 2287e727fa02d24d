'use strict';
/**
 * Benchmark child: audits every compose file in <dir> with one `mlsec check --format json` call of
 * the compiled CLI (dist/cli/mlsec.js), in this one process, as a user would run it.
 * Usage: node bench/apps/mlsec-check-app.cjs <dir>
 *
 * The last stdout line is JSON: { files, findings, exitCode, maxRssKiB, phasesMs: { require, check } }.
 * Exit status: 0 when the CLI answered 0 or 1 (findings are expected), 1 otherwise.
 */
const path = require('node:path');
const fs = require('node:fs');

const t0 = process.hrtime.bigint();
const { main } = require('../../dist/cli/mlsec.js');
const t1 = process.hrtime.bigint();

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/apps/mlsec-check-app.cjs <dir>');
  process.exit(2);
}
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => path.join(dir, f));

let stdout = '';
let stderr = '';
main(['check', '--format', 'json', ...files], { stdout: { write: (s) => (stdout += s) }, stderr: { write: (s) => (stderr += s) } }).then((exitCode) => {
  const t2 = process.hrtime.bigint();
  const ms = (a, b) => Number(b - a) / 1e6;
  if (exitCode !== 0 && exitCode !== 1) {
    console.error(stderr);
    process.exitCode = 1;
  }
  let findings = -1;
  try {
    findings = JSON.parse(stdout).findings.length;
  } catch {
    console.error('mlsec check did not print JSON');
    process.exitCode = 1;
  }
  console.log(JSON.stringify({ files: files.length, findings, exitCode, maxRssKiB: process.resourceUsage().maxRSS, phasesMs: { require: ms(t0, t1), check: ms(t1, t2) } }));
});
