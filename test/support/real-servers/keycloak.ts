import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { freePorts } from './free-port';
import { makeServerDir, removeServerDir, trackDaemon } from './process-registry';

/** Keep in sync with tools/install-keycloak.sh. */
export const KEYCLOAK_VERSION = '26.7.3';

/** The Keycloak distribution installed by tools/install-keycloak.sh (run by `npx projen test:deps`), or undefined. */
export function keycloakHome(): string | undefined {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const home = path.join(cache, 'keycloak', `keycloak-${KEYCLOAK_VERSION}`);
  return fs.existsSync(path.join(home, 'bin', 'kc.sh')) ? home : undefined;
}

/** How to start one Keycloak. */
export interface StartKeycloakOptions {
  /** Realm files to import (`data/import/<name>`), e.g. the generated `realm-lab.json`. */
  readonly realmFiles: Readonly<Record<string, string>>;
  /** Extra environment (the variables the realm file's `${NAME}` placeholders name). */
  readonly env?: Readonly<Record<string, string>>;
  /** Milliseconds to wait for `/health/ready`. Default 180 000 (the first start re-augments, 15–30 s here). */
  readonly startTimeoutMs?: number;
}

/** An HTTP answer, body as text. */
export interface KeycloakResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The body parsed as JSON (throws with the text when it is not). */
  json(): any;
}

/** A request to the server. */
export interface KeycloakRequest {
  readonly method?: string;
  /** Bearer token. */
  readonly token?: string;
  /** Form fields (application/x-www-form-urlencoded). */
  readonly form?: Readonly<Record<string, string>>;
  /** JSON body. */
  readonly json?: unknown;
  /** Extra headers (e.g. Cookie). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Plain HTTP to the http port (to prove it is refused) instead of HTTPS. */
  readonly plainHttp?: boolean;
}

/** A running Keycloak on loopback (HTTPS with a throw-away certificate for 127.0.0.1). */
export interface RunningKeycloak {
  readonly dir: string;
  /** The process group (the pid of the process spawned first: kc.sh, or the shell that execs it). */
  readonly pid: number;
  /** `https://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  readonly httpsPort: number;
  /** The plain HTTP port (0 when plain HTTP is disabled). */
  readonly httpPort: number;
  readonly managementPort: number;
  /** The CA bundle that verifies the server (for startKeycloak: its self-signed certificate). */
  readonly ca: Buffer;
  /** Milliseconds from spawn to `/health/ready` answering UP. */
  readonly startupMs: number;
  /** A request to a path (`/realms/…`) or an absolute URL on this server; never follows redirects. */
  request(pathOrUrl: string, req?: KeycloakRequest): Promise<KeycloakResponse>;
  /** A master-realm admin token (admin-cli password grant with the bootstrap admin). */
  adminToken(): Promise<string>;
  /** An admin REST call (`/admin/realms/…`) with a fresh admin token. */
  admin(method: string, apiPath: string, body?: unknown): Promise<KeycloakResponse>;
  log(): string;
  stop(): Promise<void>;
}

function makeCertificate(dir: string): void {
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'tls/server.key', '-out', 'tls/server.crt', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make the test certificate (run npx projen test:deps): ${r.stderr}${r.error?.message ?? ''}`);
}

/**
 * A private copy of the installed distribution at `<dir>/kc` (a start re-augments into
 * `lib/quarkus` and keeps its state under `data/`, so runs never share state), with an empty
 * `data/` holding only `data/import/<realm files>`: what the container's tmpfs over
 * /opt/keycloak/data plus the realm's bind mount give it. Returns the copy's home.
 */
export function copyKeycloakHome(dir: string, realmFiles: Readonly<Record<string, string>>): string {
  const home = keycloakHome();
  if (!home) throw new Error(`Keycloak ${KEYCLOAK_VERSION} is not installed: run \`npx projen test:deps\` (tools/install-keycloak.sh)`);
  const kc = path.join(dir, 'kc');
  const copy = spawnSync('cp', ['-a', home, kc], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`could not copy ${home}: ${copy.stderr}`);
  fs.rmSync(path.join(kc, 'data'), { recursive: true, force: true });
  fs.mkdirSync(path.join(kc, 'data', 'import'), { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(realmFiles)) {
    if (!/^[A-Za-z0-9._-]+\.json$/.test(name)) throw new Error(`realm file name '${name}' must be a plain *.json name`);
    fs.writeFileSync(path.join(kc, 'data', 'import', name), text, { mode: 0o600 });
  }
  return kc;
}

