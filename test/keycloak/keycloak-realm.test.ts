/**
 * The generated realm file, control by control (CONTROLS.md Z8-K07/K08 and §4.5, RULES.md KC-01…26),
 * synthesized to disk through a real App, plus one small snapshot.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { App, KeycloakRealm, KeycloakRealmProps, Posture, Testing, Vps } from '../../lib';
import { isPlaintextSecret } from '../../lib/posture/packs/keycloak/secret-placeholders';
import { STANDARD_USER_ATTRIBUTES } from '../../lib/posture/packs/keycloak/user-profile';
import { tempDir } from '../support/fixtures';

const CALLBACK = 'https://mlflow.lab.example.com/oauth2/callback';
const temps: (() => void)[] = [];
afterAll(() => temps.forEach((cleanup) => cleanup()));

/** The reference realm: defaults, two API scopes, one OIDC proxy, two M2M callers. */
function build(props: Partial<KeycloakRealmProps> = {}, outdir?: string) {
  const app = new App({ outdir: outdir ?? 'synth-out', secretsDir: 'secrets' });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const realm = new KeycloakRealm(vps, 'Auth', { realmName: 'lab', frontendUrl: 'https://auth.lab.example.com', ...props });
  realm.addClientScope('predict:online', { audience: 'inference-gw' });
  realm.addClientScope('registry:model:approve', { audience: 'registry', description: 'Approve model versions in the registry' });
  realm.addWebClient('Proxy', {
    clientId: 'oauth2-proxy', redirectUris: [CALLBACK, 'https://airflow.lab.example.com/oauth2/callback'],
    webOrigins: ['https://mlflow.lab.example.com'], roles: ['reader', 'ml-trainer', 'ml-sec'], description: 'OIDC forward-auth proxy',
  });
  realm.addServiceAccountClient('RiskEngine', { clientId: 'risk-engine', audiences: ['inference-gw'], roles: ['consumer'], scopes: ['predict:online'] });
  realm.addServiceAccountClient('Promoter', { clientId: 'svc-promoter', audiences: ['registry'], roles: ['promoter'], scopes: ['registry:model:approve'] });
  return { app, vps, realm };
}

/** Synthesizes to a temporary directory with `app.synth()` and reads the realm back from disk. */
function synthToDisk(props: Partial<KeycloakRealmProps> = {}) {
  const { dir, cleanup } = tempDir();
  temps.push(cleanup);
  const outdir = path.join(dir, 'out');
  const built = build(props, outdir);
  built.app.synth();
  const text = fs.readFileSync(path.join(outdir, 'lab', 'keycloak', 'realm-lab.json'), 'utf8');
  return { ...built, outdir, text, doc: JSON.parse(text) };
}

const { realm, text, doc, outdir } = synthToDisk();
const clients: any[] = doc.clients;
const byId = (id: string) => clients.find((c) => c.clientId === id);
const scopeNamed = (name: string) => doc.clientScopes.find((s: any) => s.name === name);
const allMappers = (): any[] => [...doc.clientScopes.flatMap((s: any) => s.protocolMappers ?? []), ...clients.flatMap((c) => c.protocolMappers ?? [])];

