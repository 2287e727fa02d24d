/**
 * Runs a generated model fetch script (lib/services/model-serving) as the curl image would: with
 * busybox's sh and applets (Debian's `busybox`, the image's shell) and the machine's curl, nothing
 * else on PATH. Asynchronous, so in-process stand-ins (the CONNECT proxy) keep answering. And
 * starts the registry gate the script downloads through, from its generated config.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { BENTHOS_METRICS_PORT } from '../../../lib/services/benthos';
import { REGISTRY_GATE_PUBLISHER_PORT, REGISTRY_GATE_READER_PORT } from '../../../lib/services/registry-gate';
import { lintBenthos, RunningBenthos, startBenthos } from './benthos';
import { freePorts } from './free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles } from './generated-stack';
import { MlflowCaller, mlflowRequest, RunningMlflow, startMlflow } from './mlflow';
import { ServiceProxy } from './traefik';

/** What a finished fetch left behind. */
export interface FetchRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let binDir: string | undefined;

/**
 * A folder of busybox applets plus `curl`, created once per process; throws naming the package
 * when busybox or curl is missing (a failure, never a skip).
 */
export function busyboxCurlPath(): string {
  if (binDir && fs.existsSync(binDir)) return binDir;
  const find = (cmd: string) => spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }).stdout.trim();
  const busybox = find('busybox');
  const curl = find('curl');
  if (!busybox || !curl) throw new Error('busybox and curl are needed to run the fetch script as the curl image does: `apt-get install busybox curl` (Debian packages; tools/install-test-deps.sh)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-busybox-curl-'));
  const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /^[a-z0-9_[\]-]+$/.test(a) && a !== 'curl');
  for (const applet of applets) fs.symlinkSync(busybox, path.join(dir, applet));
  fs.symlinkSync(curl, path.join(dir, 'curl'));
  binDir = dir;
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `script` (text) with busybox sh and `env` only (plus PATH); kills it after `timeoutMs`. */
export function runFetchScript(script: string, env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<FetchRun> {
  const bin = busyboxCurlPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-fetch-run-'));
  const file = path.join(dir, 'fetch.sh');
  fs.writeFileSync(file, script, { mode: 0o500 });
  return new Promise<FetchRun>((resolve, reject) => {
    const child = spawn(path.join(bin, 'sh'), [file], { cwd: dir, env: { PATH: bin, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ status, stdout, stderr });
    });
  });
}

/** A registry gate running its generated config. */
export interface RunningGate {
  readonly benthos: RunningBenthos;
  /** The loopback port of each listener present in the config, Benthos' metrics server included (its container port → this). */
  readonly ports: Readonly<Record<number, number>>;
  /** Every change made to the generated config and environment, for failure messages. */
  readonly overrides: readonly string[];
}

/**
 * Starts the RegistryGate `service` on Benthos with its generated config and what its own agent
 * renders: server and registry-client certificates, and its clients' token digests read from KV
 * (the env file's variables passed as the environment, as `--env-file` would). Re-pointed only what a test
 * host must: /run/vault and /run/secrets paths, the listen addresses, Benthos' own metrics server's
 * included (free loopback ports, so parallel test files never share one, each routed on `proxy` as
 * `<service>:<container port>`), and MLflow reached through `proxy`
 * (HTTPS_PROXY), so the gate still verifies the registry's certificate for its name.
 */
