/**
 * The generated feature API end to end, without and with Vault: a real Redis 7 with the generated
 * redis.conf and ACL file (bootstrap-written, or rendered by its Vault Agent from KV hashes); a
 * feature writer (another grant) seeding hashes with its own credentials; and Benthos 4.27 run
 * with the compose command (`--env-file` with the dotenv file that the bootstrap delivered or the
 * Vault Agent rendered, `-c` the generated config) and the compose environment. Overridden only
 * what a test host must: the listen addresses (the API's and that of Benthos' own metrics server),
 * the /run/secrets and /run/vault paths (the delivered and rendered files), the store's port, and the name `feature-store`, which resolves to
 * 127.0.0.1 through an /etc/hosts bind-mounted in Benthos' own mount namespace (`unshare -m`) —
 * so Benthos still connects by name and checks the store's certificate for `feature-store`.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, SecretsBootstrap, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { FeatureApi } from '../../../lib/services/feature-api';
import { benthosBinary } from '../../support/real-servers/benthos';
import { freePort, waitForPort } from '../../support/real-servers/free-port';
import { GeneratedVault, renderAgentFiles, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { httpsRequest, HttpsReply } from '../../support/real-servers/https-request';
import { baoBinary } from '../../support/real-servers/openbao';
import { stopAll, trackChild } from '../../support/real-servers/process-registry';
import { RedisServer as RunningRedis, startRedis, withoutRedisDirectives } from '../../support/real-servers/redis';
import { consumerWorkload } from '../support';

const SERVICE = 'feature-api';
const WRITER = 'feature-builder';
const STORE = 'feature-store';

/** Where a service's /run/secrets and /run/vault are on this host. */
interface Mounts {
  readonly secrets: string;
  readonly vault?: string;
}

/** A synthesized, bootstrapped host with its store running. */
interface Host {
  readonly files: Record<string, string>;
  readonly secretsDir: string;
  readonly mounts: Record<string, Mounts>;
  readonly redis: RunningRedis;
  readonly vault?: GeneratedVault;
}

/** The store, the API with two groups, a writer of every `fs:` key and a model server allowed to call. */
function buildApp(withVault: boolean) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = withVault ? new VaultServer(vps, 'vault') : undefined;
  const store = new RedisServer(vps, STORE, { zone: Zone.Z3_CURATED, use: 'feature-store', vault });
  const api = new FeatureApi(vps, SERVICE, {
    store, vault,
    featureGroups: [
      { name: 'customer_risk', fields: ['score', 'tx_count_7d', 'segment'] },
      { name: 'device', fields: ['trust'] },
    ],
  });
  api.allowClient(consumerWorkload(vps, 'model-server'));
  store.grantAccess(consumerWorkload(vps, WRITER, Zone.Z3_CURATED), { keys: ['fs:*'], commands: ['read', 'write', 'hash', 'connection'] });
  return app;
}

/** Synthesizes and bootstraps the app; with Vault, starts it and renders the agents' files; then starts the store. */
async function startHost(withVault: boolean, work: string): Promise<Host> {
  const app = buildApp(withVault);
  const assembly = Testing.synth(app);
  const files = Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)]));
  const secretsDir = fs.mkdtempSync(path.join(work, 'secrets-'));
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  const delivered = (service: string) => path.join(secretsDir, 'lab', 'deliver', service);
  const mounts: Record<string, Mounts> = {};
  let vault: GeneratedVault | undefined;
  if (withVault) {
    const host = { files, secretsDir, vps: 'lab' };
    vault = await startGeneratedVault(host, 'vault');
    for (const s of [STORE, SERVICE, WRITER]) mounts[s] = { secrets: delivered(s), vault: await renderAgentFiles(host, vault, s) };
  } else {
    for (const s of [STORE, SERVICE, WRITER]) mounts[s] = { secrets: delivered(s) };
  }
  const store = mounts[STORE];
  const file = (name: string, mode = 0o600) => ({ content: fs.readFileSync(path.join(store.vault ?? store.secrets, withVault ? `vault-${name}` : name)), mode });
  const port = await freePort();
  const redis = await startRedis({
    configFile: 'redis.conf',
    port,
    files: {
      'redis.conf': { content: withoutRedisDirectives(files[`${STORE}/redis.conf`]), mode: 0o644 },
      'users.acl': { content: fs.readFileSync(path.join(store.vault ?? store.secrets, 'users.acl')), mode: 0o600 },
      'tls.crt': file('tls.crt', 0o644),
      'tls.key': file('tls.key'),
      'ca.crt': { content: fs.readFileSync(path.join(store.secrets, 'ca.crt')), mode: 0o644 },
    },
    args: ['--tls-port', String(port), '--tls-cert-file', 'tls.crt', '--tls-key-file', 'tls.key', '--tls-ca-cert-file', 'ca.crt', '--aclfile', 'users.acl'],
  });
  return { files, secretsDir, mounts, redis, vault };
}

