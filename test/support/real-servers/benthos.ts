/**
 * Benthos 4.27.0, built from source by tools/install-benthos.sh, for the tests of the generated
 * ingestion configs: `benthos lint` on a config, `benthos blobl` on a mapping, and a real
 * `benthos -c <config>` on loopback (tracked like every other server, so it never outlives the run).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { waitForPort } from './free-port';
import { CommandResult, makeServerDir, removeServerDir, runCommand, trackChild } from './process-registry';
import { toolBinary } from './tool-binary';

/** Keep in sync with tools/install-benthos.sh. */
export const BENTHOS_VERSION = 'v4.27.0';

/**
 * The `benthos` binary built by tools/install-benthos.sh (run by `npx projen test:deps`), at
 * `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/benthos/<version>/bin/benthos`. Throws when it is
 * missing: a missing build is a failure, never a skip.
 */
export function benthosBinary(): string {
  return toolBinary('benthos', BENTHOS_VERSION, 'benthos', (bin) => `Benthos ${BENTHOS_VERSION} is not built (no ${bin}): run \`npx projen test:deps\` (tools/install-benthos.sh builds it from the Go module proxy, ~10 min cold)`);
}

/** process.env without AWS_* / SSL_* / *_PROXY / BENTHOS_*: the machine's settings must not leak into a test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AWS_|SSL_|BENTHOS_)|_PROXY$/i.test(k)) env[k] = v;
  }
  return env;
}

/**
 * `benthos lint <config>` with `env` (Benthos refuses a config naming unset variables, so give it
 * every `${VAR}` the config uses). Status 0 and no output mean the config is valid.
 */
export function lintBenthos(configPath: string, env: Readonly<Record<string, string>> = {}): CommandResult {
  return runCommand(benthosBinary(), ['lint', configPath], { cwd: path.dirname(configPath), env: { ...cleanEnv(), ...env }, timeoutMs: 60_000 });
}

/** What `benthos blobl` made of one input document. */
export interface BloblResult {
  /** The mapped document (its JSON line), when the mapping succeeded. */
  readonly output?: string;
  /** Benthos' error, when the mapping failed (the record would be flagged errored). */
  readonly error?: string;
}

/**
 * Runs the mapping in `mappingFile` (`benthos blobl -f`) on one document (`input`, one line; raw
 * text when it is no JSON), in its own process, so each result belongs to exactly one input.
 * `benthos blobl` exits 0 either way: a success prints the result on stdout, a failure on stderr.
 */
export function runBlobl(mappingFile: string, input: string): Promise<BloblResult> {
  if (input.includes('\n')) throw new Error('runBlobl: one document per call, on one line');
  return new Promise((resolve, reject) => {
    const child = spawn(benthosBinary(), ['blobl', '-f', mappingFile], { cwd: path.dirname(mappingFile), env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`benthos blobl exited ${sig ?? code}:\n${stdout}\n${stderr}`));
      const out = stdout.trim();
      const err = stderr.trim();
      if ((out === '') === (err === '')) return reject(new Error(`benthos blobl gave both or neither of a result and an error for ${input}:\nstdout: ${out}\nstderr: ${err}`));
      resolve(out !== '' ? { output: out } : { error: err });
    });
    child.stdin.end(`${input}\n`);
  });
}

/** How to start Benthos. */
export interface StartBenthosOptions {
  /** A loopback port the config listens on: `startBenthos` resolves once it accepts connections. */
  readonly port?: number;
  /** How long to wait for `port`. Default 30 s. */
  readonly startTimeoutMs?: number;
}

/** A running Benthos; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningBenthos {
  /** Its working directory (HOME, the log); removed on stop. */
  readonly dir: string;
  /** The process id. */
  readonly pid: number;
  /** Everything it printed so far (its JSON log). */
  log(): string;
  /** Whether it is still running. */
  running(): boolean;
  /** SIGTERM (SIGKILL after 5 s), then removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `benthos -c <configPath>` (the compose command) with exactly `env` on top of a clean
 * environment (no AWS_*, SSL_*, proxy or BENTHOS_* variable of the machine), tracked for cleanup.
 * With `port`, waits until it accepts connections there; throws with its output when it exits or
 * does not come up.
 */
export async function startBenthos(configPath: string, env: Readonly<Record<string, string>>, options: StartBenthosOptions = {}): Promise<RunningBenthos> {
  const bin = benthosBinary();
  const dir = makeServerDir('benthos');
  const logFile = path.join(dir, 'benthos.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let child: ChildProcess;
  const out = fs.openSync(logFile, 'a');
  try {
    child = spawn(bin, ['-c', configPath], { cwd: dir, env: { ...cleanEnv(), HOME: dir, ...env }, stdio: ['ignore', out, out] });
  } catch (e) {
    removeServerDir(dir);
    throw e;
  } finally {
    fs.closeSync(out);
  }
  const spawned = child;
  let exited: string | undefined;
  spawned.once('exit', (code, sig) => (exited = `benthos exited (${sig ?? code})`));
  spawned.once('error', (e) => (exited = `benthos could not start: ${e.message}`));
  const stop = trackChild(`benthos ${configPath}`, spawned, () => removeServerDir(dir));
  if (options.port !== undefined) {
    const timeout = options.startTimeoutMs ?? 30_000;
    try {
      await waitForPort(options.port, timeout, () => exited);
    } catch (e) {
      const output = log();
      await stop();
      throw new Error(`${(e as Error).message}\n--- benthos output ---\n${output}`);
    }
  }
  return {
    dir, log, stop,
    pid: spawned.pid ?? -1,
    running: () => exited === undefined,
  };
}
