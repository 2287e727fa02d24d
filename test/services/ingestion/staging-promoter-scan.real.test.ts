/**
 * The staging → raw promote job with its malware scan (Z1-K09), end to end on real servers: a real
 * MinIO with the generated bootstrap, Debian's clamd with the generated clamd.conf (test
 * signatures: EICAR), the generated scan service program on Node with the bootstrap's
 * certificates, and the generated promote config on real Benthos calling it with its own client
 * certificate. First with the scan service down (nothing may move), then up: clean bytes reach
 * raw, EICAR and an encrypted archive go to quarantine/<source>/scan-rejected/ with the signature.
 * Re-pointed only where a test host must (see lake-fixture.ts and real-servers/scan-service.ts).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_REJECTED, StagingPromoter, Testing } from '../../../lib';
import { ClamavScanner, MalwareScanService } from '../../../lib/services/clamav';
import type { RunningBenthos } from '../../support/real-servers/benthos';
import { EICAR, requireClamd, rerootClamdConf, RunningClamd, startClamd, writeTestSignatures } from '../../support/real-servers/clamd';
import { freePort } from '../../support/real-servers/free-port';
import { runCommand } from '../../support/real-servers/process-registry';
import { RunningScanService, startScanService } from '../../support/real-servers/scan-service';
import { addLabLake, cat, copyDelivered, keys, LakeFixture, mcAs, startLakeFixture, startService, userMetadata, waitForExit } from './lake-fixture';

const PROMOTER = 'promote-transactions';
const PREFIX = 'transactions/';
const META = 'x-amz-meta-content_sha256';
const SIGNATURE = 'x-amz-meta-mlsec_scan_signature';

function buildApp() {
  const app = Testing.app();
  const { vps, raw, staging, quarantine } = addLabLake(app);
  const scan = new MalwareScanService(vps, 'scan-service', { scanner: new ClamavScanner(vps, 'clamav') });
  new StagingPromoter(vps, PROMOTER, { source: 'transactions', staging, raw, quarantine, scan });
  return app;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let lake: LakeFixture;
let clamd: RunningClamd;
let scanService: RunningScanService | undefined;
let scanPort: number;
let clamdPort: number;
const runs: RunningBenthos[] = [];
/** What was planted in staging, by key. */
const planted: Record<'clean' | 'eicar' | 'encrypted', { key: string; bytes: Buffer }> = {} as never;
let whileDown: { staging: string[]; raw: string[]; quarantine: string[]; log: string };

/** Starts the promote job; its scan call's client certificate files are the delivered ones. */
function startPromoter(): Promise<RunningBenthos> {
  return startService(lake, PROMOTER, (config, reroot) => {
    const http = config.pipeline.processors[3].branch.processors[0].http;
    for (const c of http.tls.client_certs) {
      c.cert_file = reroot('scan http.tls cert_file', c.cert_file);
      c.key_file = reroot('scan http.tls key_file', c.key_file);
    }
    http.tls.root_cas_file = reroot('scan http.tls root_cas_file', http.tls.root_cas_file);
  }).then((b) => {
    runs.push(b);
    return b;
  });
}

function plant(name: keyof typeof planted, key: string, bytes: Buffer): void {
  const file = path.join(lake.work, `plant-${name}`);
  fs.writeFileSync(file, bytes);
  const r = mcAs(lake, 'root', 'cp', '--attr', `content_sha256=${sha256(bytes)}`, file, `s3/staging/${key}`);
  expect(r.status, r.stderr).toBe(0);
  planted[name] = { key, bytes };
}

function encryptedZip(): Buffer {
  const dir = fs.mkdtempSync(path.join(lake.work, 'zip-'));
  fs.writeFileSync(path.join(dir, 'statement.txt'), 'quarterly statement');
  const r = runCommand('zip', ['-q', '-X', '-P', 'secret', 'out.zip', 'statement.txt'], { cwd: dir });
  if (r.status !== 0) throw new Error(`zip failed: ${r.stderr} (tools/install-test-deps.sh installs zip)`);
  return fs.readFileSync(path.join(dir, 'out.zip'));
}

