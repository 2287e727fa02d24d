/**
 * The MLflow tracking server (PyPI `mlflow`, with psycopg2-binary and boto3) installed by
 * tools/install-mlflow.sh, for the real tests of the generated MlflowServer: runs the generated
 * start script on loopback, tracked like every other server (its whole process group: the
 * `mlflow server` supervisor and its uvicorn workers), and talks HTTPS with a client certificate.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { isAlive, makeServerDir, removeServerDir, trackDaemon } from './process-registry';

/** Keep in sync with tools/install-mlflow.sh and MLFLOW_VERSION in lib/services/mlflow/mlflow-server.ts. */
export const MLFLOW_TOOL_VERSION = '3.17.2';

/**
 * The `bin` folder of the virtualenv tools/install-mlflow.sh made
 * (`${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/mlflow/venv-<version>/bin`). Throws when it is
 * missing: a missing install is a failure, never a skip.
 */
export function mlflowBinDir(): string {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const venv = path.join(cache, 'mlflow', `venv-${MLFLOW_TOOL_VERSION}`);
  const bin = path.join(venv, 'bin');
  if (fs.existsSync(path.join(venv, '.complete')) && fs.existsSync(path.join(bin, 'mlflow'))) return bin;
  throw new Error(`MLflow ${MLFLOW_TOOL_VERSION} is not installed (no ${venv}): run \`bash tools/install-mlflow.sh\` (pip into a virtualenv, ~3 min cold)`);
}

/** process.env without AWS_*, MLFLOW_*, PG*, SSL_* and proxies: the machine's settings must not leak into a test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AWS_|MLFLOW_|PG|SSL_|REQUESTS_|CURL_)|_PROXY$|^DO_NOT_TRACK$|^CI$/i.test(k)) env[k] = v;
  }
  return env;
}

/** What a finished start script left behind. */
export interface ScriptRun {
  readonly status: number | null;
  readonly output: string;
}

/** A running tracking server; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningMlflow {
  /** Its working directory (HOME, the log); removed on stop. */
  readonly dir: string;
  /** The pid of the script (exec'd into `mlflow server`), leader of its process group. */
  readonly pid: number;
  /** Everything it printed so far. */
  log(): string;
  /** SIGTERM to the group (SIGKILL after 10 s), then removes `dir`. Idempotent; give afterAll more than 10 s. */
  stop(): Promise<void>;
}

/** How to run the start script. */
export interface MlflowScriptOptions {
  /** The generated script's text (container paths already re-pointed by the test). */
  readonly script: string;
  /** The service's environment, re-pointed; nothing of the machine's is added but PATH and HOME. */
  readonly env: Readonly<Record<string, string>>;
}

function launch(o: MlflowScriptOptions): { child: ChildProcess; dir: string; log: () => string } {
  const dir = makeServerDir('mlflow');
  const scriptFile = path.join(dir, 'start.sh');
  fs.writeFileSync(scriptFile, o.script, { mode: 0o500 });
  const logFile = path.join(dir, 'mlflow.log');
  const out = fs.openSync(logFile, 'a');
  try {
    const child = spawn('/bin/sh', [scriptFile], {
      cwd: dir, detached: true, stdio: ['ignore', out, out],
      env: { ...cleanEnv(), PATH: `${mlflowBinDir()}:/usr/bin:/bin`, HOME: dir, ...o.env },
    });
    return { child, dir, log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '') };
  } finally {
    fs.closeSync(out);
  }
}

/** Runs the script to its end (for scripts that must refuse to start); kills it after `timeoutMs`. */
export async function runMlflowScript(o: MlflowScriptOptions, timeoutMs = 30_000): Promise<ScriptRun> {
  const { child, dir, log } = launch(o);
  try {
    const status = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      }, timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    return { status, output: log() };
  } finally {
    removeServerDir(dir);
  }
}

/**
 * Starts the script and waits until `GET /health` answers 200 over HTTPS (`probe`); throws with
 * its output when it exits or does not come up within `startTimeoutMs`.
 */
export async function startMlflow(o: MlflowScriptOptions & { probe: () => Promise<number | undefined>; startTimeoutMs?: number }): Promise<RunningMlflow> {
  const { child, dir, log } = launch(o);
  const pid = child.pid ?? -1;
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `mlflow exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `mlflow could not start: ${e.message}`));
  const stop = trackDaemon(`mlflow group ${pid}`, -pid, async () => {
    // The supervisor forwards SIGTERM to uvicorn, which stops its workers; then the group is killed, so none outlives it.
    try { process.kill(-pid, 'SIGTERM'); } catch { /* the group is gone */ }
    for (const until = Date.now() + 10_000; isAlive(pid) && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 100));
    try { process.kill(-pid, 'SIGKILL'); } catch { /* the group is gone */ }
  }, () => removeServerDir(dir));
  const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
  for (;;) {
    const failure = exited ?? (Date.now() > deadline ? `mlflow not healthy within ${o.startTimeoutMs ?? 120_000} ms` : undefined);
    if (failure) {
      const output = log();
      await stop();
      throw new Error(`${failure}\n--- mlflow output ---\n${output}`);
    }
    if ((await o.probe()) === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { dir, pid, log, stop };
}

/** What an HTTPS request got back. */
export interface MlflowReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** TLS material of a caller: CA to verify the server, SNI name, and optionally a client certificate. */
export interface MlflowCaller {
  readonly port: number;
  readonly ca: Buffer;
  readonly servername: string;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** One HTTPS request to the server (Host `<servername>:5000` unless `headers.host` says otherwise). */
export function mlflowRequest(c: MlflowCaller, method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<MlflowReply> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: c.port, method, path: urlPath, servername: c.servername, ca: c.ca, cert: c.cert, key: c.key, timeout: 30_000, agent: false,
      headers: { host: `${c.servername}:5000`, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end(body);
  });
}
