#!/usr/bin/env node
// Whole-process synth benchmark: mlsec-cdk (compiled dist/) against cdk8s-plus-32, and the
// throughput of `mlsec check` auditing a corpus of hand-written-looking compose files.
// Run through `npx projen bench` (compiles first) or `node bench/run.mjs` after `npx tsc --build`.
//
// Options:
//   --sizes 100,1000,5000   workload counts N (default 100,1000,5000)
//   --runs 3                measured runs per app and N; the median is reported (default 3)
//   --check-files 1000      compose files audited by the `mlsec check` case (default 1000)
//   --cases synth,check     which cases run (default both)
//   --out .bench/results.json   where the JSON results go (relative to the repo root)
//
// Exit status: 0 when every child process succeeded (even when a target is missed: this is a
// measurement, not a test); 1 when a child failed; 2 on bad arguments.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH_DIR, '..');

const CHECK_APP = path.join(BENCH_DIR, 'apps', 'mlsec-check-app.cjs');
const CORPUS = path.join(BENCH_DIR, 'apps', 'compose-corpus.cjs');

const APPS = [
  { key: 'ours', label: 'mlsec-cdk', script: path.join(BENCH_DIR, 'apps', 'mlsec-app.cjs') },
  { key: 'cdk8s', label: 'cdk8s-plus-32', script: path.join(BENCH_DIR, 'apps', 'cdk8s-plus-app.cjs') },
];

/** Targets (ARCHITECTURE.md §7 and the bench brief). */
const TARGET_RATIO_N = 5000;
const TARGET_RATIO = 0.3;
const GROWTH_FROM = 1000;
const GROWTH_TO = 5000;
const TARGET_GROWTH = 6;

const CHILD_TIMEOUT_MS = 10 * 60 * 1000;

class ChildFailure extends Error {}

function parseArgs(argv) {
  const opts = { sizes: [100, 1000, 5000], runs: 3, checkFiles: 1000, cases: ['synth', 'check'], out: path.join('.bench', 'results.json') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--sizes':
        opts.sizes = value().split(',').map((s) => s.trim()).filter(Boolean).map(Number);
        if (opts.sizes.length === 0 || !opts.sizes.every((n) => Number.isInteger(n) && n >= 1)) usage('--sizes must be a comma-separated list of positive integers');
        opts.sizes = [...new Set(opts.sizes)].sort((a, b) => a - b);
        break;
      case '--runs':
        opts.runs = Number(value());
        if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs must be a positive integer');
        break;
      case '--check-files':
        opts.checkFiles = Number(value());
        if (!Number.isInteger(opts.checkFiles) || opts.checkFiles < 1) usage('--check-files must be a positive integer');
        break;
      case '--cases':
        opts.cases = [...new Set(value().split(',').map((s) => s.trim()).filter(Boolean))];
        if (opts.cases.length === 0 || !opts.cases.every((c) => c === 'synth' || c === 'check')) usage('--cases must be a comma-separated list of synth, check');
        break;
      case '--out':
        opts.out = value();
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return opts;
}

function usage(problem) {
  if (problem) console.error(`bench: ${problem}`);
  console.error('usage: node bench/run.mjs [--sizes 100,1000,5000] [--runs 3] [--check-files 1000] [--cases synth,check] [--out .bench/results.json]');
  process.exit(problem ? 2 : 0);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Total bytes and number of files below `dir` (the synthesized output, measured after the run). */
function dirSize(dir) {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = dirSize(full);
      bytes += sub.bytes;
      files += sub.files;
    } else {
      bytes += fs.statSync(full).size;
      files += 1;
    }
  }
  return { bytes, files };
}

