/**
 * The Gateway's generated Traefik files on a real Traefik (the version the compose file pins),
 * with the bootstrap-issued certificates. The harness overrides only what a test host must: the
 * entry point addresses (free loopback ports) and the container paths (re-rooted in a temp dir).
 * Backend and forwardAuth URLs keep their service names and reach local HTTPS stand-ins through
 * a CONNECT proxy, so Traefik verifies each backend for exactly the name the config gives it.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Gateway, GATEWAY_HTTP_PORT, GATEWAY_HTTPS_PORT, GATEWAY_METRICS_PORT, HealthCheck, Image, RouteAuth, SecretsBootstrap, Testing, Vps, Workload, Zone } from '../../lib';
import { deliveredPath, GeneratedHost } from '../support/real-servers/generated-stack';
import { stopAll } from '../support/real-servers/process-registry';
import { BackendReply, BackendRequest, RunningTraefik, startGeneratedTraefik, startTlsBackend, TlsBackend, TRAEFIK_VERSION } from '../support/real-servers/traefik';

const INFER = 'infer.lab.example.com';
const INGEST = 'ingest.lab.example.com';
const ADMIN = 'admin.lab.example.com';
/** What the stand-in verifier accepts; it must never reach the access log. */
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.test-only-token.c2lnbmF0dXJl';
/** What the stand-in oauth2-proxy takes for a session. */
const SESSION = '_oauth2_proxy=valid-session-4f1c';

let host: GeneratedHost;
/** The generated dynamic files, parsed (to read what the test relies on, never to change it). */
let dynamic: Record<string, any>;
let traefik: RunningTraefik;
let startupErrors: string[];
let work: string;
let ca: Buffer;
const backends: Record<string, TlsBackend> = {};
const upstreams: Record<string, number> = {};
/** Certificates made with openssl by a CA the gateway does not trust. */
let rogue: { serverCert: string; serverKey: string; clientCert: string; clientKey: string };

/**
 * A small lab with one route per kind of authentication, with limits small enough to reach:
 * mTLS inference (Z6), bearer-token ingestion (Z1, verified by a forwardAuth target) and an
 * admin UI (Z8) behind the OIDC proxy and an allow-list of loopback only.
 */
function lab(outdir: string, secretsDir: string) {
  const app = Testing.app({ outdir, secretsDir });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
  const workload = (id: string, zone: Zone, port?: number) => {
    const w = new Workload(vps, id, { zone, image: Image.fromRegistry('ghcr.io/acme/stand-in', '1.0.0'), ports: port ? [port] : [], healthCheck: HealthCheck.command(['true']) });
    w.addTlsIdentity({ usage: port ? 'server' : 'client' }); // servers: the gateway verifies them; the client: it calls the mTLS route
    return w;
  };
  const model = workload('model-server', Zone.Z6_SERVING, 8443);
  const ingest = workload('ingest-api', Zone.Z1_INGESTION, 8443);
  const verifier = workload('token-verifier', Zone.Z8_SECURITY, 8443);
  const admin = workload('admin-ui', Zone.Z8_SECURITY, 8443);
  const oidcProxy = workload('oidc-proxy', Zone.Z8_SECURITY, 4180);
  workload('model-client', Zone.Z6_SERVING);
  gateway.useIdentityProvider({ oidcProxyFor: () => ({ workload: oidcProxy, port: 4180 }) });
  gateway.expose(model, {
    host: INFER, pathPrefix: '/v2/models/', methods: ['POST'], auth: RouteAuth.mtls(),
    rateLimit: { average: 2, burst: 2 }, ipRateLimit: { average: 20, burst: 20 }, maxBodyBytes: 1024,
  });
  gateway.expose(ingest, {
    host: INGEST, pathPrefix: '/ingest/transactions', auth: RouteAuth.jwt({ verifier, port: 8443 }),
    ipRateLimit: { average: 5, burst: 5 },
  });
  gateway.expose(admin, { host: ADMIN, auth: RouteAuth.oidc({ roles: ['admin'] }), allowFrom: ['127.0.0.1/32'] });
  return app;
}

/** What a request through the gateway came back with: a response, or a failed connection. */
interface Reply {
  readonly status?: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The client-side error when the TLS handshake or the connection failed. */
  readonly error?: string;
}

