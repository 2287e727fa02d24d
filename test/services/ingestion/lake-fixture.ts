/**
 * A generated lake on real servers, for the ingestion tests: the bootstrap's certificates and
 * credentials, a real MinIO with the generated settings and `mc` bootstrap (buckets, users,
 * policies), and Benthos 4.27 running a generated service's config with its compose environment.
 * Overridden only what a test host must, each change recorded in `overrides`: /run/secrets paths
 * (the delivered files), listen addresses, and the lake's address — `lake` does not resolve here,
 * so Benthos keeps the URL `https://lake:<port>` and reaches it through a CONNECT proxy
 * (HTTPS_PROXY), verifying MinIO's certificate for the name `lake` itself.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../support/real-servers/free-port';
import { expect } from 'vitest';
import { App, MinioBucket, MinioServer, Vps, Zone } from '../../../lib';
import { benthosBinary, RunningBenthos, startBenthos } from '../../support/real-servers/benthos';
import { minioBinaries, MinioServer as RunningMinio, startMinio } from '../../support/real-servers/minio';
import { CommandResult, runCommand, stopAll } from '../../support/real-servers/process-registry';
import { ServiceProxy, startServiceProxy } from '../../support/real-servers/traefik';
import { bootstrapTier, DataTier } from '../data-tier-fixture';

/** The lake of the ingestion tests' apps, as the lab builds it. */
export interface LabLake {
  readonly vps: Vps;
  readonly lake: MinioServer;
  readonly raw: MinioBucket;
  readonly staging: MinioBucket;
  readonly quarantine: MinioBucket;
}

/** A Vps `lab` with the MinIO `lake`: raw object-locked (GOVERNANCE, as in the lab), staging expiring, quarantine. */
export function addLabLake(app: App): LabLake {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const raw = lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  return { vps, lake, raw, staging, quarantine };
}

/** A running generated lake (MinIO service `lake`) and what a test needs around it. */
export interface LakeFixture {
  readonly tier: DataTier;
  /** The scratch folder (removed by `stop`). */
  readonly work: string;
  readonly minio: RunningMinio;
  /** The CONNECT proxy that stands in for the compose network's DNS (`lake:<port>`). */
  readonly proxy: ServiceProxy;
  /** The internal CA bundle. */
  readonly ca: Buffer;
  /** Every change made to a generated config or environment, for failure messages. */
  readonly overrides: string[];
  /** Stops everything and removes the scratch folder and the secrets. */
  stop(): Promise<void>;
}

/** Copies the delivered files of `service` into `dir` (0600). */
export function copyDelivered(t: DataTier, service: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const from = path.dirname(t.filePath(service, 'x'));
  for (const name of fs.readdirSync(from)) fs.writeFileSync(path.join(dir, name), fs.readFileSync(path.join(from, name)), { mode: 0o600 });
  return dir;
}

/**
 * Synthesizes and bootstraps `app` (a Vps `lab` with a MinioServer `lake`), starts the lake with
 * its compose environment and delivered files, and runs the generated bootstrap.sh as its job would.
 * `routes` adds services the proxy reaches (`'<service>:<port>'` → loopback port), for jobs that
 * call more than the lake.
 */
