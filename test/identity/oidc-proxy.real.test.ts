/**
 * The generated OIDC proxy (oauth2-proxy v7.15.6, built from source) against the generated realm
 * on a real Keycloak 26.7.3, through real HTTP: a browser-like client that keeps cookies, follows
 * redirects by hand and posts Keycloak's forms (password, then TOTP enrolment and codes computed
 * here from the secret Keycloak shows).
 *
 * What is generated and used unchanged: the realm file (clients, groups, MFA flow, frontendUrl),
 * the proxy's command (every flag) and environment, the client and cookie secrets the bootstrap
 * seeds Vault with (read through the agents' own KV templates), and, in the last part, the
 * gateway's Traefik files. What a test host must override: listen addresses (free loopback ports),
 * container paths (re-rooted), the files Vault Agent would render (KV values from the seeds the
 * generated bootstrap puts into KV; certificates issued by the lab intermediate that Vault's pki_int
 * holds, for the names the agent templates ask for), and name resolution: the proxy reaches
 * `keycloak:8443` (redeem, JWKS) through a CONNECT proxy, the browser reaches
 * `auth.lab.example.com` and `registry.lab.example.com` on loopback ports. Keycloak runs in dev
 * mode (H2) with the realm's client-secret placeholders set from the same seeds, serving HTTPS
 * with a lab-PKI certificate for `keycloak` and `auth.lab.example.com`.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, GATEWAY_HTTPS_PORT, HealthCheck, Image, KeycloakServer, PostgresServer, RouteAuth, SecretsBootstrap, Testing, VaultServer, Vps, Workload, Zone } from '../../lib';
import { deliveredPath, GeneratedHost } from '../support/real-servers/generated-stack';
import { freePorts } from '../support/real-servers/free-port';
import { copyKeycloakHome, keycloakHome, launchKeycloak, RunningKeycloak } from '../support/real-servers/keycloak';
import { OAUTH2_PROXY_VERSION, oauth2ProxyBinary, RunningOauth2Proxy, startGeneratedOauth2Proxy } from '../support/real-servers/oauth2-proxy';
import { makeServerDir, removeServerDir, stopAll } from '../support/real-servers/process-registry';
import { BackendRequest, RunningTraefik, startGeneratedTraefik, startTlsBackend, TlsBackend, traefikBinary } from '../support/real-servers/traefik';

const AUTH = 'auth.lab.example.com';
const REGISTRY = 'registry.lab.example.com';
const ISSUER = `https://${AUTH}/realms/lab`;
const CALLBACK = `https://${REGISTRY}/oauth2/callback`;
const COOKIE = '__Host-sso-registry';
const STRONG = 'Correct-Horse-42-Battery!';

/**
 * The lab of the brief: Vault, the identity database, Keycloak with realm `lab`, the gateway, the
 * IdP's own routes and a Z5 registry UI behind `RouteAuth.oidc({ roles: ['ml-sec'] })`.
 * `gatewayVault`: whether the gateway's backend client certificate comes from Vault (the lab) or
 * from the bootstrap PKI (what the Traefik harness can run: it mounts no Vault-Agent volume).
 */
function lab(work: string, gatewayVault: boolean) {
  const app = Testing.app({ outdir: path.join(work, gatewayVault ? 'synth-out' : 'synth-out-traefik'), secretsDir: path.join(work, 'secrets') });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const database = new PostgresServer(vps, 'identity-db', { zone: Zone.Z8_SECURITY, vault });
  const keycloak = new KeycloakServer(vps, 'keycloak', { hostname: AUTH, realm: { realmName: 'lab' }, database, vault });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10', ...(gatewayVault ? { vault } : {}) });
  keycloak.exposeVia(gateway, { allowFrom: ['127.0.0.0/8'] });
  const ui = new Workload(vps, 'registry-ui', { zone: Zone.Z5_REGISTRY, image: Image.fromRegistry('ghcr.io/acme/registry-ui', '1.0.0'), ports: [8443], healthCheck: HealthCheck.command(['true']) });
  ui.addTlsIdentity({ usage: 'server' });
  gateway.expose(ui, { host: REGISTRY, auth: RouteAuth.oidc({ roles: ['ml-sec'] }), allowFrom: ['127.0.0.0/8'] });
  const assembly = Testing.synth(app); // posture enforced: what runs here is what the posture check accepts
  SecretsBootstrap.run(app, { secretsDir: path.join(work, 'secrets'), chown: false });
  const host: GeneratedHost = {
    files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])),
    secretsDir: path.join(work, 'secrets'), vps: 'lab',
  };
  return { host, keycloak };
}