/**
 * Starts `kc.sh start-dev --import-realm` on a private copy of the installed distribution (start-dev
 * re-augments into `lib/quarkus` and keeps its H2 database under `data/`, so runs never share
 * state), HTTPS only on 127.0.0.1 with `sslRequired: all` realms imported unchanged, the plain
 * HTTP listener bound to loopback too (start-dev always opens one), and the management interface
 * (health) on its own free port. The server runs in its own process group: `kc.sh` forwards
 * SIGTERM to the JVM, and the group is SIGKILLed when a test run dies half-way.
 */
export async function startKeycloak(opts: StartKeycloakOptions): Promise<RunningKeycloak> {
  const dir = makeServerDir('keycloak');
  let kc: string;
  try {
    kc = copyKeycloakHome(dir, opts.realmFiles);
    fs.mkdirSync(path.join(dir, 'tls'), { mode: 0o700 });
    makeCertificate(dir);
  } catch (e) {
    removeServerDir(dir);
    throw e;
  }
  const ca = fs.readFileSync(path.join(dir, 'tls', 'server.crt'));
  const [httpsPort, httpPort, managementPort] = await freePorts(3);
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  return launchKeycloak({
    dir, file: path.join(kc, 'bin', 'kc.sh'),
    args: [
      'start-dev', '--import-realm',
      '--http-host=127.0.0.1', `--http-port=${httpPort}`, `--https-port=${httpsPort}`,
      `--https-certificate-file=${path.join(dir, 'tls', 'server.crt')}`, `--https-certificate-key-file=${path.join(dir, 'tls', 'server.key')}`,
      `--http-management-port=${managementPort}`, '--hostname-strict=false', '--health-enabled=true',
    ],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
      KC_BOOTSTRAP_ADMIN_USERNAME: 'admin', KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      ...opts.env,
    },
    httpsPort, httpPort, managementPort, managementScheme: 'https', ca,
    admin: { username: 'admin', password: adminPassword }, startTimeoutMs: opts.startTimeoutMs,
  });
}

/** How {@link launchKeycloak} runs one Keycloak. */
export interface LaunchKeycloakOptions {
  /** The server directory (its log goes here; removed when the server stops). */
  readonly dir: string;
  /** What to run: `kc.sh`, or a shell that ends in `exec kc.sh …` (e.g. a compose service's entrypoint). */
  readonly file: string;
  readonly args: readonly string[];
  /** The whole environment of the process (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly httpsPort: number;
  /** The plain HTTP port, 0 when plain HTTP is disabled. */
  readonly httpPort: number;
  readonly managementPort: number;
  /** How the management interface (health) is served. */
  readonly managementScheme: 'http' | 'https';
  /** The CA bundle that verifies the HTTPS listener. */
  readonly ca: Buffer;
  /** The name the server certificate is checked against (and sent as SNI). Default: 127.0.0.1. */
  readonly servername?: string;
  /** The master-realm admin that {@link RunningKeycloak.adminToken} logs in as. */
  readonly admin: { readonly username: string; readonly password: string };
  /** Milliseconds to wait for `/health/ready`. Default 180 000. */
  readonly startTimeoutMs?: number;
}

/**
 * Spawns `file args` in its own process group (tracked: stopped with the other test processes,
 * SIGKILLed when the run dies half-way), its output in `<dir>/keycloak.log`, and waits until
 * the management interface answers `/health/ready` with UP.
 */