/** A container path of `service` on this host (/run/secrets or /run/vault), recorded in `overrides`. */
function reroot(host: Host, service: string, where: string, v: string, overrides: string[]): string {
  const m = host.mounts[service];
  const match = /^\/run\/(secrets|vault)\/(.+)$/.exec(v);
  if (!match) return v;
  const to = path.join(match[1] === 'secrets' ? m.secrets : m.vault!, match[2]);
  overrides.push(`${where}: ${v} → ${to}`);
  return to;
}

/** The compose environment of `service`, its file paths re-pointed. */
function composeEnv(host: Host, service: string, overrides: string[] = []): Record<string, string> {
  const svc = parse(host.files['docker-compose.yml']).services[service];
  return Object.fromEntries(Object.entries(svc.environment as Record<string, string>).map(([k, v]) => [k, reroot(host, service, `environment ${k}`, v, overrides)]));
}

/** The API's dotenv file (`--env-file`): the one place its Redis password is delivered. */
function apiEnvFile(host: Host): string {
  const m = host.mounts[SERVICE];
  return path.join(m.vault ?? m.secrets, 'redis.env');
}

/** The Redis password of `service`: its password file, or for the API the dotenv file Benthos reads. */
function passwordOf(host: Host, service: string): string {
  const env = composeEnv(host, service);
  if (env.REDIS_PASSWORD_FILE !== undefined) return fs.readFileSync(env.REDIS_PASSWORD_FILE, 'utf8');
  return /^REDIS_PASSWORD=(.*)\n$/.exec(fs.readFileSync(apiEnvFile(host), 'utf8'))![1];
}

/** redis-cli over TLS as `service`, with the password, client certificate and CA its compose environment names. */
function cliAs(host: Host, service: string, ...command: string[]) {
  const env = composeEnv(host, service);
  return host.redis.cli([
    '--tls', '--sni', STORE, '--cacert', env.REDIS_TLS_CA_FILE, '--cert', env.REDIS_TLS_CERT_FILE, '--key', env.REDIS_TLS_KEY_FILE,
    '--user', env.REDIS_USERNAME, '--pass', passwordOf(host, service), ...command,
  ]);
}

