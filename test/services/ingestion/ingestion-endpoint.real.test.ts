/**
 * The generated ingestion connector end to end, without Vault: the bootstrap's certificates and
 * credentials, a real MinIO with the generated settings and `mc` bootstrap (buckets, users,
 * policies), and Benthos 4.27 running the generated config. Overridden only what a test host
 * must: the listen address (a free loopback port), the /run/secrets paths (the delivered files),
 * and the lake's address — `lake` does not resolve here, so Benthos keeps the URL
 * `https://lake:<port>` and reaches it through a CONNECT proxy (HTTPS_PROXY), verifying MinIO's
 * certificate for the name `lake` itself.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestionEndpoint, MinioServer, Testing, Vps, Zone } from '../../../lib';
import { benthosBinary, RunningBenthos, startBenthos } from '../../support/real-servers/benthos';
import { freePort } from '../../support/real-servers/free-port';
import { minioBinaries, MinioServer as RunningMinio, startMinio } from '../../support/real-servers/minio';
import { httpsRequest } from '../../support/real-servers/https-request';
import { CommandResult, runCommand, stopAll } from '../../support/real-servers/process-registry';
import { ServiceProxy, startServiceProxy } from '../../support/real-servers/traefik';
import { bootstrapTier, DataTier } from '../data-tier-fixture';

const SERVICE = 'ingest-transactions';
const PATH = '/ingest/transactions';

let tier: DataTier | undefined;
let work: string | undefined;
let minio: RunningMinio;
let proxy: ServiceProxy;
let benthos: RunningBenthos;
let benthosPort: number;
let ca: Buffer;
/** Every change made to the generated config and environment, shown on failure. */
const overrides: string[] = [];

/** The lab's source `transactions` (apps/lab.ts), on a lake with raw, staging and quarantine. */
function buildApp() {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  new IngestionEndpoint(vps, SERVICE, {
    source: 'transactions', staging, quarantine,
    contract: {
      fields: {
        id: { type: 'string', min: 1, max: 64 },
        amount: { type: 'number', min: 0.01 },
        currency: { type: 'string', oneOf: ['BRL', 'USD', 'EUR'] },
        channel: { type: 'string', oneOf: ['APP', 'WEB', 'ATM'] },
        occurred_at: { type: 'timestamp' },
        customer_age: { type: 'integer', min: 0, max: 120, required: false },
      },
    },
  });
  return app;
}

/** Copies the delivered files of `service` into `dir` (0600). */
function copyDelivered(t: DataTier, service: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const from = path.dirname(t.filePath(service, 'x'));
  for (const name of fs.readdirSync(from)) fs.writeFileSync(path.join(dir, name), fs.readFileSync(path.join(from, name)), { mode: 0o600 });
  return dir;
}

/** Starts the lake with its compose environment and delivered files, then runs the generated bootstrap.sh as its job would. */
async function startLake(t: DataTier, dir: string): Promise<RunningMinio> {
  const serverSecrets = copyDelivered(t, 'lake', path.join(dir, 'lake-secrets'));
  const certs = path.join(dir, 'lake-certs');
  fs.mkdirSync(certs, { mode: 0o700 });
  for (const f of ['public.crt', 'private.key']) fs.copyFileSync(path.join(serverSecrets, f), path.join(certs, f));
  const compose = parse(t.generated('docker-compose.yml'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services.lake.environment as Record<string, string>)) {
    if (k.startsWith('MINIO_')) env[k] = v.replace(/^\/run\/secrets\//, `${serverSecrets}/`);
  }
  const server = await startMinio({ dir: path.join(dir, 'lake'), env, certsDir: certs });
  minio = server;
  const jobSecrets = copyDelivered(t, 'lake-bootstrap', path.join(dir, 'job-secrets'));
  const config = path.join(dir, 'job-config');
  for (const rel of t.assembly.paths().filter((p) => p.startsWith('lab/lake/'))) {
    const target = path.join(config, rel.slice('lab/lake/'.length));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, t.assembly.file(rel));
  }
  const r = runCommand('/bin/sh', [path.join(config, 'bootstrap.sh')], {
    cwd: dir,
    env: {
      PATH: `${path.dirname(minioBinaries()!.mc)}:/usr/bin:/bin`, HOME: dir,
      MLSEC_SECRETS_DIR: jobSecrets, MLSEC_CONFIG_DIR: config, MC_CONFIG_DIR: path.join(dir, 'mc-job'),
      MINIO_URL: `https://lake:${server.port}`, MC_RESOLVE: `lake:${server.port}=127.0.0.1`,
    },
    timeoutMs: 120_000,
  });
  if (r.status !== 0) throw new Error(`the generated lake bootstrap failed (${r.status}):\n${r.stdout}\n${r.stderr}\n--- minio ---\n${server.log()}`);
  return server;
}