async function until(what: string, check: () => boolean, timeoutMs: number, log: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  requireClamd();
  scanPort = await freePort();
  lake = await startLakeFixture(buildApp(), 'promoter-scan-real', { 'scan-service:8443': scanPort });
  clamdPort = await freePort();
  const conf = rerootClamdConf(lake.tier.generated('clamav/clamd.conf'), { dir: lake.work, port: clamdPort, databaseDir: writeTestSignatures(path.join(lake.work, 'db')) });
  clamd = await startClamd(conf.confPath, clamdPort);
  plant('clean', `${PREFIX}2026/11/27/clean.json`, Buffer.from('{"id": "tx-1",  "amount": 2.50}\n'));
  // The test pattern as the bytes of an upload (inside JSON its backslash would be escaped, and no longer match).
  plant('eicar', `${PREFIX}2026/11/27/eicar.txt`, Buffer.from(EICAR, 'latin1'));
  plant('encrypted', `${PREFIX}2026/11/27/statement.zip`, encryptedZip());

  // The scan service is down: the job must move nothing and keep retrying.
  const first = await startPromoter();
  await until('the first failed scan', () => first.log().includes('scan failed'), 90_000, first.log);
  await new Promise((r) => setTimeout(r, 2000));
  whileDown = { staging: keys(lake, 'staging', PREFIX), raw: keys(lake, 'raw', PREFIX), quarantine: keys(lake, 'quarantine', PREFIX), log: first.log() };
  expect(first.running(), first.log()).toBe(true);
  await first.stop();

  // Up: the job drains staging and exits.
  scanService = await startScanService(lake.tier.generated('scan-service/scan-service.js'), lake.tier.generated('scan-service/scan-service.json'), {
    port: scanPort, clamdPort, secretsDir: copyDelivered(lake.tier, 'scan-service', path.join(lake.work, 'scan-service-secrets')),
  });
  const second = await startPromoter();
  await waitForExit(second, 120_000);
}, 400_000);

afterAll(async () => {
  for (const r of runs) await r.stop();
  await scanService?.stop();
  await clamd?.stop();
  await lake?.stop();
});

const rejectedKey = (key: string) => `${PREFIX}${SCAN_REJECTED}/${key.slice(PREFIX.length)}`;

describe('the promote job while the scan service is down', () => {
  it('moves nothing: every object stays in staging, none reaches raw or quarantine', () => {
    expect(whileDown.staging.sort(), whileDown.log).toEqual(Object.values(planted).map((p) => p.key).sort());
    expect(whileDown.raw).toEqual([]);
    expect(whileDown.quarantine).toEqual([]);
  });

  it('logs the failed call (the client could not reach the service), never a verdict', () => {
    expect(whileDown.log).toMatch(/scan failed: /);
    expect(whileDown.log).not.toMatch(/verdict.{0,5}clean/);
  });
});

describe('the promote job with the scan service and clamd up', () => {
  it('drained staging and exited', () => {
    expect(keys(lake, 'staging', PREFIX), runs[1].log()).toEqual([]);
  });

  it('promoted only the clean object to raw, byte for byte, with its hash as the only metadata', () => {
    expect(keys(lake, 'raw', PREFIX), runs[1].log()).toEqual([planted.clean.key]);
    expect(cat(lake, 'raw', planted.clean.key)).toBe(planted.clean.bytes.toString());
    expect(userMetadata(lake, 'raw', planted.clean.key)).toEqual({ [META]: sha256(planted.clean.bytes) });
  });

  it('sent EICAR (infected) and the encrypted archive (suspicious) to quarantine/<source>/scan-rejected/ with the signature', () => {
    expect(keys(lake, 'quarantine', PREFIX).sort()).toEqual([rejectedKey(planted.eicar.key), rejectedKey(planted.encrypted.key)].sort());
    expect(userMetadata(lake, 'quarantine', rejectedKey(planted.eicar.key))).toEqual({ [META]: sha256(planted.eicar.bytes), [SIGNATURE]: 'Mlsec.Test.Eicar.UNOFFICIAL' });
    const encrypted = userMetadata(lake, 'quarantine', rejectedKey(planted.encrypted.key));
    expect(encrypted[META]).toBe(sha256(planted.encrypted.bytes));
    expect(encrypted[SIGNATURE]).toMatch(/^Heuristics\.Encrypted/);
  });

  it('was called by the promote job with its own certificate: the scan service logged its SPIFFE ID and each verdict, not the content', () => {
    const lines = scanService!.log().split('\n').filter((l) => l.includes('"/scan"')).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.client)).toEqual(Array(3).fill(`spiffe://lab/ns/z1/sa/${PROMOTER}`));
    expect(lines.map((l) => l.verdict).sort()).toEqual(['clean', 'infected', 'suspicious']);
    expect(lines.map((l) => l.sha256).sort()).toEqual(Object.values(planted).map((p) => sha256(p.bytes)).sort());
    expect(scanService!.log()).not.toContain('EICAR-STANDARD');
  });
});
