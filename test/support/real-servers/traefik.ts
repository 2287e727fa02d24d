/**
 * A real Traefik on loopback running a synthesized gateway's own files: the static config and the
 * dynamic files exactly where the compose service mounts them, the bootstrap-delivered secrets
 * where compose puts them (`/run/secrets/<target>`), all below one directory that stands in for the
 * container's root. Overridden: the entry point addresses (free loopback ports) and the container
 * paths (re-rooted). Nothing else: backend and forwardAuth URLs keep their service names and
 * ports, and reach the test's stand-ins through a CONNECT proxy (see {@link startServiceProxy}),
 * so Traefik verifies every backend certificate against the name the config gives it.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { parse } from 'yaml';
import { freePorts } from './free-port';
import { GeneratedHost } from './generated-stack';
import { makeServerDir, registerCleanup, removeServerDir, trackChild } from './process-registry';

/** Keep in sync with tools/install-traefik.sh. */
export const TRAEFIK_VERSION = '3.7.15';

/** The `traefik` binary installed by tools/install-traefik.sh (run by `npx projen test:deps`), or undefined. */
export function traefikBinary(): string | undefined {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const bin = path.join(cache, 'traefik', `venv-${TRAEFIK_VERSION}`, 'bin', 'traefik');
  return fs.existsSync(bin) ? bin : undefined;
}