/**
 * Starts Benthos with the generated config and the compose environment of the service; only
 * the listen address, /run/secrets paths and the lake's port change (each recorded in `overrides`).
 */
async function startConnector(t: DataTier, dir: string): Promise<RunningBenthos> {
  const compose = parse(t.generated('docker-compose.yml'));
  const svc = compose.services[SERVICE];
  const secrets = copyDelivered(t, SERVICE, path.join(dir, 'connector-secrets'));
  // Every /run/secrets/<target> of the service is a delivered file of that name.
  expect((svc.secrets as { target: string }[]).map((s) => s.target).sort()).toEqual(fs.readdirSync(secrets).sort());
  const reroot = (where: string, v: string) => {
    if (!v.startsWith('/run/secrets/')) return v;
    const to = path.join(secrets, v.slice('/run/secrets/'.length));
    overrides.push(`${where}: ${v} → ${to}`);
    return to;
  };

  const config = parse(t.generated(`${SERVICE}/benthos.yaml`));
  benthosPort = await freePort();
  const input = config.input.http_server;
  overrides.push(`benthos.yaml input.http_server.address: ${input.address} → 127.0.0.1:${benthosPort}`);
  input.address = `127.0.0.1:${benthosPort}`;
  input.cert_file = reroot('benthos.yaml input.http_server.cert_file', input.cert_file);
  input.key_file = reroot('benthos.yaml input.http_server.key_file', input.key_file);
  const configFile = path.join(dir, 'benthos.yaml');
  fs.writeFileSync(configFile, stringify(config));
  expect(fs.readFileSync(configFile, 'utf8')).not.toMatch(/\/run\/(secrets|vault)\//);

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment as Record<string, string>)) env[k] = reroot(`environment ${k}`, v);
  expect(Object.keys(env).sort()).toEqual(['AWS_CA_BUNDLE', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_SHARED_CREDENTIALS_FILE', 'SSL_CERT_FILE']);
  expect(env.AWS_ENDPOINT_URL).toBe('https://lake:9000');
  env.AWS_ENDPOINT_URL = `https://lake:${minio.port}`;
  overrides.push(`environment AWS_ENDPOINT_URL: https://lake:9000 → ${env.AWS_ENDPOINT_URL}`);
  proxy = await startServiceProxy({ [`lake:${minio.port}`]: minio.port });
  env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
  overrides.push(`environment HTTPS_PROXY (added): ${env.HTTPS_PROXY}, standing in for the compose network's DNS`);
  return startBenthos(configFile, env, { port: benthosPort });
}

beforeAll(async () => {
  benthosBinary(); // throws 'run npx projen test:deps' when missing
  if (!minioBinaries()) throw new Error('minio/mc are not built: run `npx projen test:deps` (tools/install-minio.sh)');
  tier = bootstrapTier(buildApp());
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-ingestion-real-'));
  ca = tier.file(SERVICE, 'ca.crt');
  await startLake(tier, work);
  benthos = await startConnector(tier, work);
}, 180_000);

afterAll(async () => {
  try {
    await benthos?.stop();
    await proxy?.stop();
    await minio?.stop();
    await stopAll(); // anything a failed setup left registered
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    tier?.cleanup();
  }
});

/** What a request got back. */
interface Reply {
  readonly status: number;
  readonly body: string;
}

/** A request to the connector over HTTPS, verifying its certificate with the internal CA for `servername` (SNI and Host). */
function request(method: string, urlPath: string, body?: string, servername = SERVICE, extraHeaders: Record<string, string> = {}): Promise<Reply> {
  return httpsRequest(benthosPort, servername, urlPath, { ca }, method, body, { headers: { host: `${servername}:8443`, ...extraHeaders }, timeoutMs: 20_000 });
}

/** A plain-HTTP request to the TLS port. */
function plainRequest(body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: benthosPort, method: 'POST', path: PATH, timeout: 10_000, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end(body);
  });
}