interface SendOptions {
  host: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** SNI; default the Host. */
  servername?: string;
  cert?: Buffer;
  key?: Buffer;
  /** Source address (any 127.x is local on Linux): how a request comes from outside the allow-list. */
  localAddress?: string;
  /** The container port of the entry point; default websecure. */
  entryPoint?: number;
}

/** One HTTPS request to an entry point (websecure unless given), on a new TLS connection, trusting only the internal CA. */
function send(o: SendOptions): Promise<Reply> {
  return new Promise((resolve) => {
    const req = https.request({
      host: '127.0.0.1', port: traefik.ports[o.entryPoint ?? GATEWAY_HTTPS_PORT], method: o.method ?? 'GET', path: o.path,
      servername: o.servername ?? o.host, ca, cert: o.cert, key: o.key, localAddress: o.localAddress,
      headers: { Host: o.host, ...o.headers }, agent: false, timeout: 10_000,
    }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ headers: {}, body: '', error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }));
    req.end(o.body);
  });
}

const clientCert = () => ({ cert: fs.readFileSync(deliveredPath(host, 'model-client', 'tls.crt')), key: fs.readFileSync(deliveredPath(host, 'model-client', 'tls.key')) });

/** A POST to the inference route, with the internal-CA client certificate of `model-client` unless overridden. */
function infer(o: Partial<SendOptions> = {}): Promise<Reply> {
  return send({ host: INFER, path: '/v2/models/fraud/infer', method: 'POST', body: '{"inputs":[]}', headers: { 'Content-Type': 'application/json' }, ...clientCert(), ...o });
}

/** A POST to the ingestion route. */
function ingest(headers: Record<string, string> = {}): Promise<Reply> {
  return send({ host: INGEST, path: '/ingest/transactions', method: 'POST', body: '{"amount":1}', headers: { 'Content-Type': 'application/json', ...headers } });
}

/** `openssl s_client` to the websecure entry point (stdin closed, so it ends after the handshake). */
function sClient(servername: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${traefik.ports[GATEWAY_HTTPS_PORT]}`, '-servername', servername,
    '-CAfile', deliveredPath(host, 'gateway', 'ca.crt'), '-verify_return_error', '-verify_hostname', servername, ...args], { input: '', encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { ok: r.status === 0, out: `${r.stdout}\n${r.stderr}` };
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${r.stderr}${r.error ?? ''}`);
}

/** A CA the gateway does not trust, with a server certificate named like a real backend and a client certificate. */
function makeRogueCa(): typeof rogue {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'rogue-ca.key', '-out', 'rogue-ca.crt', '-days', '2', '-subj', '/CN=Rogue CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  for (const [name, ext] of [['server', 'subjectAltName=DNS:model-server\nextendedKeyUsage=serverAuth\n'], ['client', 'subjectAltName=DNS:model-client\nextendedKeyUsage=clientAuth\n']]) {
    fs.writeFileSync(path.join(work, `rogue-${name}.ext`), ext);
    openssl(['req', '-new', ...ec, '-keyout', `rogue-${name}.key`, '-out', `rogue-${name}.csr`, '-subj', `/CN=model-${name}`]);
    openssl(['x509', '-req', '-in', `rogue-${name}.csr`, '-CA', 'rogue-ca.crt', '-CAkey', 'rogue-ca.key', '-CAcreateserial', '-days', '1', '-extfile', `rogue-${name}.ext`, '-out', `rogue-${name}.crt`]);
  }
  const p = (f: string) => path.join(work, f);
  return { serverCert: p('rogue-server.crt'), serverKey: p('rogue-server.key'), clientCert: p('rogue-client.crt'), clientKey: p('rogue-client.key') };
}

/** A stand-in for `service:port` with its bootstrap-issued certificate, demanding a client certificate from the internal CA (as the real workloads do). */
async function standIn(service: string, port: number, reply: (req: BackendRequest) => BackendReply): Promise<void> {
  const file = (name: string) => fs.readFileSync(deliveredPath(host, service, name));
  backends[service] = await startTlsBackend({ cert: file('tls.crt'), key: file('tls.key'), clientCa: file('ca.crt'), reply });
  upstreams[`${service}:${port}`] = backends[service].port;
}

/** Rate limits refill at `average` per second: a test that may follow a spent burst waits first. */
const refill = () => new Promise((r) => setTimeout(r, 1_100));

