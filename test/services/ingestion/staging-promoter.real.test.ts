/**
 * The generated staging → raw promote job end to end, without Vault: a real MinIO with the
 * generated bootstrap (raw object-locked in GOVERNANCE mode, as in the lab), the generated
 * ingestion connector on real Benthos writing two records to staging, then the generated promote
 * config run by real Benthos to completion — once after one staging object was tampered with and
 * one was planted without a hash. See lake-fixture.ts for what a test host overrides.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestionEndpoint, PROMOTE_REJECTED, StagingPromoter, Testing } from '../../../lib';
import type { RunningBenthos } from '../../support/real-servers/benthos';
import { freePort } from '../../support/real-servers/free-port';
import { httpsRequest } from '../../support/real-servers/https-request';
import { addLabLake, cat, denied, keys, LakeFixture, mcAs, startLakeFixture, startService, userMetadata, waitForExit } from './lake-fixture';

const CONNECTOR = 'ingest-transactions';
const PROMOTER = 'promote-transactions';
const PREFIX = 'transactions/';
const META = 'x-amz-meta-content_sha256';

function buildApp() {
  const app = Testing.app();
  const { vps, raw, staging, quarantine } = addLabLake(app);
  new IngestionEndpoint(vps, CONNECTOR, {
    source: 'transactions', staging, quarantine, senders: ['partner-a'],
    contract: { fields: { id: { type: 'string', min: 1, max: 64 }, amount: { type: 'number', min: 0.01 } } },
  });
  new StagingPromoter(vps, PROMOTER, { source: 'transactions', staging, raw, quarantine });
  return app;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let lake: LakeFixture;
let connector: RunningBenthos | undefined;
let promoter: RunningBenthos | undefined;
/** Staging keys and bodies before the promote run. */
let good: { key: string; text: string }[] = [];
/** The user metadata of each staging object as the connector wrote it. */
let stagedMeta: Record<string, string>[] = [];
let tampered: { key: string; text: string; claimed: string };
let unhashed: { key: string; text: string };

beforeAll(async () => {
  lake = await startLakeFixture(buildApp(), 'promoter-real');
  const port = await freePort();
  connector = await startService(lake, CONNECTOR, (config, reroot) => {
    const input = config.input.http_server;
    lake.overrides.push(`${CONNECTOR} benthos.yaml input.http_server.address: ${input.address} → 127.0.0.1:${port}`);
    input.address = `127.0.0.1:${port}`;
    input.cert_file = reroot('input.http_server.cert_file', input.cert_file);
    input.key_file = reroot('input.http_server.key_file', input.key_file);
  }, port);
  for (const id of ['tx-p-1', 'tx-p-2', 'tx-p-3']) {
    const reply = await httpsRequest(port, CONNECTOR, '/ingest/transactions', { ca: lake.ca }, 'POST', JSON.stringify({ id, amount: 5, dropped: 'x' }), { headers: { host: `${CONNECTOR}:8443`, authorization: 'Bearer t0k3n', 'x-forwarded-tls-client-cert-info': 'Subject%3D%22CN%3Dpartner-a%22' }, timeoutMs: 20_000 });
    expect(reply.status, `${reply.body}\n${connector.log()}\n${lake.overrides.join('\n')}`).toBe(200);
  }
  await connector.stop();
  const staged = keys(lake, 'staging', PREFIX).map((key) => ({ key, text: cat(lake, 'staging', key) }));
  expect(staged, connector.log()).toHaveLength(3);
  stagedMeta = staged.map(({ key, text }) => ({ text, ...userMetadata(lake, 'staging', key) }));
  const [victim, ...rest] = staged;
  good = rest;
  // Tamper as root: new bytes under the same key, the connector's hash kept as metadata.
  const claimed = userMetadata(lake, 'staging', victim.key)[META];
  // Unsorted keys, spacing and 5.0: any re-serialization on the way would show.
  const forged = victim.text.replace('"amount":5', '"zz": 1,  "amount":5000.0');
  expect(forged).not.toBe(victim.text);
  const file = path.join(lake.work, 'forged.json');
  fs.writeFileSync(file, forged);
  const put = mcAs(lake, 'root', 'cp', '--attr', `content_sha256=${claimed}`, file, `s3/staging/${victim.key}`);
  expect(put.status, put.stderr).toBe(0);
  expect(userMetadata(lake, 'staging', victim.key)[META]).toBe(claimed);
  tampered = { key: victim.key, text: forged, claimed };
  // Planted by someone other than the connector: no hash at all.
  unhashed = { key: `${PREFIX}planted/no-hash.json`, text: '{"id": "tx-planted",  "amount": 1.0}\n' };
  fs.writeFileSync(file, unhashed.text);
  expect(mcAs(lake, 'root', 'cp', file, `s3/staging/${unhashed.key}`).status).toBe(0);

  // Hand-written bytes (unsorted keys, spacing, 2.50) with their right hash: promoted as they are, not re-serialized.
  const verbatim = { key: `${PREFIX}verbatim/hand.json`, text: '{"id": "tx-hand",  "amount": 2.50}\n' };
  fs.writeFileSync(file, verbatim.text);
  expect(mcAs(lake, 'root', 'cp', '--attr', `content_sha256=${sha256(verbatim.text)}`, file, `s3/staging/${verbatim.key}`).status).toBe(0);
  good.push(verbatim);

  promoter = await startService(lake, PROMOTER);
  await waitForExit(promoter, 120_000);
}, 300_000);

