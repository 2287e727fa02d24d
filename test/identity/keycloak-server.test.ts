/**
 * KeycloakServer as synthesized: its hardened Z8 compose service (no secret value in it, only
 * agent-file paths), Postgres by Vault-issued client certificate with verify-full, HTTPS only,
 * the realm file mounted for import, the start script that exports each client secret and
 * refuses an empty one, its flows, Vault policy and gateway routes, and one OIDC proxy per host.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Gateway, HealthCheck, Image, KeycloakServer, RouteAuth, Testing, Vps, Workload, Zone } from '../../lib';
import { expectClearError } from '../property/support';
import { identityHost, OPERATORS } from './support';

/** The identity part of the reference lab: Vault, identity-db, Keycloak routed through the gateway. */
function identityLab(build?: (s: { vps: Vps; gateway: Gateway; keycloak: KeycloakServer }) => void) {
  const { app, vps, keycloak, gateway } = identityHost();
  keycloak.exposeVia(gateway, { allowFrom: OPERATORS });
  build?.({ vps, gateway, keycloak });
  const assembly = Testing.synth(app);
  const file = (rel: string) => assembly.file(`lab/${rel}`);
  return { app, vps, keycloak, gateway, file, compose: parse(file('docker-compose.yml')), paths: assembly.paths().map((p) => p.slice('lab/'.length)) };
}

/** A backend for OIDC-protected routes. */
function ui(vps: Vps, id: string): Workload {
  const w = new Workload(vps, id, { zone: Zone.Z5_REGISTRY, image: Image.fromRegistry('nginxinc/nginx-unprivileged', '1.27.1'), ports: [8443], healthCheck: HealthCheck.command(['true']) });
  w.addTlsIdentity({ usage: 'server' });
  return w;
}

/** `path "…" { capabilities = [...] }` blocks of a policy, as path → capabilities. */
function policy(hcl: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of hcl.matchAll(/path "([^"]+)" \{\s*capabilities = \[([^\]]*)\]\s*\}/g)) out[m[1]] = m[2].split(',').map((c) => c.trim().replace(/"/g, ''));
  return out;
}

/** The compose start script as bash receives it (`$$` is compose's escape of `$`). */
const shellText = (command: string[]) => command[0].replace(/\$\$/g, '$');