/** A running API. */
interface Api {
  readonly port: number;
  /** The loopback port of Benthos' own HTTPS server (metrics), 4195 in compose. */
  readonly metricsPort: number;
  readonly configFile: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts Benthos as compose would (its command and environment), re-pointed as the header says. */
async function startApi(host: Host, dir: string, overrides: string[]): Promise<Api> {
  const svc = parse(host.files['docker-compose.yml']).services[SERVICE];
  const config = parse(host.files[`${SERVICE}/benthos.yaml`]);
  const port = await freePort();
  const input = config.input.http_server;
  overrides.push(`benthos.yaml input.http_server.address: ${input.address} → 127.0.0.1:${port}`);
  input.address = `127.0.0.1:${port}`;
  input.cert_file = reroot(host, SERVICE, 'benthos.yaml input.http_server.cert_file', input.cert_file, overrides);
  input.key_file = reroot(host, SERVICE, 'benthos.yaml input.http_server.key_file', input.key_file, overrides);
  // Benthos' own metrics server: a free loopback port (parallel test files must not share 4195), its delivered files.
  const metricsPort = await freePort();
  const server = config.http;
  expect(server).toMatchObject({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false });
  overrides.push(`benthos.yaml http.address: ${server.address} → 127.0.0.1:${metricsPort}`);
  server.address = `127.0.0.1:${metricsPort}`;
  server.cert_file = reroot(host, SERVICE, 'benthos.yaml http.cert_file', server.cert_file, overrides);
  server.key_file = reroot(host, SERVICE, 'benthos.yaml http.key_file', server.key_file, overrides);
  const configFile = path.join(dir, 'benthos.yaml');
  fs.writeFileSync(configFile, stringify(config));

  const env: Record<string, string> = { HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin', ...composeEnv(host, SERVICE, overrides) };
  expect(env.REDIS_HOST).toBe(STORE);
  env.REDIS_PORT = String(host.redis.port);
  overrides.push(`environment REDIS_PORT: 6379 → ${host.redis.port}`);

  // The compose command, its container paths re-pointed.
  expect(svc.command).toEqual(['--env-file', host.vault ? '/run/vault/redis.env' : '/run/secrets/redis.env', '-c', '/etc/benthos/benthos.yaml']);
  const argv = [benthosBinary(), '--env-file', reroot(host, SERVICE, 'command --env-file', svc.command[1], overrides), '-c', configFile];
  const hosts = path.join(dir, 'hosts');
  fs.writeFileSync(hosts, `127.0.0.1 localhost ${STORE}\n`);
  overrides.push(`${STORE} → 127.0.0.1 (/etc/hosts bind-mounted in Benthos' mount namespace)`);

  const logFile = path.join(dir, 'benthos.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn('unshare', ['-m', '/bin/sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, ...argv], { cwd: dir, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `benthos exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `benthos could not start: ${e.message}`));
  const stop = trackChild(`benthos ${configFile}`, child);
  try {
    await waitForPort(port, 30_000, () => exited);
    await waitForPort(metricsPort, 30_000, () => exited);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- benthos ---\n${log()}\n--- overrides ---\n${overrides.join('\n')}`);
  }
  return { port, metricsPort, configFile, log, stop };
}

describe.each([['without Vault', false], ['with Vault', true]] as const)('the generated feature API on real Benthos and Redis (%s)', (_label, withVault) => {
  let work: string;
  let host: Host;
  let api: Api;
  let ca: Buffer;
  /** Every change made to the generated config, command and environment, shown on failure. */
  const overrides: string[] = [];
  const as = (service: string, ...command: string[]) => cliAs(host, service, ...command);

  beforeAll(async () => {
    benthosBinary(); // throws 'run npx projen test:deps' when missing
    if (withVault && !baoBinary()) throw new Error('OpenBao is not installed: run `npx projen test:deps`');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-feature-api-real-'));
    host = await startHost(withVault, work);
    ca = fs.readFileSync(path.join(host.mounts[SERVICE].secrets, 'ca.crt'));
    expect(as(WRITER, 'HSET', 'fs:customer_risk:c-1', 'score', '0.42', 'tx_count_7d', '7', 'segment', 'retail', 'pep_flag', '1').stdout.trim()).toBe('4');
    expect(as(WRITER, 'HSET', 'fs:customer_risk:c-2', 'score', '0.9').stdout.trim()).toBe('1');
    expect(as(WRITER, 'HSET', 'fs:customer_risk:c-3', 'unrelated', 'x').stdout.trim()).toBe('1');
    expect(as(WRITER, 'HSET', 'fs:secret_group:c-1', 'salary', '9000').stdout.trim()).toBe('1');
    api = await startApi(host, work, overrides);
  }, 240_000);

  afterAll(async () => {
    try {
      await api?.stop();
      await host?.redis.stop();
      await host?.vault?.bao.stop();
      await stopAll();
    } finally {
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }
  });

  /** A request to the API over HTTPS, verifying its certificate with the internal CA for `feature-api`. */
  function request(method: string, urlPath: string, headers: Record<string, string> = {}, body?: string): Promise<HttpsReply> {
    return httpsRequest(api.port, SERVICE, urlPath, { ca }, method, body, { headers, timeoutMs: 20_000 });
  }

  const why = (r: HttpsReply) => `${r.status} ${r.body}\n--- benthos ---\n${api.log()}\n--- overrides ---\n${overrides.join('\n')}`;

  it('answers a known entity with exactly the declared fields (never an undeclared one)', async () => {
    const r = await request('GET', '/features/customer_risk/c-1');
    expect(r.status, why(r)).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ score: '0.42', tx_count_7d: '7', segment: 'retail' });
    expect(r.body).not.toMatch(/pep_flag/);
  });

