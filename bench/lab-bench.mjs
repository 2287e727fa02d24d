// The reference lab, end to end: compiles apps/lab.ts (with lib) into .bench/lab-build, then
// measures (a) the whole process — `node apps/lab.js`: Node start-up, require, validate, render,
// verify (compose schema, Traefik schemas, HCL), posture (all rule packs), the diagram (Graphviz
// in WebAssembly) and the atomic write — against a cdk8s-plus app with as many workloads as the
// lab has compose services, in the same run; and (b) the in-process part: createLab + synth in
// an already-loaded process (first synth, then a warm one). Medians; results in .bench/lab.json.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(REPO, '.bench', 'lab-build');
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);
const TARGETS = { wholeMs: 2000, inProcessMs: 200 };
// Where the runs write (default os.tmpdir()): on this VM writes under /tmp stall for up to
// ~150 ms at times, so `--tmpdir=/dev/shm` separates our work from the disk's.
const TMPDIR = process.argv.find((a) => a.startsWith('--tmpdir='))?.slice(9) ?? os.tmpdir();

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(cmd, args, options) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr || r.stdout}`);
  return { ms, stdout: r.stdout };
}

// 1. Compile the lab and the library it imports (the schema folder sits where lib expects it).
fs.rmSync(BUILD, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO, 'bench', 'tsconfig.lab.json')], { stdio: 'inherit' });
fs.symlinkSync(path.join(REPO, 'schemas'), path.join(BUILD, 'schemas'));
const labJs = path.join(BUILD, 'apps', 'lab.js');

const work = fs.mkdtempSync(path.join(TMPDIR, 'mlsec-lab-bench-'));
try {
  // How many services the lab has: the peer gets as many workloads.
  const probe = path.join(work, 'probe');
  timed(process.execPath, [labJs], { cwd: work, env: { ...process.env, MLSEC_OUTDIR: probe } });
  const compose = fs.readFileSync(path.join(probe, 'lab', 'docker-compose.yml'), 'utf8');
  const block = (compose.split('\nservices:\n')[1] ?? '').split('\n');
  const end = block.findIndex((l) => /^\S/.test(l));
  const services = block.slice(0, end < 0 ? block.length : end).filter((l) => /^ {2}[a-z0-9][^:]*:$/.test(l)).length;

  const ours = [];
  const peer = [];
  for (let i = 0; i < RUNS; i++) {
    const out = path.join(work, `ours-${i}`);
    ours.push(timed(process.execPath, [labJs], { cwd: work, env: { ...process.env, MLSEC_OUTDIR: out } }).ms);
    peer.push(timed(process.execPath, [path.join(REPO, 'bench', 'apps', 'cdk8s-plus-app.cjs'), String(services), path.join(work, `peer-${i}`)], { cwd: REPO }).ms);
  }

  // In-process: require first (untimed), then createLab + synth twice in the same process; one
  // fresh process per run, medians of the first and the warm synth.
  const inProcessRuns = [];
  for (let i = 0; i < RUNS; i++) inProcessRuns.push(JSON.parse(timed(process.execPath, ['-e', `
    const { createLab } = require(${JSON.stringify(labJs)});
    const { App } = require(${JSON.stringify(path.join(BUILD, 'lib', 'index.js'))});
    const times = [];
    for (let i = 0; i < 2; i++) {
      const t0 = process.hrtime.bigint();
      const app = new App({ outdir: ${JSON.stringify(path.join(work, 'inproc'))} + '-${i}-' + i });
      createLab(app);
      app.synth();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    process.stdout.write(JSON.stringify(times));
  `], { cwd: work }).stdout));
  const firstMs = median(inProcessRuns.map((r) => r[0]));
  const warmMs = median(inProcessRuns.map((r) => r[1]));

  const whole = median(ours);
  const peerMs = median(peer);
  const results = {
    services, runs: RUNS, tmpdir: TMPDIR,
    wholeProcessMs: Math.round(whole), peerWholeProcessMs: Math.round(peerMs), ratio: Math.round((whole / peerMs) * 100) / 100,
    inProcessFirstMs: Math.round(firstMs), inProcessWarmMs: Math.round(warmMs),
    targets: {
      wholeProcess: whole <= TARGETS.wholeMs ? 'PASS' : 'FAIL',
      inProcessFirst: firstMs <= TARGETS.inProcessMs ? 'PASS' : 'FAIL',
      inProcessWarm: warmMs <= TARGETS.inProcessMs ? 'PASS' : 'FAIL',
    },
  };
  console.log(`reference lab: ${services} compose services; median of ${RUNS} whole-process runs (cdk8s-plus with ${services} Deployments as the peer, same run); output under ${TMPDIR}`);
  console.log(`  whole process (compiled JS): ${results.wholeProcessMs} ms   peer: ${results.peerWholeProcessMs} ms   ratio ${results.ratio}`);
  console.log(`  in-process createLab + synth (median of ${RUNS} processes): first ${results.inProcessFirstMs} ms, warm ${results.inProcessWarmMs} ms`);
  console.log(`  ${results.targets.wholeProcess}  whole process <= ${TARGETS.wholeMs} ms`);
  console.log(`  ${results.targets.inProcessFirst}  in-process, first synth of the process <= ${TARGETS.inProcessMs} ms`);
  console.log(`  ${results.targets.inProcessWarm}  in-process, a later synth in the same process <= ${TARGETS.inProcessMs} ms`);
  fs.mkdirSync(path.join(REPO, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(REPO, '.bench', 'lab.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('results: .bench/lab.json');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
