/**
 * The generated model fetch job end to end on real servers: OpenBao bootstrapped by its generated
 * script (the `model-sign` Transit key, the job's policy and the CI release role's), the registry
 * stack as in the MLflow real test (PostgreSQL, MinIO and MLflow 3.17.2 from their generated files
 * and agents), the registry gate in front of it (Benthos 4.27 with its generated config, its agent's
 * certificates and its clients' token digests, rendered from KV), and the generated fetch.sh run by
 * busybox sh with curl (the curl image's tools), downloading through the gate with the reader token
 * its own agent rendered.
 * The model versions' lifecycle states are set straight in MLflow (the test's setup; in production
 * the CI promote pipeline sets them through the gate's publishers' listener).
 * The release as CI makes it: the release role logs in with a GitHub-style OIDC token, signs the
 * artifact's digest and writes the release record (artifact path, digest, signature) to Vault KV
 * with its own token; the job's own Vault Agent renders the record and its Vault
 * token. The app is synthesized once: no pin is in it. Re-pointed only what a test host must:
 * /run/vault, /run/secrets and /models paths, and the service names, through a CONNECT proxy
 * (HTTPS_PROXY, so curl still verifies `registry-gate` and `vault` by their certificates).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { ModelReleaseRecord, modelSigningRequest } from '../../../lib/services/model-serving';
import { freePorts } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { minioBinaries, MinioServer as RunningMinio } from '../../support/real-servers/minio';
import { MlflowCaller, mlflowBinDir, mlflowRequest, RunningMlflow } from '../../support/real-servers/mlflow';
import { benthosBinary } from '../../support/real-servers/benthos';
import { busyboxCurlPath, FetchRun, runFetchScript, RunningGate, startGeneratedRegistry, startGeneratedRegistryGate } from '../../support/real-servers/model-fetch';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { startGeneratedModelStore } from '../../support/real-servers/model-store';
import { stopAll } from '../../support/real-servers/process-registry';
import { ServiceProxy, startServiceProxy } from '../../support/real-servers/traefik';
import { servingHost } from './support';

const JOB = 'model-server-fetch';
/** The release record's API path (KV v2 data). */
const RECORD = 'kv/data/lab/release/fraud-score/record';
let host: GeneratedHost;
let compose: any;
let vault: GeneratedVault;
let pg: RunningPostgres;
let minio: RunningMinio;
let proxy: ServiceProxy;
let mlflow: RunningMlflow;
let gate: RunningGate;
let trainer: MlflowCaller;
/** What the job's agent rendered (its /run/vault) from the first, good release record. */
let jobOut: string;
/** The generated fetch script (one synth, no pin). */
let script: string;
let work: string;
/** The artifact, its digest, its registry path, and a token of the CI role's policy. */
const artifact = Buffer.concat([Buffer.from('fraud-score model v1\n'), crypto.randomBytes(4096)]);
const digest = crypto.createHash('sha256').update(artifact).digest('hex');
let artifactPath: string;
let tamperedPath: string;
/** The same bytes as `artifactPath`, held by model version 3 (whose state the lifecycle test moves). */
let laterPath: string;
let ciToken: string;
let signature: string;

const read = (file: string) => fs.readFileSync(file);

/** The model store and its bootstrap job, as in the MLflow real test. */
async function startModelStore(): Promise<void> {
  ({ minio } = await startGeneratedModelStore(host, vault, compose));
}

/** MLflow from its generated files (test/support/real-servers/model-fetch.ts), and the trainer's client of it. */
async function startRegistry(): Promise<void> {
  ({ mlflow, trainer } = await startGeneratedRegistry(host, vault, proxy, { pg: pg.port, modelStore: minio.port }));
}