let work: string;
let host: GeneratedHost;
let compose: any;
let realmText: string;
let kc: RunningKeycloak;
let sso: RunningOauth2Proxy;
/** The proxy of the IdP's own host (its admin console, role admin). */
let ssoAuth: RunningOauth2Proxy;
/** The lab CA bundle (root + intermediate): what every container trusts (`/run/secrets/ca.crt`). */
let labCa: Buffer;
const realmSecrets: Record<string, string> = {};

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (run npx projen test:deps):\n${r.stderr}${r.error ?? ''}`);
}

/**
 * What Vault Agent renders from a generated KV template (`{{ .Data.data.<field> }}` of one KV
 * path): the value the generated bootstrap.sh seeds that path and field with (`kv put … field=@seed`).
 */
function renderKvTemplate(templatePath: string): string {
  const template = host.files[templatePath];
  const m = /^\{\{- with secret "kv\/data\/([^"]+)" -\}\}\{\{ \.Data\.data\.(\w+) \}\}\{\{- end -\}\}\n?$/.exec(template ?? '');
  if (!m) throw new Error(`${templatePath} is not a single-field KV template:\n${template}`);
  const [, kvPath, field] = m;
  const seed = new RegExp(`kv put -mount=kv ${kvPath} ${field}=@"\\$S/([\\w.-]+)"`).exec(host.files['vault/bootstrap.sh'])?.[1];
  if (!seed) throw new Error(`vault/bootstrap.sh does not seed kv ${kvPath} ${field}`);
  return fs.readFileSync(deliveredPath(host, 'vault', seed), 'utf8');
}

/**
 * What Vault Agent renders from a generated `pkiCert` template: a P-256 leaf for its common_name
 * and uri_sans, issued by the lab intermediate Vault's pki_int is seeded with, followed by that
 * intermediate (`{{ .Cert }}{{ .CA }}`), and its key.
 */
function issueLikeVault(templatePath: string, extraDnsNames: string[] = []): { cert: string; key: string } {
  const template = host.files[templatePath] ?? '';
  const cn = /"common_name=([^"]+)"/.exec(template)?.[1];
  const uri = /"uri_sans=([^"]+)"/.exec(template)?.[1];
  if (!cn || !uri || !/pkiCert "pki_int\/issue\//.test(template)) throw new Error(`${templatePath} is not a pki_int pkiCert template:\n${template}`);
  const dir = fs.mkdtempSync(path.join(work, `pki-${cn}-`));
  const intermediate = deliveredPath(host, 'vault', 'seed-pki-intermediate.pem');
  fs.writeFileSync(path.join(dir, 'leaf.ext'), [
    `subjectAltName=${[cn, ...extraDnsNames].map((d) => `DNS:${d}`).join(',')},URI:${uri}`,
    'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth', '',
  ].join('\n'));
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${cn}`], dir);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', intermediate, '-CAkey', intermediate, '-CAcreateserial', '-CAserial', 'ca.srl', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.crt'], dir);
  openssl(['x509', '-in', intermediate, '-out', 'intermediate.crt'], dir);
  return { cert: fs.readFileSync(path.join(dir, 'leaf.crt'), 'utf8') + fs.readFileSync(path.join(dir, 'intermediate.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'leaf.key'), 'utf8') };
}

/** RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s: the realm's OTP policy) of Keycloak's raw secret. */
function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', Buffer.from(secret, 'utf8')).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
/** Steps already used per secret: the realm does not accept a code twice (otpPolicyCodeReusable false). */
const usedSteps = new Map<string, Set<number>>();
function freshTotp(secret: string): string {
  const used = usedSteps.get(secret) ?? new Set<number>();
  usedSteps.set(secret, used);
  const now = Math.floor(Date.now() / 30_000);
  // The realm's look-ahead window is 1: the current or the next step, whichever is unused.
  const step = [now, now + 1].find((s) => !used.has(s));
  if (step === undefined) throw new Error('both acceptable TOTP steps are used: wait for the next period');
  used.add(step);
  return totp(secret, step);
}

/** One parsed Set-Cookie. */
interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attributes, lower-case names; flags as `true`. */
  readonly attrs: Readonly<Record<string, string | true>>;
}

function parseSetCookie(line: string): SetCookie {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attrs: Record<string, string | true> = {};
  for (const a of rest) {
    const i = a.indexOf('=');
    if (a.trim() === '') continue;
    if (i < 0) attrs[a.trim().toLowerCase()] = true;
    else attrs[a.slice(0, i).trim().toLowerCase()] = a.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs };
}

interface Reply {
  readonly url: URL;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly setCookies: SetCookie[];
}

/** Where a URL is reached: a loopback port and the SNI to present. */
type Route = (u: URL) => { port: number; servername: string };

/**
 * A browser: one cookie jar per host (cookies are sent back only to the host that set them, only
 * over HTTPS here, expired ones dropped), trusting only the lab CA, redirects followed by hand.
 */
class Browser {
  public readonly jar = new Map<string, Map<string, string>>();
  constructor(private readonly route: Route) {}

  public cookie(hostname: string, name: string): string | undefined {
    return this.jar.get(hostname)?.get(name);
  }

  public async send(url: string | URL, o: { method?: string; form?: Record<string, string>; headers?: Record<string, string>; noCookies?: boolean } = {}): Promise<Reply> {
    const u = new URL(String(url));
    if (u.protocol !== 'https:') throw new Error(`the browser speaks HTTPS only (${u})`);
    const target = this.route(u);
    const cookies = o.noCookies ? [] : [...(this.jar.get(u.hostname) ?? new Map())].map(([k, v]) => `${k}=${v}`);
    const payload = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const headers: Record<string, string> = {
      Host: u.host, 'User-Agent': 'mlsec-oidc-test',
      ...(cookies.length ? { Cookie: cookies.join('; ') } : {}),
      ...(payload !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: `https://${u.host}` } : {}),
      ...(o.headers ?? {}),
    };
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: target.port, servername: target.servername, ca: labCa, method: o.method ?? (payload === undefined ? 'GET' : 'POST'),
        path: u.pathname + u.search, headers, agent: false, timeout: 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const set = res.headers['set-cookie'] ?? [];
          resolve({ url: u, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), setCookies: set.map(parseSetCookie) });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`request to ${u} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
    const jar = this.jar.get(u.hostname) ?? new Map<string, string>();
    this.jar.set(u.hostname, jar);
    for (const c of reply.setCookies) {
      const expired = c.attrs['max-age'] !== undefined ? Number(c.attrs['max-age']) <= 0 : typeof c.attrs.expires === 'string' && Date.parse(c.attrs.expires) <= Date.now();
      if (expired || c.value === '') jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return reply;
  }

  /** Follows redirects (GET) from `reply` until a non-redirect or a URL `stop` matches; returns every hop. */
  public async follow(reply: Reply, stop: (u: URL) => boolean = () => false, maxHops = 10): Promise<Reply[]> {
    const hops = [reply];
    for (let r = reply; r.status >= 300 && r.status < 400 && r.headers.location; ) {
      const next = new URL(r.headers.location, r.url);
      if (stop(next) || hops.length > maxHops) break;
      r = await this.send(next);
      hops.push(r);
    }
    return hops;
  }
}

const location = (r: Reply) => new URL(String(r.headers.location), r.url);
const pageText = (r: Reply) => r.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 600);
/** A form's action (entities decoded) and its hidden inputs. */
function form(r: Reply, id?: string): { action: string; hidden: Record<string, string> } {
  const forms = [...r.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const f = id ? forms.find((m) => m[1].includes(`id="${id}"`)) : forms[0];
  if (!f) throw new Error(`no form${id ? ` #${id}` : ''} on ${r.url} (${r.status}): ${pageText(r)}`);
  const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&#61;/g, '=').replace(/&quot;/g, '"');
  const action = decode(/action="([^"]+)"/.exec(f[1])?.[1] ?? '');
  const hidden: Record<string, string> = {};
  for (const input of f[2].matchAll(/<input\b[^>]*>/g)) {
    const attr = (n: string) => new RegExp(`\\b${n}="([^"]*)"`).exec(input[0])?.[1];
    if (attr('type') === 'hidden' && attr('name')) hidden[attr('name')!] = decode(attr('value') ?? '');
  }
  return { action: new URL(action, r.url).toString(), hidden };
}