/** Runs one child process `node <app> <n> <outdir>` and measures it. */
function runOnce(app, n, workRoot) {
  const runDir = fs.mkdtempSync(path.join(workRoot, `${app.key}-${n}-`));
  const outdir = path.join(runDir, 'out');
  try {
    const start = process.hrtime.bigint();
    const child = spawnSync(process.execPath, [app.script, String(n), outdir], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, MLSEC_SYNTH_CHECK: '' },
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const describe = `${app.label} N=${n} (node ${path.relative(REPO, app.script)} ${n} ${outdir})`;
    if (child.error) throw new ChildFailure(`${describe} could not run: ${child.error.message}`);
    if (child.status !== 0) {
      throw new ChildFailure(`${describe} failed with ${child.signal ? `signal ${child.signal}` : `exit code ${child.status}`}:\n${tail(child.stderr)}${tail(child.stdout)}`);
    }
    const lastLine = child.stdout.trimEnd().split('\n').pop() ?? '';
    let report;
    try {
      report = JSON.parse(lastLine);
    } catch {
      throw new ChildFailure(`${describe} did not print its JSON report as the last stdout line; got: ${JSON.stringify(lastLine.slice(0, 200))}`);
    }
    if (!Number.isFinite(report.maxRssKiB)) throw new ChildFailure(`${describe} reported no maxRssKiB: ${lastLine}`);
    if (!fs.existsSync(outdir)) throw new ChildFailure(`${describe} exited 0 but wrote nothing to ${outdir}`);
    const output = dirSize(outdir);
    if (output.files === 0) throw new ChildFailure(`${describe} exited 0 but ${outdir} is empty`);
    return { wallMs, maxRssKiB: report.maxRssKiB, phasesMs: report.phasesMs ?? {}, outputBytes: output.bytes, outputFiles: output.files };
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

function tail(text, lines = 30) {
  if (!text) return '';
  const all = text.trimEnd().split('\n');
  return `${all.length > lines ? '  …\n' : ''}${all.slice(-lines).map((l) => `  ${l}`).join('\n')}\n`;
}

function summarize(runs) {
  const phaseNames = [...new Set(runs.flatMap((r) => Object.keys(r.phasesMs)))];
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    maxRssKiB: median(runs.map((r) => r.maxRssKiB)),
    phasesMs: Object.fromEntries(phaseNames.map((p) => [p, round(median(runs.map((r) => r.phasesMs[p] ?? 0)), 1)])),
    outputBytes: runs[0].outputBytes,
    outputFiles: runs[0].outputFiles,
    runs: runs.map((r) => ({ wallMs: round(r.wallMs, 1), maxRssKiB: r.maxRssKiB, phasesMs: mapValues(r.phasesMs, (v) => round(v, 1)) })),
  };
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;
const mapValues = (obj, f) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtMB = (kib) => `${(kib / 1024).toFixed(0)} MB`;
const fmtSize = (bytes) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(0)} KB`);

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function evaluateTargets(bySize) {
  const targets = [];
  const atN = bySize.get(TARGET_RATIO_N);
  targets.push(
    atN
      ? {
          id: 'ratio-vs-cdk8s-plus',
          description: `wall time at N=${TARGET_RATIO_N}: ours <= ${TARGET_RATIO} x cdk8s-plus`,
          value: round(atN.ratio.wall, 3),
          limit: TARGET_RATIO,
          status: atN.ratio.wall <= TARGET_RATIO ? 'PASS' : 'FAIL',
        }
      : { id: 'ratio-vs-cdk8s-plus', description: `wall time at N=${TARGET_RATIO_N}: ours <= ${TARGET_RATIO} x cdk8s-plus`, status: 'SKIP', reason: `N=${TARGET_RATIO_N} not measured` },
  );
  const from = bySize.get(GROWTH_FROM);
  const to = bySize.get(GROWTH_TO);
  const growthDescription = `linear growth: ours wall N=${GROWTH_TO} / N=${GROWTH_FROM} <= ${TARGET_GROWTH}`;
  if (from && to) {
    const growth = to.ours.wallMs / from.ours.wallMs;
    targets.push({ id: 'linear-growth', description: growthDescription, value: round(growth, 3), limit: TARGET_GROWTH, status: growth <= TARGET_GROWTH ? 'PASS' : 'FAIL' });
  } else {
    targets.push({ id: 'linear-growth', description: growthDescription, status: 'SKIP', reason: `N=${GROWTH_FROM} and N=${GROWTH_TO} both needed` });
  }
  return targets;
}

/** Runs `node bench/apps/mlsec-check-app.cjs <dir>` once (the whole CLI process) and measures it. */
function runCheckOnce(corpusDir, files) {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [CHECK_APP, corpusDir], { cwd: REPO, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const describe = `mlsec check over ${files} files (node ${path.relative(REPO, CHECK_APP)} ${corpusDir})`;
  if (child.error) throw new ChildFailure(`${describe} could not run: ${child.error.message}`);
  if (child.status !== 0) throw new ChildFailure(`${describe} failed with ${child.signal ? `signal ${child.signal}` : `exit code ${child.status}`}:\n${tail(child.stderr)}${tail(child.stdout)}`);
  const lastLine = child.stdout.trimEnd().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(lastLine);
  } catch {
    throw new ChildFailure(`${describe} did not print its JSON report as the last stdout line; got: ${JSON.stringify(lastLine.slice(0, 200))}`);
  }
  if (report.files !== files) throw new ChildFailure(`${describe} checked ${report.files} files, expected ${files}`);
  return { wallMs, ...report };
}

/** The `mlsec check` throughput case: a generated corpus, one warm-up, `runs` measured whole processes. */
function checkCase(opts, workRoot) {
  const corpusDir = path.join(workRoot, 'check-corpus');
  const require = createRequire(import.meta.url);
  const { writeCorpus } = require(CORPUS);
  const corpus = writeCorpus(opts.checkFiles, corpusDir);
  console.log(`mlsec check: ${opts.checkFiles} compose files (${fmtSize(corpus.bytes)}) in one \`mlsec check --format json\` process per run\n`);
  runCheckOnce(corpusDir, opts.checkFiles);
  const runs = [];
  for (let r = 0; r < opts.runs; r++) {
    const m = runCheckOnce(corpusDir, opts.checkFiles);
    runs.push(m);
    process.stdout.write(`  run ${r + 1}/${opts.runs}  ${fmtS(m.wallMs).padStart(8)}  ${fmtMB(m.maxRssKiB).padStart(7)}  ${(opts.checkFiles / (m.wallMs / 1000)).toFixed(0).padStart(6)} files/s  ${m.findings} findings, exit ${m.exitCode}\n`);
  }
  const wallMs = median(runs.map((r) => r.wallMs));
  const checkMs = median(runs.map((r) => r.phasesMs.check));
  return {
    files: opts.checkFiles,
    bytes: corpus.bytes,
    findings: runs[0].findings,
    exitCode: runs[0].exitCode,
    wallMs: round(wallMs, 1),
    maxRssKiB: median(runs.map((r) => r.maxRssKiB)),
    phasesMs: { require: round(median(runs.map((r) => r.phasesMs.require)), 1), check: round(checkMs, 1) },
    filesPerSecond: round(opts.checkFiles / (wallMs / 1000), 1),
    filesPerSecondInProcess: round(opts.checkFiles / (checkMs / 1000), 1),
    runs: runs.map((r) => ({ wallMs: round(r.wallMs, 1), maxRssKiB: r.maxRssKiB, phasesMs: mapValues(r.phasesMs, (v) => round(v, 1)) })),
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const required = [path.join(REPO, 'dist', 'index.js'), ...(opts.cases.includes('check') ? [path.join(REPO, 'dist', 'cli', 'mlsec.js')] : [])];
  for (const distEntry of required) {
    if (!fs.existsSync(distEntry)) {
      console.error(`bench: ${path.relative(REPO, distEntry)} is missing; run \`npx projen bench\` (compiles first) or \`npx tsc --build\``);
      process.exit(1);
    }
  }

  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-bench-'));
  const cleanup = () => fs.rmSync(workRoot, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }

  const cpus = os.cpus();
  console.log(`mlsec-cdk benchmark: node ${process.version}, ${os.platform()}/${os.arch()}, ${cpus.length} x ${cpus[0]?.model?.trim() ?? 'cpu'}`);
  console.log(`cases ${opts.cases.join(', ')}; ${opts.runs} measured run(s) each, median reported; one separate process per run\n`);

  const bySize = new Map();
  let check;
  try {
    if (opts.cases.includes('synth')) {
      console.log(`synth: sizes ${opts.sizes.join(', ')}\n`);
      // One untimed warm-up per app so the first measurement does not pay for a cold file cache.
      for (const app of APPS) runOnce(app, opts.sizes[0], workRoot);

      for (const n of opts.sizes) {
        const runs = { ours: [], cdk8s: [] };
        for (let r = 0; r < opts.runs; r++) {
          // Interleave the two apps so that drift of the machine hits both alike.
          for (const app of APPS) {
            const m = runOnce(app, n, workRoot);
            runs[app.key].push(m);
            process.stdout.write(`  N=${String(n).padEnd(6)} run ${r + 1}/${opts.runs}  ${app.label.padEnd(14)} ${fmtS(m.wallMs).padStart(8)}  ${fmtMB(m.maxRssKiB).padStart(7)}\n`);
          }
        }
        const ours = summarize(runs.ours);
        const cdk8s = summarize(runs.cdk8s);
        bySize.set(n, { n, ours, cdk8s, ratio: { wall: ours.wallMs / cdk8s.wallMs, rss: ours.maxRssKiB / cdk8s.maxRssKiB } });
      }
      console.log('');
    }
    if (opts.cases.includes('check')) check = checkCase(opts, workRoot);
  } catch (err) {
    cleanup();
    if (err instanceof ChildFailure) {
      console.error(`\nbench: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  cleanup();

  const rows = [...bySize.values()];
  let targets = [];
  if (opts.cases.includes('synth')) {
    console.log('\nSynth medians (wall = whole process incl. node start-up, measured by the parent; RSS = child maxRSS):\n');
    console.log(
      table(
        ['N', 'ours wall', 'ours RSS', 'cdk8s-plus wall', 'cdk8s-plus RSS', 'ratio wall', 'ratio RSS'],
        rows.map((r) => [r.n, fmtS(r.ours.wallMs), fmtMB(r.ours.maxRssKiB), fmtS(r.cdk8s.wallMs), fmtMB(r.cdk8s.maxRssKiB), r.ratio.wall.toFixed(2), r.ratio.rss.toFixed(2)]),
      ),
    );
    console.log('\nIn-process phases (median ms: require / construct / synth) and output size:\n');
    console.log(
      table(
        ['N', 'ours phases', 'ours output', 'cdk8s-plus phases', 'cdk8s-plus output'],
        rows.map((r) => [r.n, phases(r.ours.phasesMs), fmtSize(r.ours.outputBytes), phases(r.cdk8s.phasesMs), fmtSize(r.cdk8s.outputBytes)]),
      ),
    );

    targets = evaluateTargets(bySize);
    console.log('\nTargets:');
    for (const t of targets) {
      const detail = t.status === 'SKIP' ? ` (${t.reason})` : ` (measured ${t.value.toFixed(2)}, limit ${t.limit})`;
      console.log(`  ${t.status.padEnd(4)}  ${t.description}${detail}`);
    }
  }
  if (check) {
    console.log(`\nmlsec check (median of ${opts.runs}; whole process incl. node start-up and require):\n`);
    console.log(
      table(
        ['files', 'input', 'wall', 'RSS', 'files/s', 'require ms', 'check ms', 'files/s in-process', 'findings'],
        [[check.files, fmtSize(check.bytes), fmtS(check.wallMs), fmtMB(check.maxRssKiB), check.filesPerSecond.toFixed(0), Math.round(check.phasesMs.require), Math.round(check.phasesMs.check), check.filesPerSecondInProcess.toFixed(0), check.findings]],
      ),
    );
  }

  const outFile = path.resolve(REPO, opts.out);
  const results = {
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, platform: `${os.platform()}/${os.arch()}`, cpus: cpus.length, cpuModel: cpus[0]?.model?.trim(), totalMemMiB: Math.round(os.totalmem() / 1024 / 1024) },
    options: { cases: opts.cases, sizes: opts.sizes, runs: opts.runs, checkFiles: opts.checkFiles, statistic: 'median' },
    units: {
      wallMs: 'milliseconds, whole child process measured by the parent',
      maxRssKiB: 'KiB, process.resourceUsage().maxRSS of the child',
      phasesMs: 'milliseconds, measured inside the child',
      filesPerSecond: 'compose files audited per second of whole-process wall time',
    },
    apps: { ...Object.fromEntries(APPS.map((a) => [a.key, { label: a.label, script: path.relative(REPO, a.script) }])), check: { label: 'mlsec check', script: path.relative(REPO, CHECK_APP) } },
    results: rows.map((r) => ({
      n: r.n,
      ours: { ...r.ours, wallMs: round(r.ours.wallMs, 1) },
      cdk8s: { ...r.cdk8s, wallMs: round(r.cdk8s.wallMs, 1) },
      ratio: { wall: round(r.ratio.wall, 4), rss: round(r.ratio.rss, 4) },
    })),
    check,
    targets,
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2) + '\n');
  fs.renameSync(tmp, outFile);
  console.log(`\nResults written to ${path.relative(process.cwd(), outFile) || outFile}`);
}

function phases(p) {
  return ['require', 'construct', 'synth'].map((k) => (p[k] === undefined ? '-' : Math.round(p[k]))).join(' / ');
}

main();
