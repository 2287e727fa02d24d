import { ChildProcess, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Tracks everything a test starts (child processes, daemons, temp dirs) so nothing outlives the
 * test run: `stopAll()` stops them gracefully (call it from `afterAll`), and hooks on process
 * 'exit' and on SIGTERM/SIGINT/SIGHUP kill whatever is still registered, synchronously, also
 * when a test failed half-way or vitest tears the worker down.
 */

/** One thing to undo. */
interface Entry {
  /** Shown in error messages. */
  readonly name: string;
  /** Graceful stop; resolves when it is gone. */
  readonly stop: () => void | Promise<void>;
  /** Last resort at process exit, when no event loop runs: must be synchronous. */
  readonly killSync: () => void;
}

/** Per process, not per module instance: a worker that re-evaluates this module must not stack hooks. */
interface RegistryState {
  /** Insertion order; undone in reverse so a dir is removed after the server that used it. */
  readonly entries: Entry[];
  /** Whether the exit and signal hooks are installed in this process. */
  hooked: boolean;
}

const STATE_KEY = Symbol.for('mlsec-cdk.test.real-servers.registry');
const holder = globalThis as unknown as { [STATE_KEY]?: RegistryState };
const state: RegistryState = (holder[STATE_KEY] ??= { entries: [], hooked: false });
const entries = state.entries;

function killAllSync(): void {
  for (const entry of entries.splice(0).reverse()) {
    try {
      entry.killSync();
    } catch {
      // Best effort: the process is exiting and there is nobody left to report to.
    }
  }
}

function installExitHook(): void {
  if (state.hooked) return;
  state.hooked = true;
  process.on('exit', killAllSync);
  // Vitest ends a fork worker with SIGTERM (SIGKILL 500 ms later), and a signal death never
  // emits 'exit'. So kill ours first, then re-raise so the default action still ends the process.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllSync();
      process.off(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function add(entry: Entry): () => void {
  installExitHook();
  entries.push(entry);
  return () => {
    const i = entries.indexOf(entry);
    if (i >= 0) entries.splice(i, 1);
  };
}

/**
 * Registers a cleanup run by `stopAll()`. At process exit it is called too, but only its
 * synchronous part runs then. Returns a function that unregisters it (without running it).
 */
export function registerCleanup(fn: () => void | Promise<void>, name = 'cleanup'): () => void {
  return add({ name, stop: fn, killSync: () => void fn() });
}

/** Stops everything registered, newest first; throws one error listing every failure. */
export async function stopAll(): Promise<void> {
  const failures: string[] = [];
  for (const entry of entries.splice(0).reverse()) {
    try {
      await entry.stop();
    } catch (e) {
      failures.push(`${entry.name}: ${(e as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`stopAll: ${failures.join('; ')}`);
}

/** How many things are still registered (a test can assert it cleaned up after itself). */
export function registeredCount(): number {
  return entries.length;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether `pid` is a running process. A zombie counts as gone: daemons we stop are reparented to
 * a PID 1 that may never reap them, so `kill(pid, 0)` alone would report them alive forever.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 is the state; field 2 (comm) is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Sends `sig` (default SIGTERM) to a pid we did not spawn, then SIGKILL after `timeoutMs`. */
export async function terminatePid(pid: number, sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<void> {
  signal(pid, sig);
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isAlive(pid)) return;
  signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
  if (isAlive(pid)) throw new Error(`pid ${pid} survived SIGKILL`);
}

/** SIGTERM a child we spawned, SIGKILL after `timeoutMs`; resolves once Node has reaped it. */
export function terminateChild(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
  // No pid: the spawn itself failed (ENOENT …) and no 'exit' will ever come.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Tracks a child process we spawned. Its `stop` terminates it and then runs `after` (e.g. removing
 * its directory); at process exit it is SIGKILLed and `after` runs synchronously.
 * The returned function stops it and unregisters it; calling it twice is harmless.
 */
export function trackChild(name: string, child: ChildProcess, after?: () => void, timeoutMs = 5_000): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      unregister();
      await terminateChild(child, timeoutMs);
      after?.();
    })();
    return stopped;
  };
  const unregister = add({
    name,
    stop,
    killSync: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      after?.();
    },
  });
  return stop;
}

/**
 * Tracks a daemon we did not spawn directly (e.g. a postmaster started by `pg_ctl`). `stop` is its
 * graceful stop; at exit `exitSignal` is sent to `pid` (SIGQUIT is Postgres' immediate shutdown).
 * Returns the idempotent stop-and-unregister function.
 */
export function trackDaemon(
  name: string,
  pid: number,
  stop: () => Promise<void>,
  after?: () => void,
  exitSignal: NodeJS.Signals = 'SIGKILL',
): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  const stopOnce = () => {
    stopped ??= (async () => {
      unregister();
      try {
        await stop();
      } finally {
        after?.();
      }
    })();
    return stopped;
  };
  const unregister = add({
    name,
    stop: stopOnce,
    killSync: () => {
      signal(pid, exitSignal);
      after?.();
    },
  });
  return stopOnce;
}

/** Exit status and output of a client command. */
export interface CommandResult {
  /** Exit code (-1 when it was killed or could not start). */
  readonly status: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error (plus the spawn error, if any). */
  readonly stderr: string;
}

/** Runs a client command synchronously and never throws: a failed spawn comes back as status -1. */
export function runCommand(
  file: string,
  argv: readonly string[],
  opts: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number },
): CommandResult {
  const r = spawnSync(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : '') };
}

/** A file a test hands to a server harness. */
export interface ServerFile {
  /** The bytes, or a function of the server's directory (for configs that must name absolute paths in it). */
  readonly content: string | Buffer | ((dir: string) => string | Buffer);
  /** File mode, e.g. 0o600 for a private key. */
  readonly mode: number;
}

/** Set MLSEC_KEEP_SERVER_DIRS=1 to keep server directories (configs, logs) after the test for debugging. */
export const keepServerDirs = process.env.MLSEC_KEEP_SERVER_DIRS === '1';

/** A fresh directory for one server (mode 0755 so an unprivileged server user can traverse it). */
export function makeServerDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlsec-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Removes a server directory unless MLSEC_KEEP_SERVER_DIRS=1. */
export function removeServerDir(dir: string): void {
  if (!keepServerDirs) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Writes `files` below `dir` (relative names only), creating parents 0755. `chown`, when given,
 * is applied to each file and to each directory created. Returns the absolute paths.
 */
export function writeServerFiles(
  dir: string,
  files: Readonly<Record<string, ServerFile>>,
  chown?: { readonly uid: number; readonly gid: number },
): string[] {
  return Object.entries(files).map(([name, file]) => {
    const target = path.resolve(dir, name);
    if (path.isAbsolute(name) || !target.startsWith(dir + path.sep)) {
      throw new Error(`server file '${name}' must be a relative path inside the server directory`);
    }
    for (let d = path.dirname(target), todo: string[] = []; ; d = path.dirname(d)) {
      if (fs.existsSync(d)) {
        for (const created of todo.reverse()) {
          fs.mkdirSync(created, { mode: 0o755 });
          if (chown) fs.chownSync(created, chown.uid, chown.gid);
        }
        break;
      }
      todo.push(d);
    }
    const content = typeof file.content === 'function' ? file.content(dir) : file.content;
    fs.writeFileSync(target, content, { mode: file.mode });
    fs.chmodSync(target, file.mode); // writeFileSync's mode is masked by the umask and ignored for existing files
    if (chown) fs.chownSync(target, chown.uid, chown.gid);
    return target;
  });
}
