/**
 * A real oauth2-proxy (the OIDC proxy of `RouteAuth.oidc` hosts, lib/identity/oidc-proxy.ts),
 * built from source by tools/install-oauth2-proxy.sh, run with a synthesized host's own compose
 * service: its command (the generated flags) and its environment. Overridden only what a test host
 * must: the listen addresses (free loopback ports) and the container paths the environment names
 * (`/run/vault/…`, `/run/secrets/…`: re-rooted below the server directory, with the files the test
 * supplies). URLs keep their service names (`https://keycloak:8443/…`): the proxy reaches them
 * through a CONNECT proxy (HTTPS_PROXY; Go's default transport honours it), so it verifies the
 * IdP's certificate for exactly the name the flags give. The compose health check is run as the
 * container would run it (its URL re-pointed to the loopback ports).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { parse } from 'yaml';
import { freePorts } from './free-port';
import { GeneratedHost } from './generated-stack';
import { makeServerDir, removeServerDir, trackChild } from './process-registry';
import { toolBinary } from './tool-binary';
import { ServiceProxy, startServiceProxy } from './traefik';

/** Keep in sync with tools/install-oauth2-proxy.sh (and the image tag in lib/identity/oidc-proxy.ts). */
export const OAUTH2_PROXY_VERSION = 'v7.15.6';

/**
 * The `oauth2-proxy` binary built by tools/install-oauth2-proxy.sh (run by `npx projen test:deps`),
 * at `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/oauth2-proxy/<version>/bin/oauth2-proxy`. Throws
 * when it is missing: a missing build is a failure, never a skip.
 */
export function oauth2ProxyBinary(): string {
  return toolBinary('oauth2-proxy', OAUTH2_PROXY_VERSION, 'oauth2-proxy', (bin) => `oauth2-proxy ${OAUTH2_PROXY_VERSION} is not built (no ${bin}): run \`npx projen test:deps\` (tools/install-oauth2-proxy.sh builds it from the Go module proxy, ~1 min cold)`);
}

/** Container paths the generated environment names; re-rooted below the server directory. */
const CONTAINER_PATH = /^\/run\/(vault|secrets)\/[A-Za-z0-9._-]+$/;
/** oauth2-proxy's default plain listener (the container's loopback), when the command sets none. */
const DEFAULT_HTTP_ADDRESS = '127.0.0.1:4180';

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
  /** Milliseconds to wait for `/ping` on the HTTPS listener. Default 20 000. */
  readonly startTimeoutMs?: number;
}

/** What the compose health check gave. */
export interface HealthCheckResult {
  /** Whether the container would count as healthy (the probe got a 2xx). */
  readonly healthy: boolean;
  /** The probe as generated, and the URL it was run against here. */
  readonly command: readonly string[];
  readonly url: string;
  /** The status, or the connection error. */
  readonly detail: string;
}

