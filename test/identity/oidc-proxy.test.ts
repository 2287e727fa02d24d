/**
 * The OIDC proxy (oauth2-proxy) that KeycloakServer puts in front of each `RouteAuth.oidc` host:
 * authorization code flow with PKCE S256 against the realm (browser on the public URL, code
 * redemption and keys on the internal network), a __Host- cookie, the roles it admits, secrets
 * only from its agent's files, HTTPS with a Vault-issued certificate.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { identityHost, OPERATORS } from './support';
import { HealthCheck, Image, RouteAuth, Testing, Workload, Zone } from '../../lib';

/** A lab whose registry UI (registry.lab.example.com) is protected for roles ml-sec and admin. */
function protectedLab() {
  const { app, vps, gateway } = identityHost();
  const ui = new Workload(vps, 'registry-ui', { zone: Zone.Z5_REGISTRY, image: Image.fromRegistry('nginxinc/nginx-unprivileged', '1.27.1'), ports: [8443], healthCheck: HealthCheck.command(['true']) });
  ui.addTlsIdentity({ usage: 'server' });
  gateway.expose(ui, { host: 'registry.lab.example.com', auth: RouteAuth.oidc({ roles: ['ml-sec', 'admin'] }), allowFrom: OPERATORS });
  const assembly = Testing.synth(app);
  const file = (rel: string) => assembly.file(`lab/${rel}`);
  return { compose: parse(file('docker-compose.yml')), file };
}

/** `--flag=value` arguments as flag → values. */
function flags(command: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const arg of command) {
    const m = /^--([a-z0-9-]+)=(.*)$/s.exec(arg);
    expect(m, `argument ${JSON.stringify(arg)} is --flag=value`).not.toBeNull();
    (out[m![1]] ??= []).push(m![2]);
  }
  return out;
}

