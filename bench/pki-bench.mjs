#!/usr/bin/env node
// PKI bootstrap benchmark (compiled dist/: run `npx tsc --build` first).
//
// Measures, each in fresh temporary secrets folders:
//   (a) lab:        a generated lab of ~30 TLS identities, from scratch (root + intermediate + leaves)
//   (b) leaves:     1,000 leaves from scratch, with the plan (tree validation) timed apart
//   (c) idempotent: a second run over (b), which must issue nothing
//   (d) rsa-ca:     (b) again with an RSA-3072 CA (caKeyType), for comparison with the ECDSA default
//   (e) in-memory:  issuing (b)'s leaves without the file system (key, build, sign, PEM), which
//                   separates the crypto from the cost of creating files on the machine's disk
//   (f) forge-sign: 20 leaves signed by forge itself (RSA-3072 intermediate, JS RSA), the
//                   approach the native signing replaces
// and writes the medians to .bench/pki.json.
//
// Options: --runs 5 (measured runs per case; median reported), --leaves 1000, --lab 30,
//          --out .bench/pki.json, --no-rsa (skip (d) and (f)), --tmpdir DIR (where the temporary
//          secrets folders go; default the OS temp dir; /dev/shm shows the cost without a disk).
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function usage(message) {
  console.error(`${message}\nusage: node bench/pki-bench.mjs [--runs N] [--leaves N] [--lab N] [--out FILE] [--no-rsa]`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { runs: 5, leaves: 1000, lab: 30, out: path.join('.bench', 'pki.json'), rsa: true, tmpdir: os.tmpdir() };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    const int = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) usage(`${flag} must be a positive integer`);
      return n;
    };
    if (flag === '--runs') opts.runs = int();
    else if (flag === '--leaves') opts.leaves = int();
    else if (flag === '--lab') opts.lab = int();
    else if (flag === '--out') opts.out = value();
    else if (flag === '--no-rsa') opts.rsa = false;
    else if (flag === '--tmpdir') opts.tmpdir = value();
    else usage(`unknown option ${flag}`);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const DIST = path.join(REPO, 'dist');
if (!fs.existsSync(path.join(DIST, 'pki', 'pki-bootstrap.js'))) {
  usage('dist/pki is missing: compile first with `npx tsc --build`');
}
const lib = require(path.join(DIST, 'index.js'));
const { PkiBootstrap, TlsIdentity } = require(path.join(DIST, 'pki', 'index.js'));
const builder = require(path.join(DIST, 'pki', 'cert-builder.js'));

const USAGES = ['server', 'server-and-client', 'client'];
const ZONES = lib.Zone.all().filter((z) => z.index > 0);

/** An App with `n` workloads in one Vps, each with one TlsIdentity (server, both, client in turn). */
function generatedLab(n, secretsDir) {
  const app = new lib.App({ outdir: path.join(secretsDir, '..', 'synth-out'), secretsDir, postureReportOnly: { reason: 'benchmark of the PKI bootstrap only' } });
  const vps = new lib.Vps(app, 'lab', { domain: 'lab.example.com' });
  for (let i = 0; i < n; i++) {
    const w = new lib.Workload(vps, `svc-${i}`, {
      zone: ZONES[i % ZONES.length],
      image: lib.Image.fromRegistry('nginxinc/nginx-unprivileged', '1.27.1'),
      ports: [8443],
      healthCheck: lib.HealthCheck.command(['true']),
    });
    const usage = USAGES[i % USAGES.length];
    new TlsIdentity(w, 'Tls', { usage, dnsNames: usage === 'client' ? undefined : [`svc-${i}.lab.internal`] });
  }
  return app;
}