/** mc as root (the bootstrap job's keys) or as the connector (the keys of its delivered AWS credentials file), verifying TLS with the CA. */
function mcAs(who: 'root' | 'connector', ...args: string[]): CommandResult {
  let access: string;
  let secret: string;
  if (who === 'root') {
    access = tier!.file('lake-bootstrap', 'root-user').toString('utf8');
    secret = tier!.file('lake-bootstrap', 'root-password').toString('utf8');
  } else {
    const ini = tier!.file(SERVICE, 'lake.aws-credentials').toString('utf8');
    access = /aws_access_key_id = (\S+)/.exec(ini)![1];
    secret = /aws_secret_access_key = (\S+)/.exec(ini)![1];
    expect(access).toBe(SERVICE);
  }
  const mcDir = path.join(work!, `mc-${who}`);
  fs.mkdirSync(path.join(mcDir, 'certs', 'CAs'), { recursive: true });
  fs.writeFileSync(path.join(mcDir, 'certs', 'CAs', 'ca.crt'), ca);
  return minio.mc(['--json', ...args], { MC_CONFIG_DIR: mcDir, MC_HOST_s3: `https://${access}:${secret}@lake:${minio.port}`, MC_RESOLVE: `lake:${minio.port}=127.0.0.1` });
}

/** mc's words for S3 AccessDenied. */
const denied = (r: CommandResult) => r.status !== 0 && /Access Denied|AccessDenied|Insufficient permissions/i.test(`${r.stdout}${r.stderr}`);

/** Keys (as root) of every object under `bucket/prefix`. */
function keys(bucket: string, prefix = 'transactions/'): string[] {
  const r = mcAs('root', 'ls', '--recursive', `s3/${bucket}/${prefix}`);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)).filter((e) => e.type === 'file').map((e) => `${prefix}${e.key}`);
}

/** The object (as root) whose text contains `marker`, with its key. */
function find(bucket: string, marker: string): { key: string; text: string } | undefined {
  for (const key of keys(bucket)) {
    const r = mcAs('root', 'cat', `s3/${bucket}/${key}`);
    expect(r.status, r.stderr).toBe(0);
    if (r.stdout.includes(marker)) return { key, text: r.stdout };
  }
  return undefined;
}

/** Today's date as Benthos writes it (`now()` in local time), both before and after a request, in case it straddles midnight. */
const localDate = (d = new Date()) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const OBJECT_KEY = /^transactions\/(\d{4}-\d{2}-\d{2})\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.json$/;

const valid = { id: 'tx-real-1', amount: 99.9, currency: 'EUR', channel: 'WEB', occurred_at: '2026-11-26T10:00:00Z', customer_age: 37 };