describe('OidcProxy (oauth2-proxy) of registry.lab.example.com', () => {
  const { compose, file } = protectedLab();
  const sso = compose.services['sso-registry'];
  const f = flags(sso.command);
  const one = (name: string) => {
    expect(f[name], `--${name}`).toHaveLength(1);
    return f[name][0];
  };

  it('runs oauth2-proxy v7.15.6 (Alpine, for wget) in Z8, hardened', () => {
    expect(sso.image).toBe('quay.io/oauth2-proxy/oauth2-proxy:v7.15.6-alpine');
    expect(sso['x-mlsec']).toMatchObject({ zone: 'z8', construct: 'lab/Sso-registry' });
    expect(sso).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'], expose: ['4443'] });
    expect(sso.user).toMatch(/^[1-9][0-9]*:[0-9]+$/);
    expect(sso.ports).toBeUndefined();
    expect(sso.entrypoint).toBeUndefined();
  });

  it('uses the keycloak-oidc provider with its own client, PKCE S256 and the realm scopes', () => {
    expect(one('provider')).toBe('keycloak-oidc');
    expect(one('client-id')).toBe('sso-registry');
    expect(one('code-challenge-method')).toBe('S256');
    expect(one('scope')).toBe('openid email profile');
    expect(one('redirect-url')).toBe('https://registry.lab.example.com/oauth2/callback');
    expect(one('whitelist-domain')).toBe('registry.lab.example.com');
  });

  it('skips discovery: the browser logs in on the public URL, the code is redeemed and keys fetched on the internal network', () => {
    expect(one('skip-oidc-discovery')).toBe('true');
    expect(one('oidc-issuer-url')).toBe('https://auth.lab.example.com/realms/lab');
    expect(one('login-url')).toBe('https://auth.lab.example.com/realms/lab/protocol/openid-connect/auth');
    expect(one('redeem-url')).toBe('https://keycloak:8443/realms/lab/protocol/openid-connect/token');
    expect(one('oidc-jwks-url')).toBe('https://keycloak:8443/realms/lab/protocol/openid-connect/certs');
    // The internal calls verify Keycloak's Vault-issued certificate with the internal CA.
    expect(sso.environment.OAUTH2_PROXY_PROVIDER_CA_FILES).toBe('/run/secrets/ca.crt');
    expect(sso.secrets).toEqual([{ source: 'sso-registry.ca.crt', target: 'ca.crt' }]);
    expect(f['ssl-insecure-skip-verify']).toBeUndefined();
    expect(sso['x-mlsec'].flows).toEqual([{ to: 'keycloak', port: 8443 }]);
  });

  it('admits one of the route roles, one --allowed-role each', () => {
    expect(f['allowed-role']).toEqual(['ml-sec', 'admin']);
    expect(one('email-domain')).toBe('*');
  });

  it('keeps the session in a __Host- cookie: Secure, HttpOnly, SameSite=Lax, 8 h, refreshed every 4 min', () => {
    expect(one('cookie-name')).toBe('__Host-sso-registry');
    expect(one('cookie-secure')).toBe('true');
    expect(one('cookie-httponly')).toBe('true');
    expect(one('cookie-samesite')).toBe('lax');
    expect(one('cookie-expire')).toBe('8h');
    expect(one('cookie-refresh')).toBe('4m');
    // __Host- forbids a Domain attribute and needs Path=/.
    expect(f['cookie-domain']).toBeUndefined();
    expect(f['cookie-path']).toBeUndefined();
    expect(one('session-store-type')).toBe('cookie');
  });

  it('reads the client and cookie secrets only from its agent files (OAUTH2_PROXY_*_FILE under /run/vault), never argv or env values', () => {
    expect(sso.environment).toEqual({
      OAUTH2_PROXY_CLIENT_SECRET_FILE: '/run/vault/client-secret',
      OAUTH2_PROXY_COOKIE_SECRET_FILE: '/run/vault/cookie-secret',
      OAUTH2_PROXY_PROVIDER_CA_FILES: '/run/secrets/ca.crt',
      OAUTH2_PROXY_TLS_CERT_FILE: '/run/vault/vault-tls.crt',
      OAUTH2_PROXY_TLS_KEY_FILE: '/run/vault/vault-tls.key',
    });
    for (const flag of ['client-secret', 'client-secret-file', 'cookie-secret', 'cookie-secret-file']) expect(f[flag], flag).toBeUndefined();
    expect(sso.volumes).toContainEqual({ type: 'volume', source: 'sso-registry-vault', target: '/run/vault', read_only: true });
    expect(file('vault/agent/sso-registry/client-secret.ctmpl')).toContain('secret "kv/data/lab/core/sso-registry/client"');
    expect(file('vault/agent/sso-registry/cookie-secret.ctmpl')).toContain('secret "kv/data/lab/core/sso-registry/cookie"');
    expect(sso.depends_on).toEqual({ 'sso-registry-vault-agent': { condition: 'service_healthy' } });
  });

  it("shares the client secret with Keycloak through one KV secret, and its policy reads only its own", () => {
    expect(compose.services.keycloak.environment.MLSEC_KC_CLIENT_SECRET_SSO_REGISTRY_FILE).toBe('/run/vault/client-sso-registry');
    expect(file('vault/agent/keycloak/client-sso-registry.ctmpl')).toContain('secret "kv/data/lab/core/sso-registry/client"');
    const paths = [...file('vault/policies/sso-registry.hcl').matchAll(/path "([^"]+)" \{\s*capabilities = \[([^\]]*)\]/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(paths).toEqual(['kv/data/lab/core/sso-registry/client "read"', 'kv/data/lab/core/sso-registry/cookie "read"', 'pki_int/issue/sso-registry "update"']);
  });

  it('serves the gateway over HTTPS on 4443 with its Vault-issued certificate (TLS 1.2+)', () => {
    expect(one('https-address')).toBe(':4443');
    expect(one('tls-min-version')).toBe('TLS1.2');
    // No plain listener is configured (with a certificate set, oauth2-proxy serves HTTPS only).
    expect(f['http-address']).toBeUndefined();
    expect(file('vault/agent/sso-registry/vault-tls.crt.ctmpl')).toMatch(/pkiCert "pki_int\/issue\/sso-registry" "common_name=sso-registry" "uri_sans=spiffe:\/\/lab\/ns\/z8\/sa\/sso-registry"/);
    const route = parse(file('traefik/dynamic/route-registry-ui.yml')).http;
    expect(route.middlewares['registry-ui-auth'].forwardAuth).toMatchObject({ address: 'https://sso-registry:4443/oauth2/auth', trustForwardHeader: false, tls: { ca: '/run/secrets/ca.crt' } });
  });

  it('is the forwardAuth target only: a static 202 upstream, the X-Auth-Request headers, and the real client IP from the gateway', () => {
    expect(one('upstream')).toBe('static://202');
    expect(one('set-xauthrequest')).toBe('true');
    expect(one('reverse-proxy')).toBe('true');
  });

  it('checks health on /ping over the container loopback, not through the network', () => {
    const test = sso.healthcheck.test as string[];
    expect(test.slice(0, 3)).toEqual(['CMD', 'wget', '-q']);
    expect(test.at(-1)).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\/ping$/);
    expect(one('silence-ping-logging')).toBe('true');
  });
});
