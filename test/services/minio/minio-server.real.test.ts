/**
 * The generated MinIO settings, policies, lifecycle and `mc` bootstrap script, with the
 * bootstrap-issued certificates and credentials, on a real MinIO built from source
 * (tools/install-minio.sh). Only container paths and the port are re-pointed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minioBinaries, MinioServer as RunningMinio, startMinio } from '../../support/real-servers/minio';
import { CommandResult, runCommand } from '../../support/real-servers/process-registry';
import { buildDataTier, DataTier } from '../data-tier-fixture';

// Built by `npx projen test:deps` (tools/install-minio.sh); a missing build is a failure, not a skip.
const bins = minioBinaries();
const missing = 'minio/mc are not built: run `npx projen test:deps` (tools/install-minio.sh builds them from the Go module proxy)';

let tier: DataTier;
let minio: RunningMinio;
let work: string;

/** A MinIO started with the generated settings of `lake` in `t`, and its bootstrap job's world. */
interface Lake {
  readonly server: RunningMinio;
  /** Runs the generated bootstrap.sh as the bootstrap job would. */
  bootstrap(): CommandResult;
}

/** Copies the delivered files of `service` into `dir` (mode 0600, owned by us). */
function copyDelivered(t: DataTier, service: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const from = path.dirname(t.filePath(service, 'x'));
  for (const name of fs.readdirSync(from)) fs.writeFileSync(path.join(dir, name), fs.readFileSync(path.join(from, name)), { mode: 0o600 });
}

/** Starts the `lake` of `t` in `dir`: its compose environment and delivered files, /run/secrets re-pointed. */
async function startLake(t: DataTier, dir: string): Promise<Lake> {
  const serverSecrets = path.join(dir, 'server-secrets');
  copyDelivered(t, 'lake', serverSecrets);
  const certs = path.join(dir, 'certs');
  fs.mkdirSync(certs, { mode: 0o700 });
  fs.copyFileSync(path.join(serverSecrets, 'public.crt'), path.join(certs, 'public.crt'));
  fs.copyFileSync(path.join(serverSecrets, 'private.key'), path.join(certs, 'private.key'));
  const compose = parse(t.generated('docker-compose.yml'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services.lake.environment as Record<string, string>)) {
    if (k.startsWith('MINIO_')) env[k] = v.replace(/^\/run\/secrets\//, `${serverSecrets}/`);
  }
  expect(Object.keys(env).sort()).toEqual(['MINIO_BROWSER', 'MINIO_KMS_SECRET_KEY_FILE', 'MINIO_ROOT_PASSWORD_FILE', 'MINIO_ROOT_USER_FILE', 'MINIO_UPDATE']);
  const server = await startMinio({ dir: path.join(dir, 'server'), env, certsDir: certs });
  expect(server.endpoint).toMatch(/^https:/);

  const jobSecrets = path.join(dir, 'job-secrets');
  copyDelivered(t, 'lake-bootstrap', jobSecrets);
  const config = path.join(dir, 'job-config');
  for (const rel of t.assembly.paths().filter((p) => p.startsWith('lab/lake/'))) {
    const target = path.join(config, rel.slice('lab/lake/'.length));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, t.assembly.file(rel));
  }
  return {
    server,
    bootstrap: () => runCommand('/bin/sh', [path.join(config, 'bootstrap.sh')], {
      cwd: dir,
      env: {
        PATH: `${path.dirname(bins!.mc)}:/usr/bin:/bin`,
        HOME: dir,
        MLSEC_SECRETS_DIR: jobSecrets,
        MLSEC_CONFIG_DIR: config,
        MC_CONFIG_DIR: path.join(dir, 'mc-job'),
        MINIO_URL: `https://lake:${server.port}`,
        MC_RESOLVE: `lake:${server.port}=127.0.0.1`,
      },
      timeoutMs: 120_000,
    }),
  };
}

beforeAll(async () => {
  if (!bins) throw new Error(missing);
  tier = buildDataTier();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-minio-'));
  const lake = await startLake(tier, work);
  minio = lake.server;
  for (const run of [1, 2]) {
    const r = lake.bootstrap();
    expect(r.status, `bootstrap run ${run}:\n${r.stdout}\n${r.stderr}\n--- server ---\n${minio.log()}`).toBe(0);
  }
}, 180_000);

afterAll(async () => {
  await minio?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  tier?.cleanup();
});

/** mc as a grantee, with the keys of its delivered AWS credentials file; verifies TLS with the CA. */
function mcAs(service: string | 'root', ...args: string[]): CommandResult {
  let access: string;
  let secret: string;
  if (service === 'root') {
    access = tier.file('lake-bootstrap', 'root-user').toString('utf8');
    secret = tier.file('lake-bootstrap', 'root-password').toString('utf8');
  } else {
    const ini = tier.file(service, 'lake.aws-credentials').toString('utf8');
    access = /aws_access_key_id = (\S+)/.exec(ini)![1];
    secret = /aws_secret_access_key = (\S+)/.exec(ini)![1];
  }
  const mcDir = path.join(work, `mc-${service}`);
  fs.mkdirSync(path.join(mcDir, 'certs', 'CAs'), { recursive: true });
  fs.copyFileSync(tier.filePath('lake-bootstrap', 'ca.crt'), path.join(mcDir, 'certs', 'CAs', 'ca.crt'));
  return minio.mc(['--json', ...args], {
    MC_CONFIG_DIR: mcDir,
    MC_HOST_s3: `https://${access}:${secret}@lake:${minio.port}`,
    MC_RESOLVE: `lake:${minio.port}=127.0.0.1`,
  });
}

