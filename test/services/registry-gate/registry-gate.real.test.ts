/**
 * The generated registry gate end to end on real servers: the registry stack as in the MLflow
 * real test (OpenBao from its generated bootstrap, PostgreSQL, MinIO and MLflow 3.17.2 from their
 * generated files and agents), and Benthos 4.27 running the gate's generated config with what its
 * own agent renders (its server and registry-client certificate, and its clients' token digests
 * read from KV paths only the gate may read). The fetcher (reader) and the promoter (publisher)
 * call it over HTTPS with the tokens their own agents rendered from KV; MLflow's state is checked
 * directly with the trainer's certificate. The last test stops MLflow (the gate must then fail
 * closed). Re-pointed only what a test host must: /run/vault and /run/secrets paths, the listen
 * addresses (the two listeners and Benthos' metrics server), the env file (its variables passed as
 * the environment), and the name `mlflow` through a CONNECT proxy (HTTPS_PROXY, so the gate still
 * verifies MLflow's certificate for its name).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { REQUIRED_VERSION_TAGS } from '../../../lib/services/mlflow';
import { REGISTRY_GATE_PUBLISHER_PORT, REGISTRY_GATE_READER_PORT } from '../../../lib/services/registry-gate';
import { benthosBinary, lintBenthos, RunningBenthos, startBenthos } from '../../support/real-servers/benthos';
import { freePorts } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { httpsRequest, HttpsReply } from '../../support/real-servers/https-request';
import { minioBinaries, MinioServer as RunningMinio } from '../../support/real-servers/minio';
import { MlflowCaller, mlflowBinDir, mlflowRequest, RunningMlflow } from '../../support/real-servers/mlflow';
import { startGeneratedRegistry } from '../../support/real-servers/model-fetch';
import { startGeneratedModelStore } from '../../support/real-servers/model-store';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { stopAll } from '../../support/real-servers/process-registry';
import { ServiceProxy, startServiceProxy } from '../../support/real-servers/traefik';
import { gateHost } from './support';

const GATE = 'registry-gate';
const MODEL = 'fraud-score';
let host: GeneratedHost;
let compose: any;
let vault: GeneratedVault;
let pg: RunningPostgres;
let minio: RunningMinio;
let proxy: ServiceProxy;
let mlflow: RunningMlflow;
let gate: RunningBenthos;
let trainer: MlflowCaller;
let readerPort: number;
let publisherPort: number;
/** The loopback port of Benthos' own HTTPS server (metrics), 4195 in compose. */
let metricsPort: number;
let ca: Buffer;
let readerToken: string;
let publisherToken: string;
/** The gate's env file as its agent rendered it. */
let tokensEnv: string;
const artifact = Buffer.concat([Buffer.from('fraud-score model v1\n'), crypto.randomBytes(2048)]);
let artifactPath: string;
/** An artifact of the same run that no model version holds. */
let strayPath: string;
/** Every change made to the generated config and environment, shown on failure. */
const overrides: string[] = [];

const read = (file: string) => fs.readFileSync(file);
const reroot = (v: string, vaultDir: string, secretsDir: string) => v.replace(/^\/run\/vault\//, `${vaultDir}/`).replace(/^\/run\/secrets\//, `${secretsDir}/`);

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

/** The version's tags and the model's aliases, read straight from MLflow. */
async function registryState(version = '1'): Promise<{ state?: string; aliases: Record<string, string> }> {
  const mv = (await direct('GET', `/api/2.0/mlflow/model-versions/get?name=${MODEL}&version=${version}`)).model_version;
  const rm = (await direct('GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`)).registered_model;
  return {
    state: (mv.tags ?? []).find((t: { key: string }) => t.key === 'lifecycle_state')?.value,
    aliases: Object.fromEntries((rm.aliases ?? []).map((a: { alias: string; version: string }) => [a.alias, a.version])),
  };
}

/** The Z5-K01 tags as the registrar's side sets them (security decision PASS, approver not the creator). */
function registrarTags(): Record<string, string> {
  const tags: Record<string, string> = Object.fromEntries(REQUIRED_VERSION_TAGS.map((k) => [k, `${k}-value`]));
  return { ...tags, created_by: 'trainer-ci', security_decision: 'PASS', approved_by: 'security-officer' };
}

/** Sets tags straight on MLflow, as the registrar's side does. */
async function tag(version: string, tags: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(tags)) await direct('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version, key, value });
}

/** One call through the gate, as a client with `token` on `port`. */
function once(port: number, token: string | undefined, method: string, urlPath: string, body?: object | string, headers: Record<string, string> = {}): Promise<HttpsReply> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return httpsRequest(port, GATE, urlPath, { ca }, method, text, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers }, timeoutMs: 30_000 });
}