/** A running oauth2-proxy. */
export interface RunningOauth2Proxy {
  /** The server directory (`root/` stands in for the container's file system). */
  readonly dir: string;
  /** The HTTPS listener (the generated `--https-address`, here on loopback). */
  readonly httpsPort: number;
  /** Where the plain listener would be (the container default 127.0.0.1:4180, moved to a free port). */
  readonly httpPort: number;
  /** The argv it runs with (the generated command with the overrides). */
  readonly argv: readonly string[];
  /** The environment it runs with (the generated one, paths re-rooted, plus PATH, HOME and HTTPS_PROXY). */
  readonly env: Readonly<Record<string, string>>;
  /** Every change made to the generated service, as `what: before → after`. */
  readonly overrides: readonly string[];
  /** Milliseconds from spawn until `/ping` answered on the HTTPS listener. */
  readonly startupMs: number;
  /** The CONNECT proxy its outgoing HTTPS goes through (`connects` lists what it dialled). */
  readonly proxy: ServiceProxy;
  /** Runs the service's generated health check (a `wget` of a loopback URL) against the running server. */
  healthCheck(): Promise<HealthCheckResult>;
  /** Everything it printed (standard and auth/request logs). */
  log(): string;
  /** Whether it is still running. */
  running(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts compose service `service` of `host` (an OidcProxy) as compose would: its command and its
 * OAUTH2_PROXY_* environment, the container files it names written from `opts.files`, the HTTPS
 * listener and the plain one (if the server opens it) on free loopback ports. Resolves once `/ping`
 * answers on the HTTPS listener; throws with its output when it exits or does not come up.
 */
export async function startGeneratedOauth2Proxy(host: GeneratedHost, service: string, opts: StartGeneratedOauth2ProxyOptions): Promise<RunningOauth2Proxy> {
  const bin = oauth2ProxyBinary();
  const compose = parse(host.files['docker-compose.yml']);
  const svc = compose?.services?.[service];
  if (!svc) throw new Error(`no compose service '${service}'`);
  const command = svc.command as string[];
  if (!Array.isArray(command) || command.some((a) => typeof a !== 'string')) throw new Error(`'${service}' has no command list`);
  if (command.some((a) => a.startsWith('--http-address'))) throw new Error(`'${service}' sets --http-address: the harness expects the container default ${DEFAULT_HTTP_ADDRESS}`);
  const httpsArgs = command.filter((a) => a.startsWith('--https-address='));
  if (httpsArgs.length !== 1 || !/^--https-address=:(\d+)$/.test(httpsArgs[0])) throw new Error(`'${service}' must set --https-address=:<port> exactly once (got ${JSON.stringify(httpsArgs)})`);
  const httpsContainerPort = Number(/:(\d+)$/.exec(httpsArgs[0])![1]);

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
  // The default would be the host's 127.0.0.1:4180 here, shared by every test: move it.
  argv.push(`--http-address=127.0.0.1:${httpPort}`);
  overrides.push(`command: (default --http-address=${DEFAULT_HTTP_ADDRESS}) → --http-address=127.0.0.1:${httpPort}`);
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
  // Ready when /ping answers on the HTTPS listener (a full request: a bare TCP probe would make
  // it log a TLS handshake error). Readiness only, so the certificate is not checked here.
  const timeout = opts.startTimeoutMs ?? 20_000;
  try {
    for (const deadline = Date.now() + timeout; ;) {
      if (exited) throw new Error(exited);
      if ((await httpsPing(httpsPort)) === 200) break;
      if (Date.now() > deadline) throw new Error(`oauth2-proxy did not answer /ping on its HTTPS listener within ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- oauth2-proxy output ---\n${output}`);
  }
  const startupMs = Date.now() - started;
  const ports: Record<number, number> = { 4180: httpPort, [httpsContainerPort]: httpsPort };
  return {
    dir, httpsPort, httpPort, argv, env: fullEnv, overrides, proxy, log, stop, startupMs,
    running: () => exited === undefined,
    healthCheck: () => runHealthCheck(svc.healthcheck?.test, ports),
  };
}

/**
 * Runs a generated `['CMD', 'wget', …, '<url>']` health check: the URL must be on the container's
 * loopback, at the plain (4180) or the HTTPS listener, which map to the test's ports. HTTPS is
 * probed without certificate verification only when the command says `--no-check-certificate`
 * (the certificate names the service, not 127.0.0.1); otherwise it is verified and fails, as wget would.
 */
async function runHealthCheck(test: unknown, ports: Record<number, number>): Promise<HealthCheckResult> {
  const command = Array.isArray(test) ? test.map(String) : [];
  if (command[0] !== 'CMD' || command[1] !== 'wget') throw new Error(`the health check is not a wget probe: ${JSON.stringify(test)}`);
  const url = new URL(command.find((a) => /^https?:\/\//.test(a)) ?? '');
  if (url.hostname !== '127.0.0.1') throw new Error(`the health check probes ${url.host}, not the container's loopback`);
  const insecure = command.includes('--no-check-certificate');
  const target = ports[Number(url.port)];
  const here = `${url.protocol}//127.0.0.1:${target ?? '(nothing)'}${url.pathname}`;
  // The container port nothing maps to is closed in the container too.
  if (target === undefined) return { healthy: false, command, url: here, detail: `nothing listens on container port ${url.port}` };
  const detail = await new Promise<string>((resolve) => {
    const opts = { host: '127.0.0.1', port: target, path: url.pathname + url.search, timeout: 5_000, agent: false as const };
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    };
    const req = url.protocol === 'https:' ? https.get({ ...opts, rejectUnauthorized: !insecure }, onResponse) : http.get(opts, onResponse);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? ''} ${e.message}`.trim()));
  });
  return { healthy: /^2\d\d$/.test(detail), command, url: here, detail };
}

function httpsPing(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/ping', rejectUnauthorized: false, timeout: 2_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}