describe('KeycloakServer: the compose service', () => {
  const { compose } = identityLab();
  const kc = compose.services.keycloak;
  const env = kc.environment as Record<string, string>;

  it('runs Keycloak 26.7.3 in Z8, hardened: read-only root, tmpfs where Quarkus writes, no capability, non-root, limits', () => {
    expect(kc.image).toBe('quay.io/keycloak/keycloak:26.7.3');
    expect(kc['x-mlsec']).toMatchObject({ zone: 'z8', construct: 'lab/keycloak' });
    expect(kc.labels).toEqual({ 'mlsec.zone': 'z8' });
    expect(kc.read_only).toBe(true);
    expect(kc.tmpfs).toEqual([
      '/tmp:rw,noexec,nosuid,size=256m',
      '/opt/keycloak/data:rw,noexec,nosuid,size=256m',
      '/opt/keycloak/lib/quarkus:rw,noexec,nosuid,size=256m',
    ]);
    expect(kc.cap_drop).toEqual(['ALL']);
    expect(kc.cap_add).toBeUndefined();
    expect(kc.security_opt).toEqual(['no-new-privileges:true']);
    expect(kc.user).toBe('1000:1000');
    expect(kc.deploy.resources.limits).toEqual({ cpus: '1', memory: '1536M' });
    expect(kc.pids_limit).toBe(512);
    expect(kc.ports).toBeUndefined();
    expect(kc.expose).toEqual(['8443']);
    expect(kc.networks).toEqual(['z1-z8', 'z8']);
    expect(kc.depends_on).toEqual({ 'identity-db': { condition: 'service_healthy' }, 'keycloak-vault-agent': { condition: 'service_healthy' } });
  });

  it('checks health on the management port over the container loopback, which is where that port listens', () => {
    expect(kc.healthcheck.test).toEqual(['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '"UP"' <&3`]);
    expect(env).toMatchObject({ KC_HEALTH_ENABLED: 'true', KC_HTTP_MANAGEMENT_PORT: '9000', KC_HTTP_MANAGEMENT_SCHEME: 'http', KC_HTTP_MANAGEMENT_HOST: '127.0.0.1' });
  });

  it('holds no secret value in its environment: every secret is a *_FILE path under /run/vault', () => {
    const secretish = Object.keys(env).filter((k) => /PASSWORD|SECRET|TOKEN|KEY/.test(k));
    expect(secretish.sort()).toEqual(['KC_BOOTSTRAP_ADMIN_PASSWORD_FILE', 'KC_HTTPS_CERTIFICATE_KEY_FILE', 'KC_PGSSLKEY', 'MLSEC_KC_CLIENT_SECRET_SSO_AUTH_FILE']);
    for (const k of secretish) expect(env[k], k).toMatch(/^\/run\/vault\/[a-z0-9.-]+$/);
    expect(env.KC_BOOTSTRAP_ADMIN_PASSWORD_FILE).toBe('/run/vault/bootstrap-admin-password');
    expect(env.MLSEC_KC_CLIENT_SECRET_SSO_AUTH_FILE).toBe('/run/vault/client-sso-auth');
    expect(env.KC_DB_PASSWORD).toBeUndefined();
    expect(env.KC_BOOTSTRAP_ADMIN_PASSWORD).toBeUndefined();
    expect(env.KC_BOOTSTRAP_ADMIN_USERNAME).toBe('bootstrap-admin');
    // The agent's volume, read-only; only the CA bundle comes as a compose secret.
    expect(kc.volumes).toContainEqual({ type: 'volume', source: 'keycloak-vault', target: '/run/vault', read_only: true });
    expect(kc.secrets).toEqual([{ source: 'keycloak.ca.crt', target: 'ca.crt' }]);
  });

  it('connects to identity-db with verify-full TLS, its Vault-issued client certificate and key, and the CA; no password', () => {
    const url = new URL(env.KC_DB_URL.replace(/^jdbc:/, ''));
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('postgresql://identity-db:5432/keycloak');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      sslmode: 'verify-full',
      sslrootcert: '/run/secrets/ca.crt',
      sslcert: '/run/vault/vault-tls.crt',
      sslkey: '/run/vault/vault-tls.key',
      // pgjdbc reads PEM keys as RSA unless told otherwise; Vault issues EC P-256.
      pemKeyAlgorithm: 'EC',
    });
    expect(env).toMatchObject({ KC_DB: 'postgres', KC_DB_USERNAME: 'keycloak', KC_DB_SCHEMA: 'keycloak' });
  });

  it('serves HTTPS only (TLS 1.3/1.2) with the Vault-issued certificate, under its public hostname', () => {
    expect(env).toMatchObject({
      KC_HTTP_ENABLED: 'false',
      KC_HTTPS_PORT: '8443',
      KC_HTTPS_CERTIFICATE_FILE: '/run/vault/vault-tls.crt',
      KC_HTTPS_CERTIFICATE_KEY_FILE: '/run/vault/vault-tls.key',
      KC_HTTPS_PROTOCOLS: 'TLSv1.3,TLSv1.2',
      KC_HOSTNAME: 'https://auth.lab.example.com',
      KC_HOSTNAME_BACKCHANNEL_DYNAMIC: 'true',
      KC_TRUSTSTORE_PATHS: '/run/secrets/ca.crt',
    });
    expect(env.KC_HTTP_PORT).toBeUndefined();
  });

  it('mounts the realm file, read-only, where --import-realm reads it', () => {
    expect(kc.volumes).toContainEqual({ type: 'bind', source: './keycloak/realm-lab.json', target: '/opt/keycloak/data/import/realm-lab.json', read_only: true });
  });
});

