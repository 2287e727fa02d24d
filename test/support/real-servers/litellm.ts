/**
 * The LiteLLM proxy, pip-installed by tools/install-litellm.sh into a version-keyed virtualenv,
 * for the real tests of the generated LLM gateway: runs the gateway's generated start script
 * (re-rooted) on loopback, tracked like every other server so it never outlives the run.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitForPort } from './free-port';
import { makeServerDir, removeServerDir, trackChild } from './process-registry';

/** Keep in sync with tools/install-litellm.sh and LITELLM_VERSION in lib/services/llm-gateway. */
export const LITELLM_VERSION = '1.80.11';

/** The venv's bin folder (holding `litellm`); throws naming the install script when missing: never a skip. */
export function litellmBinDir(): string {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const bin = path.join(cache, 'litellm', `venv-${LITELLM_VERSION}`, 'bin');
  try {
    fs.accessSync(path.join(bin, 'litellm'), fs.constants.X_OK);
    return bin;
  } catch {
    throw new Error(`LiteLLM ${LITELLM_VERSION} is not installed (no ${bin}/litellm): run \`bash tools/install-litellm.sh\` (pip install of litellm[proxy] into the tools cache, ~2 min)`);
  }
}

/** A running gateway; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningLitellm {
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  running(): boolean;
  stop(): Promise<void>;
}

/** process.env without proxies, SSL_*, LITELLM_* or provider keys: the machine's settings must not leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SSL_|LITELLM_|OPENAI_|ANTHROPIC_|AZURE_|REQUESTS_)|_PROXY$/i.test(k)) env[k] = v;
  return env;
}

/**
 * Runs `script` with `/bin/sh -ec` (the gateway's entrypoint) and exactly `env` on top of a clean
 * environment, with the venv's bin first on PATH. With `port`, waits until it accepts
 * connections; throws with its output when it exits first. `expectExit` instead waits for it to
 * exit and resolves with its log (for start-script refusals).
 */
export async function runLitellmScript(script: string, env: Readonly<Record<string, string>>, options: { port?: number; startTimeoutMs?: number } = {}): Promise<RunningLitellm> {
  const bin = litellmBinDir();
  const dir = makeServerDir('litellm');
  const logFile = path.join(dir, 'litellm.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-ec', script], { cwd: dir, env: { ...cleanEnv(), HOME: dir, ...env, PATH: `${bin}:/usr/bin:/bin` }, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `litellm exited (${sig ?? code})`));
  const stop = trackChild('litellm', child, () => removeServerDir(dir));
  if (options.port !== undefined) {
    try {
      await waitForPort(options.port, options.startTimeoutMs ?? 90_000, () => exited);
    } catch (e) {
      const output = log();
      await stop();
      throw new Error(`${(e as Error).message}\n--- litellm output ---\n${output}`);
    }
  }
  return { pid: child.pid ?? -1, log, stop, running: () => exited === undefined };
}

/** Runs `script` to its end and returns its exit status and output (for start-script refusals). */
export async function runScriptToExit(script: string, env: Readonly<Record<string, string>>): Promise<{ status: number | null; output: string }> {
  const bin = litellmBinDir();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-ec', script], { env: { ...cleanEnv(), ...env, PATH: `${bin}:/usr/bin:/bin` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