export async function startLakeFixture(app: App, prefix: string, routes: Readonly<Record<string, number>> = {}): Promise<LakeFixture> {
  benthosBinary(); // throws 'run npx projen test:deps' when missing
  if (!minioBinaries()) throw new Error('minio/mc are not built: run `npx projen test:deps` (tools/install-minio.sh)');
  const tier = bootstrapTier(app);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `mlsec-${prefix}-`));
  const running: { minio?: RunningMinio; proxy?: ServiceProxy } = {};
  const stop = async () => {
    try {
      await running.proxy?.stop();
      await running.minio?.stop();
      await stopAll(); // anything a failed setup left registered
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
      tier.cleanup();
    }
  };
  try {
    const serverSecrets = copyDelivered(tier, 'lake', path.join(work, 'lake-secrets'));
    const certs = path.join(work, 'lake-certs');
    fs.mkdirSync(certs, { mode: 0o700 });
    for (const f of ['public.crt', 'private.key']) fs.copyFileSync(path.join(serverSecrets, f), path.join(certs, f));
    const compose = parse(tier.generated('docker-compose.yml'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(compose.services.lake.environment as Record<string, string>)) {
      if (k.startsWith('MINIO_')) env[k] = v.replace(/^\/run\/secrets\//, `${serverSecrets}/`);
    }
    const minio = (running.minio = await startMinio({ dir: path.join(work, 'lake'), env, certsDir: certs }));
    const jobSecrets = copyDelivered(tier, 'lake-bootstrap', path.join(work, 'job-secrets'));
    const config = path.join(work, 'job-config');
    for (const rel of tier.assembly.paths().filter((p) => p.startsWith('lab/lake/'))) {
      const target = path.join(config, rel.slice('lab/lake/'.length));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, tier.assembly.file(rel));
    }
    const r = runCommand('/bin/sh', [path.join(config, 'bootstrap.sh')], {
      cwd: work,
      env: {
        PATH: `${path.dirname(minioBinaries()!.mc)}:/usr/bin:/bin`, HOME: work,
        MLSEC_SECRETS_DIR: jobSecrets, MLSEC_CONFIG_DIR: config, MC_CONFIG_DIR: path.join(work, 'mc-job'),
        MINIO_URL: `https://lake:${minio.port}`, MC_RESOLVE: `lake:${minio.port}=127.0.0.1`,
      },
      timeoutMs: 120_000,
    });
    if (r.status !== 0) throw new Error(`the generated lake bootstrap failed (${r.status}):\n${r.stdout}\n${r.stderr}\n--- minio ---\n${minio.log()}`);
    const proxy = (running.proxy = await startServiceProxy({ [`lake:${minio.port}`]: minio.port, ...routes }));
    return { tier, work, minio, proxy, ca: tier.file('lake-bootstrap', 'ca.crt'), overrides: [], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** What `startService` may change in the generated config (with `reroot` for /run/secrets paths). */
export type ConfigEdit = (config: any, reroot: (where: string, v: string) => string) => void;

/**
 * Starts Benthos with the generated config of `service` and its compose environment: only
 * /run/secrets paths (rerooted to its delivered files), what `edit` changes, and the lake's port
 * change; the lake is reached through the fixture's proxy. With `port`, waits until it listens.
 */
export async function startService(lake: LakeFixture, service: string, edit: ConfigEdit = () => undefined, port?: number): Promise<RunningBenthos> {
  const compose = parse(lake.tier.generated('docker-compose.yml'));
  const svc = compose.services[service];
  const secrets = copyDelivered(lake.tier, service, path.join(lake.work, `${service}-secrets`));
  // Every /run/secrets/<target> of the service is a delivered file of that name.
  expect((svc.secrets as { target: string }[]).map((s) => s.target).sort()).toEqual(fs.readdirSync(secrets).sort());
  const reroot = (where: string, v: string) => {
    if (!v.startsWith('/run/secrets/')) return v;
    const to = path.join(secrets, v.slice('/run/secrets/'.length));
    lake.overrides.push(`${service} ${where}: ${v} → ${to}`);
    return to;
  };
  const config = parse(lake.tier.generated(`${service}/benthos.yaml`));
  edit(config, reroot);
  // Benthos' own metrics server, unless the edit placed it: a free loopback port and the delivered files.
  if (config.http?.enabled && String(config.http.address).startsWith('0.0.0.0:')) {
    const metrics = `127.0.0.1:${await freePort()}`;
    lake.overrides.push(`${service} benthos.yaml http.address: ${config.http.address} → ${metrics}`);
    config.http.address = metrics;
    config.http.cert_file = reroot('benthos.yaml http.cert_file', config.http.cert_file);
    config.http.key_file = reroot('benthos.yaml http.key_file', config.http.key_file);
  }
  const configFile = path.join(lake.work, `${service}.benthos.yaml`);
  fs.writeFileSync(configFile, stringify(config));
  expect(fs.readFileSync(configFile, 'utf8')).not.toMatch(/\/run\/(secrets|vault)\//);

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment as Record<string, string>)) env[k] = reroot(`environment ${k}`, v);
  expect(Object.keys(env).sort()).toEqual(['AWS_CA_BUNDLE', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_SHARED_CREDENTIALS_FILE', 'SSL_CERT_FILE']);
  expect(env.AWS_ENDPOINT_URL).toBe('https://lake:9000');
  env.AWS_ENDPOINT_URL = `https://lake:${lake.minio.port}`;
  lake.overrides.push(`${service} environment AWS_ENDPOINT_URL: https://lake:9000 → ${env.AWS_ENDPOINT_URL}`);
  env.HTTPS_PROXY = `http://127.0.0.1:${lake.proxy.port}`;
  lake.overrides.push(`${service} environment HTTPS_PROXY (added): ${env.HTTPS_PROXY}, standing in for the compose network's DNS`);
  return startBenthos(configFile, env, port === undefined ? {} : { port });
}

/** Waits (without blocking the proxy) until a one-shot Benthos exits; throws with its log when it does not within `timeoutMs`. */
export async function waitForExit(b: RunningBenthos, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (b.running()) {
    if (Date.now() > until) throw new Error(`benthos did not exit within ${timeoutMs} ms:\n${b.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * mc as root (the bootstrap job's keys) or as a grantee (the keys of its delivered AWS
 * credentials file, whose access key must be its service name), verifying TLS with the CA.
 */
export function mcAs(lake: LakeFixture, who: string, ...args: string[]): CommandResult {
  let access: string;
  let secret: string;
  if (who === 'root') {
    access = lake.tier.file('lake-bootstrap', 'root-user').toString('utf8');
    secret = lake.tier.file('lake-bootstrap', 'root-password').toString('utf8');
  } else {
    const ini = lake.tier.file(who, 'lake.aws-credentials').toString('utf8');
    access = /aws_access_key_id = (\S+)/.exec(ini)![1];
    secret = /aws_secret_access_key = (\S+)/.exec(ini)![1];
    expect(access).toBe(who);
  }
  const mcDir = path.join(lake.work, `mc-${who}`);
  fs.mkdirSync(path.join(mcDir, 'certs', 'CAs'), { recursive: true });
  fs.writeFileSync(path.join(mcDir, 'certs', 'CAs', 'ca.crt'), lake.ca);
  return lake.minio.mc(['--json', ...args], { MC_CONFIG_DIR: mcDir, MC_HOST_s3: `https://${access}:${secret}@lake:${lake.minio.port}`, MC_RESOLVE: `lake:${lake.minio.port}=127.0.0.1` });
}

/** mc's words for S3 AccessDenied. */
export const denied = (r: CommandResult): boolean => r.status !== 0 && /Access Denied|AccessDenied|Insufficient permissions/i.test(`${r.stdout}${r.stderr}`);

/** Keys (as root) of every object under `bucket/prefix`. */
export function keys(lake: LakeFixture, bucket: string, prefix: string): string[] {
  const r = mcAs(lake, 'root', 'ls', '--recursive', `s3/${bucket}/${prefix}`);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)).filter((e) => e.type === 'file').map((e) => `${prefix}${e.key}`);
}

/** The bytes (as root) of `bucket/key`. */
export function cat(lake: LakeFixture, bucket: string, key: string): string {
  const r = mcAs(lake, 'root', 'cat', `s3/${bucket}/${key}`);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The user metadata (as root) of `bucket/key`, keys lower-cased as `mc stat` shows them. */
export function userMetadata(lake: LakeFixture, bucket: string, key: string): Record<string, string> {
  const stat = mcAs(lake, 'root', 'stat', `s3/${bucket}/${key}`);
  expect(stat.status, stat.stderr).toBe(0);
  return Object.fromEntries(Object.entries<string>(JSON.parse(stat.stdout).metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]).filter(([k]) => k.startsWith('x-amz-meta-')));
}
