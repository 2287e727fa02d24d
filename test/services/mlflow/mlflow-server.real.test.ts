/**
 * The generated MLflow tracking server end to end on real servers: OpenBao bootstrapped by its
 * generated script, the Z4 PostgreSQL started from its generated files with what its agent
 * renders, the Z4 MinIO on its agent's files with its generated bootstrap applying buckets and
 * users, and MLflow 3.17.2 (tools/install-mlflow.sh) run by its generated start script with its
 * compose environment and what its own agent renders. Re-pointed only what a test host must:
 * /run/vault and /run/secrets paths, the listen address and port, and the service names —
 * `factory-db` through libpq's PGHOSTADDR (so verify-full still checks the name), `model-store`
 * through a CONNECT proxy (HTTPS_PROXY, so boto3 verifies MinIO's certificate for its name).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { freePorts } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { minioBinaries, MinioServer as RunningMinio } from '../../support/real-servers/minio';
import { MlflowCaller, mlflowBinDir, mlflowRequest, RunningMlflow, runMlflowScript, startMlflow } from '../../support/real-servers/mlflow';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { startGeneratedModelStore } from '../../support/real-servers/model-store';
import { stopAll } from '../../support/real-servers/process-registry';
import { ServiceProxy, startServiceProxy } from '../../support/real-servers/traefik';
import { factoryHost } from './support';

let host: GeneratedHost;
let compose: any;
let vault: GeneratedVault;
let pg: RunningPostgres;
let minio: RunningMinio;
let proxy: ServiceProxy;
let mlflow: RunningMlflow;
let mlflowPort: number;
/** What the mlflow agent rendered (its /run/vault). */
let mlflowOut: string;
/** The start script and environment it ran with. */
let script: string;
let env: Record<string, string>;
/** The trainer's TLS material (its agent's client certificate). */
let trainer: MlflowCaller;
/** Every change made to the generated script and environment, shown on failure. */
const overrides: string[] = [];

const read = (file: string) => fs.readFileSync(file);

/** The compose service's environment with container paths re-pointed to what the test has. */
function repointed(environment: Record<string, string>, vaultDir: string, secretsDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(environment)) out[k] = String(v).replace(/^\/run\/vault\//, `${vaultDir}/`).replace(/^\/run\/secrets\//, `${secretsDir}/`);
  return out;
}

/** The model store's root keys (from its own agent) for `mc`, with MinIO's name resolved to loopback. */
function mcAsRoot(storeOut: string, ...args: string[]) {
  const user = fs.readFileSync(path.join(storeOut, 'root-user'), 'utf8');
  const password = fs.readFileSync(path.join(storeOut, 'root-password'), 'utf8');
  return minio.mc(['--json', ...args], {
    MC_HOST_s3: `https://${user}:${password}@model-store:${minio.port}`, MC_RESOLVE: `model-store:${minio.port}=127.0.0.1`,
    SSL_CERT_FILE: deliveredPath(host, 'model-store-bootstrap', 'ca.crt'),
  });
}
let storeOut: string;

async function startModelStore(): Promise<void> {
  ({ minio, storeOut } = await startGeneratedModelStore(host, vault, compose));
}

