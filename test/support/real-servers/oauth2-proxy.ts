/**
 * A real oauth2-proxy (the OIDC proxy of `RouteAuth.oidc` hosts, lib/identity/oidc-proxy.ts),
 * built from source by tools/install-oauth2-proxy.sh, run with a synthesized host's own compose
 * service: its command (the generated flags) and its environment. Overridden only what a test host
 * must: the listen addresses (free loopback ports) and the container paths the environment names
 * (`/run/vault/…`, `/run/secrets/…`: re-rooted below the server directory, with the files the test
 * supplies). URLs keep their service names (`https://keycloak:8443/…`): the proxy reaches them
 * through a CONNECT proxy (HTTPS_PROXY; Go's default transport honours it), so it verifies the
 * IdP's certificate for exactly the name the flags give.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { parse } from 'yaml';
import { freePorts, waitForPort } from './free-port';
import { GeneratedHost } from './generated-stack';
import { makeServerDir, registerCleanup, removeServerDir, trackChild } from './process-registry';
import { ServiceProxy, startServiceProxy } from './traefik';

/** Keep in sync with tools/install-oauth2-proxy.sh (and the image tag in lib/identity/oidc-proxy.ts). */
export const OAUTH2_PROXY_VERSION = 'v7.15.6';

/**
 * The `oauth2-proxy` binary built by tools/install-oauth2-proxy.sh (run by `npx projen test:deps`),
 * at `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/oauth2-proxy/<version>/bin/oauth2-proxy`. Throws
 * when it is missing: a missing build is a failure, never a skip.
 */
export function oauth2ProxyBinary(): string {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const bin = path.join(cache, 'oauth2-proxy', OAUTH2_PROXY_VERSION, 'bin', 'oauth2-proxy');
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    if (fs.statSync(bin).isFile()) return bin;
  } catch {
    // Reported below.
  }
  throw new Error(`oauth2-proxy ${OAUTH2_PROXY_VERSION} is not built (no ${bin}): run \`npx projen test:deps\` (tools/install-oauth2-proxy.sh builds it from the Go module proxy, ~1 min cold)`);
}

/** Container paths the generated environment names; re-rooted below the server directory. */
const CONTAINER_PATH = /^\/run\/(vault|secrets)\/[A-Za-z0-9._-]+$/;

/** How to start a generated oauth2-proxy. */
export interface StartGeneratedOauth2ProxyOptions {
  /**
   * The content of every container file its environment names, keyed by container path
   * (`/run/vault/client-secret`, `/run/vault/vault-tls.crt`, `/run/secrets/ca.crt`, …): what its
   * Vault Agent would render and compose would mount. A path the environment names without a file
   * here is an error.
   */
  readonly files: Readonly<Record<string, string | Buffer>>;
  /** `service:port` → loopback port, for the CONNECT proxy the server's HTTPS_PROXY points at. */
  readonly upstreams: Readonly<Record<string, number>>;
  /** Milliseconds to wait for `/ping` and the HTTPS listener. Default 20 000. */
  readonly startTimeoutMs?: number;
}

