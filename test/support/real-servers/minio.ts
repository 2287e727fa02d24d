import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { freePorts } from './free-port';
import { CommandResult, makeServerDir, removeServerDir, runCommand, ServerFile, trackChild, writeServerFiles } from './process-registry';

/** Pseudo-versions built by tools/install-minio.sh (keep both in sync). */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
/** The mc (MinIO client) pseudo-version built alongside. */
export const MC_VERSION = 'v0.0.0-20250313080218-cf909e1063a9';

/** Paths of the two binaries. */
export interface MinioBinaries {
  /** The server. */
  readonly minio: string;
  /** The client. */
  readonly mc: string;
}

/**
 * The binaries built by tools/install-minio.sh (run by `npx projen test:deps`) into its
 * version-keyed cache, `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/minio/<key>/bin`. Undefined when
 * either binary is missing.
 */
export function minioBinaries(): MinioBinaries | undefined {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const key = `minio-${MINIO_VERSION.replace(/^v0\.0\.0-/, '')}_mc-${MC_VERSION.replace(/^v0\.0\.0-/, '')}`;
  const bin = path.join(cache, 'minio', key, 'bin');
  const minio = path.join(bin, 'minio');
  const mc = path.join(bin, 'mc');
  return isExecutable(minio) && isExecutable(mc) ? { minio, mc } : undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** How to start one MinIO server on loopback. */
export interface StartMinioOptions {
  /** Directory for data (`data/`), certs, mc's config and the log. Default: a fresh temp dir, removed on stop (a given one is kept). */
  readonly dir?: string;
  /** Environment for the server: MINIO_ROOT_USER/MINIO_ROOT_PASSWORD, or their *_FILE variants, and any MINIO_* settings. */
  readonly env?: Readonly<Record<string, string>>;
  /** Files to write below `dir` first (secret files for *_FILE variables, certs). */
  readonly files?: Readonly<Record<string, ServerFile>>;
  /**
   * The `--certs-dir`, relative to `dir`. Default `certs` (created empty, so ~/.minio/certs is never
   * read). When it holds `public.crt` + `private.key` the server speaks HTTPS and `endpoint` says so.
   */
  readonly certsDir?: string;
  /** Extra `minio server` arguments, after the harness's own. */
  readonly args?: readonly string[];
  /** How long to wait for /minio/health/live. Default 60 s. */
  readonly startTimeoutMs?: number;
}

/** A running MinIO server; `stop()` it (or `stopAll()`) in afterAll/afterEach. */
export interface MinioServer {
  /** The directory (data in `data/`, mc's config in `mc/`). */
  readonly dir: string;
  /** S3 API port on 127.0.0.1. */
  readonly port: number;
  /** Console port on 127.0.0.1. */
  readonly consolePort: number;
  /** `http(s)://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /**
   * Runs `mc <args>` with MC_CONFIG_DIR in `dir/mc` (an alias set there stays there; trust a CA by
   * putting it in `dir/mc/certs/CAs/`). Add `--json` yourself.
   */
  mc(args: readonly string[], env?: Readonly<Record<string, string>>): CommandResult;
  /** Everything the server printed so far. */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), then removes the directory if the harness made it. Idempotent. */
  stop(): Promise<void>;
}

/** process.env without MINIO_* / MC_* (the machine's settings must not leak into a test). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MINIO_') && !k.startsWith('MC_')) env[k] = v;
  return env;
}

/** Status of GET url, or undefined when nothing answered. The probe skips TLS verification: it only asks "is it up?". */
function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: 2_000, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

/** Starts `minio server` and waits until /minio/health/live answers 200; throws with its output otherwise. */
export async function startMinio(opts: StartMinioOptions = {}): Promise<MinioServer> {
  const bins = minioBinaries();
  if (!bins) throw new Error('minio/mc not built: run `bash tools/install-minio.sh` (6-12 min cold)');
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeServerDir('minio');
  const cleanup = () => {
    if (ownDir) removeServerDir(dir);
  };
  const logFile = path.join(dir, 'minio.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const mcDir = path.join(dir, 'mc');
  const home = path.join(dir, 'home');

  let port: number;
  let consolePort: number;
  let endpoint: string;
  let child: ChildProcess;
  try {
    [port, consolePort] = await freePorts(2);
    writeServerFiles(dir, opts.files ?? {});
    const certsDir = path.resolve(dir, opts.certsDir ?? 'certs');
    for (const d of [path.join(dir, 'data'), certsDir, mcDir, home]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    const tls = fs.existsSync(path.join(certsDir, 'public.crt'));
    endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const out = fs.openSync(logFile, 'a');
    child = spawn(bins.minio, [
      'server', path.join(dir, 'data'),
      '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`,
      '--certs-dir', certsDir, ...(opts.args ?? []),
    ], {
      cwd: dir,
      // HOME in the dir: minio otherwise creates ~/.minio; no update checks from a test.
      env: { ...cleanEnv(), HOME: home, MINIO_UPDATE: 'off', ...opts.env },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
  } catch (e) {
    cleanup();
    throw e;
  }

  const spawned = child;
  let exited: string | undefined;
  spawned.once('exit', (code, sig) => (exited = `minio exited early (${sig ?? code})`));
  spawned.once('error', (e) => (exited = `minio could not start: ${e.message}`));
  const stop = trackChild(`minio :${port}`, spawned, cleanup);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    const failure = exited ?? (Date.now() > deadline ? `minio not live within ${opts.startTimeoutMs ?? 60_000} ms` : undefined);
    if (failure) {
      const output = log();
      await stop();
      throw new Error(`${failure}\n--- minio output ---\n${output}`);
    }
    if ((await probe(`${endpoint}/minio/health/live`)) === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    dir, port, consolePort, endpoint, log, stop,
    mc: (args, env) => runCommand(bins.mc, args, {
      cwd: dir,
      env: { ...cleanEnv(), HOME: home, MC_CONFIG_DIR: mcDir, ...env },
      timeoutMs: 60_000,
    }),
  };
}
