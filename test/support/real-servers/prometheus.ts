/**
 * Prometheus v3.16.0 (prometheus, promtool) and Alertmanager v0.35.0 (alertmanager, amtool),
 * built from source by tools/install-prometheus.sh, for the tests of the generated metrics
 * configs: the tools' own checks, and real servers on loopback started with the generated
 * command line (tracked like every other server, so they never outlive the run).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { CommandResult, makeServerDir, removeServerDir, runCommand, trackChild } from './process-registry';
import { ClientTls, httpsRequest } from './https-request';
import { toolBinary } from './tool-binary';

/** Keep in sync with tools/install-prometheus.sh and lib/services/metrics. */
export const PROMETHEUS_VERSION = 'v3.16.0';
/** Keep in sync with tools/install-prometheus.sh and lib/services/metrics. */
export const ALERTMANAGER_VERSION = 'v0.35.0';

/** The four binaries. */
export interface PrometheusBinaries {
  readonly prometheus: string;
  readonly promtool: string;
  readonly alertmanager: string;
  readonly amtool: string;
}

/**
 * The binaries built by tools/install-prometheus.sh (run by `npx projen test:deps`), at
 * `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/prometheus/<versions>/bin`. Throws when one is
 * missing: a missing build is a failure, never a skip.
 */
export function prometheusBinaries(): PrometheusBinaries {
  const binary = (tool: keyof PrometheusBinaries) => toolBinary('prometheus', `${PROMETHEUS_VERSION}-am-${ALERTMANAGER_VERSION}`, tool, (file) =>
    `${tool} (Prometheus ${PROMETHEUS_VERSION} / Alertmanager ${ALERTMANAGER_VERSION}) is not built (no ${file}): run \`bash tools/install-prometheus.sh\` (it builds them from the Go module proxy, ~15 min cold)`);
  return { prometheus: binary('prometheus'), promtool: binary('promtool'), alertmanager: binary('alertmanager'), amtool: binary('amtool') };
}

/** Runs `promtool <args>` in `cwd`. */
export function promtool(args: readonly string[], cwd: string): CommandResult {
  return runCommand(prometheusBinaries().promtool, args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: cwd }, timeoutMs: 120_000 });
}

/** Runs `amtool <args>` in `cwd`. */
export function amtool(args: readonly string[], cwd: string): CommandResult {
  return runCommand(prometheusBinaries().amtool, args, { cwd, env: { PATH: '/usr/bin:/bin', HOME: cwd }, timeoutMs: 60_000 });
}


/** A running prometheus or alertmanager. */
export interface RunningMetricsServer {
  /** Its working directory (HOME, the log, its data); removed on stop. */
  readonly dir: string;
  readonly port: number;
  /** Everything it printed so far (its JSON log). */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), then removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `which` with `argv` (the generated command, re-rooted by the caller), then waits until
 * `/-/ready` answers 200 over mTLS with `probe` (the server's own client identity, as its health
 * check does). Throws with its output when it exits or does not come up within 60 s.
 */
export async function startMetricsServer(which: 'prometheus' | 'alertmanager', argv: readonly string[], port: number, servername: string, probe: ClientTls): Promise<RunningMetricsServer> {
  const bin = prometheusBinaries()[which];
  const dir = makeServerDir(which);
  const logFile = path.join(dir, `${which}.log`);
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, [...argv], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: dir }, stdio: ['ignore', out, out] });
  } catch (e) {
    removeServerDir(dir);
    throw e;
  } finally {
    fs.closeSync(out);
  }
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `${which} exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `${which} could not start: ${e.message}`));
  const stop = trackChild(`${which} :${port}`, child, () => removeServerDir(dir));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined || Date.now() > deadline) {
      const output = log();
      await stop();
      throw new Error(`${exited ?? `${which} was not ready within 60 s`}\n--- ${which} output ---\n${output}`);
    }
    try {
      if ((await httpsRequest(port, servername, '/-/ready', probe)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { dir, port, log, stop };
}

/** One request a stand-in received. */
export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  /** The Authorization header, when sent. */
  readonly authorization?: string;
  /** Subject CN and DNS SANs of the client certificate the peer presented (verified against the CA). */
  readonly clientCn: string;
  readonly clientSans: string;
  readonly body: string;
}

/** A running HTTPS stand-in. */
export interface MtlsStandIn {
  readonly port: number;
  readonly requests: StandInRequest[];
  stop(): Promise<void>;
}

/**
 * An HTTPS server that requires and verifies a client certificate from `tls.ca` and answers
 * every request with `respond` (default 200 "ok"): the stand-in for a platform workload's
 * endpoint whose product is not under test (a metrics exporter, the SOAR webhook runner).
 */
export function startMtlsStandIn(tls: { ca: Buffer | string; cert: Buffer | string; key: Buffer | string }, respond: (path: string) => { status: number; type: string; body: string } = () => ({ status: 200, type: 'text/plain', body: 'ok' })): Promise<MtlsStandIn> {
  const requests: StandInRequest[] = [];
  const server = https.createServer({ ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => {
      const peer = (req.socket as import('tls').TLSSocket).getPeerCertificate();
      requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, clientCn: String(peer?.subject?.CN ?? ''), clientSans: String(peer?.subjectaltname ?? ''), body });
      const r = respond(req.url ?? '');
      res.writeHead(r.status, { 'content-type': r.type }).end(r.body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as import('net').AddressInfo).port;
      resolve({ port, requests, stop: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }) });
    });
  });
}
