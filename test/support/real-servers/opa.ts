/**
 * A real OPA (the policy decision point, lib/services/opa/opa-server.ts), built from the Go module
 * proxy by tools/install-opa.sh, run with a synthesized host's own files: the compose service's
 * command (every flag), its config file and its bundle directory. Overridden only what a test host
 * must: the listen address (a free loopback port) and the container paths the command names
 * (`/etc/opa/…`, `/run/vault/…`, `/run/secrets/…`: re-rooted below the server directory, with
 * the files the test supplies).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { parse } from 'yaml';
import { freePort } from './free-port';
import { GeneratedHost } from './generated-stack';
import { CommandResult, makeServerDir, removeServerDir, runCommand, trackChild } from './process-registry';
import { toolBinary } from './tool-binary';

/** Keep in sync with tools/install-opa.sh (and OPA_IMAGE_TAG in lib/services/opa/opa-server.ts). */
export const OPA_VERSION = 'v1.22.3';

/**
 * The `opa` binary built by tools/install-opa.sh, at
 * `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/opa/<version>/bin/opa`. Throws when it is missing:
 * a missing build is a failure, never a skip.
 */
export function opaBinary(): string {
  return toolBinary('opa', OPA_VERSION, 'opa', (bin) => `OPA ${OPA_VERSION} is not built (no ${bin}): run tools/install-opa.sh (it builds opa from the Go module proxy, ~4 min cold on 2 cores)`);
}

/** Runs `opa <args>` in `cwd` (never throws; see the result's status). */
export function runOpa(args: readonly string[], cwd: string): CommandResult {
  return runCommand(opaBinary(), args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: cwd }, timeoutMs: 120_000 });
}