export async function launchKeycloak(opts: LaunchKeycloakOptions): Promise<RunningKeycloak> {
  const { dir, httpsPort, httpPort, managementPort, ca } = opts;
  const logFile = path.join(dir, 'keycloak.log');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  const started = Date.now();
  try {
    child = spawn(opts.file, [...opts.args], { cwd: dir, detached: true, stdio: ['ignore', out, out], env: { ...opts.env } });
  } finally {
    fs.closeSync(out);
  }
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `${path.basename(opts.file)} exited early (${sig ?? code})`));
  child.once('error', (e) => (exited = `${opts.file} could not run: ${e.message}`));
  const group = child.pid;
  if (group === undefined) {
    removeServerDir(dir);
    throw new Error(`could not start ${opts.file}\n${log()}`);
  }
  const stop = trackDaemon(`keycloak :${httpsPort}`, -group, () => stopGroup(group), () => removeServerDir(dir), 'SIGKILL');

  const request = (pathOrUrl: string, req: KeycloakRequest = {}) => send(pathOrUrl, req, req.plainHttp ? httpPort : httpsPort, ca, opts.servername);
  const timeout = opts.startTimeoutMs ?? 180_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    if (exited || Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`${exited ?? `Keycloak was not ready within ${timeout} ms`}\n--- keycloak output (last 6000 chars) ---\n${text.slice(-6000)}`);
    }
    try {
      const health = await send('/health/ready', { plainHttp: opts.managementScheme === 'http' }, managementPort, ca, opts.servername);
      if (health.status === 200 && health.json().status === 'UP') break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const startupMs = Date.now() - started;
  const adminToken = async () => {
    const r = await request('/realms/master/protocol/openid-connect/token', {
      form: { grant_type: 'password', client_id: 'admin-cli', username: opts.admin.username, password: opts.admin.password },
    });
    if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.body}`);
    return r.json().access_token as string;
  };
  return {
    dir, pid: group, baseUrl: `https://127.0.0.1:${httpsPort}`, httpsPort, httpPort, managementPort, ca, startupMs, log, stop, request, adminToken,
    admin: async (method, apiPath, body) => request(apiPath, { method, token: await adminToken(), ...(body === undefined ? {} : { json: body }) }),
  };
}

/** SIGTERM the group (kc.sh forwards it to the JVM), SIGKILL what is left after 20 s. */
async function stopGroup(group: number): Promise<void> {
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-group, sig);
    } catch {
      // the group is gone
    }
  };
  const groupAlive = () => groupMembers(group) > 0;
  signalGroup('SIGTERM');
  const deadline = Date.now() + 20_000;
  while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!groupAlive()) return;
  signalGroup('SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (groupAlive() && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive()) throw new Error(`keycloak process group ${group} survived SIGKILL`);
}

/** Live (non-zombie) processes whose process group is `group`. */
function groupMembers(group: number): number {
  let n = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the comm: state, ppid, pgrp.
      if (Number(fields[2]) === group && fields[0] !== 'Z') n++;
    } catch {
      // exited while we looked
    }
  }
  return n;
}

function send(pathOrUrl: string, req: KeycloakRequest, port: number, ca: Buffer, servername?: string): Promise<KeycloakResponse> {
  const url = new URL(pathOrUrl, `https://127.0.0.1:${port}`);
  let payload: string | undefined;
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (req.form !== undefined) {
    payload = new URLSearchParams(req.form as Record<string, string>).toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (req.json !== undefined) {
    payload = JSON.stringify(req.json);
    headers['Content-Type'] = 'application/json';
  }
  if (req.token) headers.Authorization = `Bearer ${req.token}`;
  const method = req.method ?? (payload === undefined ? 'GET' : 'POST');
  // Absolute URLs Keycloak hands out (form actions, redirects) point at its own HTTPS port.
  const target = { host: '127.0.0.1', port: req.plainHttp ? port : Number(url.port || port), path: url.pathname + url.search, method, headers, timeout: 30_000 };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0, headers: res.headers, body,
          json: () => {
            try {
              return JSON.parse(body);
            } catch {
              throw new Error(`not JSON (${res.statusCode}): ${body.slice(0, 500)}`);
            }
          },
        });
      });
    };
    const r = req.plainHttp ? http.request(target, onResponse) : https.request({ ...target, ca, ...(servername ? { servername } : {}) }, onResponse);
    r.on('error', reject);
    r.on('timeout', () => r.destroy(new Error(`request to ${url} timed out`)));
    if (payload !== undefined) r.write(payload);
    r.end();
  });
}