/** A call through the gate that waits out the gate's rate limit (20 per second) instead of failing on it. */
async function viaGate(...args: Parameters<typeof once>): Promise<HttpsReply> {
  for (let attempt = 0; ; attempt++) {
    const r = await once(...args);
    if (r.status !== 429 || attempt === 5) return r;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
}
const asReader = (method: string, urlPath: string, body?: object | string, headers?: Record<string, string>) => viaGate(readerPort, readerToken, method, urlPath, body, headers);
const asPublisher = (method: string, urlPath: string, body?: object | string, headers?: Record<string, string>) => viaGate(publisherPort, publisherToken, method, urlPath, body, headers);

/** The artifact through the gate as the fetcher downloads it: status and the bytes' digest. */
function download(at: string): Promise<{ status: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: readerPort, path: `/api/2.0/mlflow-artifacts/artifacts/${at}`, servername: GATE, ca,
      headers: { host: `${GATE}:${readerPort}`, authorization: `Bearer ${readerToken}` },
    }, (res) => {
      const hash = crypto.createHash('sha256');
      res.on('data', (c: Buffer) => hash.update(c)).on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex') }));
    });
    req.once('error', reject);
    req.end();
  });
}
const artifactSha256 = crypto.createHash('sha256').update(artifact).digest('hex');

/** Expects a refusal: the status, a JSON error of the gate, and the gate's log naming the decision. */
function expectRefused(r: HttpsReply, status: number, message?: RegExp): void {
  expect(r.status, `${r.body}\n--- gate ---\n${gate.log().slice(-3000)}\n--- overrides ---\n${overrides.join('\n')}`).toBe(status);
  const body = JSON.parse(r.body);
  expect(body.error_code).toBe('PERMISSION_DENIED');
  expect(body.message).toMatch(/^registry gate: /);
  if (message) expect(body.message).toMatch(message);
}

/** The gate with its generated config and compose environment; only test-host paths and addresses change. */
async function startGate(): Promise<void> {
  const out = await renderAgentFiles(host, vault, GATE);
  const secrets = path.dirname(deliveredPath(host, GATE, 'x'));
  const config = parse(host.files[`${GATE}/benthos.yaml`]);
  [readerPort, publisherPort, metricsPort] = await freePorts(3);
  const ports: Record<string, number> = { [`0.0.0.0:${REGISTRY_GATE_READER_PORT}`]: readerPort, [`0.0.0.0:${REGISTRY_GATE_PUBLISHER_PORT}`]: publisherPort };
  for (const input of config.input.broker.inputs) {
    const s = input.http_server;
    overrides.push(`listener ${s.address} → 127.0.0.1:${ports[s.address]}`);
    s.address = `127.0.0.1:${ports[s.address]}`;
  }
  // Benthos' own metrics server, on its own loopback port (parallel test files must not share 4195).
  expect(config.http).toMatchObject({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false });
  overrides.push(`http.address ${config.http.address} → 127.0.0.1:${metricsPort}`);
  config.http.address = `127.0.0.1:${metricsPort}`;
  // Container paths in the config, re-rooted to the agent's output and the delivered files.
  const text = stringify(config).replace(/\/run\/vault\//g, `${out}/`).replace(/\/run\/secrets\//g, `${secrets}/`);
  overrides.push(`/run/vault → ${out}, /run/secrets → ${secrets}`);
  const dir = fs.mkdtempSync(path.join(vault.bao.dir, 'gate-'));
  const configFile = path.join(dir, 'benthos.yaml');
  fs.writeFileSync(configFile, text);
  const svc = compose.services[GATE];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment as Record<string, string>)) env[k] = reroot(String(v), out, secrets);
  // startBenthos runs `-c <config>` only: the env file's variables (the token digests its agent rendered) go into the environment.
  expect(svc.command).toEqual(['--env-file', '/run/vault/registry-gate-tokens.env', '-c', '/etc/benthos/benthos.yaml']);
  tokensEnv = fs.readFileSync(path.join(out, 'registry-gate-tokens.env'), 'utf8');
  for (const line of tokensEnv.split('\n').filter(Boolean)) {
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  overrides.push('--env-file registry-gate-tokens.env → its variables in the environment');
  env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
  overrides.push('HTTPS_PROXY added, standing in for the compose network\'s DNS');
  const lint = lintBenthos(configFile, env);
  expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
  gate = await startBenthos(configFile, env, { port: publisherPort });
}