describe('KeycloakRealm: the file', () => {
  it('is keycloak/realm-<name>.json, audited as a keycloak-realm document', () => {
    expect(realm.file.path).toBe('keycloak/realm-lab.json');
    const [rendered] = realm.file.renderDocuments();
    expect(rendered).toMatchObject({ path: 'lab/keycloak/realm-lab.json', kind: 'keycloak-realm', producer: 'lab/Auth/File' });
    expect(rendered.content).toBe(text);
    expect(realm.realmName).toBe('lab');
  });

  it('is canonical JSON: deterministic, keys sorted after the realm identity, arrays sorted by name', () => {
    expect(Object.keys(doc).slice(0, 3)).toEqual(['realm', 'displayName', 'enabled']);
    expect(Object.keys(doc).slice(3)).toEqual([...Object.keys(doc).slice(3)].sort());
    expect(text.endsWith('}\n')).toBe(true);
    // Same tree, other call order: same bytes.
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const r = new KeycloakRealm(vps, 'Auth', { realmName: 'lab', frontendUrl: 'https://auth.lab.example.com' });
    r.addServiceAccountClient('Promoter', { clientId: 'svc-promoter', audiences: ['registry'], roles: ['promoter'], scopes: ['registry:model:approve'] });
    r.addServiceAccountClient('RiskEngine', { clientId: 'risk-engine', audiences: ['inference-gw'], roles: ['consumer'], scopes: ['predict:online'] });
    r.addWebClient('Proxy', {
      clientId: 'oauth2-proxy', redirectUris: [CALLBACK, 'https://airflow.lab.example.com/oauth2/callback'],
      webOrigins: ['https://mlflow.lab.example.com'], roles: ['ml-sec', 'ml-trainer', 'reader'], description: 'OIDC forward-auth proxy',
    });
    r.addClientScope('registry:model:approve', { audience: 'registry', description: 'Approve model versions in the registry' });
    r.addClientScope('predict:online', { audience: 'inference-gw' });
    expect(Testing.synth(app).file('lab/keycloak/realm-lab.json')).toBe(text);
  });

  it('passes the Keycloak posture rules; only KC-10 (client secrets) is acknowledged, with a reason, per client', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'lab', 'posture', 'report.json'), 'utf8'));
    const kc = report.findings.filter((f: any) => f.ruleId.startsWith('KC-'));
    expect(kc.map((f: any) => f.granularId).sort()).toEqual(['KC-10[oauth2-proxy]', 'KC-10[risk-engine]', 'KC-10[svc-promoter]']);
    for (const f of kc) expect(f.acknowledged.reason.length).toBeGreaterThan(40);
    const { app } = build();
    Posture.fromAssembly(Testing.synth(app)).hasNoFindings();
  });
});