/** Keycloak users: created in `group` with a verified e-mail and a permanent password. */
async function createUser(username: string, group: string): Promise<string> {
  const created = await kc.admin('POST', '/admin/realms/lab/users', {
    username, enabled: true, email: `${username}@lab.example.com`, emailVerified: true, firstName: 'Test', lastName: username, groups: [`/${group}`],
  });
  expect(created.status, created.body).toBe(201);
  const id = String(created.headers.location).split('/').pop()!;
  const pw = await kc.admin('PUT', `/admin/realms/lab/users/${id}/reset-password`, { type: 'password', value: STRONG, temporary: false });
  expect(pw.status, pw.body).toBe(204);
  return id;
}

/** The TOTP secret each user enrolled (the test is the user's authenticator app). */
const authenticator = new Map<string, string>();

/**
 * Logs `username` in from the page Keycloak shows after a redirect from the proxy: password, then
 * TOTP enrolment (CONFIGURE_TOTP, first login of an MFA group member) or the OTP form. Returns the
 * redirect Keycloak answers with at the end (to the proxy's callback) and what happened on the way.
 */
async function keycloakLogin(b: Browser, loginPage: Reply, username: string): Promise<{ callback: Reply; steps: string[] }> {
  expect(loginPage.status, pageText(loginPage)).toBe(200);
  const steps: string[] = ['password'];
  let r = await b.send(form(loginPage, 'kc-form-login').action, { form: { username, password: STRONG, credentialId: '' } });
  for (let i = 0; i < 5; i++) {
    if (r.status >= 300 && r.status < 400) {
      const next = location(r);
      if (next.host !== AUTH) return { callback: r, steps };
      r = await b.send(next);
      continue;
    }
    expect(r.status, `${r.url}: ${pageText(r)}`).toBe(200);
    if (r.body.includes('id="kc-totp-settings-form"')) {
      const f = form(r, 'kc-totp-settings-form');
      const secret = f.hidden.totpSecret;
      expect(secret, 'the enrolment page carries the raw TOTP secret').toMatch(/^\S{16,}$/);
      authenticator.set(username, secret);
      steps.push('totp-enrolment');
      r = await b.send(f.action, { form: { ...f.hidden, totp: freshTotp(secret), userLabel: 'test authenticator' } });
    } else if (r.body.includes('id="kc-otp-login-form"')) {
      const f = form(r, 'kc-otp-login-form');
      const secret = authenticator.get(username);
      if (!secret) throw new Error(`${username} has no enrolled authenticator`);
      steps.push('otp');
      r = await b.send(f.action, { form: { ...f.hidden, otp: freshTotp(secret) } });
    } else {
      throw new Error(`unexpected Keycloak page ${r.url}: ${pageText(r)}`);
    }
  }
  throw new Error(`the login of ${username} did not leave Keycloak: ${r.status} ${r.url}`);
}

