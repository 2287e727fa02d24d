import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { freePorts } from './free-port';
import { CommandResult, makeServerDir, removeServerDir, runCommand, ServerFile, trackChild, writeServerFiles } from './process-registry';

/** Keep in sync with tools/install-openbao.sh. */
export const OPENBAO_VERSION = '2.7.2';

/** The `bao` binary installed by tools/install-openbao.sh (run by `npx projen test:deps`), or undefined. */
export function baoBinary(): string | undefined {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const bao = path.join(cache, 'openbao', `venv-${OPENBAO_VERSION}`, 'bin', 'bao');
  return fs.existsSync(bao) ? bao : undefined;
}

/** How to start one OpenBao server. */
export interface StartOpenBaoOptions {
  /** Files to write below the server directory (certs, keys). */
  readonly files: Readonly<Record<string, ServerFile>>;
  /** The config text, a function of the directory and the two ports (the generated vault.hcl, re-pointed). */
  readonly config: (dir: string, apiPort: number, clusterPort: number) => string;
  /** The host name the certificate is for (requests resolve it to 127.0.0.1). */
  readonly hostname: string;
  /** CA bundle file (relative to the directory) that verifies the server. */
  readonly caFile: string;
}

/** A running, initialised and unsealed OpenBao. */
export interface RunningOpenBao {
  readonly dir: string;
  readonly apiPort: number;
  /** The initial root token (the test's; the bootstrap revokes it). */
  readonly rootToken: string;
  /** Runs `bao <args>` against the server with `token` (or none). */
  bao(args: readonly string[], token?: string, env?: Readonly<Record<string, string>>): CommandResult;
  /** Raw HTTPS API call (verifies TLS with the CA, SNI = the host name). */
  api(method: string, apiPath: string, token?: string, body?: unknown): Promise<{ status: number; body: any }>;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `bao server` with the config, initialises it (1 share) and unseals it. */
export async function startOpenBao(opts: StartOpenBaoOptions): Promise<RunningOpenBao> {
  const bin = baoBinary();
  if (!bin) throw new Error('OpenBao is not installed: run `npx projen test:deps` (tools/install-openbao.sh)');
  const dir = makeServerDir('bao');
  const [apiPort, clusterPort] = await freePorts(2);
  writeServerFiles(dir, { ...opts.files, 'config.hcl': { content: (d) => opts.config(d, apiPort, clusterPort), mode: 0o644 } });
  for (const d of ['data', 'audit']) fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o700 });
  const logFile = path.join(dir, 'bao.log');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, ['server', `-config=${path.join(dir, 'config.hcl')}`], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `bao exited early (${sig ?? code})`));
  const stop = trackChild(`openbao :${apiPort}`, child, () => removeServerDir(dir));
  const ca = fs.readFileSync(path.join(dir, opts.caFile));
  const api = (method: string, apiPath: string, token?: string, body?: unknown) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: apiPort, servername: opts.hostname, method, path: `/v1/${apiPath}`, ca,
        headers: { ...(token ? { 'X-Vault-Token': token } : {}), 'Content-Type': 'application/json' },
        timeout: 10_000,
      }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
      });
      req.on('error', reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${exited ?? 'bao did not answer within 30 s'}\n--- bao output ---\n${log()}`);
    }
    try {
      if ((await api('GET', 'sys/seal-status')).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const init = await api('PUT', 'sys/init', undefined, { secret_shares: 1, secret_threshold: 1 });
  if (init.status !== 200) throw new Error(`init failed: ${JSON.stringify(init)}\n${log()}`);
  const unseal = await api('PUT', 'sys/unseal', undefined, { key: init.body.keys_base64[0] });
  if (unseal.status !== 200 || unseal.body.sealed) throw new Error(`unseal failed: ${JSON.stringify(unseal)}`);
  // Raft elects itself leader shortly after unseal.
  for (let i = 0; i < 100; i++) {
    if ((await api('GET', 'sys/leader')).body?.is_self) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = (token?: string) => ({
    PATH: process.env.PATH ?? '', HOME: dir,
    // The certificate names the service; the CLI connects to loopback and verifies that name.
    BAO_ADDR: `https://127.0.0.1:${apiPort}`, VAULT_ADDR: `https://127.0.0.1:${apiPort}`,
    BAO_CACERT: path.join(dir, opts.caFile), BAO_TLS_SERVER_NAME: opts.hostname,
    ...(token ? { BAO_TOKEN: token } : {}),
  });
  return {
    dir, apiPort, rootToken: init.body.root_token as string, log, stop, api,
    bao: (args, token, extra) => runCommand(bin, args, { cwd: dir, env: { ...env(token), ...extra } }),
  };
}

/** A running `bao agent`. */
export interface RunningAgent {
  /** Waits until `file` exists (the agent rendered it), or throws with the agent's output. */
  waitFor(file: string, timeoutMs?: number): Promise<void>;
  /** Everything the agent printed. */
  log(): string;
  /** SIGTERM, then waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `bao agent -config=<configFile>` (tracked: stopped with the other test processes). */
export function startAgent(configFile: string, cwd: string): RunningAgent {
  const bin = baoBinary();
  if (!bin) throw new Error('OpenBao is not installed: run `npx projen test:deps` (tools/install-openbao.sh)');
  const out: string[] = [];
  const child = spawn(bin, ['agent', `-config=${configFile}`], { cwd, env: { PATH: process.env.PATH, HOME: cwd } });
  child.stdout?.on('data', (d) => out.push(String(d)));
  child.stderr?.on('data', (d) => out.push(String(d)));
  const stop = trackChild(`bao agent ${path.basename(configFile)}`, child);
  return {
    log: () => out.join(''),
    stop,
    waitFor: async (file, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!fs.existsSync(file)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the agent did not write ${file}\n--- agent output ---\n${out.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