beforeAll(async () => {
  benthosBinary();
  mlflowBinDir();
  if (!minioBinaries()) throw new Error('minio/mc are not built: run `npx projen test:deps` (tools/install-minio.sh)');
  const { app } = gateHost();
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-registry-gate-');
  fs.chmodSync(secretsDir, 0o755);
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);
  ca = read(deliveredPath(host, 'fetcher', 'ca.crt'));
  // Nothing secret is delivered to a client: its token is what its own agent renders from KV.
  for (const client of ['fetcher', 'promoter']) expect(fs.readdirSync(path.dirname(deliveredPath(host, client, 'x')))).toEqual(['ca.crt']);

  const [pgPort] = await freePorts(1);
  vault = await startGeneratedVault(host, 'vault', { postgres: { 'factory-db': pgPort } });
  readerToken = fs.readFileSync(path.join(await renderAgentFiles(host, vault, 'fetcher'), `${GATE}-token`), 'utf8');
  publisherToken = fs.readFileSync(path.join(await renderAgentFiles(host, vault, 'promoter'), `${GATE}-token`), 'utf8');
  pg = await startGeneratedPostgres(host, 'factory-db', { renderedDir: await renderAgentFiles(host, vault, 'factory-db'), port: pgPort });
  ({ minio } = await startGeneratedModelStore(host, vault, compose));
  proxy = await startServiceProxy({ [`model-store:${minio.port}`]: minio.port });
  await startRegistry();

  // The registrar's side, straight to MLflow: a run's artifact, a registered model and its version 1.
  const experiment = (await direct('POST', '/api/2.0/mlflow/experiments/create', { name: MODEL })).experiment_id as string;
  const run = (await direct('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experiment, start_time: Date.now() })).run.info.run_id as string;
  artifactPath = `${experiment}/${run}/artifacts/model/model.joblib`;
  strayPath = `${experiment}/${run}/artifacts/scratch/model.joblib`;
  for (const at of [artifactPath, strayPath]) {
    const up = await mlflowRequest(trainer, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${at}`, artifact, { 'content-type': 'application/octet-stream' });
    expect(up.status, up.body).toBe(200);
  }
  await direct('POST', '/api/2.0/mlflow/registered-models/create', { name: MODEL });
  await direct('POST', '/api/2.0/mlflow/model-versions/create', { name: MODEL, source: `mlflow-artifacts:/${experiment}/${run}/artifacts/model`, run_id: run });
  await startGate();
}, 480_000);

afterAll(async () => {
  await gate?.stop();
  await mlflow?.stop();
  await proxy?.stop();
  await minio?.stop();
  await vault?.bao.stop();
  await pg?.stop();
  await stopAll();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
}, 60_000);

describe('the generated registry gate on real Benthos and MLflow', () => {
  it('authenticates with the tokens the clients\' agents rendered, against the digests the gate\'s agent rendered; each KV path is its reader\'s only', async () => {
    const sha = (t: string) => crypto.createHash('sha256').update(t).digest('hex');
    expect(readerToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(tokensEnv).toBe(`MLSEC_REGISTRY_GATE_READERS=fetcher=${sha(readerToken)}\nMLSEC_REGISTRY_GATE_PUBLISHERS=promoter=${sha(publisherToken)}\n`);
    expect((await asReader('GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`)).status).toBe(200);
    expectRefused(await viaGate(readerPort, `${readerToken.slice(0, -1)}${readerToken.endsWith('A') ? 'B' : 'A'}`, 'GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`), 401);
    // The fetcher's Vault token reads its own token, never the gate's digests nor the promoter's token; the gate reads digests only.
    const kv = async (role: string, kvPath: string) => (await vault.bao.api('GET', `kv/data/lab/core/${kvPath}`, await vault.login(role))).status;
    expect(await kv('fetcher', `fetcher/${GATE}`)).toBe(200);
    for (const other of [`${GATE}/token-fetcher`, `${GATE}/token-promoter`, `promoter/${GATE}`]) expect(await kv('fetcher', other), other).toBe(403);
    expect(await kv(GATE, `${GATE}/token-fetcher`)).toBe(200);
    for (const other of [`fetcher/${GATE}`, `promoter/${GATE}`]) expect(await kv(GATE, other), other).toBe(403);
  }, 60_000);

  it('forwards the reads a fetcher needs, with its own client certificate, and no artifact of a version that is not servable', async () => {
    const model = await asReader('GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`);
    expect(model.status, `${model.body}\n${gate.log().slice(-3000)}`).toBe(200);
    expect(JSON.parse(model.body).registered_model.name).toBe(MODEL);
    const version = await asReader('GET', `/api/2.0/mlflow/model-versions/get?name=${MODEL}&version=1`);
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body).model_version.version).toBe('1');
    const uri = await asReader('GET', `/api/2.0/mlflow/model-versions/get-download-uri?name=${MODEL}&version=1`);
    expect(uri.status).toBe(200);
    expect(JSON.parse(uri.body).artifact_uri).toMatch(/^mlflow-artifacts:\//);
    // The artifact of a version that is not Approved is not served; nor is an artifact no version holds.
    expectRefused(await asReader('GET', `/api/2.0/mlflow-artifacts/artifacts/${artifactPath}`), 403, /servable state \(Approved\)/);
    expectRefused(await asReader('GET', `/api/2.0/mlflow-artifacts/artifacts/${strayPath}`), 403, /servable/);
    // MLflow's own answers pass through with their status: an unknown model is its 404.
    const unknown = await asReader('GET', '/api/2.0/mlflow/registered-models/get?name=no-such-model');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  }, 60_000);

  it('refuses a caller without a registered token of the listener\'s class (401), and a reader on any write', async () => {
    expectRefused(await viaGate(readerPort, undefined, 'GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`), 401);
    expectRefused(await viaGate(readerPort, 'x'.repeat(43), 'GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`), 401);
    // Each token works on its own listener only.
    expectRefused(await viaGate(readerPort, publisherToken, 'GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`), 401);
    expectRefused(await viaGate(publisherPort, readerToken, 'GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`), 401);
    // The readers' listener takes GET only; a GET pretending to be a write (query and cookie) is still a read.
    expect((await asReader('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '1', key: 'lifecycle_state', value: 'Candidate' })).status).toBe(405);
    expectRefused(await asReader('GET', `/api/2.0/mlflow/model-versions/set-tag?name=${MODEL}&version=1&key=lifecycle_state&value=Candidate&http_server_verb=POST`), 403);
    expectRefused(await asReader('GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`, undefined, { cookie: 'gate_class=publisher' }), 403, /cookies/);
    expectRefused(await asReader('GET', '/api/2.0/mlflow/registered-models/search'), 403);
    expectRefused(await asReader('GET', `/api/2.0/mlflow-artifacts/artifacts/${artifactPath.split('/')[0]}/.hidden/x`), 403);
    // A traversal never reaches a listener's route: the router redirects to the cleaned path, outside /api/2.0/.
    expect((await asReader('GET', '/api/2.0/mlflow-artifacts/artifacts/../../../etc/passwd')).status).not.toBe(200);
    expect((await registryState()).state).toBeUndefined();
  }, 60_000);

  it('lets the publisher walk the lifecycle and set an alias the state allows, and refuses what the lifecycle forbids; MLflow unchanged', async () => {
    const setState = (value: string) => asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '1', key: 'lifecycle_state', value });
    // From no state, only Candidate; and not without the Z5-K01 tags, which the registrar sets.
    expectRefused(await setState('Approved'), 403, /\(none\) -> Approved/);
    expectRefused(await setState('Candidate'), 403, new RegExp(`lacks the required tags \\(Z5-K01\\): ${REQUIRED_VERSION_TAGS.join(', ')}$`));
    const { approved_by: _approver, ...registered } = registrarTags();
    await tag('1', { ...registered, security_decision: 'PENDING' });
    const blank = await direct('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '1', key: 'adr_id', value: ' ' });
    expect(blank).toEqual({});
    expectRefused(await setState('Candidate'), 403, /lacks the required tags \(Z5-K01\): adr_id$/);
    await tag('1', { adr_id: 'ADR-0042' });
    for (const state of ['Candidate', 'Staging']) {
      const r = await setState(state);
      expect(r.status, `${r.body}\n${gate.log().slice(-3000)}`).toBe(200);
      expect((await registryState()).state).toBe(state);
    }
    // Not a state; another tag; extra fields; Staging → production.
    expectRefused(await setState('Production'), 403);
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '1', key: 'approved_by', value: 'me' }), 403);
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '1', key: 'lifecycle_state', value: 'Approved', run_id: 'x' }), 403);
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/registered-models/alias', { name: MODEL, alias: 'production', version: '1' }), 403, /production may not point at a version in state Staging/);
    expect((await registryState()).aliases).toEqual({});
    // Staging may hold `staging`; an unknown alias never.
    const staged = await asPublisher('POST', '/api/2.0/mlflow/registered-models/alias', { name: MODEL, alias: 'staging', version: '1' });
    expect(staged.status, staged.body).toBe(200);
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/registered-models/alias', { name: MODEL, alias: 'latest-and-greatest', version: '1' }), 403);
    expect((await registryState()).aliases).toEqual({ staging: '1' });
    const alias = await asReader('GET', `/api/2.0/mlflow/registered-models/alias?name=${MODEL}&alias=staging`);
    expect(JSON.parse(alias.body).model_version.version).toBe('1');
    // Approved: now its artifact is served, byte for byte (and still not the stray one); then production;
    // then the alias is removed and the version revoked, which it never leaves, and is served no more.
    // Approved: the security decision must be PASS, and the approver someone other than the creator.
    expectRefused(await setState('Approved'), 403, /Approved needs the tag security_decision = PASS \(Z5-K03\)/);
    await tag('1', { security_decision: 'PASS' });
    expectRefused(await setState('Approved'), 403, /Approved needs the tag approved_by naming someone other than created_by \(Z5-K04\)/);
    await tag('1', { approved_by: registrarTags().created_by });
    expectRefused(await setState('Approved'), 403, /approved_by naming someone other than created_by/);
    await tag('1', { approved_by: 'security-officer' });
    expect((await setState('Approved')).status).toBe(200);
    expect(await download(artifactPath)).toEqual({ status: 200, sha256: artifactSha256 });
    expectRefused(await asReader('GET', `/api/2.0/mlflow-artifacts/artifacts/${strayPath}`), 403, /servable/);
    expectRefused(await setState('Staging'), 403, /Approved -> Staging/);
    expect((await asPublisher('POST', '/api/2.0/mlflow/registered-models/alias', { name: MODEL, alias: 'production', version: '1' })).status).toBe(200);
    expect((await asPublisher('DELETE', '/api/2.0/mlflow/registered-models/alias', { name: MODEL, alias: 'production' })).status).toBe(200);
    expect((await setState('Revoked')).status).toBe(200);
    expectRefused(await setState('Candidate'), 403, /Revoked -> Candidate/);
    expectRefused(await asReader('GET', `/api/2.0/mlflow-artifacts/artifacts/${artifactPath}`), 403, /servable/);
    // Deleting the lifecycle tag would leave Revoked: refused.
    expectRefused(await asPublisher('DELETE', '/api/2.0/mlflow/model-versions/delete-tag', { name: MODEL, version: '1', key: 'lifecycle_state' }), 403);
    // A version that does not exist: MLflow's 404 from the lookup, nothing written.
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '9', key: 'lifecycle_state', value: 'Candidate' }), 404);
    expect(await registryState()).toEqual({ state: 'Revoked', aliases: { staging: '1' } });
  }, 120_000);

  it('refuses stage transitions and deletes of the model or version, never forwarding them', async () => {
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/model-versions/transition-stage', { name: MODEL, version: '1', stage: 'Production', archive_existing_versions: false }), 403, /deprecated/);
    expectRefused(await asPublisher('DELETE', '/api/2.0/mlflow/registered-models/delete', { name: MODEL }), 403);
    expectRefused(await asPublisher('DELETE', '/api/2.0/mlflow/model-versions/delete', { name: MODEL, version: '1' }), 403);
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/registered-models/rename', { name: MODEL, new_name: 'other' }), 403);
    expectRefused(await asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', 'not json'), 403);
    // Wrong types in the body, with the gate's own metadata names in the query: refused, nothing forwarded.
    const forged = '?gate_action=DELETE&gate_target=mlflow/registered-models/delete&gate_class=publisher';
    expectRefused(await asPublisher('POST', `/api/2.0/mlflow/model-versions/set-tag${forged}`, { name: 5, version: '1', key: 'lifecycle_state', value: 'Candidate' }), 403);
    expectRefused(await asPublisher('DELETE', `/api/2.0/mlflow/registered-models/alias${forged}`, { name: { x: 1 }, alias: 'production' }), 403);
    expectRefused(await asReader('GET', `/api/2.0/mlflow/registered-models/search${forged.replace('?', '?gate_path=mlflow/registered-models/get&name=fraud-score&')}`), 403);
    const mv = (await direct('GET', `/api/2.0/mlflow/model-versions/get?name=${MODEL}&version=1`)).model_version;
    expect(mv.current_stage).toBe('None');
    expect((await direct('GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`)).registered_model.name).toBe(MODEL);
    // The gate's log holds each decision with the caller's name, never a token.
    const log = gate.log();
    expect(log).toMatch(/"caller":"promoter"/);
    expect(log).toMatch(/"caller":"fetcher"/);
    expect(log).not.toContain(readerToken);
    expect(log).not.toContain(publisherToken);
  }, 60_000);

  it('serves its Prometheus metrics over TLS with its Vault certificate for its name, without debug endpoints', async () => {
    const get = (urlPath: string) => httpsRequest(metricsPort, GATE, urlPath, { ca }, 'GET', undefined, { headers: { host: `${GATE}:4195` }, timeoutMs: 20_000 });
    const metrics = await get('/metrics');
    expect(metrics.status, `${metrics.body}\n${gate.log().slice(-3000)}`).toBe(200);
    expect(metrics.body).toMatch(/^input_received\{[^}]*\} [1-9]/m);
    expect((await get('/debug/config/json')).status).toBe(404);
    await expect(httpsRequest(metricsPort, 'mlflow', '/metrics', { ca }, 'GET', undefined, { timeoutMs: 10_000 })).rejects.toThrow(/altnames|does not match|Hostname/i);
  }, 60_000);

  it('is rate limited: beyond 20 requests per second it answers 429', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Kept-alive connections, so the burst is not paced by TLS handshakes on a busy machine.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
    const one = () => new Promise<number>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: readerPort, path: `/api/2.0/mlflow/registered-models/get?name=${MODEL}`, servername: GATE, ca, agent,
        headers: { host: `${GATE}:${readerPort}`, authorization: `Bearer ${readerToken}` },
      }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)));
      req.once('error', reject);
      req.end();
    });
    const started = Date.now();
    try {
      const statuses = await Promise.all(Array.from({ length: 80 }, one));
      const seconds = Math.ceil((Date.now() - started) / 1000);
      expect(statuses.every((st) => st === 200 || st === 429)).toBe(true);
      // At most 20 per started second went through (plus the window open at the start); the rest were refused.
      expect(statuses.filter((st) => st === 200).length).toBeLessThanOrEqual(20 * (seconds + 1));
      expect(statuses.filter((st) => st === 429).length).toBeGreaterThan(0);
    } finally {
      agent.destroy();
    }
  }, 60_000);

  it('serializes the lifecycle writes on a model: Approved and Revoked sent together never leave a revoked version approved', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const source = (await direct('GET', `/api/2.0/mlflow/model-versions/get?name=${MODEL}&version=1`)).model_version;
    /** A client as the promote pipeline is written: a 409 (another write on the model) is retried. */
    const write = async (version: string, value: string): Promise<HttpsReply[]> => {
      const replies: HttpsReply[] = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        const r = await asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version, key: 'lifecycle_state', value });
        replies.push(r);
        if (r.status !== 409) break;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      return replies;
    };
    const conflicts: HttpsReply[] = [];
    for (let round = 0; round < 5; round++) {
      // A fresh version in Staging (set straight on MLflow by the registrar's side).
      const tags = Object.entries(registrarTags()).map(([key, value]) => ({ key, value }));
      const version = String((await direct('POST', '/api/2.0/mlflow/model-versions/create', { name: MODEL, source: source.source, run_id: source.run_id, tags })).model_version.version);
      await direct('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version, key: 'lifecycle_state', value: 'Staging' });
      const [approve, revoke] = await Promise.all([write(version, 'Approved'), write(version, 'Revoked')]);
      conflicts.push(...[...approve, ...revoke].filter((r) => r.status === 409));
      const last = (replies: HttpsReply[]) => replies[replies.length - 1];
      const log = `approve ${approve.map((r) => r.status)} revoke ${revoke.map((r) => r.status)}\n${gate.log().slice(-3000)}`;
      // Security's revocation always lands, and a version that was revoked is never approved afterwards.
      expect(last(revoke).status, log).toBe(200);
      expect([200, 403], log).toContain(last(approve).status);
      if (last(approve).status === 403) expect(JSON.parse(last(approve).body).message, log).toMatch(/Revoked -> Approved/);
      expect((await registryState(version)).state, log).toBe('Revoked');
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    // The two writes met at the lock (they were sent together); the one refused was told why.
    expect(conflicts.length, gate.log().slice(-3000)).toBeGreaterThan(0);
    for (const r of conflicts) {
      expect(JSON.parse(r.body)).toEqual({ error_code: 'RESOURCE_CONFLICT', message: 'registry gate: another lifecycle write on this model is under way; retry' });
    }
    expect(gate.log()).toMatch(/"status":"409"/);
  }, 180_000);

  it('fails closed when the registry is down: a 502 JSON error, never the request echoed back', async () => {
    await mlflow.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const write = await asPublisher('POST', '/api/2.0/mlflow/model-versions/set-tag', { name: MODEL, version: '1', key: 'lifecycle_state', value: 'Quarantined' });
    expect(write.status, write.body).toBe(502);
    expect(JSON.parse(write.body)).toEqual({ error_code: 'BAD_GATEWAY', message: 'registry gate: the registry did not answer' });
    const readBack = await asReader('GET', `/api/2.0/mlflow/registered-models/get?name=${MODEL}`);
    expect(readBack.status).toBe(502);
    expect(readBack.body).not.toContain('lifecycle_state');
  }, 60_000);
});