/**
 * Without the gateway: the browser talks to each proxy's HTTPS port as Traefik's routers would (SNI
 * = the service name; `/oauth2/` of the IdP's host goes to its own proxy), and to Keycloak directly.
 */
const direct: Route = (u) => {
  if (u.hostname === AUTH) return u.pathname.startsWith('/oauth2/') ? { port: ssoAuth.httpsPort, servername: 'sso-auth' } : { port: kc.httpsPort, servername: AUTH };
  if (u.hostname === REGISTRY) return { port: sso.httpsPort, servername: 'sso-registry' };
  throw new Error(`no route to ${u.hostname}`);
};

beforeAll(async () => {
  oauth2ProxyBinary(); // throws when not built
  if (!keycloakHome()) throw new Error('Keycloak is not installed: run `npx projen test:deps`');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-oidc-proxy-'));
  ({ host } = lab(work, true));
  compose = parse(host.files['docker-compose.yml']);
  realmText = host.files['keycloak/realm-lab.json'];
  labCa = fs.readFileSync(deliveredPath(host, 'sso-registry', 'ca.crt'));

  // Keycloak's client-secret placeholders, set as its entrypoint does from the files its agent renders.
  for (const [name, value] of Object.entries(compose.services.keycloak.environment as Record<string, string>)) {
    const variable = /^(MLSEC_KC_CLIENT_SECRET_\w+)_FILE$/.exec(name)?.[1];
    if (!variable) continue;
    realmSecrets[variable] = renderKvTemplate(`vault/agent/keycloak/${path.basename(value)}.ctmpl`);
  }

  // Keycloak in dev mode, HTTPS only on loopback, with the certificate its agent would render
  // (for "keycloak") plus the public name, so the browser can reach it directly too.
  const kcTls = issueLikeVault('vault/agent/keycloak/vault-tls.crt.ctmpl', [AUTH]);
  const kcDir = makeServerDir('keycloak-oidc');
  let kcHome: string;
  try {
    kcHome = copyKeycloakHome(kcDir, { 'realm-lab.json': realmText });
    fs.writeFileSync(path.join(kcDir, 'tls.crt'), kcTls.cert);
    fs.writeFileSync(path.join(kcDir, 'tls.key'), kcTls.key, { mode: 0o600 });
  } catch (e) {
    removeServerDir(kcDir);
    throw e;
  }
  const [httpsPort, httpPort, managementPort] = await freePorts(3);
  const admin = { username: String(compose.services.keycloak.environment.KC_BOOTSTRAP_ADMIN_USERNAME), password: renderKvTemplate('vault/agent/keycloak/bootstrap-admin-password.ctmpl') };
  kc = await launchKeycloak({
    dir: kcDir, file: path.join(kcHome, 'bin', 'kc.sh'),
    args: [
      'start-dev', '--import-realm', '--http-host=127.0.0.1', `--http-port=${httpPort}`, `--https-port=${httpsPort}`,
      `--https-certificate-file=${path.join(kcDir, 'tls.crt')}`, `--https-certificate-key-file=${path.join(kcDir, 'tls.key')}`,
      `--http-management-port=${managementPort}`, '--hostname-strict=false', '--health-enabled=true',
    ],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: kcDir, ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
      KC_BOOTSTRAP_ADMIN_USERNAME: admin.username, KC_BOOTSTRAP_ADMIN_PASSWORD: admin.password, ...realmSecrets,
    },
    httpsPort, httpPort, managementPort, managementScheme: 'https', ca: labCa, servername: 'keycloak', admin,
  });

  /** The generated proxy `service` with the files its agent would render, reaching keycloak:8443 through the CONNECT proxy. */
  const startProxy = (service: string) => {
    const tlsFiles = issueLikeVault(`vault/agent/${service}/vault-tls.crt.ctmpl`);
    return startGeneratedOauth2Proxy(host, service, {
      files: {
        '/run/vault/client-secret': renderKvTemplate(`vault/agent/${service}/client-secret.ctmpl`), '/run/vault/cookie-secret': renderKvTemplate(`vault/agent/${service}/cookie-secret.ctmpl`),
        '/run/vault/vault-tls.crt': tlsFiles.cert, '/run/vault/vault-tls.key': tlsFiles.key, '/run/secrets/ca.crt': labCa,
      },
      upstreams: { 'keycloak:8443': kc.httpsPort },
    });
  };
  sso = await startProxy('sso-registry');
  ssoAuth = await startProxy('sso-auth');
  console.log(`keycloak ready in ${kc.startupMs} ms; oauth2-proxy ${OAUTH2_PROXY_VERSION} answered /ping ${sso.startupMs} ms after spawn`);
}, 300_000);

