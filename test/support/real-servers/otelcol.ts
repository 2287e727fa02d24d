/**
 * The OpenTelemetry Collector built by tools/install-otelcol.sh (the OpenTelemetry Collector
 * Builder at the image's version, with exactly the components of the generated config), for the
 * tests of the generated Z9 collector config: `validate` on a config, and a real collector on
 * loopback (tracked like every other server, so it never outlives the run).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { waitForPort } from './free-port';
import { CommandResult, makeServerDir, removeServerDir, runCommand, trackChild } from './process-registry';
import { toolBinary } from './tool-binary';

/** Keep in sync with tools/install-otelcol.sh and tools/otelcol-builder.yaml. */
export const OTELCOL_VERSION = 'v0.161.0';

/**
 * The `otelcol-mlsec` binary at `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/otelcol/<version>/bin/`.
 * Throws when it is missing: a missing build is a failure, never a skip.
 */
export function otelcolBinary(): string {
  return toolBinary('otelcol', OTELCOL_VERSION, 'otelcol-mlsec', (bin) => `the OpenTelemetry Collector ${OTELCOL_VERSION} is not built (no ${bin}): run tools/install-otelcol.sh (it builds the components of tools/otelcol-builder.yaml with the OpenTelemetry Collector Builder from the Go module proxy, ~10 min cold)`);
}

/** process.env without OTEL_*, SSL_* or proxy variables: the machine's settings must not leak into a test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(OTEL_|SSL_|GODEBUG)|_PROXY$/i.test(k)) env[k] = v;
  }
  return env;
}

/** `otelcol validate --config=file:<config>`: status 0 means every component accepted its settings. */
export function validateOtelcol(configPath: string, env: Readonly<Record<string, string>> = {}): CommandResult {
  return runCommand(otelcolBinary(), ['validate', `--config=file:${configPath}`], { cwd: path.dirname(configPath), env: { ...cleanEnv(), ...env }, timeoutMs: 60_000 });
}

/** A running collector; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningOtelcol {
  readonly dir: string;
  readonly pid: number;
  /** Everything it printed so far (its JSON log). */
  log(): string;
  running(): boolean;
  /** SIGTERM (SIGKILL after 5 s), then removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `otelcol --config=file:<configPath>` (the compose command) with exactly `env` on top of a
 * clean environment; resolves once it accepts connections on `port`, or throws with its output.
 */
export async function startOtelcol(configPath: string, env: Readonly<Record<string, string>>, port: number, startTimeoutMs = 30_000): Promise<RunningOtelcol> {
  const bin = otelcolBinary();
  const dir = makeServerDir('otelcol');
  const logFile = path.join(dir, 'otelcol.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let child: ChildProcess;
  const out = fs.openSync(logFile, 'a');
  try {
    child = spawn(bin, [`--config=file:${configPath}`], { cwd: dir, env: { ...cleanEnv(), HOME: dir, ...env }, stdio: ['ignore', out, out] });
  } catch (e) {
    removeServerDir(dir);
    throw e;
  } finally {
    fs.closeSync(out);
  }
  const spawned = child;
  let exited: string | undefined;
  spawned.once('exit', (code, sig) => (exited = `otelcol exited (${sig ?? code})`));
  spawned.once('error', (e) => (exited = `otelcol could not start: ${e.message}`));
  const stop = trackChild(`otelcol ${configPath}`, spawned, () => removeServerDir(dir));
  try {
    await waitForPort(port, startTimeoutMs, () => exited);
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- otelcol output ---\n${output}`);
  }
  return { dir, log, stop, pid: spawned.pid ?? -1, running: () => exited === undefined };
}