/** The headers every response of a route must carry (CONTROLS.md Z6-K01, Z7-K06). */
const SECURITY_HEADERS: Record<string, RegExp> = {
  'strict-transport-security': /^max-age=31536000; includeSubDomains(; preload)?$/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'referrer-policy': /^no-referrer$/,
  'content-security-policy': /^default-src '(none|self)'.*frame-ancestors 'none'/,
};

/** The security headers `reply` lacks or gets wrong, as `name=value`. */
function missingHeaders(reply: Reply): string[] {
  return Object.entries(SECURITY_HEADERS).filter(([name, re]) => !re.test(String(reply.headers[name] ?? ''))).map(([name]) => `${name}=${reply.headers[name] ?? '(none)'}`);
}

/** Every middleware of the generated dynamic files, by name. */
const middlewares = (): Record<string, any> => Object.assign({}, ...Object.values(dynamic).map((d) => d.http?.middlewares ?? {}));

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-gateway-'));
  const secretsDir = path.join(work, 'secrets');
  const app = lab(path.join(work, 'synth-out'), secretsDir);
  const assembly = Testing.synth(app); // posture enforced: what runs here is what the posture check accepts
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  dynamic = Object.fromEntries(Object.entries(host.files).filter(([p]) => p.startsWith('traefik/dynamic/')).map(([p, text]) => [path.basename(p, '.yml'), parse(text)]));
  ca = fs.readFileSync(deliveredPath(host, 'gateway', 'ca.crt'));
  // With sniStrict, a host the public certificate does not name is refused at the handshake: say so plainly.
  const san = new crypto.X509Certificate(fs.readFileSync(deliveredPath(host, 'gateway', 'publictls.crt'))).subjectAltName ?? '';
  const unnamed = [INFER, INGEST, ADMIN].filter((h) => !san.split(', ').includes(`DNS:${h}`));
  if (unnamed.length > 0) throw new Error(`the gateway's public certificate (${san}) does not name ${unnamed.join(', ')}: with sniStrict every such host is refused`);
  rogue = makeRogueCa();

  await standIn('model-server', 8443, () => ({ status: 200, body: '{"outputs":[]}', headers: { Server: 'mlserver/1.6', 'X-Powered-By': 'uvicorn' } }));
  await standIn('ingest-api', 8443, () => ({ status: 202, body: 'accepted' }));
  // The token verifier: the known bearer token is client "acme-bank" (with scopes, no tenant); anything else is 401.
  await standIn('token-verifier', 8443, (r): BackendReply => (r.headers.authorization === `Bearer ${TOKEN}`
    ? { status: 200, headers: { 'X-Client-Id': 'acme-bank', 'X-Scopes': 'ingest:write' } }
    : { status: 401, body: 'invalid token', headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }));
  await standIn('admin-ui', 8443, () => ({ status: 200, body: '<html>admin</html>', headers: { 'Content-Type': 'text/html' } }));
  // oauth2-proxy's contract: /oauth2/auth is 202 with the user's headers for a session, else 401; /oauth2/sign_in is the sign-in page.
  await standIn('oidc-proxy', 4180, (r): BackendReply => {
    if (r.url.startsWith('/oauth2/auth')) {
      return String(r.headers.cookie ?? '').includes(SESSION)
        ? { status: 202, headers: { 'X-Auth-Request-User': 'alice', 'X-Auth-Request-Email': 'alice@lab.example.com', 'X-Auth-Request-Groups': 'admin' } }
        : { status: 401, body: 'Unauthorized' };
    }
    if (r.url.startsWith('/oauth2/sign_in')) {
      return { status: 200, body: `<html>Sign in with Keycloak; then back to ${new URL(r.url, 'https://x').searchParams.get('rd')}</html>`, headers: { 'Content-Type': 'text/html' } };
    }
    return { status: 404 };
  });
  // Presents a certificate for "model-server", from the rogue CA.
  backends.rogue = await startTlsBackend({ cert: fs.readFileSync(rogue.serverCert), key: fs.readFileSync(rogue.serverKey), reply: () => ({ status: 200, body: 'rogue' }) });

  traefik = await startGeneratedTraefik(host, 'gateway', upstreams);
  // /ping answers before the file provider's routers are in place: wait until a route answers something else than 404.
  for (const deadline = Date.now() + 20_000; ;) {
    const r = await send({ host: ADMIN, path: '/' });
    if (r.status !== undefined && r.status !== 404) break;
    if (Date.now() > deadline) throw new Error(`the routers never loaded (last: ${r.status ?? r.error})\n${traefik.log()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  startupErrors = traefik.errors();
  await refill();
}, 120_000);

afterAll(async () => {
  await stopAll();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe(`the generated gateway on a real Traefik ${TRAEFIK_VERSION}`, () => {
  it('runs the generated files with only entry point addresses and container paths changed, and loads them without an error', () => {
    const addresses = traefik.overrides.filter((o) => o.includes('address:'));
    expect(addresses).toHaveLength(4); // web, websecure, ping, metrics
    expect(traefik.overrides.filter((o) => !addresses.includes(o)).every((o) => /: \/(run\/secrets|etc\/traefik)\/… → .*\/root\/(run\/secrets|etc\/traefik)\/…$/.test(o))).toBe(true);
    expect(startupErrors).toEqual([]);
    console.log(`traefik ${TRAEFIK_VERSION} answered /ping ${traefik.startupMs} ms after spawn`);
  });

  it('answers on port 80 only with a permanent redirect to https on 443 (no port in Location)', async () => {
    for (const method of ['GET', 'POST']) {
      const r = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.request({ host: '127.0.0.1', port: traefik.ports[GATEWAY_HTTP_PORT], method, path: '/ingest/transactions?batch=7', headers: { Host: INGEST }, agent: false }, (res) => {
          res.resume();
          resolve(res);
        }).on('error', reject).end();
      });
      expect([301, 308], method).toContain(r.statusCode);
      expect(r.headers.location, method).toBe(`https://${INGEST}/ingest/transactions?batch=7`);
    }
    expect(backends['ingest-api'].requests).toHaveLength(0);
  });
});

