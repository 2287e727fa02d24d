/**
 * The generated scan service program (`<service>/scan-service.js`) run by this machine's Node
 * with its generated `scan-service.json`, re-pointed only where a test host must: its listen
 * port, clamd's address (`clamav:3310` does not resolve here) and the container paths of its
 * certificate, key and CA bundle (delivered or agent-rendered files). Every change is recorded.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { waitForPort } from './free-port';
import { makeServerDir, removeServerDir, trackChild } from './process-registry';

/** Where the re-pointed service listens and what it talks to. */
export interface ScanServiceHost {
  /** The loopback port of the API. */
  readonly port: number;
  /** clamd's loopback port. */
  readonly clamdPort: number;
  /** The folder of the service's delivered files (`/run/secrets/<name>`). */
  readonly secretsDir: string;
  /**
   * The folder of what its Vault Agent rendered (`/run/vault/<name>`).
   * @default none (a /run/vault path is an error)
   */
  readonly renderedDir?: string;
}

/** A running scan service. */
export interface RunningScanService {
  readonly port: number;
  /** Every change made to the generated config. */
  readonly overrides: string[];
  /** Its stdout and stderr so far. */
  log(): string;
  /** Runs the program's own `--health` check, as the container health check does; its exit status. */
  health(): number;
  stop(): Promise<void>;
}

/** Writes the program and the re-pointed config and starts `node scan-service.js scan-service.json`. */
export async function startScanService(program: string, configText: string, host: ScanServiceHost): Promise<RunningScanService> {
  const overrides: string[] = [];
  const config = JSON.parse(configText);
  const repoint = (what: string, from: unknown, to: unknown) => {
    overrides.push(`scan-service.json ${what}: ${String(from)} → ${String(to)}`);
    return to;
  };
  config.port = repoint('port', config.port, host.port);
  repoint('clamd', `${config.clamd.host}:${config.clamd.port}`, `127.0.0.1:${host.clamdPort}`);
  config.clamd = { host: '127.0.0.1', port: host.clamdPort };
  for (const k of ['certificate', 'privateKey', 'caBundle']) {
    const v = String(config.tls[k]);
    const [, where, name] = /^\/run\/(secrets|vault)\/([^/]+)$/.exec(v) ?? [];
    const dir = where === 'secrets' ? host.secretsDir : where === 'vault' ? host.renderedDir : undefined;
    if (dir === undefined) throw new Error(`scan-service.json tls.${k}: ${v} is neither a delivered file nor (with renderedDir) an agent-rendered one`);
    config.tls[k] = repoint(`tls.${k}`, v, path.join(dir, name));
  }
  const dir = makeServerDir('scan-service');
  const programFile = path.join(dir, 'scan-service.js');
  const configFile = path.join(dir, 'scan-service.json');
  fs.writeFileSync(programFile, program);
  fs.writeFileSync(configFile, JSON.stringify(config));
  const logFile = path.join(dir, 'scan-service.log');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [programFile, configFile], { cwd: dir, stdio: ['ignore', out, out], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  } finally {
    fs.closeSync(out);
  }
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `the scan service exited (${sig ?? code})`));
  const stop = trackChild(`scan-service ${configFile}`, child, () => removeServerDir(dir));
  try {
    await waitForPort(host.port, 30_000, () => exited);
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- scan service output ---\n${output}`);
  }
  const health = () => spawnSync(process.execPath, [programFile, configFile, '--health'], { timeout: 30_000 }).status ?? -1;
  return { port: host.port, overrides, log, health, stop };
}