describe('KeycloakRealm: realm controls', () => {
  it('requires TLS for every request and turns self-registration off', () => {
    expect(doc).toMatchObject({ sslRequired: 'all', registrationAllowed: false, verifyEmail: true, rememberMe: false, editUsernameAllowed: false });
    expect(doc.attributes.frontendUrl).toBe('https://auth.lab.example.com');
  });

  it('locks accounts temporarily after 5 failures, never permanently', () => {
    expect(doc).toMatchObject({ bruteForceProtected: true, failureFactor: 5, permanentLockout: false, waitIncrementSeconds: 60, maxFailureWaitSeconds: 900 });
  });

  it('has a strong Argon2 password policy', () => {
    expect(doc.passwordPolicy).toBe(
      'length(14) and upperCase(1) and lowerCase(1) and digits(1) and specialChars(1) and notUsername and notEmail and passwordHistory(5) and hashAlgorithm(argon2)',
    );
  });

  it('issues 5-minute access tokens, rotates refresh tokens with no reuse, bounds SSO and offline sessions', () => {
    expect(doc).toMatchObject({
      accessTokenLifespan: 300, revokeRefreshToken: true, refreshTokenMaxReuse: 0,
      ssoSessionIdleTimeout: 1800, ssoSessionMaxLifespan: 28800,
      offlineSessionMaxLifespanEnabled: true, offlineSessionMaxLifespan: 2592000,
    });
    const custom = build({ accessTokenLifespanSeconds: 120, ssoSessionIdleSeconds: 900, ssoSessionMaxSeconds: 3600, offlineSessionMaxSeconds: 86400 });
    const d = JSON.parse(Testing.synth(custom.app).file('lab/keycloak/realm-lab.json'));
    expect(d).toMatchObject({ accessTokenLifespan: 120, ssoSessionIdleTimeout: 900, ssoSessionMaxLifespan: 3600, offlineSessionMaxLifespan: 86400, offlineSessionIdleTimeout: 86400 });
  });

  it('records login and admin events with details, and sends strict browser security headers', () => {
    expect(doc).toMatchObject({ eventsEnabled: true, adminEventsEnabled: true, adminEventsDetailsEnabled: true, eventsExpiration: 7776000 });
    expect(doc.enabledEventTypes).toEqual(expect.arrayContaining(['LOGIN', 'LOGIN_ERROR', 'CLIENT_LOGIN_ERROR', 'REFRESH_TOKEN_ERROR', 'UPDATE_TOTP', 'USER_DISABLED_BY_TEMPORARY_LOCKOUT']));
    expect(doc.browserSecurityHeaders).toMatchObject({
      strictTransportSecurity: 'max-age=31536000; includeSubDomains', xFrameOptions: 'DENY',
      contentSecurityPolicy: "frame-src 'self'; frame-ancestors 'none'; object-src 'none';", xContentTypeOptions: 'nosniff', referrerPolicy: 'no-referrer',
    });
  });

  it('has a TOTP and a WebAuthn policy', () => {
    expect(doc).toMatchObject({ otpPolicyType: 'totp', otpPolicyAlgorithm: 'HmacSHA1', otpPolicyDigits: 6, otpPolicyPeriod: 30, otpPolicyCodeReusable: false });
    expect(doc).toMatchObject({ webAuthnPolicyUserVerificationRequirement: 'required', webAuthnPolicySignatureAlgorithms: ['ES256', 'RS256'] });
  });

  it('binds a browser flow that requires OTP for holders of mfa-required, which only admin, security and ml-sec grant', () => {
    expect(doc.browserFlow).toBe('mlsec-browser');
    const flows = Object.fromEntries(doc.authenticationFlows.map((f: any) => [f.alias, f]));
    expect(flows['mlsec-browser'].topLevel).toBe(true);
    expect(flows['mlsec-browser'].authenticationExecutions.map((e: any) => [e.authenticator ?? e.flowAlias, e.requirement]))
      .toEqual([['auth-cookie', 'ALTERNATIVE'], ['mlsec-browser-forms', 'ALTERNATIVE']]);
    expect(flows['mlsec-browser-forms'].authenticationExecutions.map((e: any) => [e.authenticator ?? e.flowAlias, e.requirement]))
      .toEqual([['auth-username-password-form', 'REQUIRED'], ['mlsec-browser-mfa', 'CONDITIONAL']]);
    expect(flows['mlsec-browser-mfa'].authenticationExecutions.map((e: any) => [e.authenticator, e.requirement, e.authenticatorConfig]))
      .toEqual([['conditional-user-role', 'REQUIRED', 'mlsec-mfa-required-role'], ['auth-otp-form', 'REQUIRED', undefined]]);
    expect(doc.authenticatorConfig).toEqual([{ alias: 'mlsec-mfa-required-role', config: { condUserRole: 'mfa-required', negate: 'false' } }]);
    const mfa = doc.groups.filter((g: any) => g.realmRoles.includes('mfa-required')).map((g: any) => g.name);
    expect(mfa).toEqual(['admin', 'ml-sec', 'security']);
  });

  it('declares the role catalog and the human groups with ABAC attributes', () => {
    expect(doc.roles.realm.map((r: any) => r.name)).toEqual([
      'admin', 'auditor', 'consumer', 'core-banking', 'data-engineer', 'fraud_analyst', 'mfa-required', 'ml-sec', 'ml-trainer',
      'product', 'promoter', 'reader', 'registrar', 'risk-ops', 'risk_analyst', 'risk_analyst_lead', 'security',
    ]);
    expect(doc.groups.map((g: any) => g.name)).toEqual(['admin', 'auditor', 'data-engineer', 'ml-sec', 'ml-trainer', 'product', 'reader', 'security']);
    const trainer = doc.groups.find((g: any) => g.name === 'ml-trainer');
    expect(trainer).toMatchObject({ path: '/ml-trainer', realmRoles: ['ml-trainer'], attributes: { tenant: ['lab'], env: ['lab'], domain: ['ml'], purpose: ['model-development'], data_clearance: ['confidential'] } });
  });

  it('maps groups, roles and ABAC attributes into tokens from attributes only admins may edit (KC-24)', () => {
    const abac = scopeNamed('abac').protocolMappers;
    expect(abac.map((m: any) => m.config['claim.name']).sort()).toEqual(['data_clearance', 'domain', 'env', 'groups', 'project', 'purpose', 'tenant']);
    for (const m of abac.filter((x: any) => x.protocolMapper === 'oidc-usermodel-attribute-mapper')) expect(m.config['aggregate.attrs']).toBe('true');
    expect(scopeNamed('roles').protocolMappers.map((m: any) => m.protocolMapper)).toEqual(['oidc-usermodel-realm-role-mapper']);
    const profile = JSON.parse(doc.components['org.keycloak.userprofile.UserProfileProvider'][0].config['kc.user.profile.config'][0]);
    const declared = new Map(profile.attributes.map((a: any) => [a.name, a]));
    for (const m of allMappers().filter((x) => x.protocolMapper === 'oidc-usermodel-attribute-mapper')) {
      const attribute = m.config['user.attribute'];
      if (STANDARD_USER_ATTRIBUTES.has(attribute)) continue;
      expect((declared.get(attribute) as any)?.permissions, attribute).toEqual({ view: ['admin'], edit: ['admin'] });
    }
    expect(profile.unmanagedAttributePolicy).toBeUndefined();
  });

  it('gives every API scope exactly one audience mapper, and audiences come from nowhere else', () => {
    for (const name of ['predict:online', 'registry:model:approve']) {
      const mappers = scopeNamed(name).protocolMappers;
      expect(mappers, name).toHaveLength(1);
      expect(mappers[0].protocolMapper).toBe('oidc-audience-mapper');
    }
    expect(scopeNamed('predict:online').protocolMappers[0].config['included.custom.audience']).toBe('inference-gw');
    for (const s of doc.clientScopes.filter((x: any) => !x.name.includes(':'))) {
      expect(s.protocolMappers.some((m: any) => m.protocolMapper.includes('audience')), s.name).toBe(false);
    }
    expect(allMappers().some((m) => m.protocolMapper === 'oidc-audience-resolve-mapper')).toBe(false);
  });
});

