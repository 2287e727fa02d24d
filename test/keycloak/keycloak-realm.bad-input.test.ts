/** Bad inputs of KeycloakRealm and its clients: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, it } from 'vitest';
import { KeycloakRealm, KeycloakRealmProps, Testing, Vps } from '../../lib';
import { expectClearError, ExpectedError } from '../property/support';

const CALLBACK = 'https://app.lab.example.com/oauth2/callback';
const ORIGIN = 'https://app.lab.example.com';

function rejects(build: (realm: KeycloakRealm) => void, expected: ExpectedError, props: Partial<KeycloakRealmProps> = {}): void {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const realm = new KeycloakRealm(vps, 'Auth', { realmName: 'lab', ...props } as KeycloakRealmProps);
  build(realm);
  expectClearError(() => Testing.synth(app), expected);
}

const web = (realm: KeycloakRealm, over: Record<string, unknown> = {}) =>
  realm.addWebClient('Proxy', { clientId: 'oauth2-proxy', redirectUris: [CALLBACK], webOrigins: [ORIGIN], ...over } as any);

describe('KeycloakRealm bad input', () => {
  it.each([['Lab'], ['lab_1'], [''], ['-lab'], ['a'.repeat(40)], [undefined]])('refuses realmName %j', (realmName) => {
    rejects(() => undefined, { paths: ['lab/Auth'], prop: "prop 'realmName'", allowed: /lower-case letters/ }, { realmName: realmName as any });
  });

  it('refuses the master realm', () => {
    rejects(() => undefined, { paths: ['lab/Auth'], prop: "prop 'realmName'", allowed: /master/ }, { realmName: 'master' });
  });

  it.each([['http://auth.lab.example.com'], ['https://auth.lab.example.com/'], ['https://auth.lab.example.com?x=1'], ['auth.lab.example.com']])('refuses frontendUrl %j', (frontendUrl) => {
    rejects(() => undefined, { paths: ['lab/Auth'], prop: "prop 'frontendUrl'", allowed: /https URL/ }, { frontendUrl });
  });

  it.each([
    ['https://app.lab.example.com/oauth2/*', /wildcard/],
    ['https://*.lab.example.com/oauth2/callback', /wildcard/],
    ['*', /wildcard/],
    ['https://app.lab.example.com*', /wildcard/],
    ['http://app.lab.example.com/oauth2/callback', /https/],
    ['http://127.0.0.1:4180/oauth2/callback', /https/],
    ['https://app.lab.example.com/oauth2/callback?next=/', /no query/],
    ['https://app.lab.example.com/cb#frag', /no query or fragment/],
    ['https://APP.lab.example.com/oauth2/callback', /lower-case host/],
    ['https://app.lab.example.com', /exact https URL/],
    ['/oauth2/callback', /https/],
  ])('refuses the redirect URI %j', (uri, allowed) => {
    rejects((r) => web(r, { redirectUris: [uri] }), { paths: ['lab/Auth/Proxy'], prop: "prop 'redirectUris'", allowed });
  });

  it('refuses no redirect URI at all, and one listed twice', () => {
    rejects((r) => web(r, { redirectUris: [] }), { paths: ['lab/Auth/Proxy'], prop: "prop 'redirectUris'", allowed: /at least 1/ });
    rejects((r) => web(r, { redirectUris: [CALLBACK, CALLBACK] }), { paths: ['lab/Auth/Proxy'], prop: "prop 'redirectUris'", allowed: /twice/ });
  });

  it.each([['*'], ['+'], ['https://*.lab.example.com'], [`${ORIGIN}/`], [`${ORIGIN}/app`], ['http://app.lab.example.com'], ['app.lab.example.com']])('refuses the web origin %j', (origin) => {
    rejects((r) => web(r, { webOrigins: [origin] }), { paths: ['lab/Auth/Proxy'], prop: "prop 'webOrigins'" });
  });

  it('refuses post-logout redirect URIs with wildcards', () => {
    rejects((r) => web(r, { postLogoutRedirectUris: [`${ORIGIN}/*`] }), { paths: ['lab/Auth/Proxy'], prop: "prop 'postLogoutRedirectUris'", allowed: /wildcard/ });
  });

  it.each([['OAuth2-Proxy'], ['oauth2 proxy'], ['proxy-'], [''], ['a'.repeat(65)]])('refuses the client id %j', (clientId) => {
    rejects((r) => web(r, { clientId }), { paths: ['lab/Auth/Proxy'], prop: "prop 'clientId'" });
  });

  it('refuses two clients with one client id, and client ids that share a secret variable', () => {
    rejects((r) => {
      web(r);
      r.addServiceAccountClient('Other', { clientId: 'oauth2-proxy', audiences: ['x'] });
    }, { paths: ['lab/Auth', 'lab/Auth/Proxy'], prop: "prop 'clientId'", allowed: /already the client/ });
    rejects((r) => {
      r.addServiceAccountClient('A', { clientId: 'risk-engine', audiences: ['x'] });
      r.addServiceAccountClient('B', { clientId: 'risk.engine', audiences: ['x'] });
    }, { paths: ['lab/Auth'], prop: "prop 'clientId'", allowed: /MLSEC_KC_CLIENT_SECRET_RISK_ENGINE/ });
  });

  it('refuses unknown roles in groups and clients', () => {
    rejects((r) => r.addGroup('ops', { roles: ['admin', 'root'] }), { paths: ['lab/Auth'], prop: /addGroup\("ops"\): prop 'roles' names unknown realm role "root"/ });
    rejects((r) => web(r, { roles: ['reader', 'superuser'] }), { paths: ['lab/Auth/Proxy'], prop: /prop 'roles' names unknown realm role "superuser"/ });
    rejects((r) => r.addServiceAccountClient('M2m', { clientId: 'm2m', audiences: ['x'], roles: ['god'] }), { paths: ['lab/Auth/M2m'], prop: /prop 'roles'/ });
    rejects(() => undefined, { paths: ['lab/Auth'], prop: /default group "admin": prop 'roles' names unknown realm role "admin"/ }, { roles: { reader: 'Reads' } });
  });

  it('refuses unknown, reserved and duplicate scopes, and bad audiences', () => {
    rejects((r) => web(r, { scopes: ['predict:online'] }), { paths: ['lab/Auth/Proxy'], prop: /prop 'scopes' names unknown client scope "predict:online"/ });
    rejects((r) => r.addClientScope('profile', { audience: 'x' }), { paths: ['lab/Auth'], prop: /addClientScope\("profile"\)/, allowed: /reserved/ });
    rejects((r) => { r.addClientScope('a:b', { audience: 'x' }); r.addClientScope('a:b', { audience: 'y' }); }, { paths: ['lab/Auth'], prop: /addClientScope\("a:b"\)/, allowed: /already exists/ });
    rejects((r) => r.addClientScope('a:b', { audience: 'Inference GW' }), { paths: ['lab/Auth'], prop: /addClientScope\("a:b"\)\.audience/ });
    rejects((r) => r.addServiceAccountClient('M2m', { clientId: 'm2m', audiences: [] }), { paths: ['lab/Auth/M2m'], prop: "prop 'audiences'" });
    rejects((r) => r.addServiceAccountClient('M2m', { clientId: 'm2m', audiences: ['*'] }), { paths: ['lab/Auth/M2m'], prop: "prop 'audiences'" });
  });

  it.each([
    [{ accessTokenLifespanSeconds: 30 }, 'accessTokenLifespanSeconds'],
    [{ accessTokenLifespanSeconds: 601 }, 'accessTokenLifespanSeconds'],
    [{ accessTokenLifespanSeconds: 300.5 }, 'accessTokenLifespanSeconds'],
    [{ accessTokenLifespanSeconds: '300' }, 'accessTokenLifespanSeconds'],
    [{ ssoSessionIdleSeconds: 60 }, 'ssoSessionIdleSeconds'],
    [{ ssoSessionMaxSeconds: 36000 }, 'ssoSessionMaxSeconds'],
    [{ offlineSessionMaxSeconds: 0 }, 'offlineSessionMaxSeconds'],
  ])('refuses the lifespan %j', (props, prop) => {
    rejects(() => undefined, { paths: ['lab/Auth'], prop: `prop '${prop}'`, allowed: /integer from/ }, props as any);
  });

  it('refuses an SSO maximum below the idle timeout', () => {
    rejects(() => undefined, { paths: ['lab/Auth'], prop: "prop 'ssoSessionMaxSeconds'", allowed: /at least prop 'ssoSessionIdleSeconds'/ }, { ssoSessionIdleSeconds: 3600, ssoSessionMaxSeconds: 1800 });
  });

  it('refuses reserved, duplicate and malformed roles', () => {
    rejects((r) => r.addRole('mfa-required', 'sneaky'), { paths: ['lab/Auth'], prop: /addRole\("mfa-required"\)/, allowed: /reserved/ });
    rejects((r) => r.addRole('default-roles-lab', 'sneaky'), { paths: ['lab/Auth'], prop: /addRole\("default-roles-lab"\)/, allowed: /reserved/ });
    rejects((r) => r.addRole('admin', 'again'), { paths: ['lab/Auth'], prop: /addRole\("admin"\)/, allowed: /already exists/ });
    rejects((r) => r.addRole('Admin', 'caps'), { paths: ['lab/Auth'], prop: /addRole\("Admin"\)\.name/ });
    rejects((r) => r.addRole('x', '${env.SECRET}'), { paths: ['lab/Auth'], prop: /addRole\("x"\)\.description/ });
    rejects((r) => r.addRole('a\nb', 'line break in the name'), { paths: ['lab/Auth'], prop: /addRole\("a\\nb"\)\.name/ });
  });

  it('refuses bad groups: duplicates, non-ABAC attributes, bad values', () => {
    rejects((r) => r.addGroup('admin', { roles: ['admin'] }), { paths: ['lab/Auth'], prop: /addGroup\("admin"\)/, allowed: /defaultGroups: false/ });
    rejects((r) => r.addGroup('ops', { roles: ['admin'], attributes: { clearance: ['top'] } }), { paths: ['lab/Auth'], prop: /prop 'attributes\.clearance'/, allowed: /tenant, domain/ });
    rejects((r) => r.addGroup('ops', { roles: ['admin'], attributes: { tenant: [] } }), { paths: ['lab/Auth'], prop: /prop 'attributes\.tenant'/ });
    rejects((r) => r.addGroup('ops', { roles: ['admin'], attributes: { tenant: ['a b'] } }), { paths: ['lab/Auth'], prop: /prop 'attributes\.tenant'/ });
    rejects((r) => r.addGroup('Ops', { roles: ['admin'] }), { paths: ['lab/Auth'], prop: /addGroup\("Ops"\)\.name/ });
  });

  it('refuses a description that Keycloak would read as a placeholder', () => {
    rejects((r) => web(r, { description: 'uses ${MLSEC_KC_CLIENT_SECRET_X}' }), { paths: ['lab/Auth/Proxy'], prop: "prop 'description'" });
  });
});
