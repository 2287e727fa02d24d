import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { waitForPort } from './free-port';
import { CommandResult, makeServerDir, removeServerDir, runCommand, ServerFile, trackChild, writeServerFiles } from './process-registry';

/** How to start one redis-server on loopback. */
export interface StartRedisOptions {
  /** Directory for the files and the log. Default: a fresh temp dir, removed on stop (a given one is kept). */
  readonly dir?: string;
  /** Files to write below `dir`: the generated redis.conf, the ACL file, certs and keys. */
  readonly files?: Readonly<Record<string, ServerFile>>;
  /** The config file passed to redis-server, relative to `dir`. A wrapper may `include` the generated one. */
  readonly configFile: string;
  /**
   * The port to wait on (the TLS port for a TLS-only config). Default: the last `tls-port`
   * (else `port`) in `args`, then in the config file and the files it includes.
   */
  readonly port?: number;
  /**
   * Arguments after the config path; they override the file. The harness always adds
   * `--daemonize no` (it supervises the child), `--logfile ""` (log to the captured stdout),
   * `--bind 127.0.0.1` (tests never listen beyond loopback) and `--dir <dir>` (the container's
   * data dir does not exist here), then these, e.g. `['--tls-port', String(port)]`.
   */
  readonly args?: readonly string[];
  /** How long to wait for the port. Default 10 s (Redis starts in ~10 ms). */
  readonly startTimeoutMs?: number;
}

/** A running redis-server; `stop()` it (or `stopAll()`) in afterAll/afterEach. */
export interface RedisServer {
  /** The directory with its files and `redis.log`. */
  readonly dir: string;
  /** The port that accepted connections (TLS port for a TLS config). */
  readonly port: number;
  /**
   * Runs `redis-cli --no-auth-warning -h 127.0.0.1 -p <port> <args>`; pass --tls, --cacert,
   * --cert, --key, --user, --pass yourself. Redis errors (NOPERM …) come back on stdout with status 0.
   */
  cli(args: readonly string[]): CommandResult;
  /** Everything the server printed so far. */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), then removes the directory if the harness made it. Idempotent. */
  stop(): Promise<void>;
}

/**
 * `conf` with every `name …` line of the given directives commented out. Redis applies `dir`
 * (chdir) and `logfile` (opened to test it) while it parses, so a container path there is fatal
 * before any later line or `--arg` could override it: drop them from the generated text and let
 * the harness's `--dir`/`--logfile` set them.
 */
export function withoutRedisDirectives(conf: string, names: readonly string[] = ['dir', 'logfile']): string {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  return conf.split('\n').map((line) => {
    const name = line.trim().split(/\s+/)[0]?.toLowerCase();
    return name && drop.has(name) ? `# (test harness) ${line}` : line;
  }).join('\n');
}

/** The last `tls-port` (else `port`) set in argv-style args or a config file, following `include`. */
function configuredPort(configFile: string, args: readonly string[]): number | undefined {
  const found: Record<string, number> = {};
  const scan = (file: string, depth: number) => {
    if (depth > 8 || !fs.existsSync(file)) return;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      const k = key?.toLowerCase();
      if (k === 'include' && value) scan(path.resolve(path.dirname(file), value.replace(/^["']|["']$/g, '')), depth + 1);
      if ((k === 'port' || k === 'tls-port') && value) found[k] = Number(value.replace(/^["']|["']$/g, ''));
    }
  };
  scan(configFile, 0);
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] === '--port' || args[i] === '--tls-port') found[args[i].slice(2)] = Number(args[i + 1]);
  }
  return found['tls-port'] || found.port || undefined;
}

/** Starts redis-server in the foreground; throws with its output if it exits or never listens. */
export async function startRedis(opts: StartRedisOptions): Promise<RedisServer> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? makeServerDir('redis');
  const logFile = path.join(dir, 'redis.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const cleanup = () => {
    if (ownDir) removeServerDir(dir);
  };

  let port: number;
  let child: ChildProcess;
  try {
    writeServerFiles(dir, opts.files ?? {});
    const configFile = path.resolve(dir, opts.configFile);
    if (!fs.existsSync(configFile)) throw new Error(`configFile ${opts.configFile} does not exist in ${dir}`);
    const args = ['--daemonize', 'no', '--logfile', '', '--bind', '127.0.0.1', '--dir', dir, ...(opts.args ?? [])];
    const p = opts.port ?? configuredPort(configFile, args);
    if (!p) throw new Error(`no port: pass opts.port or set tls-port/port in ${opts.configFile}`);
    port = p;
    // Output goes to a file, not a pipe: a pipe nobody drains would block the server.
    const out = fs.openSync(logFile, 'a');
    child = spawn('redis-server', [configFile, ...args], { cwd: dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
  } catch (e) {
    cleanup();
    throw e;
  }

  const spawned = child;
  let exited: string | undefined;
  spawned.once('exit', (code, sig) => (exited = `redis-server exited early (${sig ?? code})`));
  spawned.once('error', (e) => (exited = `redis-server could not start: ${e.message}`));
  const stop = trackChild(`redis :${port}`, spawned, cleanup);
  try {
    await waitForPort(port, opts.startTimeoutMs ?? 10_000, () => exited);
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- redis output ---\n${output}`);
  }

  return {
    dir, port, log, stop,
    cli: (args) => runCommand('redis-cli', ['--no-auth-warning', '-h', '127.0.0.1', '-p', String(port), ...args], { cwd: dir, timeoutMs: 30_000 }),
  };
}