describe('KeycloakRealm: clients', () => {
  it('enforces PKCE S256 on every standard-flow client and allows no implicit flow or direct grants anywhere', () => {
    for (const c of clients) {
      expect(c.implicitFlowEnabled, c.clientId).toBe(false);
      expect(c.directAccessGrantsEnabled, c.clientId).toBe(false);
      expect(c.publicClient, c.clientId).toBe(false);
      expect(c.fullScopeAllowed, c.clientId).toBe(false);
      if (c.standardFlowEnabled) expect(c.attributes['pkce.code.challenge.method'], c.clientId).toBe('S256');
    }
    expect(clients.filter((c) => c.standardFlowEnabled).map((c) => c.clientId)).toEqual(['oauth2-proxy']);
  });

  it('gives the web client exactly its redirect URIs and origins, its roles as scope mappings, and its own audience', () => {
    const web = byId('oauth2-proxy');
    expect(web).toMatchObject({
      standardFlowEnabled: true, serviceAccountsEnabled: false, consentRequired: false, frontchannelLogout: true,
      clientAuthenticatorType: 'client-secret', description: 'OIDC forward-auth proxy',
      redirectUris: [CALLBACK, 'https://airflow.lab.example.com/oauth2/callback'], webOrigins: ['https://mlflow.lab.example.com'],
      defaultClientScopes: ['basic', 'roles', 'abac', 'profile', 'email', 'acr'], optionalClientScopes: [],
    });
    expect(web.protocolMappers).toEqual([expect.objectContaining({ protocolMapper: 'oidc-audience-mapper', config: expect.objectContaining({ 'included.client.audience': 'oauth2-proxy' }) })]);
    expect(doc.scopeMappings).toContainEqual({ client: 'oauth2-proxy', roles: ['ml-sec', 'ml-trainer', 'reader'] });
    expect(realm.clients.map((c) => [c.clientId, c.redirectUris, c.webOrigins])).toContainEqual(['oauth2-proxy', [CALLBACK, 'https://airflow.lab.example.com/oauth2/callback'], ['https://mlflow.lab.example.com']]);
  });

  it('gives service accounts client credentials only, their audiences, roles and requested scopes', () => {
    const m2m = byId('risk-engine');
    expect(m2m).toMatchObject({
      standardFlowEnabled: false, implicitFlowEnabled: false, directAccessGrantsEnabled: false, serviceAccountsEnabled: true,
      redirectUris: [], webOrigins: [], defaultClientScopes: ['basic', 'roles', 'abac'], optionalClientScopes: ['predict:online'],
    });
    expect(m2m.attributes['oauth2.device.authorization.grant.enabled']).toBe('false');
    expect(m2m.protocolMappers.map((m: any) => m.config['included.custom.audience'])).toEqual(['inference-gw']);
    expect(doc.users).toContainEqual({ username: 'service-account-risk-engine', enabled: true, serviceAccountClientId: 'risk-engine', realmRoles: ['consumer'] });
  });

  it('keeps offline_access out of every client and out of the realm defaults', () => {
    expect(doc.defaultDefaultClientScopes).toEqual([]);
    expect(doc.defaultOptionalClientScopes).toEqual([]);
    for (const c of clients) expect([...c.defaultClientScopes, ...c.optionalClientScopes], c.clientId).not.toContain('offline_access');
  });

  it('carries no secret: every client secret is the ${MLSEC_KC_CLIENT_SECRET_<ID>} placeholder, the only ${ in the file', () => {
    expect(clients.map((c) => c.secret)).toEqual([
      '${MLSEC_KC_CLIENT_SECRET_OAUTH2_PROXY}', '${MLSEC_KC_CLIENT_SECRET_RISK_ENGINE}', '${MLSEC_KC_CLIENT_SECRET_SVC_PROMOTER}',
    ]);
    for (const c of clients) expect(isPlaintextSecret(c.secret), c.clientId).toBe(false);
    expect(text.match(/\$\{[^}]*\}/g)).toEqual(clients.map((c) => c.secret));
    expect(realm.secretVariables).toEqual(['MLSEC_KC_CLIENT_SECRET_OAUTH2_PROXY', 'MLSEC_KC_CLIENT_SECRET_RISK_ENGINE', 'MLSEC_KC_CLIENT_SECRET_SVC_PROMOTER']);
    expect(realm.clients.find((c) => c.clientId === 'oauth2-proxy')!.secretVariable).toBe('MLSEC_KC_CLIENT_SECRET_OAUTH2_PROXY');
    expect(doc.users.every((u: any) => u.credentials === undefined)).toBe(true);
    expect(doc.smtpServer).toBeUndefined();
  });
});