export async function startGeneratedRegistryGate(host: GeneratedHost, vault: GeneratedVault, proxy: ServiceProxy, service = 'registry-gate'): Promise<RunningGate> {
  const out = await renderAgentFiles(host, vault, service);
  const secrets = path.dirname(deliveredPath(host, service, 'x'));
  const reroot = (v: string) => v.replace(/^\/run\/vault\//, `${out}/`).replace(/^\/run\/secrets\//, `${secrets}/`);
  const compose = parse(host.files['docker-compose.yml']);
  const config = parse(host.files[`${service}/benthos.yaml`]);
  const overrides: string[] = [];
  const ports: Record<number, number> = {};
  for (const input of config.input.broker.inputs) {
    const s = input.http_server;
    const container = Number(String(s.address).split(':').pop());
    if (![REGISTRY_GATE_READER_PORT, REGISTRY_GATE_PUBLISHER_PORT].includes(container)) throw new Error(`${service}: unexpected listener ${s.address}`);
    [ports[container]] = await freePorts(1);
    overrides.push(`listener ${s.address} → 127.0.0.1:${ports[container]}`);
    s.address = `127.0.0.1:${ports[container]}`;
  }
  if (config.http?.enabled) {
    if (config.http.address !== `0.0.0.0:${BENTHOS_METRICS_PORT}`) throw new Error(`${service}: unexpected metrics server ${config.http.address}`);
    [ports[BENTHOS_METRICS_PORT]] = await freePorts(1);
    overrides.push(`http.address ${config.http.address} → 127.0.0.1:${ports[BENTHOS_METRICS_PORT]}`);
    config.http.address = `127.0.0.1:${ports[BENTHOS_METRICS_PORT]}`;
  }
  const text = stringify(config).replace(/\/run\/vault\//g, `${out}/`).replace(/\/run\/secrets\//g, `${secrets}/`);
  overrides.push(`/run/vault → ${out}, /run/secrets → ${secrets}`);
  const dir = fs.mkdtempSync(path.join(vault.bao.dir, 'gate-'));
  const configFile = path.join(dir, 'benthos.yaml');
  fs.writeFileSync(configFile, text);
  const svc = compose.services[service];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries((svc.environment ?? {}) as Record<string, string>)) env[k] = reroot(String(v));
  const at = (svc.command as string[]).indexOf('--env-file');
  if (at < 0) throw new Error(`${service}: its command has no --env-file (got ${JSON.stringify(svc.command)})`);
  for (const line of fs.readFileSync(reroot(svc.command[at + 1]), 'utf8').split('\n').filter(Boolean)) {
    const eq = line.indexOf('=');
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  overrides.push(`--env-file ${svc.command[at + 1]} → its variables in the environment`);
  env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
  overrides.push('HTTPS_PROXY added, standing in for the compose network\'s DNS');
  const lint = lintBenthos(configFile, env);
  if (lint.status !== 0) throw new Error(`benthos lint of ${service}'s generated config failed:\n${lint.stdout}${lint.stderr}`);
  const listening = [REGISTRY_GATE_PUBLISHER_PORT, REGISTRY_GATE_READER_PORT].filter((p) => ports[p] !== undefined);
  const benthos = await startBenthos(configFile, env, { port: ports[listening[0]] });
  for (const [container, port] of Object.entries(ports)) proxy.route(`${service}:${container}`, port);
  return { benthos, ports, overrides };
}

/** MLflow started from its generated files, and the test's own trainer client of it. */
export interface RunningRegistry {
  /** The server. */
  readonly mlflow: RunningMlflow;
  /** The `trainer` workload's mTLS client (its agent-rendered certificate). */
  readonly trainer: MlflowCaller;
}

/**
 * MLflow from its generated start script and compose environment, as in the MLflow real test:
 * its agent-rendered files, the registry database on `pgPort`, the model store through `proxy`
 * (which then also routes `mlflow:5000`); only the listen address and those ports change.
 */
export async function startGeneratedRegistry(host: GeneratedHost, vault: GeneratedVault, proxy: ServiceProxy, ports: { readonly pg: number; readonly modelStore: number }): Promise<RunningRegistry> {
  const compose = parse(host.files['docker-compose.yml']);
  const mlflowOut = await renderAgentFiles(host, vault, 'mlflow');
  const [port] = await freePorts(1);
  const script = host.files['mlflow/start.sh'].replace('--host 0.0.0.0 --port 5000', `--host 127.0.0.1 --port ${port}`);
  const secrets = path.dirname(deliveredPath(host, 'mlflow', 'x'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services.mlflow.environment as Record<string, string>)) env[k] = String(v).replace(/^\/run\/vault\//, `${mlflowOut}/`).replace(/^\/run\/secrets\//, `${secrets}/`);
  Object.assign(env, { BACKEND_PGPORT: String(ports.pg), PGHOSTADDR: '127.0.0.1', MLFLOW_S3_ENDPOINT_URL: `https://model-store:${ports.modelStore}`, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: '127.0.0.1' });
  const trainerOut = await renderAgentFiles(host, vault, 'trainer');
  const read = (p: string) => fs.readFileSync(p);
  const trainer: MlflowCaller = { port, servername: 'mlflow', ca: read(deliveredPath(host, 'trainer', 'ca.crt')), cert: read(path.join(trainerOut, 'vault-tls.crt')), key: read(path.join(trainerOut, 'vault-tls.key')) };
  const mlflow = await startMlflow({ script, env, probe: () => mlflowRequest(trainer, 'GET', '/health').then((r) => r.status, () => undefined) });
  proxy.route('mlflow:5000', port);
  return { mlflow, trainer };
}
