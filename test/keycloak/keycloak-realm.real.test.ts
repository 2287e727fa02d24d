/**
 * The generated realm on a real Keycloak 26.7.3 (start-dev, H2 in a temp dir, HTTPS on loopback):
 * imported unchanged with client secrets injected through the environment, then probed through
 * its OIDC endpoints and admin REST API.
 */
import * as crypto from 'crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakRealm, Testing, Vps } from '../../lib';
import { stopAll } from '../support/real-servers/process-registry';
import { keycloakHome, KeycloakResponse, RunningKeycloak, startKeycloak } from '../support/real-servers/keycloak';

const CALLBACK = 'https://app.lab.example.com/oauth2/callback';
const REALM = '/realms/lab/protocol/openid-connect';
const STRONG = 'Correct-Horse-42-Battery!';

let kc: RunningKeycloak;
let realmText: string;
let realm: any;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  if (!keycloakHome()) throw new Error('Keycloak is not installed: run `npx projen test:deps`');
  const app = Testing.app(); // posture enforced: the realm must pass the KC rules as generated
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const auth = new KeycloakRealm(vps, 'Auth', { realmName: 'lab' });
  auth.addClientScope('predict:online', { audience: 'inference-gw' });
  auth.addWebClient('Proxy', { clientId: 'oauth2-proxy', redirectUris: [CALLBACK], webOrigins: ['https://app.lab.example.com'], roles: ['reader', 'admin', 'ml-trainer'] });
  auth.addServiceAccountClient('RiskEngine', { clientId: 'risk-engine', audiences: ['inference-gw'], roles: ['consumer'], scopes: ['predict:online'] });
  realmText = Testing.synth(app).file('lab/keycloak/realm-lab.json');
  realm = JSON.parse(realmText);
  for (const name of auth.secretVariables) secrets[name] = crypto.randomBytes(32).toString('base64url');
  kc = await startKeycloak({ realmFiles: { 'realm-lab.json': realmText }, env: secrets });
  console.log(`keycloak ready in ${kc.startupMs} ms`);
}, 240_000);

afterAll(async () => {
  await kc?.stop();
  await stopAll();
});