describe('the generated ingestion connector on real Benthos and MinIO', () => {
  it('answers a valid POST with 200 and writes only the contract’s fields under staging/transactions/<date>/', async () => {
    const before = localDate();
    const reply = await request('POST', PATH, JSON.stringify({ ...valid, extra: 'dropped', card_number: '4111111111111111' }));
    const after = localDate();
    expect(reply.status, `${reply.body}\n--- benthos ---\n${benthos.log()}\n--- overrides ---\n${overrides.join('\n')}`).toBe(200);
    const stored = find('staging', valid.id);
    expect(stored, `staging holds ${JSON.stringify(keys('staging'))}; benthos:\n${benthos.log()}`).toBeDefined();
    const date = OBJECT_KEY.exec(stored!.key)?.[1];
    expect(date, stored!.key).toBeDefined();
    expect([before, after]).toContain(date);
    expect(JSON.parse(stored!.text)).toEqual(valid);
    expect(stored!.text).not.toMatch(/extra|card_number|4111/);
    expect(find('quarantine', valid.id)).toBeUndefined();
    // Benthos reached the lake by its service name (and so verified MinIO's certificate for `lake`).
    expect(proxy.connects).toContain(`lake:${minio.port}`);
  });

  it('writes an invalid record unchanged under quarantine/transactions/, and nothing to staging', async () => {
    const body = JSON.stringify({ ...valid, id: 'tx-real-bad', amount: -3, note: 'kept as sent' });
    const reply = await request('POST', PATH, body);
    // The record was delivered (to quarantine), so Benthos acknowledges it.
    expect(reply.status, `${reply.body}\n${benthos.log()}`).toBe(200);
    const stored = find('quarantine', 'tx-real-bad');
    expect(stored, `quarantine holds ${JSON.stringify(keys('quarantine'))}; benthos:\n${benthos.log()}`).toBeDefined();
    expect(stored!.key).toMatch(OBJECT_KEY);
    expect(stored!.text).toBe(body);
    expect(find('staging', 'tx-real-bad')).toBeUndefined();
  });

  it('stores no request header (Authorization, Cookie …) with the object, accepted or quarantined', async () => {
    const headers = { 'authorization': 'Bearer secret-token-xyz', 'cookie': 'session=abc', 'x-forwarded-tls-client-cert-info': 'Subject%3D%22CN%3Dpartner-a%22', 'x-request-id': 'req-42' };
    for (const [id, body] of [['tx-meta-ok', { ...valid, id: 'tx-meta-ok' }], ['tx-meta-bad', { ...valid, id: 'tx-meta-bad', channel: 'FAX' }]] as const) {
      expect((await request('POST', PATH, JSON.stringify(body), SERVICE, headers)).status).toBe(200);
      const bucket = id === 'tx-meta-ok' ? 'staging' : 'quarantine';
      const stored = find(bucket, id)!;
      const stat = mcAs('root', 'stat', `s3/${bucket}/${stored.key}`);
      expect(stat.status, stat.stderr).toBe(0);
      const meta = Object.fromEntries(Object.entries<string>(JSON.parse(stat.stdout).metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      expect(JSON.stringify(meta), bucket).not.toMatch(/secret-token-xyz|session=abc|req-42|partner-a/);
      expect(Object.keys(meta).filter((k) => k.startsWith('x-amz-meta-')), JSON.stringify(meta)).toEqual([]);
    }
  });

  it('quarantines a body that is not JSON, byte for byte', async () => {
    const body = 'id=tx-real-form&amount=1';
    expect((await request('POST', PATH, body)).status).toBe(200);
    expect(find('quarantine', 'tx-real-form')?.text).toBe(body);
    expect(find('staging', 'tx-real-form')).toBeUndefined();
  });

  it('refuses a GET and other paths, writing nothing', async () => {
    const before = [keys('staging').length, keys('quarantine').length];
    const get = await request('GET', PATH);
    expect([404, 405]).toContain(get.status);
    expect((await request('PUT', PATH, JSON.stringify(valid))).status).toBe(405);
    expect((await request('POST', '/ingest/other', JSON.stringify(valid))).status).toBe(404);
    expect((await request('POST', `${PATH}/x`, JSON.stringify(valid))).status).toBe(404);
    // Nothing else listens there: no websocket path, no Benthos API (ping, metrics, debug).
    for (const other of ['/post/ws', '/post', '/ping', '/ready', '/metrics', '/stats', '/debug/pprof/', '/benthos/version']) {
      expect((await request('GET', other)).status, other).toBe(404);
    }
    expect([keys('staging').length, keys('quarantine').length]).toEqual(before);
  });

  it('speaks TLS only: plain HTTP is refused, and its certificate is for the service name only', async () => {
    const before = [keys('staging').length, keys('quarantine').length];
    const plain = await plainRequest(JSON.stringify({ ...valid, id: 'tx-real-plain' }));
    expect(plain.status).toBe(400);
    expect(plain.body).toMatch(/HTTP request to an HTTPS server/);
    await expect(request('POST', PATH, JSON.stringify(valid), 'lake')).rejects.toThrow(/altnames|does not match|Hostname/i);
    expect([keys('staging').length, keys('quarantine').length]).toEqual(before);
  });

  it('holds write-only keys: the connector can neither read nor list staging, nor write to raw or another source', () => {
    const [key] = keys('staging');
    expect(key).toBeDefined();
    const upload = path.join(work!, 'upload.json');
    fs.writeFileSync(upload, '{}');
    // The keys are valid: the connector may write its own prefix…
    expect(mcAs('connector', 'cp', upload, 's3/staging/transactions/manual/probe.json').status).toBe(0);
    // …and nothing else.
    expect(denied(mcAs('connector', 'cat', `s3/staging/${key}`))).toBe(true);
    expect(denied(mcAs('connector', 'ls', 's3/staging/transactions/'))).toBe(true);
    expect(denied(mcAs('connector', 'ls', 's3/staging'))).toBe(true);
    expect(denied(mcAs('connector', 'cat', `s3/quarantine/${keys('quarantine')[0]}`))).toBe(true);
    expect(denied(mcAs('connector', 'rm', `s3/staging/${key}`))).toBe(true);
    expect(denied(mcAs('connector', 'cp', upload, 's3/raw/transactions/evil.json'))).toBe(true);
    expect(denied(mcAs('connector', 'cp', upload, 's3/staging/other-source/evil.json'))).toBe(true);
    expect(keys('raw')).toEqual([]);
  });
});