beforeAll(async () => {
  mlflowBinDir(); // throws, naming tools/install-mlflow.sh, when missing
  if (!minioBinaries()) throw new Error('minio/mc are not built: run `npx projen test:deps` (tools/install-minio.sh)');
  const { app } = factoryHost();
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-mlflow-');
  fs.chmodSync(secretsDir, 0o755);
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);

  const [pgPort, port] = await freePorts(2);
  mlflowPort = port;
  vault = await startGeneratedVault(host, 'vault', { postgres: { 'factory-db': pgPort } });
  pg = await startGeneratedPostgres(host, 'factory-db', { renderedDir: await renderAgentFiles(host, vault, 'factory-db'), port: pgPort });
  await startModelStore();

  mlflowOut = await renderAgentFiles(host, vault, 'mlflow');
  const service = compose.services.mlflow;
  expect(service.entrypoint).toEqual(['/bin/sh', '/etc/mlflow/start.sh']);
  expect(service.volumes).toContainEqual({ type: 'bind', source: './mlflow/start.sh', target: '/etc/mlflow/start.sh', read_only: true });
  const generated = host.files['mlflow/start.sh'];
  script = generated.replace('--host 0.0.0.0 --port 5000', `--host 127.0.0.1 --port ${mlflowPort}`);
  overrides.push(`start.sh: --host 0.0.0.0 --port 5000 → --host 127.0.0.1 --port ${mlflowPort}`);
  expect(script).not.toBe(generated);
  env = repointed(service.environment, mlflowOut, path.dirname(deliveredPath(host, 'mlflow', 'x')));
  env.BACKEND_PGPORT = String(pg.port);
  env.PGHOSTADDR = '127.0.0.1';
  overrides.push(`environment BACKEND_PGPORT: 5432 → ${pg.port}; PGHOSTADDR=127.0.0.1 added (libpq still verifies the name factory-db)`);
  proxy = await startServiceProxy({ [`model-store:${minio.port}`]: minio.port });
  env.MLFLOW_S3_ENDPOINT_URL = `https://model-store:${minio.port}`;
  env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
  env.NO_PROXY = '127.0.0.1';
  overrides.push(`environment MLFLOW_S3_ENDPOINT_URL → ${env.MLFLOW_S3_ENDPOINT_URL}; HTTPS_PROXY added, standing in for the compose network's DNS`);

  const trainerOut = await renderAgentFiles(host, vault, 'trainer');
  trainer = {
    port: mlflowPort, servername: 'mlflow', ca: read(deliveredPath(host, 'trainer', 'ca.crt')),
    cert: read(path.join(trainerOut, 'vault-tls.crt')), key: read(path.join(trainerOut, 'vault-tls.key')),
  };
  mlflow = await startMlflow({
    script, env,
    probe: () => mlflowRequest(trainer, 'GET', '/health').then((r) => r.status, () => undefined),
  });
}, 400_000);

afterAll(async () => {
  await mlflow?.stop();
  await proxy?.stop();
  await minio?.stop();
  await vault?.bao.stop();
  await pg?.stop();
  await stopAll();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
}, 60_000);