/** A running oauth2-proxy. */
export interface RunningOauth2Proxy {
  /** The server directory (`root/` stands in for the container's file system). */
  readonly dir: string;
  /** The HTTPS listener (the generated `--https-address`, here on loopback). */
  readonly httpsPort: number;
  /** The plain listener the health check pings (127.0.0.1:4180 in the container). */
  readonly httpPort: number;
  /** The argv it runs with (the generated command with the overrides). */
  readonly argv: readonly string[];
  /** The environment it runs with (the generated one, paths re-rooted, plus PATH, HOME and HTTPS_PROXY). */
  readonly env: Readonly<Record<string, string>>;
  /** Every change made to the generated service, as `what: before → after`. */
  readonly overrides: readonly string[];
  /** Milliseconds from spawn until `/ping` answered. */
  readonly startupMs: number;
  /** The CONNECT proxy its outgoing HTTPS goes through (`connects` lists what it dialled). */
  readonly proxy: ServiceProxy;
  /** Everything it printed (standard and auth/request logs). */
  log(): string;
  /** Whether it is still running. */
  running(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts compose service `service` of `host` (an OidcProxy) as compose would: its command and its
 * OAUTH2_PROXY_* environment, the container files it names written from `opts.files`, the HTTPS
 * listener and the plain one (the container default 127.0.0.1:4180, which its health check pings)
 * on free loopback ports. Resolves once `/ping` answers 200 and the HTTPS port accepts
 * connections; throws with its output otherwise.
 */
export async function startGeneratedOauth2Proxy(host: GeneratedHost, service: string, opts: StartGeneratedOauth2ProxyOptions): Promise<RunningOauth2Proxy> {
  const bin = oauth2ProxyBinary();
  const compose = parse(host.files['docker-compose.yml']);
  const svc = compose?.services?.[service];
  if (!svc) throw new Error(`no compose service '${service}'`);
  const command = svc.command as string[];
  if (!Array.isArray(command) || command.some((a) => typeof a !== 'string')) throw new Error(`'${service}' has no command list`);
  if (command.some((a) => a.startsWith('--http-address'))) throw new Error(`'${service}' sets --http-address: the harness expects the container default 127.0.0.1:4180`);
  const httpsArgs = command.filter((a) => a.startsWith('--https-address='));
  if (httpsArgs.length !== 1) throw new Error(`'${service}' must set --https-address exactly once (got ${JSON.stringify(httpsArgs)})`);

  const dir = makeServerDir('oauth2-proxy');
  const root = path.join(dir, 'root');
  const overrides: string[] = [];
  const [httpsPort, httpPort] = await freePorts(2);
  const argv = command.map((a) => {
    if (!a.startsWith('--https-address=')) return a;
    const after = `--https-address=127.0.0.1:${httpsPort}`;
    overrides.push(`command: ${a} → ${after}`);
    return after;
  });
  argv.push(`--http-address=127.0.0.1:${httpPort}`);
  overrides.push(`command: (default --http-address=127.0.0.1:4180) → --http-address=127.0.0.1:${httpPort}`);
  const leftover = argv.find((a) => /=\/(run|etc|vault)\//.test(a));
  if (leftover) {
    removeServerDir(dir);
    throw new Error(`the command names a container path the harness does not re-root: ${leftover}`);
  }

  const env: Record<string, string> = {};
  try {
    for (const [name, raw] of Object.entries((svc.environment ?? {}) as Record<string, unknown>)) {
      const value = String(raw);
      if (!name.startsWith('OAUTH2_PROXY_')) throw new Error(`unexpected environment variable ${name} of '${service}'`);
      if (!value.startsWith('/')) {
        env[name] = value;
        continue;
      }
      if (!CONTAINER_PATH.test(value)) throw new Error(`${name}=${value} is not a /run/vault or /run/secrets file`);
      const content = opts.files[value];
      if (content === undefined) throw new Error(`${name} names ${value}: give its content in opts.files`);
      const target = path.join(root, value);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      fs.writeFileSync(target, content, { mode: 0o600 });
      env[name] = target;
      overrides.push(`environment: ${name}=${value} → ${target}`);
    }
  } catch (e) {
    removeServerDir(dir);
    throw e;
  }

  const proxy = await startServiceProxy({ ...opts.upstreams });
  const fullEnv = { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` };
  const logFile = path.join(dir, 'oauth2-proxy.log');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  const started = Date.now();
  try {
    // Only this environment: no machine OAUTH2_PROXY_*, proxy or SSL_* setting leaks in.
    child = spawn(bin, argv, { cwd: dir, env: fullEnv, stdio: ['ignore', out, out] });
  } catch (e) {
    await proxy.stop();
    removeServerDir(dir);
    throw e;
  } finally {
    fs.closeSync(out);
  }
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `oauth2-proxy exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `oauth2-proxy could not start: ${e.message}`));
  const stopChild = trackChild(`oauth2-proxy ${service} :${httpsPort}`, child, () => removeServerDir(dir));
  const stop = async () => {
    await stopChild();
    await proxy.stop();
  };
  const timeout = opts.startTimeoutMs ?? 20_000;
  try {
    for (const deadline = Date.now() + timeout; ;) {
      if (exited) throw new Error(exited);
      if ((await ping(httpPort).catch(() => 0)) === 200) break;
      if (Date.now() > deadline) throw new Error(`oauth2-proxy did not answer /ping within ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitForPort(httpsPort, timeout, () => exited);
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- oauth2-proxy output ---\n${output}`);
  }
  return {
    dir, httpsPort, httpPort, argv, env: fullEnv, overrides, proxy, log, stop,
    startupMs: Date.now() - started,
    running: () => exited === undefined,
  };
}

function ping(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ping', timeout: 2_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** A TLS front: terminates TLS with its own certificate and relays the bytes over TLS to a loopback server. */
export interface TlsFront {
  readonly port: number;
  /** SNI names clients asked for, in order. */
  readonly servernames: string[];
  stop(): Promise<void>;
}

/**
 * Starts a TLS relay on a free loopback port presenting `cert`/`key` (e.g. a certificate for the
 * compose service name `keycloak`, from the lab's PKI), which opens a TLS connection to
 * 127.0.0.1:`upstream.port` for each client (verified with `upstream.ca` for `upstream.servername`)
 * and copies bytes both ways. HTTP passes unchanged (Host, paths, cookies): only the certificate the
 * client sees changes. For servers whose test certificate cannot carry the service name
 * (startKeycloak makes its own for localhost).
 */
export async function startTlsFront(opts: { cert: string | Buffer; key: string | Buffer; upstream: { port: number; ca: string | Buffer; servername: string } }): Promise<TlsFront> {
  const servernames: string[] = [];
  const open = new Set<net.Socket>();
  const server = tls.createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (client) => {
    servernames.push(String((client as tls.TLSSocket & { servername?: string | false }).servername || ''));
    const upstream = tls.connect({ host: '127.0.0.1', port: opts.upstream.port, ca: opts.upstream.ca, servername: opts.upstream.servername });
    open.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    upstream.once('secureConnect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const destroyAll = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= new Promise<void>((resolve) => {
    unregister();
    destroyAll();
    server.close(() => resolve());
  }));
  const unregister = registerCleanup(() => {
    destroyAll();
    server.close();
  }, `tls front :${port}`);
  return { port, servernames, stop };
}