afterAll(async () => {
  await connector?.stop();
  await promoter?.stop();
  await lake?.stop();
});

const rejectedKey = (key: string) => `${PREFIX}promote-rejected/${key.slice(PREFIX.length)}`;

describe('the generated connector stores the hash the promoter checks', () => {
  it('writes exactly one metadata field, content_sha256, the SHA-256 of the stored bytes (no request header)', () => {
    expect(stagedMeta).toHaveLength(3);
    for (const { text, ...meta } of stagedMeta) expect(meta, text).toEqual({ [META]: sha256(text) });
  });
});

describe('the generated promote job on real Benthos and MinIO', () => {
  it('ran to completion (a one-shot job) and drained staging/<source>/', () => {
    expect(promoter!.running()).toBe(false);
    expect(keys(lake, 'staging', PREFIX), promoter!.log()).toEqual([]);
  });

  it('promoted the intact records (and hand-written bytes with their right hash) to raw under the same key, byte for byte, with their hash as the only metadata', () => {
    expect(keys(lake, 'raw', PREFIX).sort(), promoter!.log()).toEqual(good.map((g) => g.key).sort());
    for (const { key, text } of good) {
      expect(cat(lake, 'raw', key)).toBe(text);
      expect(text).not.toMatch(/dropped|t0k3n/);
      expect(key).not.toMatch(/promote-rejected/);
      expect(userMetadata(lake, 'raw', key)).toEqual({ [META]: sha256(text) });
    }
  });

  it('wrote raw under the bucket’s default GOVERNANCE retention', () => {
    const r = mcAs(lake, 'root', 'retention', 'info', `s3/raw/${good[0].key}`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/GOVERNANCE/);
  });

  it('sent the tampered object to quarantine/<source>/promote-rejected/, not to raw, and logged why', () => {
    const key = rejectedKey(tampered.key);
    expect(keys(lake, 'quarantine', `${PREFIX}promote-rejected/`)).toContain(key);
    expect(cat(lake, 'quarantine', key)).toBe(tampered.text);
    // Stored with the hash of what it really holds.
    expect(userMetadata(lake, 'quarantine', key)).toEqual({ [META]: sha256(tampered.text) });
    expect(keys(lake, 'raw', PREFIX)).not.toContain(tampered.key);
    expect(promoter!.log()).toContain(`promote refused ${tampered.key}: content_sha256 ${tampered.claimed} but the content hashes to ${sha256(tampered.text)}`);
  });

  it('sent an object without a hash to quarantine as well', () => {
    const key = rejectedKey(unhashed.key);
    expect(cat(lake, 'quarantine', key)).toBe(unhashed.text);
    expect(keys(lake, 'raw', PREFIX)).not.toContain(unhashed.key);
    expect(promoter!.log()).toContain(`promote refused ${unhashed.key}: no content_sha256 metadata`);
  });

  it('holds keys that can neither read, list nor delete raw, nor read quarantine, nor write another source', () => {
    const [key] = keys(lake, 'raw', PREFIX);
    const upload = path.join(lake.work, 'probe.json');
    fs.writeFileSync(upload, '{}');
    // The keys are valid: the promoter may write its own raw prefix…
    expect(mcAs(lake, PROMOTER, 'cp', upload, 's3/raw/transactions/manual/probe.json').status).toBe(0);
    // …and nothing more there.
    expect(denied(mcAs(lake, PROMOTER, 'cat', `s3/raw/${key}`))).toBe(true);
    expect(denied(mcAs(lake, PROMOTER, 'ls', 's3/raw/transactions/'))).toBe(true);
    expect(denied(mcAs(lake, PROMOTER, 'rm', `s3/raw/${key}`))).toBe(true);
    expect(denied(mcAs(lake, PROMOTER, 'cat', `s3/quarantine/${rejectedKey(tampered.key)}`))).toBe(true);
    expect(denied(mcAs(lake, PROMOTER, 'cp', upload, 's3/raw/other-source/evil.json'))).toBe(true);
    expect(denied(mcAs(lake, PROMOTER, 'cp', upload, 's3/staging/other-source/evil.json'))).toBe(true);
    expect(denied(mcAs(lake, PROMOTER, 'ls', 's3/staging/other-source/'))).toBe(true);
    expect(cat(lake, 'raw', key).length).toBeGreaterThan(0);
  });

  it('is another identity than the connector, which still cannot write raw', () => {
    const upload = path.join(lake.work, 'probe.json');
    fs.writeFileSync(upload, '{}');
    expect(denied(mcAs(lake, CONNECTOR, 'cp', upload, 's3/raw/transactions/evil.json'))).toBe(true);
    expect(denied(mcAs(lake, CONNECTOR, 'rm', `s3/staging/${PREFIX}anything.json`))).toBe(true);
  });

  it('keeps an object in staging while its raw write fails: retried, never deleted, never dropped', async () => {
    const key = `${PREFIX}retry/held.json`;
    const text = '{"id":"tx-held","amount":3}';
    const file = path.join(lake.work, 'held.json');
    fs.writeFileSync(file, text);
    expect(mcAs(lake, 'root', 'cp', '--attr', `content_sha256=${sha256(text)}`, file, `s3/staging/${key}`).status).toBe(0);
    // The one test-only change: the raw path moves outside the job's grant, so MinIO denies the write.
    const held = await startService(lake, PROMOTER, (config) => {
      lake.overrides.push(`${PROMOTER} output raw path: ${config.output.switch.cases[1].output.aws_s3.path} → other/…`);
      config.output.switch.cases[1].output.aws_s3.path = 'other/${! @s3_key }';
    });
    try {
      const until = Date.now() + 30_000;
      while (!/AccessDenied/.test(held.log()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(held.log()).toMatch(/PutObject.*AccessDenied/);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(held.running()).toBe(true);
      expect(keys(lake, 'staging', `${PREFIX}retry/`)).toEqual([key]);
      expect(cat(lake, 'staging', key)).toBe(text);
      expect(keys(lake, 'raw', `${PREFIX}retry/`)).toEqual([]);
      expect(keys(lake, 'quarantine', `${PREFIX}${PROMOTE_REJECTED}/retry/`)).toEqual([]);
    } finally {
      await held.stop();
    }
  }, 60_000);
});