/** The trainer's JSON call to the REST API; fails the test with the server's log on a non-200. */
async function api(method: string, urlPath: string, body?: object): Promise<any> {
  const r = await mlflowRequest(trainer, method, urlPath, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': 'application/json' });
  expect(r.status, `${method} ${urlPath}: ${r.body}\n--- mlflow ---\n${mlflow.log().slice(-4000)}\n--- overrides ---\n${overrides.join('\n')}`).toBe(200);
  return r.body === '' ? {} : JSON.parse(r.body);
}

let run: { experimentId: string; runId: string } | undefined;

describe('the generated MLflow tracking server on real PostgreSQL, MinIO and OpenBao', () => {
  it('creates an experiment, logs a run with params and metrics and an artifact over HTTPS, and the artifact lands in the bucket', async () => {
    const experimentId = (await api('POST', '/api/2.0/mlflow/experiments/create', { name: 'fraud-score' })).experiment_id as string;
    const created = await api('POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId, start_time: Date.now(), run_name: 'baseline' });
    const runId = created.run.info.run_id as string;
    // Proxied: the run's artifacts are addressed through the server, never by an S3 URL the client would need keys for.
    expect(created.run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`);
    await api('POST', '/api/2.0/mlflow/runs/log-parameter', { run_id: runId, key: 'max_depth', value: '6' });
    await api('POST', '/api/2.0/mlflow/runs/log-metric', { run_id: runId, key: 'auc', value: 0.87, timestamp: Date.now(), step: 1 });
    const artifact = 'model card of baseline\n';
    const upload = await mlflowRequest(trainer, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model_card.md`, artifact, { 'content-type': 'text/markdown' });
    expect(upload.status, `${upload.body}\n${mlflow.log().slice(-4000)}`).toBe(200);
    await api('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });

    const got = (await api('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`)).run;
    expect(got.data.params).toEqual([{ key: 'max_depth', value: '6' }]);
    expect(got.data.metrics).toEqual([expect.objectContaining({ key: 'auc', value: 0.87, step: 1 })]);
    expect(got.info.status).toBe('FINISHED');
    const listed = await api('GET', `/api/2.0/mlflow-artifacts/artifacts?path=${experimentId}/${runId}/artifacts`);
    expect(listed.files).toEqual([expect.objectContaining({ path: 'model_card.md', is_dir: false })]);
    const download = await mlflowRequest(trainer, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model_card.md`);
    expect(download.body).toBe(artifact);

    // In the bucket, under the run's key, through MinIO's name (the proxy saw the CONNECT).
    const object = mcAsRoot(storeOut, 'cat', `s3/mlflow-artifacts/${experimentId}/${runId}/artifacts/model_card.md`);
    expect(object.status, object.stderr).toBe(0);
    expect(object.stdout).toBe(artifact);
    expect(proxy.connects).toContain(`model-store:${minio.port}`);
    run = { experimentId, runId };
  }, 120_000);

  it('holds no delete right on the bucket: a delete through the server removes nothing', async () => {
    expect(run).toBeDefined();
    const key = `${run!.experimentId}/${run!.runId}/artifacts/model_card.md`;
    // MLflow deletes with a batch DeleteObjects, whose per-key AccessDenied it does not report:
    // the request may say 200, but MinIO refused, and the object and its only version stay.
    await mlflowRequest(trainer, 'DELETE', `/api/2.0/mlflow-artifacts/artifacts/${key}`);
    const kept = mcAsRoot(storeOut, 'cat', `s3/mlflow-artifacts/${key}`);
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stdout).toBe('model card of baseline\n');
    const versions = mcAsRoot(storeOut, 'ls', '--versions', `s3/mlflow-artifacts/${key}`).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(versions.map((v) => v.isDeleteMarker ?? false)).toEqual([false]);
    // And the trainer reads it still.
    expect((await mlflowRequest(trainer, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${key}`)).body).toBe('model card of baseline\n');
  });

  it('keeps its tables in the mlflow schema, owned by its own role, reached with a client certificate and no password', () => {
    const tables = pg.runSqlAsSuperuser("select tablename || ' ' || tableowner from pg_tables where schemaname = 'mlflow' order by 1", 'mlflow').split('\n');
    expect(tables).toContain('experiments mlflow');
    expect(tables).toContain('runs mlflow');
    expect(tables).toContain('metrics mlflow');
    expect(tables).toContain('model_versions mlflow');
    expect(tables.filter((t) => !t.endsWith(' mlflow'))).toEqual([]);
    expect(pg.runSqlAsSuperuser("select count(*) from pg_tables where schemaname = 'public'", 'mlflow')).toBe('0');
    expect(pg.runSqlAsSuperuser("select name from mlflow.experiments where name = 'fraud-score'", 'mlflow')).toBe('fraud-score');
    // No password exists for the role; each of its sessions is TLS with the Vault-issued certificate of CN mlflow.
    expect(pg.runSqlAsSuperuser("select rolpassword is null, rolcanlogin, rolsuper, rolcreaterole from pg_authid where rolname = 'mlflow'")).toBe('t|t|f|f');
    const sessions = pg.runSqlAsSuperuser("select distinct s.ssl, s.client_dn from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = 'mlflow'").split('\n');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatch(/^t\|.*CN=mlflow/);
    expect(pg.log()).toMatch(/connection authorized: user=mlflow database=mlflow SSL enabled/);
    expect(pg.log()).not.toMatch(/password authentication/);
    // Nothing secret on its command lines: the backend URI names files, not keys.
    const secret = /aws_secret_access_key = (\S+)/.exec(fs.readFileSync(path.join(mlflowOut, 'minio-model-store-mlflow.aws-credentials'), 'utf8'))![1];
    const cmdlines = groupCommandLines(mlflow.pid);
    expect(cmdlines.some((c) => c.includes('mlflow server'))).toBe(true);
    expect(cmdlines.some((c) => c.includes('uvicorn'))).toBe(true);
    for (const c of cmdlines) {
      expect(c).not.toContain(secret);
      expect(c).not.toMatch(/password|:\/\/[^@/]*:[^@/]*@/i);
    }
  });

  it('speaks TLS only and only to clients with a certificate of the internal CA', async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: mlflowPort, path: '/health', timeout: 5_000 }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (e) => resolve(e.message));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
    expect(plain).not.toMatch(/^status/);
    // No client certificate: the handshake is refused.
    await expect(mlflowRequest({ ...trainer, cert: undefined, key: undefined }, 'GET', '/api/2.0/mlflow/experiments/search?max_results=1')).rejects.toThrow();
    // Its certificate is for its service name only.
    await expect(mlflowRequest({ ...trainer, servername: 'model-store' }, 'GET', '/health')).rejects.toThrow(/altnames|does not match|Hostname/i);
  });

  it('answers only its own Host names, denies framing and blocks cross-origin writes', async () => {
    const search = '/api/2.0/mlflow/experiments/search?max_results=1';
    const evil = await mlflowRequest(trainer, 'GET', search, undefined, { host: 'attacker.example.com' });
    expect(evil.status).toBe(403);
    const ok = await mlflowRequest(trainer, 'GET', search);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-frame-options']).toBe('DENY');
    expect(ok.headers.server).toBeUndefined();
    const cross = await mlflowRequest(trainer, 'POST', '/api/2.0/mlflow/experiments/create', JSON.stringify({ name: 'from-elsewhere' }), { 'content-type': 'application/json', origin: 'https://attacker.example.com' });
    expect(cross.status).toBe(403);
    expect(pg.runSqlAsSuperuser("select count(*) from mlflow.experiments where name = 'from-elsewhere'", 'mlflow')).toBe('0');
  });

  it('refuses to start when a credentials file is empty or holds no key', async () => {
    const dir = fs.mkdtempSync(path.join(vault.bao.dir, 'broken-'));
    const empty = path.join(dir, 'empty.aws-credentials');
    fs.writeFileSync(empty, '');
    const keyless = path.join(dir, 'keyless.aws-credentials');
    fs.writeFileSync(keyless, '[default]\naws_access_key_id = mlflow\naws_secret_access_key = \n');
    const emptyKey = path.join(dir, 'empty.key');
    fs.writeFileSync(emptyKey, '');
    for (const [what, patch, message] of [
      ['an empty credentials file', { AWS_SHARED_CREDENTIALS_FILE: empty }, `${empty} is missing or empty`],
      ['a credentials file without a secret key', { AWS_SHARED_CREDENTIALS_FILE: keyless }, 'holds no secret key'],
      ['an empty TLS key', { MLSEC_TLS_KEY_FILE: emptyKey }, `${emptyKey} is missing or empty`],
      ['a missing database client key', { BACKEND_PGSSLKEY: path.join(dir, 'absent.key') }, 'absent.key is missing or empty'],
    ] as const) {
      const r = await runMlflowScript({ script, env: { ...env, ...patch } });
      expect(r.status, what).toBe(1);
      expect(r.output, what).toContain(message);
      expect(r.output, what).toContain('refusing to start');
      expect(r.output, what).not.toMatch(/uvicorn|Traceback/);
    }
  }, 60_000);
});

/** Command lines of a process group. */
function groupCommandLines(group: number): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === group) out.push(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // exited while we looked
    }
  }
  return out;
}