describe('TLS at the edge', () => {
  it('refuses TLS 1.1 with a protocol_version alert, while the same client offering TLS 1.2 connects', () => {
    // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all; the alert shows the server refused it.
    const old = sClient(INGEST, ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0']);
    expect(old.ok).toBe(false);
    expect(old.out).toMatch(/alert protocol version/);
    const control = sClient(INGEST, ['-tls1_2', '-cipher', 'DEFAULT:@SECLEVEL=0']);
    expect(control.ok, control.out).toBe(true);
  });

  it('accepts TLS 1.2 and TLS 1.3, with a certificate chain the internal CA verifies for the host', () => {
    for (const [flag, version] of [['-tls1_2', 'TLSv1.2'], ['-tls1_3', 'TLSv1.3']]) {
      const r = sClient(INGEST, [flag]);
      expect(r.ok, r.out).toBe(true);
      expect(r.out).toMatch(new RegExp(`New, ${version.replace('.', '\\.')}, Cipher is `));
      expect(r.out).toMatch(/Verify return code: 0 \(ok\)/);
    }
  });

  it('offers TLS 1.2 only AEAD suites with forward secrecy (CBC suites are refused)', () => {
    // The issued leaf is ECDSA P-256, so the ECDSA suites are the ones that could be negotiated.
    expect(new crypto.X509Certificate(fs.readFileSync(deliveredPath(host, 'gateway', 'publictls.crt'))).publicKey.asymmetricKeyType).toBe('ec');
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256']) {
      const r = sClient(INGEST, ['-tls1_2', '-cipher', cipher]);
      expect(r.ok, cipher).toBe(false);
      expect(r.out, cipher).toMatch(/alert handshake failure/);
    }
    for (const cipher of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      const r = sClient(INGEST, ['-tls1_2', '-cipher', cipher]);
      expect(r.ok, `${cipher}\n${r.out}`).toBe(true);
      expect(r.out).toContain(`Cipher is ${cipher}`);
    }
  });

  it('refuses an unknown SNI at the handshake (sniStrict: no default certificate)', async () => {
    const r = sClient('unknown.lab.example.com', []);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/unrecognized name/);
    const node = await send({ host: 'unknown.lab.example.com', path: '/' });
    expect(node.status).toBeUndefined();
    expect(node.error).toMatch(/unrecognized name/);
  });
});

