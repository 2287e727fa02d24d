/**
 * The reference lab's Keycloak on real servers, wired as the lab wires it: the lab's OpenBao
 * bootstrapped by its generated script, the agents of `identity-db` and `keycloak` rendering what
 * those two read, the identity-db PostgreSQL started from its generated files, and Keycloak 26.7.3
 * run exactly as its compose service: its `environment`, its realm file in data/import and its
 * start script (the compose `command`, run by its `bash -ec` entrypoint). Only container paths,
 * ports and the name `identity-db` (resolved to 127.0.0.1 by a JVM hosts file, so
 * sslmode=verify-full still checks the server's name) are re-pointed.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { SecretsBootstrap, Testing } from '../../lib';
import { freePorts } from '../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../support/real-servers/generated-stack';
import { copyKeycloakHome, keycloakHome, launchKeycloak, RunningKeycloak } from '../support/real-servers/keycloak';
import { PostgresServer as RunningPostgres } from '../support/real-servers/postgres';
import { makeServerDir, registerCleanup, removeServerDir, stopAll } from '../support/real-servers/process-registry';

const CLIENT_SECRET_VAR = 'MLSEC_KC_CLIENT_SECRET_SSO_AUTH';

let host: GeneratedHost;
let compose: any;
let vault: GeneratedVault;
let pg: RunningPostgres;
let kc: RunningKeycloak;
/** What the keycloak agent rendered (its /run/vault). */
let kcOut: string;
/** The environment Keycloak's start script ran with. */
let kcEnv: Record<string, string>;
/** The start script as compose hands it to the entrypoint (`$$` unescaped), kc.sh not yet re-pointed. */
let script: string;

const read = (file: string) => fs.readFileSync(file, 'utf8');
const openssl = (args: string[]) => spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 20_000 });

/** The compose service's environment with its container paths re-pointed to the files the test has. */
function repointed(environment: Record<string, string>, vaultDir: string, secretsDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(environment)) out[k] = String(v).replace(/\/run\/vault\//g, `${vaultDir}/`).replace(/\/run\/secrets\//g, `${secretsDir}/`);
  return out;
}