  it('answers null for a declared field the entity lacks', async () => {
    const r = await request('GET', '/features/customer_risk/c-2');
    expect(r.status, why(r)).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ score: '0.9', tx_count_7d: null, segment: null });
  });

  it('answers 404 for an unknown entity, or one with none of the declared fields', async () => {
    for (const entity of ['c-404', 'c-3']) {
      const r = await request('GET', `/features/customer_risk/${entity}`);
      expect(r.status, why(r)).toBe(404);
      expect(JSON.parse(r.body)).toEqual({ error: 'not found' });
    }
  });

  it('answers 404 for an undeclared group, even when its keys exist in the store', async () => {
    const r = await request('GET', '/features/secret_group/c-1');
    expect(r.status, why(r)).toBe(404);
    expect(r.body).not.toMatch(/9000/);
  });

  it.each([
    ['/features/Customer_Risk/c-1'], ['/features/customer_risk/c%3A1'], ['/features/customer_risk/c%201'],
    ['/features/customer_risk/c*'], ['/features/customer_risk/' + 'a'.repeat(129)], ['/features/1group/c-1'],
  ])('answers 400 for the malformed group or entity in %s', async (p) => {
    const r = await request('GET', p);
    expect(r.status, why(r)).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: 'bad request' });
  });

  it('answers 404 for other paths: no extra segment, no Benthos API', async () => {
    for (const p of ['/features/customer_risk', '/features/customer_risk/c-1/x', '/features/customer_risk/c%2F1', '/', '/ping', '/ready', '/metrics', '/debug/pprof/']) {
      expect((await request('GET', p)).status, p).toBe(404);
    }
  });

  it('refuses every verb but GET (405), and changes nothing', async () => {
    for (const verb of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await request(verb, '/features/customer_risk/c-1', {}, '{"score":"1"}')).status, verb).toBe(405);
    }
    expect(as(WRITER, 'HGET', 'fs:customer_risk:c-1', 'score').stdout.trim()).toBe('0.42');
  });

  it('lets no query parameter, cookie or header shadow the path or set the status', async () => {
    // Benthos copies query parameters, cookies and headers into the metadata, next to the path
    // parameters: a path that disagrees with the request path is refused (400) …
    const shadowPath = await request('GET', '/features/customer_risk/c-404?group=secret_group&entity=c-1&http_server_request_path=/features/secret_group/c-1');
    expect(shadowPath.status, why(shadowPath)).toBe(400);
    const shadowCookie = await request('GET', '/features/customer_risk/c-404', { cookie: 'group=secret_group; entity=c-1' });
    expect(shadowCookie.status, why(shadowCookie)).toBe(400);
    // … and the status is always the mapping's own.
    const status = await request('GET', '/features/customer_risk/c-404?feature_api_status=200', { cookie: 'feature_api_status=200', 'feature_api_status': '200' });
    expect(status.status, why(status)).toBe(404);
    for (const r of [shadowPath, shadowCookie, status]) expect(r.body).not.toMatch(/9000|salary/);
  });

  it("holds a read-only Redis user: its own credentials cannot write, delete or read outside the declared groups", () => {
  // The password is delivered once, as the dotenv file Benthos reads: no password file beside it.
  expect(composeEnv(host, SERVICE).REDIS_PASSWORD_FILE).toBeUndefined();
  const password = passwordOf(host, SERVICE);
  expect(fs.readFileSync(apiEnvFile(host), 'utf8')).toBe(`REDIS_PASSWORD=${password}\n`);
  expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const delivered = [host.mounts[SERVICE].secrets, host.mounts[SERVICE].vault]
    .filter((d): d is string => d !== undefined)
    .flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)))
    .filter((f) => fs.statSync(f).isFile());
  expect(delivered.filter((f) => fs.readFileSync(f, 'utf8').includes(password)).map((f) => path.basename(f))).toEqual(['redis.env']);
  expect(as(SERVICE, 'HMGET', 'fs:customer_risk:c-1', 'score').stdout.trim()).toBe('0.42');
  expect(as(SERVICE, 'HSET', 'fs:customer_risk:c-1', 'score', '1').stdout).toMatch(/NOPERM/);
  expect(as(SERVICE, 'DEL', 'fs:customer_risk:c-1').stdout).toMatch(/NOPERM/);
  expect(as(SERVICE, 'HGETALL', 'fs:secret_group:c-1').stdout).toMatch(/NOPERM/);
  expect(as(SERVICE, 'KEYS', '*').stdout).toMatch(/NOPERM/);
  expect(as(WRITER, 'HGET', 'fs:customer_risk:c-1', 'score').stdout.trim()).toBe('0.42');
  });

  it('keeps the Redis password out of its config, compose file and log', () => {
  const password = passwordOf(host, SERVICE);
  for (const [rel, text] of Object.entries(host.files)) expect(text, rel).not.toContain(password);
  expect(fs.readFileSync(api.configFile, 'utf8')).not.toContain(password);
  expect(api.log()).not.toContain(password);
  });

  it('speaks TLS with a certificate for its service name only', async () => {
    await expect(httpsRequest(api.port, STORE, '/features/customer_risk/c-1', { ca })).rejects.toThrow(/altnames|does not match|Hostname/i);
  });

  it('serves its Prometheus metrics over TLS for its service name, without debug endpoints', async () => {
    const get = (urlPath: string) => httpsRequest(api.metricsPort, SERVICE, urlPath, { ca }, 'GET', undefined, { headers: { host: `${SERVICE}:4195` }, timeoutMs: 20_000 });
    const metrics = await get('/metrics');
    expect(metrics.status, why(metrics)).toBe(200);
    expect(metrics.body).toMatch(/^input_received\{[^}]*\} [1-9]/m);
    expect((await get('/debug/config/json')).status).toBe(404);
    await expect(httpsRequest(api.metricsPort, STORE, '/metrics', { ca }, 'GET', undefined, { timeoutMs: 10_000 })).rejects.toThrow(/altnames|does not match|Hostname/i);
  });

  it('answers 503 without detail when the store is down (the last test: it stops Redis)', async () => {
    await host.redis.stop();
    const r = await request('GET', '/features/customer_risk/c-1');
    expect(r.status, why(r)).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: 'feature store unavailable' });
  });
});