describe('KeycloakServer: the start script', () => {
  it('exports the bootstrap password and every client secret from its file, refuses an empty one, then execs kc.sh', async () => {
    const { compose } = identityLab(({ vps, gateway }) => {
      gateway.expose(ui(vps, 'registry-ui'), { host: 'registry.lab.example.com', auth: RouteAuth.oidc({ roles: ['ml-sec'] }), allowFrom: OPERATORS });
    });
    const kc = compose.services.keycloak;
    expect(kc.entrypoint).toEqual(['/bin/bash', '-ec']);
    expect(kc.command).toHaveLength(1);
    // compose would interpolate a single `$`: every one is escaped.
    expect(kc.command[0]).not.toMatch(/(^|[^$])\$(?!\$)/);
    const script = shellText(kc.command);
    const variables = ['KC_BOOTSTRAP_ADMIN_PASSWORD', 'MLSEC_KC_CLIENT_SECRET_SSO_AUTH', 'MLSEC_KC_CLIENT_SECRET_SSO_REGISTRY'];
    for (const v of variables) {
      expect(kc.environment[`${v}_FILE`], v).toMatch(/^\/run\/vault\//);
      expect(script).toContain(`${v}="$(cat "$${v}_FILE")"; [ -n "$${v}" ] || { echo "keycloak: $${v}_FILE is empty" >&2; exit 1; }; export ${v}`);
    }
    expect(script.split('\n')).toHaveLength(variables.length + 1);
    expect(script.split('\n').at(-1)).toBe('exec /opt/keycloak/bin/kc.sh start --import-realm');
    await expect(script).toMatchFileSnapshot('__snapshots__/keycloak-start.sh');
  });

  it('names in the realm file only the placeholders the script exports', () => {
    const { file, compose } = identityLab();
    const realm = file('keycloak/realm-lab.json');
    const placeholders = [...realm.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]);
    expect(placeholders).toEqual(['MLSEC_KC_CLIENT_SECRET_SSO_AUTH']);
    for (const p of placeholders) expect(shellText(compose.services.keycloak.command)).toContain(`export ${p}\n`);
  });
});

describe('KeycloakServer: flows, Vault and agent', () => {
  const { compose, file, paths } = identityLab();
  const flows = (service: string) => compose.services[service]['x-mlsec'].flows as { to: string; port: number }[];

  it('declares keycloak → identity-db:5432, gateway → keycloak:8443 and sso-auth → keycloak:8443', () => {
    expect(flows('keycloak')).toEqual([{ to: 'identity-db', port: 5432 }]);
    expect(flows('gateway')).toContainEqual({ to: 'keycloak', port: 8443 });
    expect(flows('gateway')).toContainEqual({ to: 'sso-auth', port: 4443 });
    expect(flows('sso-auth')).toEqual([{ to: 'keycloak', port: 8443 }]);
    // Nothing targets the management port.
    for (const [name, s] of Object.entries(compose.services) as [string, any][]) {
      for (const f of (s['x-mlsec']?.flows ?? []) as { to: string; port: number }[]) if (f.to === 'keycloak') expect(f.port, name).toBe(8443);
    }
  });

  it("lets keycloak's Vault policy read exactly its KV secrets and issue its own certificate", () => {
    expect(policy(file('vault/policies/keycloak.hcl'))).toEqual({
      'kv/data/lab/core/keycloak/bootstrap-admin': ['read'],
      'kv/data/lab/core/sso-auth/client': ['read'],
      'pki_int/issue/keycloak': ['update'],
    });
  });

  it('has its agent render the certificate, the bootstrap password and each client secret, 0400', () => {
    expect(paths.filter((p) => p.startsWith('vault/agent/keycloak/')).sort()).toEqual([
      'vault/agent/keycloak/agent.hcl', 'vault/agent/keycloak/bootstrap-admin-password.ctmpl', 'vault/agent/keycloak/client-sso-auth.ctmpl', 'vault/agent/keycloak/vault-tls.crt.ctmpl',
    ]);
    expect(file('vault/agent/keycloak/bootstrap-admin-password.ctmpl')).toContain('secret "kv/data/lab/core/keycloak/bootstrap-admin"');
    expect(file('vault/agent/keycloak/client-sso-auth.ctmpl')).toContain('secret "kv/data/lab/core/sso-auth/client"');
    expect(file('vault/agent/keycloak/vault-tls.crt.ctmpl')).toMatch(/pkiCert "pki_int\/issue\/keycloak" "common_name=keycloak"/);
    const hcl = file('vault/agent/keycloak/agent.hcl');
    expect([...hcl.matchAll(/perms = "(\d+)"/g)].map((m) => m[1])).toEqual(['0400', '0400', '0400', '0400']);
  });

  it("hands pgjdbc a PKCS#8 key (the only PEM key form it reads)", () => {
    // pgjdbc's PEMKeyManager reads `BEGIN PRIVATE KEY` only; Vault's default EC key is SEC1 (`BEGIN EC PRIVATE KEY`).
    expect(file('vault/agent/keycloak/vault-tls.crt.ctmpl')).toContain('"private_key_format=pkcs8"');
  });

  it('adds the keycloak database and schema to identity-db, with certificate login for role keycloak and no password', () => {
    expect(file('identity-db/pg_hba.conf')).toMatch(/^hostssl\s+keycloak\s+keycloak\s+samenet\s+cert map=mlsec$/m);
    expect(file('identity-db/pg_ident.conf')).toMatch(/^mlsec keycloak keycloak$/m);
    const sql = file('identity-db/initdb/10-mlsec-roles.sql');
    expect(sql).toContain('CREATE DATABASE "keycloak" OWNER "keycloak_owner"');
    expect(sql).toContain('CREATE SCHEMA IF NOT EXISTS "keycloak" AUTHORIZATION "keycloak_owner"');
    expect(sql).toMatch(/ALTER ROLE "keycloak" LOGIN .* PASSWORD NULL;/);
  });
});