describe('routing', () => {
  beforeEach(refill);

  it('answers 404 for an unknown path, a method the route does not allow, and a Host no router names', async () => {
    expect((await send({ host: INGEST, path: '/admin', method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await send({ host: INGEST, path: '/ingest/transactions', method: 'GET', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404); // Z1 routes are POST-only
    expect((await infer({ path: '/v2/repository/index' })).status).toBe(404);
    // A known SNI (so the handshake succeeds) with a Host nobody routes.
    expect((await send({ host: 'other.lab.example.com', servername: INGEST, path: '/' })).status).toBe(404);
    expect(backends['ingest-api'].requests).toHaveLength(0);
    expect(backends['token-verifier'].requests).toHaveLength(0); // no router matched, so no auth call either
  });

  it('refuses domain fronting into the mTLS host: SNI of a plain-TLS host with Host of the mTLS one is 421', async () => {
    const before = backends['model-server'].requests.length;
    const r = await send({ host: INFER, servername: INGEST, path: '/v2/models/fraud/infer', method: 'POST', body: '{}' });
    expect(r.status).toBe(421);
    expect(backends['model-server'].requests.length).toBe(before);
  });
});

describe('security headers', () => {
  beforeEach(refill);

  it('are on every routed response and on the refusals of the auth middlewares; backend Server and X-Powered-By are removed', async () => {
    const replies: Record<string, Reply> = {
      'mTLS 200': await infer(),
      'JWT 202': await ingest({ Authorization: `Bearer ${TOKEN}` }),
      'JWT 401 (verifier refusal)': await ingest({ Authorization: 'Bearer forged' }),
      'OIDC 401 (sign-in page)': await send({ host: ADMIN, path: '/' }),
      'OIDC 200': await send({ host: ADMIN, path: '/', headers: { Cookie: SESSION } }),
      'sign-in route 200': await send({ host: ADMIN, path: '/oauth2/sign_in' }),
    };
    for (const [what, reply] of Object.entries(replies)) {
      expect(reply.status, what).toBeDefined();
      expect(missingHeaders(reply), `${what} (status ${reply.status})`).toEqual([]);
      expect(reply.headers.server, what).toBeUndefined();
      expect(reply.headers['x-powered-by'], what).toBeUndefined();
    }
    expect(replies['mTLS 200'].headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(replies['OIDC 200'].headers['content-security-policy']).toMatch(/^default-src 'self'/);
  });

  it('are also on the refusals of the allow-list, the per-IP limit and the body limit', async () => {
    const refusals: Record<string, Reply> = {
      '403 allow-list': await send({ host: ADMIN, path: '/', localAddress: '127.0.0.2' }),
      '413 body limit': await infer({ body: 'x'.repeat(4096) }),
    };
    const burst = await Promise.all(Array.from({ length: 10 }, () => ingest()));
    refusals['429 per-IP limit'] = burst.find((r) => r.status === 429) ?? burst[0];
    for (const [what, reply] of Object.entries(refusals)) expect(reply.status, what).toBe(Number(what.slice(0, 3)));
    const missing = Object.fromEntries(Object.entries(refusals).map(([what, r]) => [what, missingHeaders(r)]));
    expect(missing).toEqual(Object.fromEntries(Object.keys(refusals).map((what) => [what, []])));
  });
});

describe('abuse limits', () => {
  beforeEach(refill);

  it('answers 429 past the per-client burst, with Retry-After; only the allowed requests reach the backend', async () => {
    const before = backends['model-server'].requests.length;
    const replies = await Promise.all(Array.from({ length: 8 }, () => infer()));
    const statuses = replies.map((r) => r.status);
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429), String(statuses)).toBe(true);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(3); // burst 2, plus at most one refilled token (2/s) while the burst is in flight
    expect(backends['model-server'].requests.length - before).toBe(ok);
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.headers['retry-after']).toBeDefined();
    expect(missingHeaders(limited)).toEqual([]); // the per-client limit runs after the headers middleware
  });

  it('limits per source IP before authentication: unauthenticated floods get 429 and stop reaching the verifier', async () => {
    const before = backends['token-verifier'].requests.length;
    const replies = await Promise.all(Array.from({ length: 15 }, () => ingest({ Authorization: 'Bearer guess' })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429), String(statuses)).toBe(true);
    const refused = statuses.filter((s) => s === 401).length;
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(8); // burst 5 (+ refill) of 15
    expect(backends['token-verifier'].requests.length - before).toBe(refused);
  });

  it('answers 413 to a body over maxBodyBytes without calling the backend, and passes one at the limit', async () => {
    const before = backends['model-server'].requests.length;
    expect((await infer({ body: 'x'.repeat(1025) })).status).toBe(413);
    expect(backends['model-server'].requests.length).toBe(before);
    const atLimit = await infer({ body: 'x'.repeat(1024) });
    expect(atLimit.status).toBe(200);
    expect(backends['model-server'].requests.at(-1)!.body).toHaveLength(1024);
  });
});

describe('RouteAuth.mtls', () => {
  beforeEach(refill);

  it('refuses a client without a certificate at the handshake', async () => {
    const before = backends['model-server'].requests.length;
    const r = await infer({ cert: undefined, key: undefined });
    expect(r.status).toBeUndefined();
    expect(r.error).toMatch(/certificate required|handshake failure/);
    expect(backends['model-server'].requests.length).toBe(before);
  });

  it('refuses a client certificate from another CA at the handshake', async () => {
    const before = backends['model-server'].requests.length;
    const r = await infer({ cert: fs.readFileSync(rogue.clientCert), key: fs.readFileSync(rogue.clientKey) });
    expect(r.status).toBeUndefined();
    expect(r.error).toMatch(/unknown ca|bad certificate/);
    expect(backends['model-server'].requests.length).toBe(before);
  });

  it('accepts an internal-CA client certificate; the backend gets its verified subject, not a client-supplied one', async () => {
    const r = await infer({ headers: { 'Content-Type': 'application/json', 'X-Forwarded-Tls-Client-Cert-Info': 'Subject="CN=admin"' } });
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"outputs":[]}');
    const seen = backends['model-server'].requests.at(-1)!;
    // Traefik escapes the values as a query string (space as '+').
    const info = decodeURIComponent(String(seen.headers['x-forwarded-tls-client-cert-info']).replace(/\+/g, ' '));
    expect(info).toMatch(/^Subject="O=mlsec-cdk lab,CN=model-client";SAN="model-client,spiffe:\/\/lab\/ns\/z6\/sa\/model-client"/);
    expect(info).not.toContain('CN=admin"');
    // Traefik reached the backend over TLS with the gateway's own client certificate.
    expect(seen.peer).toEqual({ cn: 'gateway', san: 'DNS:gateway, URI:spiffe://lab/ns/z1/sa/gateway' });
  });
});

describe('RouteAuth.jwt', () => {
  beforeEach(refill);

  it('returns the verifier\'s 401 to a caller without a valid bearer token, and never calls the backend', async () => {
    const verifierBefore = backends['token-verifier'].requests.length;
    const backendBefore = backends['ingest-api'].requests.length;
    for (const headers of [{}, { Authorization: 'Bearer forged' }] as Record<string, string>[]) {
      const r = await ingest(headers);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    expect(backends['ingest-api'].requests.length).toBe(backendBefore);
    const checks = backends['token-verifier'].requests.slice(verifierBefore);
    expect(checks).toHaveLength(2);
    // forwardAuth over TLS with the gateway's client certificate, telling the verifier what was asked.
    expect(checks[0].peer.cn).toBe('gateway');
    expect(checks[0].headers).toMatchObject({ 'x-forwarded-method': 'POST', 'x-forwarded-host': INGEST, 'x-forwarded-uri': '/ingest/transactions' });
  });

  it('forwards a verified call with the verifier\'s X-Client-Id, overwriting the client\'s and dropping headers the verifier did not set', async () => {
    const r = await ingest({ Authorization: `Bearer ${TOKEN}`, 'X-Client-Id': 'someone-else', 'X-Tenant': 'other-bank' });
    expect(r.status).toBe(202);
    const seen = backends['ingest-api'].requests.at(-1)!;
    expect(seen.headers['x-client-id']).toBe('acme-bank');
    expect(seen.headers['x-scopes']).toBe('ingest:write');
    expect(seen.headers['x-tenant']).toBeUndefined();
    expect(seen.peer.cn).toBe('gateway');
  });

  it('does not let a client smuggle the verified headers under an alias (X_Client_Id reads as X-Client-Id in WSGI/CGI backends)', async () => {
    const before = backends['ingest-api'].requests.length;
    const r = await ingest({ Authorization: `Bearer ${TOKEN}`, X_Client_Id: 'someone-else', 'X.Tenant': 'other-bank' });
    // Either refused outright (aliasHeadersStrategy reject) or forwarded without the aliases (delete).
    if (r.status === 400) {
      expect(backends['ingest-api'].requests.length).toBe(before);
    } else {
      expect(r.status).toBe(202);
      const seen = backends['ingest-api'].requests.at(-1)!;
      expect(Object.keys(seen.headers).filter((h) => /^x[._]/.test(h))).toEqual([]);
    }
  });
});

describe('RouteAuth.oidc', () => {
  beforeEach(refill);

  it('serves the OIDC proxy\'s sign-in page with status 401 to a caller without a session; the UI is never called', async () => {
    const r = await send({ host: ADMIN, path: '/settings?tab=users' });
    expect(r.status).toBe(401);
    // The errors middleware fetched /oauth2/sign_in?rd={url} from the proxy: the page names where to come back to.
    expect(r.body).toBe(`<html>Sign in with Keycloak; then back to https://${ADMIN}/settings?tab=users</html>`);
    expect(backends['admin-ui'].requests.filter((q) => q.url.startsWith('/settings'))).toHaveLength(0);
    const signIn = backends['oidc-proxy'].requests.filter((q) => q.url.startsWith('/oauth2/sign_in')).at(-1)!;
    expect(signIn.url).toBe(`/oauth2/sign_in?rd=${encodeURIComponent(`https://${ADMIN}/settings?tab=users`)}`);
  });

  it('forwards a caller with a session, with the proxy\'s X-Auth-Request-User overwriting the client\'s', async () => {
    const r = await send({ host: ADMIN, path: '/settings', headers: { Cookie: SESSION, 'X-Auth-Request-User': 'mallory' } });
    expect(r.status).toBe(200);
    const seen = backends['admin-ui'].requests.at(-1)!;
    expect(seen.headers['x-auth-request-user']).toBe('alice');
    expect(seen.headers['x-auth-request-groups']).toBe('admin');
    expect(seen.peer.cn).toBe('gateway');
  });

  it('refuses (403) callers outside allowFrom on the UI and on its sign-in route, before any auth call', async () => {
    // The generated allow-lists, then a caller from 127.0.0.2 (local on Linux, outside 127.0.0.1/32).
    const allowLists = Object.values(middlewares()).filter((m) => m.ipAllowList).map((m) => m.ipAllowList.sourceRange);
    expect(allowLists).toEqual([['127.0.0.1/32'], ['127.0.0.1/32']]);
    const proxyBefore = backends['oidc-proxy'].requests.length;
    const uiBefore = backends['admin-ui'].requests.length;
    for (const p of ['/', '/oauth2/sign_in', '/oauth2/callback?code=x&state=y']) {
      const r = await send({ host: ADMIN, path: p, headers: { Cookie: SESSION }, localAddress: '127.0.0.2' });
      expect(r.status, p).toBe(403);
    }
    expect(backends['oidc-proxy'].requests.length).toBe(proxyBefore);
    expect(backends['admin-ui'].requests.length).toBe(uiBefore);
  });
});

describe('backend TLS', () => {
  beforeEach(refill);
  afterAll(() => traefik?.proxy.route('model-server:8443', backends['model-server'].port));

  it('refuses a backend whose certificate is not from the internal CA (5xx), and sends it nothing', async () => {
    traefik.proxy.route('model-server:8443', backends.rogue.port);
    await new Promise((r) => setTimeout(r, 100)); // let Traefik notice its pooled tunnel closed
    const r = await infer();
    expect([500, 502]).toContain(r.status); // Traefik 3.7 answers 500 and logs why
    expect(traefik.log()).toMatch(/x509: certificate signed by unknown authority/);
    expect(backends.rogue.requests).toHaveLength(0);
  });

  it('refuses an internal-CA backend certificate issued to another service (serverName is checked)', async () => {
    traefik.proxy.route('model-server:8443', backends['admin-ui'].port);
    await new Promise((r) => setTimeout(r, 100));
    const before = backends['admin-ui'].requests.length;
    const r = await infer();
    expect([500, 502]).toContain(r.status);
    expect(traefik.log()).toMatch(/x509: certificate is valid for admin-ui, not model-server/);
    expect(backends['admin-ui'].requests.length).toBe(before);
  });
});

describe('metrics entry point', () => {
  /** A GET to the internal metrics entry point as `gateway`, with the client certificate given (or none). */
  const scrape = (o: Partial<SendOptions> = {}) => send({ host: `gateway:${GATEWAY_METRICS_PORT}`, servername: 'gateway', path: '/metrics', entryPoint: GATEWAY_METRICS_PORT, ...o });

  it('serves per-service request counts and durations to an internal-CA client certificate, under the name gateway', async () => {
    // Traffic of its own: the inference route allows a burst of 2, so four calls give 200s and a 429.
    await refill();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await infer()).status);
    expect(codes).toContain(429);
    const r = await scrape(clientCert());
    expect(r.status, r.error ?? r.body.slice(0, 200)).toBe(200);
    // What the edge alert rules read: requests by service and code, and the duration histogram with the objectives' buckets.
    expect(r.body).toMatch(/^traefik_service_requests_total\{code="200",method="POST",protocol="http",service="model-server@file"\} [1-9]/m);
    expect(r.body).toMatch(/^traefik_service_request_duration_seconds_bucket\{.*le="0\.25".*\} \d+/m);
    // A 429 is the rate limiter's answer: counted per router (what ApiBurstWithLimitRejects reads), never per service.
    expect(r.body).toMatch(/^traefik_router_requests_total\{code="429",method="POST",protocol="http",router="model-server@file",service="model-server@file"\} [1-9]/m);
    expect(r.body).not.toMatch(/^traefik_service_requests_total\{code="429",/m);
    expect(r.body).toMatch(/^traefik_entrypoint_requests_total\{code="\d+",entrypoint="websecure"/m);
  });

  it('reports the expiry of each certificate it serves; the edge one alone has dotted names (what CertificateExpiringSoon selects)', async () => {
    const r = await scrape(clientCert());
    expect(r.status).toBe(200);
    const certs = [...r.body.matchAll(/^traefik_tls_certs_not_after\{cn="([^"]*)",sans="([^"]*)",serial="[^"]*"\} (\S+)$/gm)].map((m) => ({ cn: m[1], sans: m[2], notAfter: Number(m[3]) }));
    const edge = new crypto.X509Certificate(fs.readFileSync(deliveredPath(host, 'gateway', 'publictls.crt')));
    const internal = new crypto.X509Certificate(fs.readFileSync(deliveredPath(host, 'gateway', 'internaltls.crt')));
    const seconds = (c: crypto.X509Certificate) => Math.floor(new Date(c.validTo).getTime() / 1000);
    // The rule's selector, sans=~".*[.].*" (PromQL anchors it): the public names only.
    const selected = certs.filter((c) => /^.*[.].*$/.test(c.sans));
    expect(selected).toHaveLength(1);
    expect(selected[0].sans.split(',')).toEqual(expect.arrayContaining([INFER, INGEST, ADMIN]));
    expect(selected[0].notAfter).toBe(seconds(edge));
    expect(certs).toContainEqual({ cn: 'gateway', sans: 'gateway', notAfter: seconds(internal) });
  });

  it('refuses a client without a certificate, or with one from another CA, at the handshake', async () => {
    expect((await scrape()).error).toMatch(/certificate required|handshake failure/);
    expect((await scrape({ cert: fs.readFileSync(rogue.clientCert), key: fs.readFileSync(rogue.clientKey) })).error).toMatch(/unknown ca|bad certificate/);
  });

  it('serves /metrics only (404 elsewhere: no API, no dashboard), and is not on the public entry point', async () => {
    for (const p of ['/', '/api/rawdata', '/dashboard/', '/ping']) expect((await scrape({ ...clientCert(), path: p })).status, p).toBe(404);
    const viaPublic = await send({ host: 'gateway', path: '/metrics', ...clientCert() });
    expect(viaPublic.status).toBe(404);
  });
});

describe('access log', () => {
  it('records requests as JSON without the Authorization header or the session cookie', async () => {
    await refill();
    expect((await ingest({ Authorization: `Bearer ${TOKEN}`, 'User-Agent': 'gateway-test' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    const entries = traefik.accessLog();
    const mine = entries.filter((e) => e['request_User-Agent'] === 'gateway-test');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ RequestHost: INGEST, RequestMethod: 'POST', DownstreamStatus: 202, RouterName: 'ingest-api@file' });
    expect(Object.keys(mine[0]).filter((k) => /authorization|cookie/i.test(k))).toEqual([]);
    const log = traefik.log();
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(SESSION);
    // And Traefik dialled only the backends the config names.
    expect([...new Set(traefik.proxy.connects)].sort()).toEqual(Object.keys(upstreams).sort());
  });
});