afterAll(async () => {
  await stopAll();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe(`the generated OIDC proxy on oauth2-proxy ${OAUTH2_PROXY_VERSION} with the generated realm on Keycloak`, () => {
  it('runs the generated command and environment with only listen addresses and container paths changed', () => {
    const generated = compose.services['sso-registry'];
    expect(sso.argv.filter((a) => !generated.command.includes(a))).toEqual([`--https-address=127.0.0.1:${sso.httpsPort}`, `--http-address=127.0.0.1:${sso.httpPort}`]);
    expect(generated.command.filter((a: string) => !sso.argv.includes(a))).toEqual(['--https-address=:4443']);
    for (const [name, value] of Object.entries(generated.environment as Record<string, string>)) {
      expect(sso.env[name], name).toBe(path.join(sso.dir, 'root', value));
    }
    expect(Object.keys(sso.env).sort()).toEqual([...Object.keys(generated.environment), 'HOME', 'HTTPS_PROXY', 'PATH'].sort());
    // The realm file holds placeholders only; the values came in through the environment.
    expect(Object.keys(realmSecrets).sort()).toEqual(['MLSEC_KC_CLIENT_SECRET_SSO_AUTH', 'MLSEC_KC_CLIENT_SECRET_SSO_REGISTRY']);
    for (const value of Object.values(realmSecrets)) expect(realmText).not.toContain(value);
    // Keycloak's copy of the proxy's secret and the proxy's own are one KV value.
    const file = (v: string) => fs.readFileSync(sso.env[v], 'utf8');
    expect(realmSecrets.MLSEC_KC_CLIENT_SECRET_SSO_REGISTRY).toBe(file('OAUTH2_PROXY_CLIENT_SECRET_FILE'));
    expect(file('OAUTH2_PROXY_COOKIE_SECRET_FILE')).toMatch(/^[A-Za-z0-9_-]{43}$/); // base64url of 32 bytes: oauth2-proxy's AES-256 key
    expect(sso.log()).not.toMatch(/error|invalid|fatal/i);
  });

  it('passes its generated health check (the probe compose runs in the container)', async () => {
    const r = await sso.healthCheck();
    expect(r.healthy, `${r.command.join(' ')} → ${r.url}: ${r.detail}\n${sso.log().slice(-1500)}`).toBe(true);
  });

  it('answers /oauth2/auth without a session with 401 (what the gateway\'s forwardAuth sees: fail closed)', async () => {
    const b = new Browser(direct);
    const r = await b.send(`https://${REGISTRY}/oauth2/auth`, { headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/models', 'X-Forwarded-Host': REGISTRY, 'X-Forwarded-Proto': 'https' } });
    expect(r.status).toBe(401);
    expect(r.headers['x-auth-request-user']).toBeUndefined();
    // Headers a client makes up do not count as a session either.
    const forged = await b.send(`https://${REGISTRY}/oauth2/auth`, { headers: { 'X-Auth-Request-User': 'admin', 'X-Forwarded-User': 'admin', Authorization: 'Bearer not-a-token' } });
    expect(forged.status).toBe(401);
  });

  it('starts the login with a redirect to the PUBLIC login URL: PKCE S256, the exact redirect URI, client sso-registry', async () => {
    const b = new Browser(direct);
    const r = await b.send(`https://${REGISTRY}/oauth2/start?rd=/`);
    expect(r.status).toBe(302);
    const login = location(r);
    expect(`${login.origin}${login.pathname}`).toBe(`${ISSUER}/protocol/openid-connect/auth`);
    const q = login.searchParams;
    expect(q.get('client_id')).toBe('sso-registry');
    expect(q.get('redirect_uri')).toBe(CALLBACK);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('scope')).toBe('openid email profile');
    expect(q.get('state')).toBeTruthy();
    // The CSRF cookie that binds the callback to this browser: host-only, Secure, HttpOnly.
    const csrf = r.setCookies.find((c) => c.name.startsWith(COOKIE) && c.name.endsWith('_csrf'));
    expect(csrf, JSON.stringify(r.setCookies)).toBeDefined();
    expect(csrf!.attrs).toMatchObject({ path: '/', secure: true, httponly: true });
    expect(csrf!.attrs.domain).toBeUndefined();
    // Redirect targets off the host are dropped: the state carries "/" instead of the foreign URL.
    for (const rd of ['https://evil.example.com/', '//evil.example.com/', `https://${REGISTRY}.evil.example.com/`]) {
      const s = await new Browser(direct).send(`https://${REGISTRY}/oauth2/start?rd=${encodeURIComponent(rd)}`);
      expect(s.status, rd).toBe(302);
      const state = location(s).searchParams.get('state')!;
      expect(decodeURIComponent(state.slice(state.indexOf(':') + 1)), rd).toBe('/');
    }
  });

  let mira: Browser;
  let miraCookie: SetCookie;

  it('logs in a member of group ml-sec (password, then TOTP enrolment): the callback sets a __Host- cookie, Secure, HttpOnly, SameSite=Lax', async () => {
    await createUser('mira', 'ml-sec');
    mira = new Browser(direct);
    const start = await mira.send(`https://${REGISTRY}/oauth2/start?rd=${encodeURIComponent('/models?page=2')}`);
    const loginPage = await mira.send(location(start));
    const { callback, steps } = await keycloakLogin(mira, loginPage, 'mira');
    expect(steps).toEqual(['password', 'totp-enrolment']); // ml-sec carries mfa-required: no session without a second factor
    const cb = location(callback);
    expect(`${cb.origin}${cb.pathname}`).toBe(CALLBACK);
    expect(cb.searchParams.get('iss')).toBe(ISSUER);
    const done = await mira.send(cb);
    expect(done.status, `${pageText(done)}\n${sso.log().slice(-3000)}`).toBe(302);
    expect(done.headers.location).toBe('/models?page=2');
    const session = done.setCookies.filter((c) => c.name === COOKIE || c.name.startsWith(`${COOKIE}_`) && !c.name.endsWith('_csrf'));
    expect(session.length, JSON.stringify(done.setCookies.map((c) => c.name))).toBeGreaterThanOrEqual(1);
    for (const c of session) {
      expect(c.attrs, c.name).toMatchObject({ path: '/', secure: true, httponly: true, samesite: 'Lax' });
      expect(c.attrs.domain, c.name).toBeUndefined(); // required by the __Host- prefix
      expect(c.attrs['max-age'], c.name).toBe(String(8 * 3600)); // --cookie-expire=8h
    }
    miraCookie = session[0];
    // The session is encrypted with the cookie secret: neither the user nor the tokens are readable in it.
    const raw = session.map((c) => c.value).join('');
    expect(raw).not.toContain('mira');
    expect(Buffer.from(raw.split('|')[0], 'base64').toString('latin1')).not.toMatch(/mira|eyJ/);
    // The CSRF cookie is cleared once used.
    expect(done.setCookies.filter((c) => c.name.endsWith('_csrf')).map((c) => [c.value, c.attrs['max-age']])).toEqual([['', '0']]);
    // Code redemption and keys went to keycloak:8443 on the internal network, through nothing else.
    expect([...new Set(sso.proxy.connects)]).toEqual(['keycloak:8443']);
  });

  it('then answers /oauth2/auth with 202 and the user\'s X-Auth-Request-User, -Email and -Groups', async () => {
    const r = await mira.send(`https://${REGISTRY}/oauth2/auth`, { headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/models', 'X-Forwarded-Host': REGISTRY, 'X-Forwarded-Proto': 'https' } });
    expect(r.status, sso.log().slice(-2000)).toBe(202);
    const users = (await kc.admin('GET', '/admin/realms/lab/users?username=mira&exact=true')).json();
    console.log(`/oauth2/auth 202: user=${r.headers['x-auth-request-user']} email=${r.headers['x-auth-request-email']} groups=${r.headers['x-auth-request-groups']} preferred=${r.headers['x-auth-request-preferred-username']}`);
    expect(r.headers['x-auth-request-user']).toBe(users[0].id); // the subject (Keycloak's user id), not the user name
    expect(r.headers['x-auth-request-email']).toBe('mira@lab.example.com');
    expect(String(r.headers['x-auth-request-groups']).split(',')).toContain('role:ml-sec');
    expect(r.headers['x-auth-request-preferred-username']).toBe('mira');
    // The realm's other privileged roles are not mapped into this client's tokens (fullScopeAllowed false).
    expect(String(r.headers['x-auth-request-groups'])).not.toMatch(/role:(admin|mfa-required)\b/);
  });

  it('refuses a user without the role (group reader, password only): 403 at the callback, no session, /oauth2/auth stays 401', async () => {
    await createUser('rita', 'reader');
    const b = new Browser(direct);
    const start = await b.send(`https://${REGISTRY}/oauth2/start?rd=/`);
    const { callback, steps } = await keycloakLogin(b, await b.send(location(start)), 'rita');
    expect(steps).toEqual(['password']); // reader does not require MFA: Keycloak authenticated her
    const r = await b.send(location(callback));
    expect(r.status, pageText(r)).toBe(403);
    expect(r.setCookies.filter((c) => c.name === COOKIE && c.value !== '')).toEqual([]);
    expect(b.cookie(REGISTRY, COOKIE)).toBeUndefined();
    expect((await b.send(`https://${REGISTRY}/oauth2/auth`)).status).toBe(401);
    // Keycloak authenticated her; the proxy's role check (--allowed-role=ml-sec) refused her.
    expect(sso.log()).toMatch(/ - rita@lab\.example\.com \[[^\]]+\] \[AuthFailure\] Invalid authentication via OAuth2: unauthorized/);
  });

  it('answers 401 to a missing, tampered or foreign session cookie', async () => {
    const auth = (cookie?: string) => new Browser(direct).send(`https://${REGISTRY}/oauth2/auth`, { headers: cookie === undefined ? {} : { Cookie: cookie } });
    const value = miraCookie.value;
    const [payload, ...rest] = value.split('|');
    const flipped = payload.slice(0, 10) + (payload[10] === 'A' ? 'B' : 'A') + payload.slice(11);
    expect((await auth(`${COOKIE}=${value}`)).status).toBe(202); // control: the real cookie
    expect((await auth()).status).toBe(401);
    expect((await auth(`${COOKIE}=${[flipped, ...rest].join('|')}`)).status).toBe(401); // payload changed, signature kept
    expect((await auth(`${COOKIE}=${[payload, rest[0], 'x'.repeat(43)].join('|')}`)).status).toBe(401); // signature replaced
    expect((await auth(`${COOKIE}=${value.slice(0, -4)}`)).status).toBe(401); // truncated
    expect((await auth(`_oauth2_proxy=${value}`)).status).toBe(401); // the right value under another name
  });

  it('keeps hosts apart: the IdP host\'s proxy (role admin) takes the registry session for nothing (401) and refuses mira herself (403)', async () => {
    // Each host has its own client and cookie secret.
    const secret = (p: RunningOauth2Proxy, v: string) => fs.readFileSync(p.env[v], 'utf8');
    expect(secret(ssoAuth, 'OAUTH2_PROXY_COOKIE_SECRET_FILE')).not.toBe(secret(sso, 'OAUTH2_PROXY_COOKIE_SECRET_FILE'));
    expect(secret(ssoAuth, 'OAUTH2_PROXY_CLIENT_SECRET_FILE')).not.toBe(secret(sso, 'OAUTH2_PROXY_CLIENT_SECRET_FILE'));
    const replay = await new Browser(direct).send(`https://${AUTH}/oauth2/auth`, { headers: { Cookie: `__Host-sso-auth=${miraCookie.value}` } });
    expect(replay.status).toBe(401);
    // mira's Keycloak session (its SSO cookie) signs her in without a form; she lacks role admin.
    const start = await mira.send(`https://${AUTH}/oauth2/start?rd=/admin/`);
    expect(location(start).searchParams.get('client_id')).toBe('sso-auth');
    const hops = await mira.follow(start, (u) => u.pathname === '/oauth2/callback');
    expect(hops.map((h) => `${h.status} ${h.url.pathname}`)).toEqual(['302 /oauth2/start', '302 /realms/lab/protocol/openid-connect/auth']);
    const refused = await mira.send(location(hops.at(-1)!));
    expect(refused.status, pageText(refused)).toBe(403);
    expect(mira.cookie(AUTH, '__Host-sso-auth')).toBeUndefined();
    expect((await mira.send(`https://${AUTH}/oauth2/auth`)).status).toBe(401);
    // Her registry session is untouched.
    expect((await mira.send(`https://${REGISTRY}/oauth2/auth`)).status).toBe(202);
  });

  it('signs out: /oauth2/sign_out clears the cookie, and the old session is no longer asked for', async () => {
    const r = await mira.send(`https://${REGISTRY}/oauth2/sign_out`);
    expect([302, 200]).toContain(r.status);
    expect(r.setCookies.some((c) => c.name === COOKIE && c.value === '' && (c.attrs['max-age'] === '0' || Date.parse(String(c.attrs.expires)) < Date.now())), JSON.stringify(r.headers['set-cookie'])).toBe(true);
    expect((await mira.send(`https://${REGISTRY}/oauth2/auth`)).status).toBe(401);
  });
});

describe('through the generated gateway on a real Traefik', () => {
  let traefik: RunningTraefik;
  let ui: TlsBackend;
  let gwHost: GeneratedHost;

  /** Through Traefik: every public host on the websecure entry point, SNI = the host. */
  const viaGateway: Route = (u) => ({ port: traefik.ports[GATEWAY_HTTPS_PORT], servername: u.hostname });

  beforeAll(async () => {
    if (!traefikBinary()) throw new Error('Traefik is not installed: run `npx projen test:deps`');
    // The same lab with the gateway's client certificate from the bootstrap PKI (the harness mounts
    // no Vault-Agent volume), synthesized into the same secrets folder: the bootstrap keeps the CA
    // and every credential, so the running Keycloak and proxy are this lab's too.
    ({ host: gwHost } = lab(work, false));
    for (const file of ['keycloak/realm-lab.json', 'vault/agent/sso-registry/client-secret.ctmpl', 'vault/agent/sso-registry/cookie-secret.ctmpl']) {
      expect(gwHost.files[file], file).toBe(host.files[file]);
    }
    expect(parse(gwHost.files['docker-compose.yml']).services['sso-registry'].command).toEqual(compose.services['sso-registry'].command);
    const file = (name: string) => fs.readFileSync(deliveredPath(gwHost, 'registry-ui', name));
    ui = await startTlsBackend({ cert: file('tls.crt'), key: file('tls.key'), clientCa: file('ca.crt'), reply: () => ({ status: 200, body: '<html>registry</html>', headers: { 'Content-Type': 'text/html' } }) });
    traefik = await startGeneratedTraefik(gwHost, 'gateway', { 'keycloak:8443': kc.httpsPort, 'sso-registry:4443': sso.httpsPort, 'registry-ui:8443': ui.port });
    for (const deadline = Date.now() + 20_000; ;) {
      const r = await new Browser(viaGateway).send(`https://${REGISTRY}/`).catch(() => undefined);
      if (r && r.status !== 404) break;
      if (Date.now() > deadline) throw new Error(`the routers never loaded\n${traefik.log()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }, 120_000);

  it('serves the proxy\'s sign-in page with 401 to a UI request without a session; the UI is never called', async () => {
    const b = new Browser(viaGateway);
    const r = await b.send(`https://${REGISTRY}/models?page=1`);
    expect(r.status, `${pageText(r)}\n${traefik.errors().join('\n')}`).toBe(401);
    expect(r.body).toMatch(/Sign in with Keycloak OIDC|oauth2\/start/i);
    expect(form(r)).toEqual({ action: `https://${REGISTRY}/oauth2/start`, hidden: { rd: `https://${REGISTRY}/models?page=1` } });
    expect(ui.requests).toHaveLength(0);
    expect(traefik.errors()).toEqual([]);
  });

  it('after the login through the gateway (password, then OTP), reaches the UI with the proxy\'s X-Auth-Request-User', async () => {
    const b = new Browser(viaGateway);
    const signIn = await b.send(`https://${REGISTRY}/models?page=1`);
    // The sign-in page's form: GET /oauth2/start with the hidden rd (the URL the user asked for).
    const f = form(signIn);
    expect(f.action).toBe(`https://${REGISTRY}/oauth2/start`);
    expect(f.hidden).toEqual({ rd: `https://${REGISTRY}/models?page=1` });
    const toLogin = await b.send(`${f.action}?${new URLSearchParams(f.hidden)}`);
    expect(toLogin.status).toBe(302);
    expect(location(toLogin).host).toBe(AUTH);
    const { callback, steps } = await keycloakLogin(b, await b.send(location(toLogin)), 'mira');
    expect(steps).toEqual(['password', 'otp']); // enrolled in the first part: now the OTP form
    const done = await b.send(location(callback));
    expect(done.status, pageText(done)).toBe(302);
    expect(done.headers.location).toBe(`https://${REGISTRY}/models?page=1`);
    const page = await b.send(location(done), { headers: { 'X-Auth-Request-User': 'mallory' } });
    expect(page.status, pageText(page)).toBe(200);
    expect(page.body).toBe('<html>registry</html>');
    const seen: BackendRequest = ui.requests.at(-1)!;
    expect(seen.url).toBe('/models?page=1');
    expect(seen.headers['x-auth-request-email']).toBe('mira@lab.example.com');
    expect(seen.headers['x-auth-request-user']).toBe((await kc.admin('GET', '/admin/realms/lab/users?username=mira&exact=true')).json()[0].id); // not the client's 'mallory'
    expect(String(seen.headers['x-auth-request-groups'])).toContain('role:ml-sec');
    expect(seen.peer.cn).toBe('gateway');
    // The session cookie reached neither Traefik's access log nor anything else it printed.
    expect(traefik.log()).not.toContain(b.cookie(REGISTRY, COOKIE)!.slice(0, 40));
    expect(traefik.errors()).toEqual([]);
    // Traefik dialled the IdP, the proxy and the UI by their service names, nothing else.
    expect([...new Set(traefik.proxy.connects)].sort()).toEqual(['keycloak:8443', 'registry-ui:8443', 'sso-registry:4443']);
  });
});