describe('KeycloakServer.exposeVia', () => {
  const { file, paths, keycloak } = identityLab();
  const route = (name: string) => parse(file(`traefik/dynamic/route-${name}.yml`)).http;

  it('routes login, resources, admin and master, all from the allow-list only', () => {
    expect(paths.filter((p) => p.startsWith('traefik/dynamic/route-keycloak')).sort()).toEqual([
      'traefik/dynamic/route-keycloak-admin.yml', 'traefik/dynamic/route-keycloak-login.yml', 'traefik/dynamic/route-keycloak-master.yml', 'traefik/dynamic/route-keycloak-resources.yml',
    ]);
    const rules = Object.fromEntries(['login', 'resources', 'admin', 'master'].map((n) => [n, route(`keycloak-${n}`).routers[`keycloak-${n}`].rule]));
    expect(rules).toEqual({
      login: 'Host(`auth.lab.example.com`) && PathPrefix(`/realms/lab/`)',
      resources: 'Host(`auth.lab.example.com`) && PathPrefix(`/resources/`)',
      admin: 'Host(`auth.lab.example.com`) && PathPrefix(`/admin/`)',
      master: 'Host(`auth.lab.example.com`) && PathPrefix(`/realms/master/`)',
    });
    for (const n of ['login', 'resources', 'admin', 'master']) {
      expect(route(`keycloak-${n}`).middlewares[`keycloak-${n}-allow`], n).toEqual({ ipAllowList: { sourceRange: OPERATORS } });
      expect(route(`keycloak-${n}`).services[`keycloak-${n}`].loadBalancer.servers, n).toEqual([{ url: 'https://keycloak:8443' }]);
      expect(route(`keycloak-${n}`).serversTransports[`keycloak-${n}-backend`].serverName, n).toBe('keycloak');
    }
    expect(keycloak.issuerUrl).toBe('https://auth.lab.example.com/realms/lab');
  });

  it('leaves login and resources open (they are the authentication step), rate-limited against password guessing', () => {
    const login = route('keycloak-login');
    expect(login.routers['keycloak-login'].middlewares.some((m: string) => m.endsWith('-auth'))).toBe(false);
    expect(login.middlewares['keycloak-login-ip-limit'].rateLimit).toMatchObject({ average: 5, burst: 20 });
    expect(login.middlewares['keycloak-login-body'].buffering.maxRequestBodyBytes).toBe(65536);
    expect(route('keycloak-resources').routers['keycloak-resources'].middlewares.some((m: string) => m.endsWith('-auth'))).toBe(false);
  });

  it('puts the admin console and the master realm behind the OIDC proxy, role admin', () => {
    for (const n of ['admin', 'master']) {
      const r = route(`keycloak-${n}`);
      expect(r.middlewares[`keycloak-${n}-auth`].forwardAuth.address, n).toBe('https://sso-auth:4443/oauth2/auth');
      expect(r.routers[`keycloak-${n}`].middlewares, n).toEqual(expect.arrayContaining([`keycloak-${n}-allow`, `keycloak-${n}-auth`]));
    }
    const { compose } = identityLab();
    expect(compose.services['sso-auth'].command).toContain('--allowed-role=admin');
    expect(compose.services['sso-auth'].command.filter((a: string) => a.startsWith('--allowed-role='))).toEqual(['--allowed-role=admin']);
  });
});