function pkce(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

function authUrl(params: Record<string, string>): string {
  return `${REALM}/auth?${new URLSearchParams({ response_type: 'code', client_id: 'oauth2-proxy', redirect_uri: CALLBACK, scope: 'openid', state: 'st', ...params })}`;
}

function claims(jwt: string): any {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

const asList = (aud: unknown): unknown[] => (Array.isArray(aud) ? aud : [aud]);
const pageText = (r: KeycloakResponse) => r.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
const location = (r: KeycloakResponse) => new URL(String(r.headers.location));

/** A browser session: keeps Keycloak's cookies between the login page and the form post. */
class Browser {
  private readonly jar = new Map<string, string>();

  public async get(url: string): Promise<KeycloakResponse> {
    return this.keep(await kc.request(url, { headers: this.cookie() }));
  }

  public async post(url: string, form: Record<string, string>): Promise<KeycloakResponse> {
    return this.keep(await kc.request(url, { form, headers: this.cookie() }));
  }

  /** Opens the login page with a fresh S256 challenge and posts the credentials. */
  public async login(username: string, password: string): Promise<{ res: KeycloakResponse; verifier: string }> {
    const { verifier, challenge } = pkce();
    const page = await this.get(authUrl({ code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(page.status, pageText(page)).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(action, 'login form').toBeDefined();
    return { res: await this.post(action!, { username, password, credentialId: '' }), verifier };
  }

  private cookie(): Record<string, string> {
    return this.jar.size === 0 ? {} : { Cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private keep(r: KeycloakResponse): KeycloakResponse {
    const set = r.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const pair = c.split(';')[0];
      this.jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return r;
  }
}

async function createUser(username: string, group: string, password: string): Promise<{ id: string; passwordStatus: number }> {
  const created = await kc.admin('POST', '/admin/realms/lab/users', {
    username, enabled: true, email: `${username}@lab.example.com`, emailVerified: true, firstName: 'Test', lastName: 'User', groups: [`/${group}`],
  });
  expect(created.status, created.body).toBe(201);
  const id = String(created.headers.location).split('/').pop()!;
  const pw = await kc.admin('PUT', `/admin/realms/lab/users/${id}/reset-password`, { type: 'password', value: password, temporary: false });
  return { id, passwordStatus: pw.status };
}

async function clientUuid(clientId: string): Promise<string> {
  const r = await kc.admin('GET', `/admin/realms/lab/clients?clientId=${clientId}`);
  return r.json()[0].id;
}

const token = (form: Record<string, string>, plainHttp = false) => kc.request(`${REALM}/token`, { form, plainHttp });
const webSecret = () => secrets.MLSEC_KC_CLIENT_SECRET_OAUTH2_PROXY;

describe('the generated realm on Keycloak 26.7.3', () => {
  it('imports unchanged: every realm setting reads back from the admin API as generated', async () => {
    const live = (await kc.admin('GET', '/admin/realms/lab')).json();
    for (const [key, value] of Object.entries(realm)) {
      if (value === null || typeof value !== 'object') expect(live[key], key).toEqual(value);
    }
    expect(live.browserSecurityHeaders).toEqual(realm.browserSecurityHeaders);
    expect([...live.enabledEventTypes].sort()).toEqual([...realm.enabledEventTypes].sort());
    expect(live).toMatchObject({
      sslRequired: 'all', bruteForceProtected: true, failureFactor: 5, permanentLockout: false,
      accessTokenLifespan: 300, revokeRefreshToken: true, refreshTokenMaxReuse: 0, browserFlow: 'mlsec-browser',
      passwordPolicy: expect.stringContaining('hashAlgorithm(argon2)'), registrationAllowed: false, eventsEnabled: true, adminEventsEnabled: true,
    });
    const mfa = (await kc.admin('GET', '/admin/realms/lab/authentication/flows/mlsec-browser-mfa/executions')).json();
    expect(mfa.map((e: any) => [e.providerId, e.requirement])).toEqual([['conditional-user-role', 'REQUIRED'], ['auth-otp-form', 'REQUIRED']]);
  });

  it('keeps the client settings: PKCE S256, one flow family, exact URIs, no full scope, no offline_access', async () => {
    const web = (await kc.admin('GET', `/admin/realms/lab/clients/${await clientUuid('oauth2-proxy')}`)).json();
    expect(web).toMatchObject({
      publicClient: false, standardFlowEnabled: true, implicitFlowEnabled: false, directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false, fullScopeAllowed: false, redirectUris: [CALLBACK], webOrigins: ['https://app.lab.example.com'],
      attributes: expect.objectContaining({ 'pkce.code.challenge.method': 'S256' }), optionalClientScopes: [],
    });
    const m2m = (await kc.admin('GET', `/admin/realms/lab/clients/${await clientUuid('risk-engine')}`)).json();
    expect(m2m).toMatchObject({ standardFlowEnabled: false, implicitFlowEnabled: false, directAccessGrantsEnabled: false, serviceAccountsEnabled: true, optionalClientScopes: ['predict:online'] });
  });

  it('holds the client secrets injected at import, which appear nowhere in the realm file', async () => {
    expect(Object.keys(secrets).sort()).toEqual(['MLSEC_KC_CLIENT_SECRET_OAUTH2_PROXY', 'MLSEC_KC_CLIENT_SECRET_RISK_ENGINE']);
    for (const [clientId, variable] of [['oauth2-proxy', 'MLSEC_KC_CLIENT_SECRET_OAUTH2_PROXY'], ['risk-engine', 'MLSEC_KC_CLIENT_SECRET_RISK_ENGINE']]) {
      const live = (await kc.admin('GET', `/admin/realms/lab/clients/${await clientUuid(clientId)}/client-secret`)).json();
      expect(live.value, clientId).toBe(secrets[variable]);
      expect(realmText).not.toContain(secrets[variable]);
      expect(realm.clients.find((c: any) => c.clientId === clientId).secret).toBe(`\${${variable}}`);
    }
  });

  it('rejects an authorization request without a PKCE challenge, or with plain, and shows the login page for S256', async () => {
    const none = await kc.request(authUrl({}));
    expect(none.status).toBe(302);
    expect(location(none).searchParams.get('error')).toBe('invalid_request');
    expect(location(none).searchParams.get('error_description')).toMatch(/code_challenge_method/);
    const plain = await kc.request(authUrl({ code_challenge: pkce().verifier, code_challenge_method: 'plain' }));
    expect(location(plain).searchParams.get('error')).toBe('invalid_request');
    const s256 = await kc.request(authUrl({ code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(s256.status).toBe(200);
    expect(s256.body).toContain('kc-form-login');
  });

  it('rejects unregistered redirect URIs, including extensions of the registered one', async () => {
    const { challenge } = pkce();
    for (const uri of ['https://evil.example.com/oauth2/callback', `${CALLBACK}x`, `${CALLBACK}/../../steal`, 'https://app.lab.example.com/']) {
      const r = await kc.request(authUrl({ redirect_uri: uri, code_challenge: challenge, code_challenge_method: 'S256' }));
      expect(r.status, uri).toBe(400);
      expect(pageText(r), uri).toContain('Invalid parameter: redirect_uri');
    }
  });

  it('rejects the implicit flow and direct access grants, also with the injected secret', async () => {
    for (const responseType of ['token', 'id_token token']) {
      const r = await kc.request(authUrl({ response_type: responseType, nonce: 'n' }));
      const fragment = new URLSearchParams(location(r).hash.slice(1));
      expect(fragment.get('error'), responseType).toBe('unauthorized_client');
    }
    const ropc = await token({ grant_type: 'password', client_id: 'oauth2-proxy', client_secret: webSecret(), username: 'x', password: STRONG });
    expect(ropc.status).toBe(400);
    expect(ropc.json()).toMatchObject({ error: 'unauthorized_client', error_description: expect.stringMatching(/direct access grants/) });
    const cc = await token({ grant_type: 'client_credentials', client_id: 'oauth2-proxy', client_secret: webSecret() });
    expect(cc.json().error).toBe('unauthorized_client');
  });

  it('refuses plain HTTP (sslRequired all)', async () => {
    const r = await token({ grant_type: 'client_credentials', client_id: 'risk-engine', client_secret: secrets.MLSEC_KC_CLIENT_SECRET_RISK_ENGINE }, true);
    expect(r.status).toBe(403);
    expect(r.json().error_description).toBe('HTTPS required');
  });

  it('gives the service account a 5-minute token for its audience with its injected secret, and nothing without it', async () => {
    const r = await token({ grant_type: 'client_credentials', client_id: 'risk-engine', client_secret: secrets.MLSEC_KC_CLIENT_SECRET_RISK_ENGINE, scope: 'predict:online' });
    expect(r.status, r.body).toBe(200);
    const body = r.json();
    expect(body.refresh_token).toBeUndefined();
    const at = claims(body.access_token);
    expect(asList(at.aud)).toContain('inference-gw');
    expect(at.realm_access.roles).toEqual(['consumer']);
    expect(at.exp - at.iat).toBe(300);
    expect(at.azp).toBe('risk-engine');
    const wrong = await token({ grant_type: 'client_credentials', client_id: 'risk-engine', client_secret: `\${MLSEC_KC_CLIENT_SECRET_RISK_ENGINE}` });
    expect(wrong.status).toBe(401);
    const user = await kc.request(authUrl({ client_id: 'risk-engine', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(pageText(user)).toContain('Invalid parameter: redirect_uri');
  });

  it('enforces the password policy on the admin API', async () => {
    expect((await createUser('weak-pw', 'reader', 'Short1!')).passwordStatus).toBe(400);
    expect((await createUser('no-special', 'reader', 'Abcdefghijklmn1')).passwordStatus).toBe(400);
    expect((await createUser('good-pw', 'reader', STRONG)).passwordStatus).toBe(204);
  });

  it('logs a reader in with password only; the code needs the PKCE verifier; tokens carry group claims; refresh tokens rotate', async () => {
    await createUser('rita', 'reader', STRONG);
    const browser = new Browser();
    const first = await browser.login('rita', STRONG);
    expect(first.res.status, pageText(first.res)).toBe(302);
    const code = location(first.res).searchParams.get('code')!;
    expect(String(first.res.headers.location).startsWith(`${CALLBACK}?`)).toBe(true);
    const exchange = (c: string, verifier: string) =>
      token({ grant_type: 'authorization_code', code: c, redirect_uri: CALLBACK, client_id: 'oauth2-proxy', client_secret: webSecret(), code_verifier: verifier });
    const badVerifier = await exchange(code, pkce().verifier);
    expect(badVerifier.json().error).toBe('invalid_grant');
    // A code is single-use, even after a failed redemption: log in again (the SSO cookie skips the form).
    const { verifier, challenge } = pkce();
    const again = await browser.get(authUrl({ code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(again.status).toBe(302);
    const tokens = await exchange(location(again).searchParams.get('code')!, verifier);
    expect(tokens.status, tokens.body).toBe(200);
    const at = claims(tokens.json().access_token);
    expect(asList(at.aud)).toContain('oauth2-proxy');
    expect(at).toMatchObject({ groups: ['reader'], tenant: ['lab'], env: ['lab'], domain: ['ml'], data_clearance: ['internal'], realm_access: { roles: ['reader'] } });
    expect(at.exp - at.iat).toBe(300);
    expect(claims(tokens.json().id_token)).toMatchObject({ preferred_username: 'rita', email: 'rita@lab.example.com', email_verified: true });
    const refresh = (rt: string) => token({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'oauth2-proxy', client_secret: webSecret() });
    const rotated = await refresh(tokens.json().refresh_token);
    expect(rotated.status, rotated.body).toBe(200);
    expect(rotated.json().refresh_token).not.toBe(tokens.json().refresh_token);
    const reused = await refresh(tokens.json().refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.json().error).toBe('invalid_grant');
  });

  it('sends an admin-group member to OTP setup after the password (MFA flow bound)', async () => {
    await createUser('ada', 'admin', STRONG);
    const { res } = await new Browser().login('ada', STRONG);
    expect(res.status, pageText(res)).toBe(302);
    expect(location(res).pathname).toBe('/realms/lab/login-actions/required-action');
    expect(location(res).searchParams.get('execution')).toBe('CONFIGURE_TOTP');
  });

  it('locks an account after repeated failures (brute-force protection) and records the events', async () => {
    const { id } = await createUser('bruno', 'reader', STRONG);
    for (let i = 0; i < 5; i++) {
      const { res } = await new Browser().login('bruno', `Wrong-Password-${i}!x`);
      expect(res.status).toBe(200);
    }
    const status = (await kc.admin('GET', `/admin/realms/lab/attack-detection/brute-force/users/${id}`)).json();
    expect(status.disabled).toBe(true);
    expect(status.numFailures).toBeGreaterThanOrEqual(1);
    const { res } = await new Browser().login('bruno', STRONG);
    expect(res.status, 'locked: the right password gives no code').toBe(200);
    const events = (await kc.admin('GET', '/admin/realms/lab/events?type=LOGIN_ERROR&max=100')).json();
    expect(events.some((e: any) => e.details?.username === 'bruno')).toBe(true);
    const adminEvents = (await kc.admin('GET', '/admin/realms/lab/admin-events?operationTypes=CREATE&resourceTypes=USER&max=100')).json();
    expect(adminEvents.length).toBeGreaterThan(0);
    expect(adminEvents.some((e: any) => typeof e.representation === 'string' && e.representation.includes('bruno'))).toBe(true);
  });
});