/** The trainer's JSON call straight to MLflow; fails on a non-200. */
async function direct(method: string, urlPath: string, body?: object): Promise<any> {
  const r = await mlflowRequest(trainer, method, urlPath, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': 'application/json' });
  expect(r.status, `${method} ${urlPath}: ${r.body}\n${mlflow.log().slice(-3000)}`).toBe(200);
  return r.body === '' ? {} : JSON.parse(r.body);
}

/** Sets model version `version`'s lifecycle state straight in MLflow (the test's setup, not the gate's publisher path). */
function setState(version: string, state: string): Promise<unknown> {
  return direct('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: 'fraud-score', version, key: 'lifecycle_state', value: state });
}

/** The gate's log, for failure messages. */
const gateLog = () => `--- gate ---\n${gate.benthos.log().slice(-3000)}\n--- overrides ---\n${gate.overrides.join('\n')}`;

/** The trainer's upload of `bytes` to the registry's proxied artifact store. */
async function upload(at: string, bytes: Buffer): Promise<void> {
  const r = await mlflowRequest(trainer, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${at}`, bytes, { 'content-type': 'application/octet-stream' });
  expect(r.status, `${r.body}\n${mlflow.log().slice(-3000)}`).toBe(200);
}

/** Writes the release record with `token` (the CI role's by default), as the release workflow does. */
function publish(record: Partial<Record<keyof ModelReleaseRecord, string>>, token = ciToken) {
  return vault.bao.api('POST', RECORD, token, { data: record });
}

/** Publishes `record` with the CI role's token, then has a fresh agent of the job render it: its /run/vault. */
async function release(record: Partial<Record<keyof ModelReleaseRecord, string>>): Promise<string> {
  const written = await publish(record);
  expect(written.status, JSON.stringify(written.body)).toBe(200);
  return renderAgentFiles(host, vault, JOB);
}

/** Runs the generated script with the agent output `out`, into a fresh (or the given) models folder; container paths re-rooted only. */
async function fetchInto(out: string, modelsDir?: string, envPatch: Record<string, string> = {}): Promise<FetchRun & { models: string }> {
  const models = modelsDir ?? fs.mkdtempSync(path.join(work, 'models-'));
  const secrets = path.dirname(deliveredPath(host, JOB, 'x'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services[JOB].environment as Record<string, string>)) env[k] = String(v).replace(/^\/run\/vault\//, `${out}/`).replace(/^\/run\/secrets\//, `${secrets}/`);
  env.MLSEC_MODELS_DIR = models;
  env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
  const r = await runFetchScript(script, { ...env, ...envPatch });
  return { ...r, models };
}

/** A GitHub Actions-style OIDC token of the release workflow, signed by the test issuer. */
function githubToken(key: crypto.KeyObject): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'ES256', typ: 'JWT' });
  const body = b64({ iss: 'https://token.actions.githubusercontent.com', aud: 'vault', sub: 'repo:acme/lab:environment:production', iat: now, nbf: now - 5, exp: now + 300, repository: 'acme/lab', ref: 'refs/heads/main', environment: 'production' });
  return `${head}.${body}.${crypto.sign('sha256', Buffer.from(`${head}.${body}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** Every entry below `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      out.push(`${rel}${e.name}${e.isDirectory() ? '/' : ''}`);
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out.sort();
}

beforeAll(async () => {
  busyboxCurlPath(); // throws, naming the packages, when busybox or curl is missing
  benthosBinary(); // throws, naming tools/install-benthos.sh, when missing
  mlflowBinDir(); // throws, naming tools/install-mlflow.sh, when missing
  if (!minioBinaries()) throw new Error('minio/mc are not built: run `npx projen test:deps` (tools/install-minio.sh)');
  const { app } = servingHost();
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-model-fetch-');
  fs.chmodSync(secretsDir, 0o755);
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);
  script = host.files[`${JOB}/fetch.sh`];

  const [pgPort] = await freePorts(1);
  // GitHub's OIDC discovery is out of reach here: the JWT method verifies the test's own issuer key instead.
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  vault = await startGeneratedVault(host, 'vault', {
    postgres: { 'factory-db': pgPort },
    patch: (bootstrap, dir) => {
      fs.writeFileSync(path.join(dir, 'ci-issuer.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      return bootstrap.replace(/oidc_discovery_url="\$\{MLSEC_JWT_DISCOVERY_URL:-[^}]*\}"/, `jwt_validation_pubkeys=@"${path.join(dir, 'ci-issuer.pem')}"`);
    },
  });
  work = fs.mkdtempSync(path.join(vault.bao.dir, 'fetch-'));
  pg = await startGeneratedPostgres(host, 'factory-db', { renderedDir: await renderAgentFiles(host, vault, 'factory-db'), port: pgPort });
  await startModelStore();
  proxy = await startServiceProxy({ [`model-store:${minio.port}`]: minio.port, 'vault:8200': vault.bao.apiPort });
  await startRegistry();

  // The release: a run's model artifact in the registry, a tampered copy next to it and a later copy.
  const experiment = (await direct('POST', '/api/2.0/mlflow/experiments/create', { name: 'fraud-score' })).experiment_id as string;
  const run = (await direct('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experiment, start_time: Date.now() })).run.info.run_id as string;
  artifactPath = `${experiment}/${run}/artifacts/model/model.joblib`;
  tamperedPath = `${experiment}/${run}/artifacts/tampered/model.joblib`;
  laterPath = `${experiment}/${run}/artifacts/later/model.joblib`;
  await upload(artifactPath, artifact);
  const tampered = Buffer.from(artifact);
  tampered[tampered.length - 1] ^= 1;
  await upload(tamperedPath, tampered);
  await upload(laterPath, artifact);
  // Each is a model version: 1 (the model) and 2 (the tampered copy) Approved, so the gate serves
  // them and the job's own checks are what refuses the tampered one; 3 has no state yet.
  await direct('POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud-score' });
  for (const folder of ['model', 'tampered', 'later']) {
    await direct('POST', '/api/2.0/mlflow/model-versions/create', { name: 'fraud-score', source: `mlflow-artifacts:/${experiment}/${run}/artifacts/${folder}`, run_id: run });
  }
  await setState('1', 'Approved');
  await setState('2', 'Approved');
  gate = await startGeneratedRegistryGate(host, vault, proxy);
  // Signed by the CI role: a GitHub-style OIDC token of the bound repository, ref and environment, the digest prehashed.
  const login = await vault.bao.api('PUT', 'auth/jwt/login', undefined, { role: 'release', jwt: githubToken(privateKey) });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  expect(login.body.auth.policies).toEqual(['ci-release']);
  ciToken = login.body.auth.client_token;
  const signed = await vault.bao.api('POST', 'transit/sign/model-sign', ciToken, modelSigningRequest(digest));
  expect(signed.status, JSON.stringify(signed.body)).toBe(200);
  signature = signed.body.data.signature;
  // …and publishes the release record with the same token; the job's agent renders it.
  jobOut = await release({ artifact_path: artifactPath, sha256: digest, signature });
}, 480_000);

afterAll(async () => {
  await gate?.benthos.stop();
  await mlflow?.stop();
  await proxy?.stop();
  await minio?.stop();
  await vault?.bao.stop();
  await pg?.stop();
  await stopAll();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
}, 60_000);

describe('the generated model fetch job on real OpenBao and MLflow', () => {
  it('installs the artifact of the CI-written release record: exit 0, the file and its settings in the volume, read-only, and nothing else', async () => {
    // What the agent rendered is the record, byte for byte.
    expect(fs.readFileSync(path.join(jobOut, 'release-artifact-path'), 'utf8')).toBe(artifactPath);
    expect(fs.readFileSync(path.join(jobOut, 'release-sha256'), 'utf8')).toBe(digest);
    expect(fs.readFileSync(path.join(jobOut, 'release-signature'), 'utf8')).toBe(signature);
    const models = fs.mkdtempSync(path.join(work, 'models-'));
    // A model left from an earlier release and a stray file: only the pinned model may be served.
    fs.mkdirSync(path.join(models, 'old-model'));
    fs.writeFileSync(path.join(models, 'old-model', 'model.joblib'), 'old');
    const r = await fetchInto(jobOut, models);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`model-fetch fraud-score: installed model.joblib (sha256 ${digest}, signature valid)`);
    expect(tree(models)).toEqual(['fraud-score/', 'fraud-score/model-settings.json', 'fraud-score/model.joblib']);
    expect(read(path.join(models, 'fraud-score', 'model.joblib')).equals(artifact)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(models, 'fraud-score', 'model-settings.json'), 'utf8'))).toEqual({ name: 'fraud-score', implementation: 'mlserver_sklearn.SKLearnModel', parameters: { uri: './model.joblib', version: `sha256:${digest}` } });
    for (const f of ['model.joblib', 'model-settings.json']) expect(fs.statSync(path.join(models, 'fraud-score', f)).mode & 0o777).toBe(0o444);
    // What is signed, as documented: an ECDSA-SHA256 signature over the artifact's bytes, checkable offline with the public key from Vault.
    const key = (await vault.bao.api('GET', 'transit/keys/model-sign', vault.admin)).body.data.keys['1'].public_key as string;
    expect(crypto.verify('sha256', artifact, key, Buffer.from(signature.slice('vault:v1:'.length), 'base64'))).toBe(true);
    expect(crypto.verify('sha256', Buffer.concat([artifact, Buffer.from('x')]), key, Buffer.from(signature.slice('vault:v1:'.length), 'base64'))).toBe(false);
    // The download went to the registry gate's readers' listener by its name, and the verification to Vault by its name,
    // through the stand-in DNS; the gate logged its decision under the job's name, never its token.
    expect(proxy.connects).toContain('registry-gate:8443');
    expect(proxy.connects).toContain('vault:8200');
    const log = gate.benthos.log();
    expect(log, gateLog()).toMatch(new RegExp(`"caller":"${JOB}".*"request":"GET /api/2.0/mlflow-artifacts/artifacts/${artifactPath}".*"status":"200"`));
    expect(log).not.toContain(fs.readFileSync(path.join(jobOut, 'registry-gate-token'), 'utf8').trim());
  }, 60_000);

  it('refuses a tampered artifact (digest mismatch): exit ≠ 0, nothing written, an installed model untouched', async () => {
    const tamperedOut = await release({ artifact_path: tamperedPath, sha256: digest, signature });
    const fresh = await fetchInto(tamperedOut);
    expect(fresh.status).not.toBe(0);
    expect(fresh.stderr).toContain(`model-fetch fraud-score: digest mismatch: ${tamperedPath} has sha256`);
    expect(fresh.stderr).toContain(`the release record says ${digest}`);
    expect(fresh.stderr).toContain('nothing installed');
    expect(tree(fresh.models)).toEqual([]);
    // Over a volume holding the good model: it stays as it was.
    const good = await fetchInto(jobOut);
    expect(good.status, good.stderr).toBe(0);
    const again = await fetchInto(tamperedOut, good.models);
    expect(again.status).not.toBe(0);
    expect(tree(good.models)).toEqual(['fraud-score/', 'fraud-score/model-settings.json', 'fraud-score/model.joblib']);
    expect(read(path.join(good.models, 'fraud-score', 'model.joblib')).equals(artifact)).toBe(true);
  }, 60_000);

  it('refuses the right digest with a signature by another key, of another digest, or not a signature at all', async () => {
    // Another ECDSA P-256 key in the same Transit mount: its signature is well-formed, and wrong.
    expect((await vault.bao.api('POST', 'transit/keys/rogue-sign', vault.admin, { type: 'ecdsa-p256' })).status).toBeLessThan(300);
    const rogue = (await vault.bao.api('POST', 'transit/sign/rogue-sign', vault.admin, modelSigningRequest(digest))).body.data.signature as string;
    const otherDigest = crypto.createHash('sha256').update('another model').digest('hex');
    const ofOther = (await vault.bao.api('POST', 'transit/sign/model-sign', ciToken, modelSigningRequest(otherDigest))).body.data.signature as string;
    // Signed over the hex text instead of the digest bytes (not what the job verifies).
    const ofHexText = (await vault.bao.api('POST', 'transit/sign/model-sign', ciToken, { input: Buffer.from(digest).toString('base64'), hash_algorithm: 'sha2-256' })).body.data.signature as string;
    for (const [what, sig, message] of [
      ['another key', rogue, 'is not valid for its digest under transit/verify/model-sign'],
      ['another digest', ofOther, 'is not valid for its digest'],
      ['the hex text', ofHexText, 'is not valid for its digest'],
      ['not a signature', 'vault:v1:MEUCIQAAAAAAAAAAAAAAAAAAAAAA', /Vault refused to verify the signature|is not valid for its digest/],
    ] as const) {
      expect(sig, what).toMatch(/^vault:v1:/);
      const r = await fetchInto(await release({ artifact_path: artifactPath, sha256: digest, signature: sig }));
      expect(r.status, `${what}: ${r.stdout}\n${r.stderr}`).not.toBe(0);
      if (typeof message === 'string') expect(r.stderr, what).toContain(message);
      else expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).toContain('nothing installed');
      expect(tree(r.models), what).toEqual([]);
    }
  }, 120_000);

  it('serves only a version in a servable state: none and Staging are refused by the gate, Approved installs, Revoked is refused again; nothing installed when refused', async () => {
    const out = await release({ artifact_path: laterPath, sha256: digest, signature });
    const refused = async (state: string) => {
      const r = await fetchInto(out);
      expect(r.status, `${state}: ${r.stdout}\n${r.stderr}\n${gateLog()}`).not.toBe(0);
      expect(r.stderr, state).toContain(`model-fetch fraud-score: the registry gate did not deliver ${laterPath}`);
      expect(r.stderr, state).toMatch(/returned error: 403/);
      expect(r.stderr, state).toContain('nothing installed');
      expect(tree(r.models), state).toEqual([]);
    };
    // Version 3 holds the same signed bytes as version 1: only its lifecycle state decides.
    await refused('no state');
    await setState('3', 'Staging');
    await refused('Staging');
    await setState('3', 'Approved');
    const ok = await fetchInto(out);
    expect(ok.status, `${ok.stdout}\n${ok.stderr}\n${gateLog()}`).toBe(0);
    expect(read(path.join(ok.models, 'fraud-score', 'model.joblib')).equals(artifact)).toBe(true);
    // Revoked (set straight in MLflow, as an incident response would through the publisher): the next fetch is refused,
    // and a volume holding the model keeps it as it was (the job never half-installs).
    await setState('3', 'Revoked');
    await refused('Revoked');
    const again = await fetchInto(out, ok.models);
    expect(again.status).not.toBe(0);
    expect(tree(ok.models)).toEqual(['fraud-score/', 'fraud-score/model-settings.json', 'fraud-score/model.joblib']);
    expect(gate.benthos.log()).toMatch(/"reason":"the artifact is not part of a model version in a servable state \(Approved\)"/);
  }, 120_000);

  it('is refused by the gate without its own reader token, and cannot reach MLflow itself; nothing written', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'rogue-'));
    // An unknown token, and the publisher's token on the readers' listener: 401, nothing written.
    const unknown = path.join(dir, 'unknown-token');
    fs.writeFileSync(unknown, crypto.randomBytes(32).toString('base64url'));
    const publisherToken = path.join(await renderAgentFiles(host, vault, 'promoter'), 'registry-gate-token');
    for (const [what, file] of [['an unknown token', unknown], ['the publisher\'s token', publisherToken]] as const) {
      const r = await fetchInto(jobOut, undefined, { MLSEC_REGISTRY_GATE_TOKEN_FILE: file });
      expect(r.status, `${what}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, what).toContain(`the registry gate did not deliver ${artifactPath}`);
      expect(r.stderr, what).toMatch(/returned error: 401/);
      expect(tree(r.models), what).toEqual([]);
    }
    // The job holds no registry client certificate: pointed at MLflow itself, the TLS session ends before any
    // HTTP answer (curl 35, 52 or 56, by TLS version), token or not.
    expect(fs.readdirSync(jobOut).filter((f) => /tls|crt|key/.test(f))).toEqual([]);
    const bypass = await fetchInto(jobOut, undefined, { MLSEC_REGISTRY_GATE_URL: 'https://mlflow:5000' });
    expect(bypass.status).not.toBe(0);
    expect(bypass.stderr).toContain(`the registry gate did not deliver ${artifactPath}`);
    expect(bypass.stderr).toMatch(/curl: \((35|52|56)\)/);
    expect(tree(bypass.models)).toEqual([]);
    // The bearer header file is gone after every run, failed or not.
    expect(fs.readdirSync('/tmp').filter((f) => f.startsWith('registry-auth.'))).toEqual([]);
  }, 60_000);

  it('holds a verify-only token: the job cannot sign with model-sign', async () => {
    const token = fs.readFileSync(path.join(jobOut, 'token'), 'utf8').trim();
    expect((await vault.bao.api('POST', 'transit/sign/model-sign', token, modelSigningRequest(digest))).status).toBe(403);
    const verified = await vault.bao.api('POST', 'transit/verify/model-sign', token, { ...modelSigningRequest(digest), signature });
    expect(verified.body.data.valid).toBe(true);
  });

  it('lets only the CI role write the release record: the fetch job, another workload and the signing-only path get 403; the record is unchanged', async () => {
    const before = (await vault.bao.api('GET', RECORD, vault.admin)).body.data;
    const forged = { artifact_path: tamperedPath, sha256: crypto.createHash('sha256').update('forged').digest('hex'), signature };
    // The fetch job's own token (what its agent holds) reads the record, and cannot write it.
    const jobToken = fs.readFileSync(path.join(jobOut, 'token'), 'utf8').trim();
    expect((await vault.bao.api('GET', RECORD, jobToken)).body.data.data).toEqual(before.data);
    expect((await publish(forged, jobToken)).status).toBe(403);
    // Another workload of the platform (the trainer, which uploads to the registry) and a fresh login of the job: refused.
    expect((await publish(forged, await vault.login('trainer'))).status).toBe(403);
    expect((await publish(forged, await vault.login(JOB))).status).toBe(403);
    // The CI role writes exactly this record: not another model's, not its metadata, no delete, no read-back.
    expect((await vault.bao.api('POST', 'kv/data/lab/release/other-model/record', ciToken, { data: forged })).status).toBe(403);
    expect((await vault.bao.api('DELETE', RECORD, ciToken)).status).toBe(403);
    expect((await vault.bao.api('DELETE', 'kv/metadata/lab/release/fraud-score/record', ciToken)).status).toBe(403);
    expect((await vault.bao.api('GET', RECORD, ciToken)).status).toBe(403);
    const after = (await vault.bao.api('GET', RECORD, vault.admin)).body.data;
    expect(after.data).toEqual(before.data);
    expect(after.metadata.version).toBe(before.metadata.version);
  }, 60_000);

  it('fails closed on a malformed, incomplete or empty record: exit ≠ 0 before any download (or no render at all), nothing written', async () => {
    for (const [what, record, message] of [
      ['a digest in upper case', { artifact_path: artifactPath, sha256: digest.toUpperCase(), signature }, 'has a malformed sha256'],
      ['a path out of the artifact root', { artifact_path: `${artifactPath.split('/')[0]}/../../../etc/passwd`, sha256: digest, signature }, 'has a malformed artifact_path'],
      ['a path with a shell command', { artifact_path: `${artifactPath}$(id)`, sha256: digest, signature }, 'has a malformed artifact_path'],
      ['a signature with a newline', { artifact_path: artifactPath, sha256: digest, signature: `${signature.slice(0, 20)}\n${signature.slice(20)}` }, 'has a malformed signature'],
      ['a signature of another scheme', { artifact_path: artifactPath, sha256: digest, signature: signature.replace('vault:v1:', 'sig:') }, 'has a malformed signature'],
    ] as const) {
      const out = await release(record);
      const connects = proxy.connects.filter((c) => c === 'registry-gate:8443').length;
      const r = await fetchInto(out);
      expect(r.status, `${what}: ${r.stdout}\n${r.stderr}`).not.toBe(0);
      expect(r.stderr, what).toContain(`model-fetch fraud-score: the release record ${RECORD} ${message}`);
      expect(r.stderr, what).toContain('nothing installed');
      expect(tree(r.models), what).toEqual([]);
      expect(proxy.connects.filter((c) => c === 'registry-gate:8443').length, `${what}: no download`).toBe(connects);
    }
    // A record without a field: the agent refuses to render it and exits, so it never turns healthy and compose never starts the job.
    await expect(release({ artifact_path: artifactPath, signature })).rejects.toThrow(/the agent did not write [\s\S]*release-sha256.ctmpl: execute: [\s\S]*map has no entry for key \\?"sha256/);
    // An empty field renders an empty file (the agent's health check then holds the job back); the script refuses it too.
    const empty = path.join(work, 'empty-field');
    fs.writeFileSync(empty, '');
    const r = await fetchInto(jobOut, undefined, { MLSEC_MODEL_SHA256_FILE: empty });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`the release record ${RECORD} is incomplete: ${empty} is missing or empty`);
    expect(tree(r.models)).toEqual([]);
  }, 180_000);
});