/** Container paths the gateway's files name; re-rooted below the server directory. */
const CONTAINER_PATH = /(?<![\w./-])\/(run\/secrets|etc\/traefik)(?=[/"\s]|$)/gm;

/** One line of Traefik's JSON access log (the fields the tests read). */
export interface AccessLogEntry {
  readonly RequestHost?: string;
  readonly RequestMethod?: string;
  readonly RequestPath?: string;
  readonly DownstreamStatus?: number;
  readonly RouterName?: string;
  readonly [field: string]: unknown;
}

/** A running generated gateway. */
export interface RunningTraefik {
  /** The server directory; `root/` is the container's file system. */
  readonly dir: string;
  /** Loopback port of each entry point, keyed by the container port the generated config names (8443 → …). */
  readonly ports: Readonly<Record<number, number>>;
  /** Every change made to the generated files, as `file: before → after` (for the reader of a failure). */
  readonly overrides: readonly string[];
  /** Milliseconds from spawn until the ping entry point answered. */
  readonly startupMs: number;
  /** The service proxy Traefik reaches backends through. */
  readonly proxy: ServiceProxy;
  /** Everything Traefik printed (its JSON log and the access log, both on stdout). */
  log(): string;
  /** The access-log lines printed so far. */
  accessLog(): AccessLogEntry[];
  /** Traefik's own log lines at `error` level or worse. */
  errors(): string[];
  stop(): Promise<void>;
}

/**
 * Starts `service` (the Gateway's Traefik) of `host` as its compose service would: its command,
 * its bind mounts and its secrets, re-rooted below a fresh directory; entry points on free
 * loopback ports. `upstreams` maps each `service:port` the config names to a loopback port.
 * Resolves once `/ping` answers on the ping entry point; throws with Traefik's output otherwise.
 */
export async function startGeneratedTraefik(host: GeneratedHost, service: string, upstreams: Record<string, number>): Promise<RunningTraefik> {
  const bin = traefikBinary();
  if (!bin) throw new Error('Traefik is not installed: run `npx projen test:deps` (tools/install-traefik.sh)');
  const compose = parse(host.files['docker-compose.yml']);
  const svc = compose?.services?.[service];
  if (!svc) throw new Error(`no compose service '${service}'`);
  const dir = makeServerDir('traefik');
  const root = path.join(dir, 'root');
  const overrides = new Set<string>();
  const reroot = (name: string, text: string) => text.replace(CONTAINER_PATH, (p) => {
    overrides.add(`${name}: ${p}/… → ${root}${p}/…`);
    return `${root}${p}`;
  });

  // The static config's entry points on free loopback ports (the container binds all interfaces).
  const staticMount = (svc.volumes as any[]).find((v) => v.target === argValue(svc.command, '--configFile'));
  if (!staticMount) throw new Error(`'${service}' mounts no file at its --configFile`);
  const staticText: string = host.files[relative(staticMount.source)];
  const addresses = [...staticText.matchAll(/^(\s+address: )":(\d+)"$/gm)];
  const free = await freePorts(addresses.length);
  const ports: Record<number, number> = {};
  addresses.forEach((m, i) => (ports[Number(m[2])] = free[i]));
  const files: Record<string, string> = {};
  for (const mount of svc.volumes as any[]) {
    if (mount.type !== 'bind' || !String(mount.source).startsWith('./')) throw new Error(`unexpected mount ${JSON.stringify(mount)}`);
    let text = host.files[relative(mount.source)];
    if (mount === staticMount) {
      text = text.replace(/^(\s+address: )":(\d+)"$/gm, (line, indent, port) => {
        overrides.add(`${mount.source}: ${line.trim()} → address: "127.0.0.1:${ports[Number(port)]}"`);
        return `${indent}"127.0.0.1:${ports[Number(port)]}"`;
      });
    }
    files[mount.target] = reroot(mount.source, text);
  }
  for (const [target, text] of Object.entries(files)) writeFile(path.join(root, target), text, 0o644);
  // Secrets: compose mounts each at /run/secrets/<target>, from the file the bootstrap delivered.
  for (const s of svc.secrets as { source: string; target: string }[]) {
    const source = compose.secrets?.[s.source]?.file;
    if (typeof source !== 'string' || !path.isAbsolute(source)) throw new Error(`secret '${s.source}' has no absolute file (got ${source}); give the App an absolute secretsDir`);
    writeFile(path.join(root, 'run/secrets', s.target), fs.readFileSync(source), 0o600);
  }
  const argv = (svc.command as string[]).map((a) => reroot('command', a));
  const leftover = [...Object.values(files), ...argv].find((t) => new RegExp(CONTAINER_PATH.source, 'm').test(t.split(root).join('ROOT')));
  if (leftover) throw new Error(`a container path was not re-rooted:\n${leftover}`);

  const proxy = await startServiceProxy(upstreams);
  const logFile = path.join(dir, 'traefik.log');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  const started = Date.now();
  try {
    // HTTPS_PROXY: Go's transports (servers transports and forwardAuth's client alike) CONNECT
    // through the proxy by name, and then verify the backend's certificate for that name.
    child = spawn(bin, argv, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` }, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `traefik exited (${sig ?? code})`));
  const stopTraefik = trackChild(`traefik :${Object.values(ports).join(',')}`, child, () => removeServerDir(dir));
  const stop = async () => {
    await stopTraefik();
    await proxy.stop();
  };
  const pingPort = ports[pingContainerPort(staticText)];
  for (const deadline = Date.now() + 30_000; ;) {
    if (exited || Date.now() > deadline) {
      const output = log();
      await stop();
      throw new Error(`${exited ?? 'traefik did not answer /ping within 30 s'}\n--- traefik output ---\n${output}`);
    }
    if ((await httpGet(pingPort, '/ping').catch(() => 0)) === 200) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const lines = () => log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    dir, ports, overrides: [...overrides], proxy, log, stop,
    startupMs: Date.now() - started,
    accessLog: () => lines().filter((l) => 'RequestMethod' in l) as AccessLogEntry[],
    errors: () => lines().filter((l) => ['error', 'fatal', 'panic'].includes(String(l.level))).map((l) => JSON.stringify(l)),
  };
}

function relative(source: string): string {
  return String(source).replace(/^\.\//, '');
}

function argValue(command: unknown, flag: string): string | undefined {
  const arg = (Array.isArray(command) ? command : []).find((a) => typeof a === 'string' && a.startsWith(`${flag}=`));
  return arg?.slice(flag.length + 1);
}

/** The container port of the entry point `ping.entryPoint` names. */
function pingContainerPort(staticText: string): number {
  const config = parse(staticText);
  const address = config?.entryPoints?.[config?.ping?.entryPoint]?.address;
  const port = /^:(\d+)$/.exec(String(address))?.[1];
  if (!port) throw new Error(`the static config has no ping entry point (ping: ${JSON.stringify(config?.ping)})`);
  return Number(port);
}

function writeFile(file: string, content: string | Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

function httpGet(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 2_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** An HTTP CONNECT proxy that maps compose service addresses (`name:port`) to loopback ports. */
export interface ServiceProxy {
  readonly port: number;
  /** Every CONNECT target asked for, in order (also the refused ones). */
  readonly connects: string[];
  /** Points `target` (`name:port`) at another loopback port and closes its open tunnels, so the next request dials anew. */
  route(target: string, port: number): void;
  stop(): Promise<void>;
}

/**
 * The stand-in for the compose network's DNS: Traefik asks it for `model-server:8443` and gets a
 * tunnel to the loopback port of the test's stand-in. TLS runs end to end through the tunnel, so
 * SNI and certificate verification are Traefik's own. Unknown targets are refused (502).
 */
export async function startServiceProxy(upstreams: Record<string, number>): Promise<ServiceProxy> {
  const map = new Map(Object.entries(upstreams));
  const tunnels = new Map<string, Set<net.Socket>>();
  const connects: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = String(req.url);
    connects.push(target);
    const port = map.get(target);
    if (port === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const open = tunnels.get(target) ?? new Set<net.Socket>();
    tunnels.set(target, open);
    open.add(client);
    const close = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= new Promise<void>((resolve) => {
    unregister();
    for (const open of tunnels.values()) for (const s of open) s.destroy();
    server.close(() => resolve());
  }));
  const unregister = registerCleanup(() => {
    for (const open of tunnels.values()) for (const s of open) s.destroy();
    server.close();
  }, `service proxy :${port}`);
  return {
    port, connects, stop,
    route: (target, to) => {
      map.set(target, to);
      for (const s of tunnels.get(target) ?? []) s.destroy();
    },
  };
}

/** A request a stand-in backend received. */
export interface BackendRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The client certificate's subject CN and subjectAltName (Traefik's client certificate). */
  readonly peer: { readonly cn?: string; readonly san?: string };
}

/** A loopback HTTPS stand-in for a backend (an API, a token verifier, oauth2-proxy). */
export interface TlsBackend {
  readonly port: number;
  /** What it received, oldest first. */
  readonly requests: BackendRequest[];
  stop(): Promise<void>;
}

/** What a stand-in answers. */
export interface BackendReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Starts an HTTPS server on a free loopback port with `cert`/`key`. With `clientCa`, it demands a
 * client certificate from that CA, as the workloads behind the gateway do.
 */
export async function startTlsBackend(opts: { cert: Buffer; key: Buffer; clientCa?: Buffer; reply: (req: BackendRequest) => BackendReply }): Promise<TlsBackend> {
  const requests: BackendRequest[] = [];
  const server = https.createServer({
    cert: opts.cert, key: opts.key,
    ...(opts.clientCa ? { ca: opts.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const peerCert = (req.socket as tls.TLSSocket).getPeerCertificate?.();
      const entry: BackendRequest = {
        method: req.method ?? '', url: req.url ?? '', headers: req.headers, body,
        peer: { cn: peerCert?.subject?.CN as string | undefined, san: peerCert?.subjectaltname },
      };
      requests.push(entry);
      const reply = opts.reply(entry);
      res.writeHead(reply.status, { 'Content-Type': 'text/plain', ...reply.headers }).end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= new Promise<void>((resolve) => {
    unregister();
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const unregister = registerCleanup(() => {
    server.closeAllConnections();
    server.close();
  }, `tls backend :${port}`);
  return { port, requests, stop };
}