beforeAll(async () => {
  if (!keycloakHome()) throw new Error('Keycloak is not installed: run `npx projen test:deps`');
  const app = Testing.app();
  createLab(app);
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-keycloak-server-');
  registerCleanup(() => fs.rmSync(secretsDir, { recursive: true, force: true }), 'secrets dir');
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);

  const [curatedPort, identityPort] = await freePorts(2);
  // GitHub's OIDC discovery is out of reach here: the CI role verifies a local key instead.
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  vault = await startGeneratedVault(host, 'vault', {
    postgres: { 'curated-db': curatedPort, 'identity-db': identityPort },
    patch: (text, dir) => {
      fs.writeFileSync(path.join(dir, 'ci.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      return text.replace(/oidc_discovery_url="\$\{MLSEC_JWT_DISCOVERY_URL:-[^}]*\}"/, `jwt_validation_pubkeys=@"${path.join(dir, 'ci.pem')}"`);
    },
  });
  pg = await startGeneratedPostgres(host, 'identity-db', { renderedDir: await renderAgentFiles(host, vault, 'identity-db'), port: identityPort });
  kcOut = await renderAgentFiles(host, vault, 'keycloak');

  const service = compose.services.keycloak;
  const dir = makeServerDir('keycloak-lab');
  let kcHome: string;
  try {
    kcHome = copyKeycloakHome(dir, Object.fromEntries((service.volumes as { source: string; target: string }[])
      .filter((v) => v.target.startsWith('/opt/keycloak/data/import/'))
      .map((v) => [path.basename(v.target), host.files[v.source.replace(/^\.\//, '')]])));
  } catch (e) {
    removeServerDir(dir);
    throw e;
  }
  // The container's name of the database resolves to loopback for the JVM alone.
  const hostsFile = path.join(dir, 'hosts');
  fs.writeFileSync(hostsFile, '127.0.0.1 identity-db\n');
  const [httpsPort, managementPort] = await freePorts(2);
  kcEnv = {
    ...repointed(service.environment, kcOut, path.dirname(deliveredPath(host, 'keycloak', 'x'))),
    PATH: '/usr/bin:/bin', HOME: dir, ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
    JAVA_OPTS_APPEND: `-Djdk.net.hosts.file=${hostsFile}`,
    KC_HTTPS_PORT: String(httpsPort), KC_HTTP_MANAGEMENT_PORT: String(managementPort),
  };
  kcEnv.KC_DB_URL = kcEnv.KC_DB_URL.replace('//identity-db:5432/', `//identity-db:${pg.port}/`);
  kcEnv.KC_PGPORT = String(pg.port);
  const [shell, flag] = service.entrypoint as string[];
  script = (service.command as string[])[0].replace(/\$\$/g, '$');
  kc = await launchKeycloak({
    dir, file: shell, args: [flag, script.replace('/opt/keycloak/bin/kc.sh', path.join(kcHome, 'bin', 'kc.sh'))], env: kcEnv,
    httpsPort, httpPort: 0, managementPort, managementScheme: 'http',
    ca: fs.readFileSync(deliveredPath(host, 'keycloak', 'ca.crt')), servername: 'keycloak',
    admin: { username: kcEnv.KC_BOOTSTRAP_ADMIN_USERNAME, password: read(path.join(kcOut, 'bootstrap-admin-password')) },
    startTimeoutMs: 240_000,
  });
  console.log(`keycloak (start, Postgres, Vault TLS) ready in ${kc.startupMs} ms`);
}, 300_000);

afterAll(async () => {
  await kc?.stop();
  await vault?.bao.stop();
  await pg?.stop();
  await stopAll();
});

/** TCP ports the Keycloak process group listens on, with the address each is bound to. */
function listeners(group: number): { address: string; port: number }[] {
  const inodes = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = read(`/proc/${pid}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== group) continue;
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      }
    } catch {
      // exited while we looked
    }
  }
  const out: { address: string; port: number }[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    for (const line of read(file).split('\n').slice(1).filter(Boolean)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !inodes.has(f[9])) continue; // 0A = LISTEN
      const [hex, port] = f[1].split(':');
      out.push({ address: v6 ? ipv6(hex) : ipv4(hex), port: parseInt(port, 16) });
    }
  }
  return out;
}

/** /proc/net/tcp's address: a little-endian 32-bit word. */
const ipv4 = (hex: string) => hex.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');

/** /proc/net/tcp6's address: four little-endian 32-bit words; `::`, `::ffff:a.b.c.d` or the full form. */
function ipv6(hex: string): string {
  const bytes = hex.match(/.{8}/g)!.flatMap((word) => word.match(/../g)!.reverse());
  if (bytes.every((b) => b === '00')) return '::';
  if (bytes.slice(0, 10).every((b) => b === '00') && bytes[10] === 'FF' && bytes[11] === 'FF') return `::ffff:${bytes.slice(12).map((b) => parseInt(b, 16)).join('.')}`;
  return bytes.join('').match(/.{4}/g)!.join(':').toLowerCase();
}

/** A plain-HTTP GET to `address`:`port` (a wildcard address is reached on loopback): the status, or the error that ended it. */
function plainGet(address: string, port: number, urlPath: string): Promise<number | string> {
  const host = address === '::' || address === '0.0.0.0' ? '127.0.0.1' : address.replace(/^::ffff:/, '');
  return new Promise((resolve) => {
    const req = http.request({ host, port, path: urlPath, timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => resolve(e.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Command lines of the Keycloak process group. */
function commandLines(group: number): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = read(`/proc/${pid}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === group) out.push(read(`/proc/${pid}/cmdline`).replace(/\0/g, ' '));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

describe("the lab's Keycloak on real servers", () => {
  it("runs on the lab's identity-db over verify-full TLS with its Vault-issued client certificate, and no password anywhere", () => {
    expect(kcEnv.KC_DB_URL).toMatch(/^jdbc:postgresql:\/\/identity-db:\d+\/keycloak\?sslmode=verify-full&/);
    expect(Object.keys(compose.services.keycloak.environment).filter((k) => /PASSWORD|PASSWD|PWD/.test(k))).toEqual(['KC_BOOTSTRAP_ADMIN_PASSWORD_FILE']);
    // Its schema holds Keycloak's tables, created by (and owned by) its login role.
    const tables = pg.runSqlAsSuperuser("select tablename || ' ' || tableowner from pg_tables where schemaname = 'keycloak' order by 1", 'keycloak').split('\n');
    expect(tables.length).toBeGreaterThan(50);
    expect(tables).toContain('realm keycloak');
    expect(tables).toContain('client keycloak');
    expect(tables).toContain('user_entity keycloak');
    expect(tables.filter((t) => !t.endsWith(' keycloak'))).toEqual([]);
    expect(pg.runSqlAsSuperuser("select count(*) from pg_tables where schemaname = 'public'", 'keycloak')).toBe('0');
    // The role has no password; each of Keycloak's connections is TLS with the client certificate of CN keycloak.
    expect(pg.runSqlAsSuperuser("select rolpassword is null, rolcanlogin, rolsuper from pg_authid where rolname = 'keycloak'")).toBe('t|t|f');
    const sessions = pg.runSqlAsSuperuser("select distinct s.ssl, s.version, s.client_dn from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = 'keycloak'").split('\n');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatch(/^t\|TLSv1\.3\|.*CN=keycloak/);
    expect(pg.runSqlAsSuperuser("select count(*) from pg_stat_activity where usename = 'keycloak' and datname = 'keycloak'")).not.toBe('0');
    // The realm lives in the lab's database, not in an embedded one.
    expect(pg.runSqlAsSuperuser("select name from keycloak.realm order by name", 'keycloak').split('\n')).toEqual(['lab', 'master']);
    expect(fs.existsSync(path.join(kc.dir, 'kc', 'data', 'h2'))).toBe(false);
  });

  it('imported the realm lab from the generated file, with the public issuer', async () => {
    expect(fs.readdirSync(path.join(kc.dir, 'kc', 'data', 'import'))).toEqual(['realm-lab.json']);
    expect(kc.log()).toMatch(/Realm 'lab' imported/);
    const discovery = (await kc.request('/realms/lab/.well-known/openid-configuration')).json();
    expect(discovery.issuer).toBe('https://auth.lab.example.com/realms/lab');
    const realm = (await kc.admin('GET', '/admin/realms/lab')).json();
    expect(realm).toMatchObject({ realm: 'lab', enabled: true, sslRequired: 'all' });
    expect(realm.attributes.frontendUrl).toBe('https://auth.lab.example.com');
    const clients = (await kc.admin('GET', '/admin/realms/lab/clients?clientId=sso-auth')).json();
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({ publicClient: false, redirectUris: ['https://auth.lab.example.com/oauth2/callback'], attributes: { 'pkce.code.challenge.method': 'S256' } });
  });

  it("holds the sso-auth client secret its agent rendered from Vault, which is nowhere in synth-out, compose or argv", async () => {
    const secret = read(path.join(kcOut, 'client-sso-auth'));
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const [client] = (await kc.admin('GET', '/admin/realms/lab/clients?clientId=sso-auth')).json();
    const held = (await kc.admin('GET', `/admin/realms/lab/clients/${client.id}/client-secret`)).json();
    expect(held.value).toBe(secret);
    // The proxy's own agent renders the same value from the same KV secret.
    expect(read(path.join(await renderAgentFiles(host, vault, 'sso-auth'), 'client-secret'))).toBe(secret);
    // The realm file carries the placeholder only; the value is in no synthesized file and in no process's argv.
    expect(host.files['keycloak/realm-lab.json']).toContain(`"secret": "\${${CLIENT_SECRET_VAR}}"`);
    const password = read(path.join(kcOut, 'bootstrap-admin-password'));
    for (const value of [secret, password]) {
      expect(Object.entries(host.files).filter(([, text]) => text.includes(value)).map(([rel]) => rel)).toEqual([]);
      expect(commandLines(kc.pid).filter((cmd) => cmd.includes(value))).toEqual([]);
    }
    expect(commandLines(kc.pid).some((cmd) => cmd.includes('io.quarkus.bootstrap.runner.QuarkusEntryPoint'))).toBe(true);
  });

  it('lets the bootstrap admin into the master realm with the password its agent rendered', async () => {
    expect(kcEnv.KC_BOOTSTRAP_ADMIN_USERNAME).toBe('bootstrap-admin');
    const login = (password: string) => kc.request('/realms/master/protocol/openid-connect/token', {
      form: { grant_type: 'password', client_id: 'admin-cli', username: 'bootstrap-admin', password },
    });
    const ok = await login(read(path.join(kcOut, 'bootstrap-admin-password')));
    expect(ok.status, ok.body).toBe(200);
    const token = ok.json().access_token as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ iss: 'https://auth.lab.example.com/realms/master', azp: 'admin-cli' });
    // The token is the bootstrap admin's (admin-cli's tokens are lightweight: its session names the user), and it administers the realms.
    const [user] = (await kc.request('/admin/realms/master/users?exact=true&username=bootstrap-admin', { token })).json();
    const sessions = (await kc.request(`/admin/realms/master/users/${user.id}/sessions`, { token })).json();
    expect(sessions.map((x: { id: string }) => x.id)).toContain(claims.sid);
    expect((await kc.request('/admin/realms/lab/clients?clientId=sso-auth', { token })).status).toBe(200);
    const wrong = await login('not-the-password');
    expect([400, 401], wrong.body).toContain(wrong.status);
    expect(wrong.json()).toMatchObject({ error: 'invalid_grant' });
    expect(wrong.json().access_token).toBeUndefined();
  });

  it('serves HTTPS (TLS 1.2+) with the Vault-issued certificate, and no plain HTTP', async () => {
    const ca = deliveredPath(host, 'keycloak', 'ca.crt');
    const hello = openssl(['s_client', '-connect', `127.0.0.1:${kc.httpsPort}`, '-servername', 'keycloak', '-verify_hostname', 'keycloak', '-CAfile', ca, '-verify_return_error', '-brief']);
    expect(hello.status, hello.stderr).toBe(0);
    expect(hello.stderr).toMatch(/Verification: OK/);
    expect(hello.stderr).toMatch(/Protocol version: TLSv1\.3/);
    // The leaf is the one the agent rendered (Vault's pki_int/issue/keycloak), with its SPIFFE identity.
    const served = openssl(['s_client', '-connect', `127.0.0.1:${kc.httpsPort}`, '-servername', 'keycloak', '-showcerts']);
    const leaf = new crypto.X509Certificate(/-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/.exec(served.stdout)![0]);
    const rendered = new crypto.X509Certificate(read(path.join(kcOut, 'vault-tls.crt')));
    expect(leaf.fingerprint256).toBe(rendered.fingerprint256);
    expect(leaf.subjectAltName).toBe('DNS:keycloak, URI:spiffe://lab/ns/z8/sa/keycloak');
    const tls12 = openssl(['s_client', '-connect', `127.0.0.1:${kc.httpsPort}`, '-servername', 'keycloak', '-tls1_2', '-CAfile', ca, '-verify_return_error', '-brief']);
    expect(tls12.status, tls12.stderr).toBe(0);
    const tls11 = openssl(['s_client', '-connect', `127.0.0.1:${kc.httpsPort}`, '-servername', 'keycloak', '-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-brief']);
    expect(tls11.status).not.toBe(0);
    expect(tls11.stderr).toMatch(/alert protocol version/); // the server's refusal, not the client's
    expect(tls11.stderr).not.toMatch(/Protocol version: TLSv1\.1/);
    // Listening: HTTPS on the service's port, the management interface (health, plain HTTP) on loopback only, and no plain-HTTP Keycloak port.
    const ports = listeners(kc.pid);
    console.log(`keycloak listeners (https ${kc.httpsPort}, management ${kc.managementPort}): ${JSON.stringify(ports)}`);
    expect(ports.filter((l) => l.port === kc.httpsPort).map((l) => l.address)).toEqual([expect.stringMatching(/^(::|0\.0\.0\.0)$/)]);
    expect(ports.filter((l) => l.port === kc.managementPort).map((l) => l.address)).toEqual([expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/)]);
    expect(ports.map((l) => l.port)).not.toContain(8080);
    // Of everything it listens on, only the loopback management port answers plain HTTP.
    const answering: number[] = [];
    for (const l of ports) if (typeof (await plainGet(l.address, l.port, '/realms/lab/')) === 'number') answering.push(l.port);
    expect(answering).toEqual([kc.managementPort]);
    expect(await plainGet('127.0.0.1', kc.httpsPort, '/realms/lab/')).toMatch(/socket hang up|ECONNRESET|Parse Error/);
  });

  it('the start script refuses an empty or missing secret file without starting Keycloak', () => {
    const dir = fs.mkdtempSync(path.join(vault.bao.dir, 'kc-script-'));
    const files = path.join(dir, 'vault');
    fs.cpSync(kcOut, files, { recursive: true });
    for (const name of fs.readdirSync(files)) fs.chmodSync(path.join(files, name), 0o600);
    const marker = path.join(dir, 'kc-started');
    // kc.sh is re-pointed to a stand-in that records that it ran and what it got.
    const stub = path.join(dir, 'kc.sh');
    fs.writeFileSync(stub, `#!/bin/bash\nprintf '%s\\n' "$*" "$KC_BOOTSTRAP_ADMIN_PASSWORD" "$${CLIENT_SECRET_VAR}" > '${marker}'\n`, { mode: 0o755 });
    const env = { ...repointed(compose.services.keycloak.environment, files, path.dirname(deliveredPath(host, 'keycloak', 'x'))), PATH: '/usr/bin:/bin' };
    const [shell, flag] = compose.services.keycloak.entrypoint as string[];
    // stdin not a socket: bash sources ~/.bashrc when it thinks sshd started it.
    const run = () => spawnSync(shell, [flag, script.replace('/opt/keycloak/bin/kc.sh', stub)], { cwd: dir, env, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });

    const good = run();
    expect(good.status, good.stderr).toBe(0);
    expect(read(marker).split('\n').slice(0, 3)).toEqual(['start --import-realm', read(path.join(kcOut, 'bootstrap-admin-password')), read(path.join(kcOut, 'client-sso-auth'))]);

    for (const file of ['client-sso-auth', 'bootstrap-admin-password']) {
      fs.rmSync(marker, { force: true });
      const saved = read(path.join(files, file));
      fs.writeFileSync(path.join(files, file), '');
      const empty = run();
      expect(empty.status).not.toBe(0);
      expect(empty.stderr).toBe(`keycloak: ${path.join(files, file)} is empty\n`);
      expect(fs.existsSync(marker)).toBe(false);
      fs.rmSync(path.join(files, file));
      const missing = run();
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toMatch(/No such file or directory/);
      expect(fs.existsSync(marker)).toBe(false);
      fs.writeFileSync(path.join(files, file), saved);
    }
  });
});