function put(service: string, target: string, body = 'payload'): CommandResult {
  const file = path.join(work, 'upload.txt');
  fs.writeFileSync(file, body);
  return mcAs(service, 'cp', file, `s3/${target}`);
}

/** mc's words for S3 AccessDenied. */
const denied = (r: CommandResult) => r.status !== 0 && /Access Denied|AccessDenied|Insufficient permissions/i.test(`${r.stdout}${r.stderr}`);

describe('MinIO with the generated settings and bootstrap', () => {
  it('lets a writer put objects under its prefix and nowhere else', () => {
    expect(put('builder', 'staging/source-a/2026/req-1.json').status).toBe(0);
    expect(denied(put('builder', 'staging/source-b/req-1.json'))).toBe(true);
    expect(denied(put('builder', 'quarantine/source-a/x.json'))).toBe(true);
  });

  it('lets a reader read and list its grant, and neither write nor delete', () => {
    expect(mcAs('reader', 'cat', 's3/staging/source-a/2026/req-1.json').stdout).toBe('payload');
    expect(mcAs('reader', 'ls', 's3/staging/source-a/').status).toBe(0);
    expect(denied(put('reader', 'staging/source-a/evil.json'))).toBe(true);
    expect(denied(mcAs('reader', 'rm', 's3/staging/source-a/2026/req-1.json'))).toBe(true);
    expect(denied(mcAs('reader', 'cat', 's3/raw/source-a/x'))).toBe(true);
  });

  it('does not let the writer read back or delete what it wrote in staging', () => {
    expect(denied(mcAs('builder', 'cat', 's3/staging/source-a/2026/req-1.json'))).toBe(true);
    expect(denied(mcAs('builder', 'rm', 's3/staging/source-a/2026/req-1.json'))).toBe(true);
  });

  it('keeps versions and refuses to delete a locked version, even for root', () => {
    expect(put('builder', 'raw/source-a/2026/11/26/a.parquet', 'v1').status).toBe(0);
    expect(put('builder', 'raw/source-a/2026/11/26/a.parquet', 'v2').status).toBe(0);
    const versions = mcAs('root', 'ls', '--versions', 's3/raw/source-a/2026/11/26/a.parquet').stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(versions).toHaveLength(2);
    expect(mcAs('root', 'version', 'info', 's3/raw').stdout).toMatch(/"status":\s*"Enabled"/);
    const versionId = versions[0].versionId as string;
    const rm = mcAs('root', 'rm', '--version-id', versionId, 's3/raw/source-a/2026/11/26/a.parquet');
    expect(rm.status).not.toBe(0);
    expect(`${rm.stdout}${rm.stderr}`).toMatch(/retention|WORM|locked|protected/i);
    expect(mcAs('root', 'retention', 'info', '--default', 's3/raw').stdout).toMatch(/GOVERNANCE/);
  });

  it('encrypts every bucket by default and expires staging', () => {
    for (const bucket of ['raw', 'staging']) expect(mcAs('root', 'encrypt', 'info', `s3/${bucket}`).stdout, bucket).toMatch(/sse-s3|SSE-S3|AES256/i);
    expect(mcAs('root', 'ilm', 'rule', 'ls', 's3/staging').stdout).toMatch(/"Days":\s*3/);
  });

  it('holds exactly the generated policy for each user, attached to that user only', () => {
    for (const user of ['builder', 'reader']) {
      const info = JSON.parse(mcAs('root', 'admin', 'user', 'info', 's3', user).stdout);
      expect(info.policyName).toBe(user);
      const served = JSON.parse(mcAs('root', 'admin', 'policy', 'info', 's3', user).stdout).policyInfo.Policy;
      // MinIO keeps actions as a set (its JSON order varies between calls): compare them sorted.
      const normalized = (doc: { Statement: { Action: string[] }[] }) => ({ ...doc, Statement: doc.Statement.map((st) => ({ ...st, Action: [...st.Action].sort() })) });
      expect(normalized(served)).toEqual(normalized(JSON.parse(tier.generated(`lake/policies/${user}.json`))));
    }
  });

  it('refuses the well-known default root credentials', () => {
    const r = minio.mc(['--json', 'ls', 's3'], { MC_HOST_s3: `https://minioadmin:minioadmin@lake:${minio.port}`, MC_RESOLVE: `lake:${minio.port}=127.0.0.1`, MC_INSECURE: 'true' });
    expect(r.status).not.toBe(0);
  });
});