/** Writes every synthesized file below `<service>/` of `host` into `dir` (bundle/, tests/, config.yaml); returns `dir`. */
export function writeGeneratedOpaFiles(host: GeneratedHost, service: string, dir: string): string {
  for (const [rel, text] of Object.entries(host.files)) {
    if (!rel.startsWith(`${service}/`)) continue;
    const target = path.join(dir, rel.slice(service.length + 1));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  return dir;
}

/** A client certificate (or none) to call the server with. */
export interface OpaClientTls {
  readonly cert?: string;
  readonly key?: string;
}

/** An HTTP answer, or the connection error. */
export interface OpaResponse {
  /** The status, or 0 when the TLS handshake or the connection failed. */
  readonly status: number;
  readonly body: string;
  /** The connection error (e.g. the server refused the client certificate). */
  readonly error?: string;
}

/** A running OPA. */
export interface RunningOpa {
  /** The server directory (`root/` stands in for the container's file system). */
  readonly dir: string;
  /** The HTTPS listener (the generated `--addr`, here on loopback). */
  readonly port: number;
  /** The argv it runs with (the generated command with the overrides). */
  readonly argv: readonly string[];
  /** Every change made to the generated command, as `what: before → after`. */
  readonly overrides: readonly string[];
  /** Calls the server, verifying its certificate for the service name against `ca`. */
  request(method: 'GET' | 'POST' | 'PUT', urlPath: string, client: OpaClientTls, body?: unknown): Promise<OpaResponse>;
  /** Everything it printed (server log and decision logs: JSON lines). */
  log(): string;
  running(): boolean;
  stop(): Promise<void>;
}

/** How to start a generated OPA. */
export interface StartGeneratedOpaOptions {
  /** The content of every `/run/vault/…` and `/run/secrets/…` file the command names. */
  readonly files: Readonly<Record<string, string | Buffer>>;
  /** The CA bundle the test client verifies the server with. */
  readonly ca: string | Buffer;
  /** A granted client: readiness is its `GET /health` answering 200. */
  readonly readyClient: OpaClientTls;
  /** Milliseconds to wait. Default 20 000. */
  readonly startTimeoutMs?: number;
}

/** Container path prefixes the command may name, and where they go below `root/`. */
const REROOTED = /^(\/etc\/opa\/|\/run\/vault\/|\/run\/secrets\/)/;

/**
 * Starts compose service `service` of `host` (an OpaServer) as compose would: its command, its
 * mounted config and bundle (from the synthesized files), and the secret files from `opts.files`.
 * Resolves once `GET /health` answers 200 to `opts.readyClient`; throws with its output otherwise.
 */
export async function startGeneratedOpa(host: GeneratedHost, service: string, opts: StartGeneratedOpaOptions): Promise<RunningOpa> {
  const bin = opaBinary();
  const compose = parse(host.files['docker-compose.yml']);
  const svc = compose?.services?.[service];
  if (!svc) throw new Error(`no compose service '${service}'`);
  const command = svc.command as string[];
  if (!Array.isArray(command) || command[0] !== 'run' || !command.includes('--server')) throw new Error(`'${service}' does not run 'opa run --server': ${JSON.stringify(command)}`);
  const dir = makeServerDir('opa');
  const root = path.join(dir, 'root');
  const overrides: string[] = [];
  try {
    // What compose mounts: each bind mount of a synthesized file, at its target.
    for (const v of (svc.volumes ?? []) as { type: string; source: string; target: string; read_only?: boolean }[]) {
      if (v.type !== 'bind') continue;
      if (v.read_only !== true) throw new Error(`${v.source} is mounted writable`);
      const rel = v.source.replace(/^\.\//, '');
      const text = host.files[rel];
      if (text === undefined) throw new Error(`${v.source} is mounted but was not synthesized`);
      const target = path.join(root, v.target);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text, { mode: 0o444 });
    }
    for (const [containerPath, content] of Object.entries(opts.files)) {
      const target = path.join(root, containerPath);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      fs.writeFileSync(target, content, { mode: 0o600 });
    }
  } catch (e) {
    removeServerDir(dir);
    throw e;
  }
  const port = await freePort();
  const argv = command.map((a) => {
    if (a.startsWith('--addr=')) {
      const after = `--addr=127.0.0.1:${port}`;
      overrides.push(`command: ${a} → ${after}`);
      return after;
    }
    const m = /^(--[a-z-]+=)?(\/.*)$/.exec(a);
    if (!m) return a;
    if (!REROOTED.test(m[2])) throw new Error(`the command names a container path the harness does not re-root: ${a}`);
    const after = `${m[1] ?? ''}${path.join(root, m[2])}`;
    overrides.push(`command: ${a} → ${after}`);
    return after;
  });
  for (const a of argv) {
    const file = /^--[a-z-]+-file=(.*)$/.exec(a)?.[1];
    if (file && !fs.existsSync(file)) {
      removeServerDir(dir);
      throw new Error(`${a} names a file the test did not supply (give it in opts.files)`);
    }
  }
  const logFile = path.join(dir, 'opa.log');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // Only this environment: no machine proxy or SSL_* setting leaks in.
    child = spawn(bin, argv, { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: dir }, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `opa exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `opa could not start: ${e.message}`));
  const stop = trackChild(`opa ${service} :${port}`, child, () => removeServerDir(dir));
  const request = (method: 'GET' | 'POST' | 'PUT', urlPath: string, client: OpaClientTls, body?: unknown) => call(port, service, opts.ca, method, urlPath, client, body);
  const timeout = opts.startTimeoutMs ?? 20_000;
  try {
    for (const deadline = Date.now() + timeout; ;) {
      if (exited) throw new Error(exited);
      if ((await request('GET', '/health', opts.readyClient)).status === 200) break;
      if (Date.now() > deadline) throw new Error(`opa did not answer GET /health with 200 within ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- opa output ---\n${output}`);
  }
  return { dir, port, argv, overrides, request, log, stop, running: () => exited === undefined };
}

function call(port: number, servername: string, ca: string | Buffer, method: string, urlPath: string, client: OpaClientTls, body?: unknown): Promise<OpaResponse> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request({
      host: '127.0.0.1', port, method, path: urlPath, servername, ca, cert: client.cert, key: client.key,
      agent: false, timeout: 5_000,
      headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', error: `${e.code ?? ''} ${e.message}`.trim() }));
    req.end(payload);
  });
}

/** Runs openssl; throws with its output (naming the install step) on failure. */
export function openssl(args: readonly string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (apt-get install openssl; npx projen test:deps):\n${r.stderr}${r.error ?? ''}`);
}

/**
 * What Vault Agent renders from a generated `pkiCert` template: a P-256 leaf for its common_name
 * (and uri_sans, if any), issued by the lab intermediate that Vault's pki_int holds (the
 * bootstrap's seed, `issuer`: certificate and key in one PEM), followed by that intermediate; and its key.
 */
export function issueLikeVaultAgent(template: string, issuer: string, workDir: string): { cert: string; key: string } {
  const cn = /"common_name=([^"]+)"/.exec(template)?.[1];
  const uri = /"uri_sans=([^"]*)"/.exec(template)?.[1];
  if (!cn || uri === undefined || !/pkiCert "pki_int\/issue\//.test(template)) throw new Error(`not a pki_int pkiCert template:\n${template}`);
  const dir = fs.mkdtempSync(path.join(workDir, `pki-${cn}-`));
  fs.writeFileSync(path.join(dir, 'leaf.ext'), [
    `subjectAltName=DNS:${cn}${uri ? `,URI:${uri}` : ''}`,
    'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', `extendedKeyUsage=${uri ? 'clientAuth' : 'serverAuth'}`, '',
  ].join('\n'));
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${cn}`], dir);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', issuer, '-CAkey', issuer, '-CAcreateserial', '-CAserial', 'ca.srl', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.crt'], dir);
  openssl(['x509', '-in', issuer, '-out', 'intermediate.crt'], dir);
  return { cert: fs.readFileSync(path.join(dir, 'leaf.crt'), 'utf8') + fs.readFileSync(path.join(dir, 'intermediate.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'leaf.key'), 'utf8') };
}

/** A self-signed CA of its own and a client leaf for `cn` from it: a certificate the lab never issued. */
export function foreignClientCertificate(cn: string, workDir: string): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(workDir, 'foreign-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Foreign Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  fs.writeFileSync(path.join(dir, 'leaf.ext'), `subjectAltName=DNS:${cn}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${cn}`], dir);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-CAserial', 'ca.srl', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.crt'], dir);
  return { cert: fs.readFileSync(path.join(dir, 'leaf.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'leaf.key'), 'utf8') };
}
