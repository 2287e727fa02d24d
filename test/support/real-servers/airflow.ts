/**
 * Apache Airflow (PyPI `apache-airflow[celery,postgres,redis]`, locked) installed by
 * tools/install-airflow.sh, for the real tests of the generated AirflowDeployment: runs a
 * component's generated start script with its generated airflow.cfg on loopback, tracked like
 * every other server (its whole process group: the Airflow program and what it forks).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAlive, makeServerDir, removeServerDir, trackDaemon } from './process-registry';

/** Keep in sync with tools/install-airflow.sh and AIRFLOW_VERSION in lib/services/airflow/airflow-deployment.ts. */
export const AIRFLOW_TOOL_VERSION = '3.3.2';

/**
 * The `bin` folder of the virtualenv tools/install-airflow.sh made. Throws when it is missing: a
 * missing install is a failure, never a skip.
 */
export function airflowBinDir(): string {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const venv = path.join(cache, 'airflow', `venv-${AIRFLOW_TOOL_VERSION}`);
  const bin = path.join(venv, 'bin');
  if (fs.existsSync(path.join(venv, '.complete')) && fs.existsSync(path.join(bin, 'airflow'))) return bin;
  throw new Error(`Airflow ${AIRFLOW_TOOL_VERSION} is not installed (no ${venv}): run \`bash tools/install-airflow.sh\` (pip into a virtualenv, ~1 min warm)`);
}

/** process.env without AIRFLOW*, AWS_*, PG*, REDIS_*, SSL_* and proxies: the machine's settings must not leak into a test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AIRFLOW|AWS_|PG|REDIS_|BROKER_|SSL_|REQUESTS_|CURL_|VITEST|NODE_)|_PROXY$|^CI$/i.test(k)) env[k] = v;
  }
  return env;
}

/** A component laid out for a test run: its re-pointed start script, airflow.cfg and environment. */
export interface AirflowComponentRun {
  /** Name for logs. */
  readonly name: string;
  /** The start script's text. */
  readonly script: string;
  /** The environment (re-pointed); PATH and HOME are added. */
  readonly env: Readonly<Record<string, string>>;
}

/** A running component; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningAirflow {
  readonly dir: string;
  readonly pid: number;
  log(): string;
  stop(): Promise<void>;
}

function launch(o: AirflowComponentRun): { child: ChildProcess; dir: string; log: () => string } {
  const dir = makeServerDir(`airflow-${o.name}`);
  const scriptFile = path.join(dir, 'start.sh');
  fs.writeFileSync(scriptFile, o.script, { mode: 0o500 });
  const logFile = path.join(dir, 'airflow.log');
  const out = fs.openSync(logFile, 'a');
  try {
    const child = spawn('/bin/sh', [scriptFile], { cwd: dir, detached: true, stdio: ['ignore', out, out], env: { ...cleanEnv(), PATH: `${airflowBinDir()}:/usr/bin:/bin`, HOME: dir, ...o.env } });
    return { child, dir, log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '') };
  } finally {
    fs.closeSync(out);
  }
}

/** Runs `airflow <args>` once with a component's environment. */
export function runAirflow(env: Readonly<Record<string, string>>, args: readonly string[], timeoutMs = 180_000): { status: number | null; output: string } {
  const r = spawnSync(path.join(airflowBinDir(), 'airflow'), [...args], {
    encoding: 'utf8', timeout: timeoutMs, cwd: os.tmpdir(), env: { ...cleanEnv(), PATH: `${airflowBinDir()}:/usr/bin:/bin`, HOME: os.tmpdir(), ...env },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** Runs a start script to its end (for scripts that must refuse to start). */
export async function runAirflowScript(o: AirflowComponentRun, timeoutMs = 60_000): Promise<{ status: number | null; output: string }> {
  const { child, dir, log } = launch(o);
  try {
    const status = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
      child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
    });
    return { status, output: log() };
  } finally {
    removeServerDir(dir);
  }
}

/** Starts a component; waits until `ready()` (when given) says so, else returns at once. Throws with its output when it exits first. */
export async function startAirflowComponent(o: AirflowComponentRun & { ready?: () => Promise<boolean>; startTimeoutMs?: number }): Promise<RunningAirflow> {
  const { child, dir, log } = launch(o);
  const pid = child.pid ?? -1;
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `airflow ${o.name} exited (${sig ?? code})`));
  const stop = trackDaemon(`airflow ${o.name} group ${pid}`, -pid, async () => {
    try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
    for (const until = Date.now() + 10_000; isAlive(pid) && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }, () => removeServerDir(dir));
  const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
  for (;;) {
    const failure = exited ?? (Date.now() > deadline ? `airflow ${o.name} not ready within ${o.startTimeoutMs ?? 120_000} ms` : undefined);
    if (failure) {
      const output = log();
      await stop();
      throw new Error(`${failure}\n--- ${o.name} output ---\n${output}`);
    }
    if (!o.ready || (await o.ready())) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { dir, pid, log, stop };
}

/**
 * Service names resolve to loopback in the test's Python processes only: a `sitecustomize.py`
 * (on PYTHONPATH) maps each name to 127.0.0.1 inside `socket.getaddrinfo`, standing in for the
 * compose network's DNS. Clients still connect by name, so TLS still checks each certificate for
 * its service name (glibc's HOSTALIASES does not apply where the resolver is files-only).
 */
export function serviceNamesToLoopback(dir: string, names: readonly string[]): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'sitecustomize.py'), [
    '# Test stand-in for the compose network DNS: the service names resolve to loopback.',
    'import os, socket',
    '_names = set(filter(None, os.environ.get("MLSEC_TEST_LOOPBACK_NAMES", "").split(",")))',
    '_real = socket.getaddrinfo',
    'def _getaddrinfo(host, *args, **kwargs):',
    '    if isinstance(host, bytes):',
    '        host = host.decode()',
    '    return _real("127.0.0.1" if host in _names else host, *args, **kwargs)',
    'socket.getaddrinfo = _getaddrinfo',
    '',
  ].join('\n'));
  return { PYTHONPATH: dir, MLSEC_TEST_LOOPBACK_NAMES: names.join(',') };
}
