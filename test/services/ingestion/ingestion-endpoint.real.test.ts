/**
 * The generated ingestion connector end to end, without Vault: a real MinIO with the generated
 * settings and `mc` bootstrap, and Benthos 4.27 running the generated config (see lake-fixture.ts
 * for what a test host overrides: the listen address, /run/secrets paths and the lake's address).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestionEndpoint, MinioServer, Testing, Vps, Zone } from '../../../lib';
import type { RunningBenthos } from '../../support/real-servers/benthos';
import { freePort } from '../../support/real-servers/free-port';
import { httpsRequest } from '../../support/real-servers/https-request';
import type { CommandResult } from '../../support/real-servers/process-registry';
import { denied, keys as keysOf, LakeFixture, mcAs as mcOf, startLakeFixture, startService, userMetadata } from './lake-fixture';

const SERVICE = 'ingest-transactions';
const PATH = '/ingest/transactions';

let lake: LakeFixture;
let benthos: RunningBenthos;
let benthosPort: number;
let metricsPort: number;
let ca: Buffer;

/** The lab's source `transactions` (apps/lab.ts), on a lake with raw, staging and quarantine. */
function buildApp() {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  new IngestionEndpoint(vps, SERVICE, {
    source: 'transactions', staging, quarantine, senders: ['partner-a'],
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

beforeAll(async () => {
  lake = await startLakeFixture(buildApp(), 'ingestion-real');
  ca = lake.ca;
  benthosPort = await freePort();
  metricsPort = await freePort();
  benthos = await startService(lake, SERVICE, (config, reroot) => {
    const input = config.input.http_server;
    lake.overrides.push(`benthos.yaml input.http_server.address: ${input.address} → 127.0.0.1:${benthosPort}`);
    input.address = `127.0.0.1:${benthosPort}`;
    input.cert_file = reroot('benthos.yaml input.http_server.cert_file', input.cert_file);
    input.key_file = reroot('benthos.yaml input.http_server.key_file', input.key_file);
    const server = config.http;
    lake.overrides.push(`benthos.yaml http.address: ${server.address} → 127.0.0.1:${metricsPort}`);
    server.address = `127.0.0.1:${metricsPort}`;
    server.cert_file = reroot('benthos.yaml http.cert_file', server.cert_file);
    server.key_file = reroot('benthos.yaml http.key_file', server.key_file);
  }, benthosPort);
}, 180_000);

afterAll(async () => {
  await benthos?.stop();
  await lake?.stop();
});

/** What a request got back. */
interface Reply {
  readonly status: number;
  readonly body: string;
}

/** `X-Forwarded-Tls-Client-Cert-Info` as Traefik writes it for a client certificate (query-escaped, space as "+"). */
const certInfo = (subject: string, san = 'partner-a') => new URLSearchParams({ v: `Subject="${subject}";SAN="${san}"` }).toString().slice(2);
/** What the gateway forwards for the source's sender (apps/lab.ts: partner-a). */
const PARTNER_A = certInfo('O=Partner Bank,CN=partner-a');

/**
 * A request to the connector over HTTPS, verifying its certificate with the internal CA for
 * `servername` (SNI and Host), as the gateway sends it for `sender` (the forwarded certificate
 * subject; null: no header).
 */
function request(method: string, urlPath: string, body?: string, servername = SERVICE, extraHeaders: Record<string, string> = {}, sender: string | null = PARTNER_A): Promise<Reply> {
  const forwarded: Record<string, string> = sender === null ? {} : { 'x-forwarded-tls-client-cert-info': sender };
  return httpsRequest(benthosPort, servername, urlPath, { ca }, method, body, { headers: { host: `${servername}:8443`, ...forwarded, ...extraHeaders }, timeoutMs: 20_000 });
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

/** mc as root or as the connector. */
const mcAs = (who: 'root' | 'connector', ...args: string[]): CommandResult => mcOf(lake, who === 'root' ? 'root' : SERVICE, ...args);
/** Keys (as root) of every object under `bucket/prefix`. */
const keys = (bucket: string, prefix = 'transactions/') => keysOf(lake, bucket, prefix);

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
    expect(reply.status, `${reply.body}\n--- benthos ---\n${benthos.log()}\n--- overrides ---\n${lake.overrides.join('\n')}`).toBe(200);
    const stored = find('staging', valid.id);
    expect(stored, `staging holds ${JSON.stringify(keys('staging'))}; benthos:\n${benthos.log()}`).toBeDefined();
    const date = OBJECT_KEY.exec(stored!.key)?.[1];
    expect(date, stored!.key).toBeDefined();
    expect([before, after]).toContain(date);
    expect(JSON.parse(stored!.text)).toEqual(valid);
    expect(stored!.text).not.toMatch(/extra|card_number|4111/);
    expect(find('quarantine', valid.id)).toBeUndefined();
    // Benthos reached the lake by its service name (and so verified MinIO's certificate for `lake`).
    expect(lake.proxy.connects).toContain(`lake:${lake.minio.port}`);
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

  it('stores no request header (Authorization, Cookie …) with the object, accepted or quarantined: only content_sha256, the hash of its bytes', async () => {
    const headers = { 'authorization': 'Bearer secret-token-xyz', 'cookie': 'session=abc', 'x-forwarded-tls-client-cert-info': 'Subject%3D%22CN%3Dpartner-a%22', 'x-request-id': 'req-42' };
    for (const [id, body] of [['tx-meta-ok', { ...valid, id: 'tx-meta-ok' }], ['tx-meta-bad', { ...valid, id: 'tx-meta-bad', channel: 'FAX' }]] as const) {
      expect((await request('POST', PATH, JSON.stringify(body), SERVICE, headers)).status).toBe(200);
      const bucket = id === 'tx-meta-ok' ? 'staging' : 'quarantine';
      const stored = find(bucket, id)!;
      const meta = userMetadata(lake, bucket, stored.key);
      expect(JSON.stringify(meta), bucket).not.toMatch(/secret-token-xyz|session=abc|req-42|partner-a/);
      // MinIO keeps the field as X-Amz-Meta-Content_sha256; the aws_s3 input reads it back as content_sha256.
      expect(meta, bucket).toEqual({ 'x-amz-meta-content_sha256': createHash('sha256').update(stored.text).digest('hex') });
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
    const upload = path.join(lake.work, 'upload.json');
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

  it('counts accepted and rejected records per source on its metrics endpoint, over TLS only, without debug endpoints', async () => {
    const get = (urlPath: string) => httpsRequest(metricsPort, SERVICE, urlPath, { ca }, 'GET', undefined, { headers: { host: `${SERVICE}:4195` }, timeoutMs: 20_000 });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    const count = (result: string) => Number(new RegExp(`^ingest_records_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? 'NaN');
    // The earlier tests of this file posted valid and invalid records.
    expect(count('accepted')).toBeGreaterThanOrEqual(1);
    expect(count('rejected')).toBeGreaterThanOrEqual(1);
    expect(metrics.body).toMatch(/^ingest_records_total\{[^}]*source="transactions"/m);
    expect((await get('/debug/config/json')).status).toBe(404);
    await expect(get('/metrics').then(() => httpsRequest(metricsPort, 'lake', '/metrics', { ca }, 'GET', undefined, { timeoutMs: 10_000 }))).rejects.toThrow(/altnames|does not match|Hostname/i);
  });
});

describe('the sender check (CONTROLS.md Z1-K06): only the source\'s certificate CN may send', () => {
  const refused: Record<string, string | null> = {
    'no forwarded certificate': null,
    'another partner': certInfo('O=Partner Bank,CN=partner-b', 'partner-b'),
    'a CN that only starts like the sender': certInfo('CN=partner-a-evil', 'partner-a-evil'),
    'the sender\'s name in another subject field': certInfo('O=CN=partner-a,CN=partner-b', 'partner-b'),
    'the sender\'s name in the SAN only': certInfo('CN=partner-b', 'partner-a'),
    'an unescaped value (the gateway always escapes)': 'Subject="CN=partner-a"',
    'a broken escape': 'Subject%3D%22CN%3Dpartner-a%2',
    'an intermediate\'s CN after another leaf': `${certInfo('CN=partner-b', 'partner-b')},${certInfo('CN=partner-a', '')}`,
  };

  it.each(Object.entries(refused))('answers 403 without detail and writes nothing, anywhere: %s', async (_case, sender) => {
    const before = [keys('staging').length, keys('quarantine').length];
    const reply = await request('POST', PATH, JSON.stringify({ ...valid, id: 'tx-refused' }), SERVICE, {}, sender);
    expect(reply.status, reply.body).toBe(403);
    expect(reply.body).toBe('{"error":"forbidden"}');
    expect([keys('staging').length, keys('quarantine').length]).toEqual(before);
  });

  it('refuses an invalid record of an unknown sender too (403, not quarantined), and no request header can pose as the verdict', async () => {
    const before = [keys('staging').length, keys('quarantine').length];
    expect((await request('POST', PATH, '{"id":', SERVICE, {}, certInfo('CN=partner-b'))).status).toBe(403);
    expect((await request('POST', PATH, JSON.stringify({ ...valid, id: 'tx-posing' }), SERVICE, { reason: '', 'http-status': '200' }, certInfo('CN=partner-b'))).status).toBe(403);
    expect([keys('staging').length, keys('quarantine').length]).toEqual(before);
    // The sender itself, with a header that looks like the refusal marker: admitted and written.
    expect((await request('POST', PATH, JSON.stringify({ ...valid, id: 'tx-admitted-anyway' }), SERVICE, { reason: 'UNAUTHORIZED_CLIENT' })).status).toBe(200);
    expect(find('staging', 'tx-admitted-anyway')).toBeDefined();
  });

  it('counts refused senders and contract failures apart, by reason', async () => {
    const metrics = await httpsRequest(metricsPort, SERVICE, '/metrics', { ca }, 'GET', undefined, { headers: { host: `${SERVICE}:4195` }, timeoutMs: 20_000 });
    const count = (result: string, reason: string) => Number(new RegExp(`^ingest_records_total\\{[^}]*reason="${reason}",result="${result}",source="transactions"\\} (\\d+)`, 'm').exec(metrics.body)?.[1] ?? 'NaN');
    expect(count('rejected', 'UNAUTHORIZED_CLIENT')).toBeGreaterThanOrEqual(Object.keys(refused).length + 2);
    expect(count('rejected', 'INVALID_SCHEMA')).toBeGreaterThanOrEqual(1);
    expect(count('accepted', '')).toBeGreaterThanOrEqual(1);
  });
});