describe('KeycloakRealm: snapshot', () => {
  it('matches the snapshot of a small realm\'s derived part (one group, one web client, one service account)', async () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const small = new KeycloakRealm(vps, 'Auth', { realmName: 'lab', roles: { reader: 'Reads', consumer: 'Calls inference' }, defaultGroups: false });
    small.addGroup('reader', { roles: ['reader'], attributes: { domain: ['ml'], data_clearance: ['internal'] } });
    small.addClientScope('predict:online', { audience: 'inference-gw' });
    small.addWebClient('Proxy', { clientId: 'oauth2-proxy', redirectUris: [CALLBACK], webOrigins: ['https://mlflow.lab.example.com'], roles: ['reader'] });
    small.addServiceAccountClient('RiskEngine', { clientId: 'risk-engine', audiences: ['inference-gw'], roles: ['consumer'], scopes: ['predict:online'] });
    // The derived part only (the fixed hardening is asserted key by key above): clients, API scopes, roles, groups.
    const d = JSON.parse(Testing.synth(app).file('lab/keycloak/realm-lab.json'));
    const derived = {
      realm: d.realm, roles: d.roles, groups: d.groups, clients: d.clients, users: d.users, scopeMappings: d.scopeMappings,
      clientScopes: d.clientScopes.filter((s: any) => s.name.includes(':')),
    };
    await expect(JSON.stringify(derived, null, 2) + '\n').toMatchFileSnapshot('__snapshots__/realm-lab.derived.json');
  });
});