const tmpRoots = [];
function freshSecrets() {
  const root = fs.mkdtempSync(path.join(opts.tmpdir, 'mlsec-pki-bench-'));
  tmpRoots.push(root);
  return path.join(root, 'secrets');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

function fromScratch(n, caKeyType) {
  const secretsDir = freshSecrets();
  const app = generatedLab(n, secretsDir);
  let t0 = process.hrtime.bigint();
  PkiBootstrap.plan(app);
  const planMs = ms(t0);
  t0 = process.hrtime.bigint();
  const result = PkiBootstrap.run(app, { caKeyType });
  const totalMs = ms(t0);
  const leaves = result.items.filter((i) => i.kind === 'leaf' && i.action === 'created').length;
  if (leaves !== n || result.issued !== n + 2) throw new Error(`expected ${n} leaves and 2 CA certificates, got ${leaves} leaves, ${result.issued} issued`);
  return { app, secretsDir, totalMs, planMs, result };
}

function bench(label, n, caKeyType) {
  const samples = [];
  let last;
  for (let r = 0; r < opts.runs; r++) {
    last = fromScratch(n, caKeyType);
    samples.push({ totalMs: last.totalMs, planMs: last.planMs });
  }
  const totalMs = median(samples.map((s) => s.totalMs));
  const planMs = median(samples.map((s) => s.planMs));
  const out = {
    identities: n,
    caKeyType,
    runs: opts.runs,
    totalMs: round(totalMs),
    planMs: round(planMs),
    msPerLeafTotal: round(totalMs / n, 3),
    msPerLeafIssuing: round((totalMs - planMs) / n, 3),
    samplesTotalMs: samples.map((s) => round(s.totalMs)),
  };
  console.log(
    `${label.padEnd(11)} ${String(n).padStart(5)} leaves, ${caKeyType} CA: total ${out.totalMs} ms (plan ${out.planMs} ms) = ` +
      `${out.msPerLeafTotal} ms/leaf, ${out.msPerLeafIssuing} ms/leaf without the plan  [median of ${opts.runs}]`,
  );
  return { out, last };
}

/** (e): the crypto and encoding of a leaf, nothing written. */
function inMemory(n) {
  const caKeys = builder.generateKeyPair('ec-p256');
  const now = new Date();
  const later = new Date(now.getTime() + 72 * 3_600_000);
  const ca = builder.issueCertificate({ profile: { kind: 'root' }, commonName: 'bench CA', organization: 'bench', publicKey: caKeys.publicKey, notBefore: now, notAfter: later, selfSigningKey: caKeys.privateKey });
  const issuer = builder.issuerFromCertificate(ca.der, caKeys.privateKey);
  const samples = [];
  for (let r = 0; r < opts.runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const keys = builder.generateKeyPair('ec-p256');
      builder.issueCertificate({
        profile: { kind: 'leaf', serverAuth: true, clientAuth: true, dnsNames: [`svc-${i}`, `svc-${i}.lab.internal`], uris: [`spiffe://lab/ns/z3/sa/svc-${i}`] },
        commonName: `svc-${i}`, organization: 'bench', publicKey: keys.publicKey, notBefore: now, notAfter: later, issuer,
      });
      keys.privateKey.export({ type: 'pkcs8', format: 'pem' });
    }
    samples.push(ms(t0));
  }
  const out = { identities: n, runs: opts.runs, totalMs: round(median(samples)), msPerLeaf: round(median(samples) / n, 3) };
  console.log(`(e) memory  ${String(n).padStart(5)} leaves, ec-p256 CA, no files: total ${out.totalMs} ms = ${out.msPerLeaf} ms/leaf  [median of ${opts.runs}]`);
  return out;
}

/** (f): forge builds and signs (its JavaScript RSA) with an RSA-3072 intermediate; RSA-2048 leaf key reused. */
function forgeSigned(n) {
  const forge = require('node-forge');
  const crypto = require('node:crypto');
  const caPem = crypto.generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs1', format: 'pem' });
  const caKey = forge.pki.privateKeyFromPem(caPem);
  const leafPub = forge.pki.publicKeyFromPem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const cert = forge.pki.createCertificate();
    cert.publicKey = leafPub;
    cert.serialNumber = '01' + i.toString(16).padStart(4, '0');
    cert.validity.notBefore = new Date();
    cert.validity.notAfter = new Date(Date.now() + 72 * 3_600_000);
    cert.setSubject([{ shortName: 'CN', value: `svc-${i}` }]);
    cert.setIssuer([{ shortName: 'CN', value: 'bench CA' }]);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: `svc-${i}` }] },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    forge.pki.certificateToPem(cert);
  }
  const total = ms(t0);
  const out = { leaves: n, totalMs: round(total), msPerLeaf: round(total / n, 2) };
  console.log(`(f) forge   ${String(n).padStart(5)} leaves signed by forge itself (RSA-3072 CA): ${out.msPerLeaf} ms/leaf`);
  return out;
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

try {
  fromScratch(5, 'ec-p256'); // warm-up: module loading, JIT
  const results = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, date: new Date().toISOString() };

  results.lab = bench('(a) lab', opts.lab, 'ec-p256').out;
  const big = bench('(b) leaves', opts.leaves, 'ec-p256');
  results.leaves = big.out;

  const idem = [];
  for (let r = 0; r < opts.runs; r++) {
    const t0 = process.hrtime.bigint();
    const again = PkiBootstrap.run(big.last.app);
    idem.push(ms(t0));
    if (again.issued !== 0) throw new Error(`the idempotent run issued ${again.issued} certificate(s)`);
  }
  results.idempotent = { identities: opts.leaves, runs: opts.runs, totalMs: round(median(idem)), msPerLeaf: round(median(idem) / opts.leaves, 3), issued: 0 };
  console.log(`(c) again   ${String(opts.leaves).padStart(5)} leaves: total ${results.idempotent.totalMs} ms, issued 0 (${results.idempotent.msPerLeaf} ms/leaf to check)  [median of ${opts.runs}]`);

  if (opts.rsa) {
    const saved = opts.runs;
    opts.runs = Math.min(opts.runs, 3); // RSA-3072 key generation alone is ~1 s per CA key
    results.rsaCa = bench('(d) rsa-ca', opts.leaves, 'rsa-3072').out;
    opts.runs = saved;
  }

  results.inMemory = inMemory(opts.leaves);
  if (opts.rsa) results.forgeSign = forgeSigned(20);
  results.tmpdir = opts.tmpdir;

  const out = path.resolve(REPO, opts.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${path.relative(REPO, out)}`);
} finally {
  for (const r of tmpRoots) fs.rmSync(r, { recursive: true, force: true });
}