describe('KeycloakServer.oidcProxyFor', () => {
  it('returns the same proxy for the same host, and one proxy (and client, and secret variable) per host', () => {
    const { file, compose, keycloak } = identityLab(({ keycloak: kc }) => {
      const a = kc.oidcProxyFor('app.lab.example.com', ['reader', 'admin'], 'test');
      const b = kc.oidcProxyFor('app.lab.example.com', ['admin', 'reader'], 'test');
      expect(b.workload).toBe(a.workload);
      expect(a.port).toBe(4443);
      expect(a.workload.serviceName).toBe('sso-app');
      expect(kc.oidcProxyFor('ops.lab.example.com', ['admin'], 'test').workload).not.toBe(a.workload);
    });
    expect(keycloak.realm.clients.map((c) => c.clientId)).toEqual(['sso-auth', 'sso-app', 'sso-ops']);
    expect([...keycloak.realm.secretVariables].sort()).toEqual(['MLSEC_KC_CLIENT_SECRET_SSO_APP', 'MLSEC_KC_CLIENT_SECRET_SSO_AUTH', 'MLSEC_KC_CLIENT_SECRET_SSO_OPS']);
    for (const v of keycloak.realm.secretVariables) expect(compose.services.keycloak.environment[`${v}_FILE`], v).toMatch(/^\/run\/vault\/client-sso-/);
    const realm = JSON.parse(file('keycloak/realm-lab.json'));
    expect(realm.clients.filter((c: { clientId: string }) => c.clientId.startsWith('sso-')).map((c: { clientId: string; redirectUris: string[] }) => [c.clientId, c.redirectUris])).toEqual([
      ['sso-app', ['https://app.lab.example.com/oauth2/callback']],
      ['sso-auth', ['https://auth.lab.example.com/oauth2/callback']],
      ['sso-ops', ['https://ops.lab.example.com/oauth2/callback']],
    ]);
    expect(Object.keys(compose.services).filter((n) => /^sso-[a-z]+$/.test(n)).sort()).toEqual(['sso-app', 'sso-auth', 'sso-ops']);
    // Keycloak reads each client's secret; each proxy only its own.
    expect(Object.keys(policy(file('vault/policies/keycloak.hcl'))).filter((p) => p.endsWith('/client')).sort()).toEqual(['kv/data/lab/core/sso-app/client', 'kv/data/lab/core/sso-auth/client', 'kv/data/lab/core/sso-ops/client']);
    expect(Object.keys(policy(file('vault/policies/sso-app.hcl'))).sort()).toEqual(['kv/data/lab/core/sso-app/client', 'kv/data/lab/core/sso-app/cookie', 'pki_int/issue/sso-app']);
  });

  it('refuses a second OIDC route on a host with other roles', () => {
    const { app, vps, gateway } = identityHost();
    const registry = ui(vps, 'registry-ui');
    gateway.expose(registry, { name: 'registry-read', host: 'registry.lab.example.com', pathPrefix: '/api/', auth: RouteAuth.oidc({ roles: ['reader'] }), allowFrom: OPERATORS });
    gateway.expose(registry, { name: 'registry-admin', host: 'registry.lab.example.com', pathPrefix: '/admin/', auth: RouteAuth.oidc({ roles: ['admin'] }), allowFrom: OPERATORS });
    const err = expectClearError(() => Testing.synth(app), { paths: ['lab/keycloak', 'lab/gateway/Route-registry-admin'], prop: /registry\.lab\.example\.com/, allowed: /one OIDC proxy per host/ });
    expect(err.message).toContain('already protected for roles reader');
  });
});
