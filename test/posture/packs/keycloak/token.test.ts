/** KC-12 access-token lifespan, KC-13 refresh-token rotation, KC-14 offline access and session bounds. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, clientOf, compliantFindings, lineOf, variant } from './realm-fixtures';

describe('KC-12 access-token lifespan', () => {
  const text = `{
  "realm": "lab",
  "accessTokenLifespan": 3600,
  "clients": [
    { "clientId": "grafana", "attributes": { "access.token.lifespan": "900" } },
    { "clientId": "airflow", "attributes": { "access.token.lifespan": "-1" } },
    { "clientId": "mlflow", "attributes": { "access.token.lifespan": "600" } },
    { "clientId": "jupyter", "attributes": { "access.token.lifespan": "" } }
  ]
}`;

  it('flags a realm lifespan above 600 s and client overrides above 600 s or never expiring', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-12')).toEqual(['KC-12[accessTokenLifespan]@3', 'KC-12[grafana]@5', 'KC-12[airflow]@6']);
    expect(findings.filter((f) => f.ruleId === 'KC-12').map((f) => f.message)).toEqual([
      "realm 'lab' sets accessTokenLifespan 3600 s, above 600 s",
      "client 'grafana' overrides access.token.lifespan to 900 s, above 600 s",
      "client 'airflow' overrides access.token.lifespan to -1 s (never expires)",
    ]);
  });

  it('flags a realm lifespan of 0 (no expiry)', async () => {
    const zero = variant((realm) => {
      realm.accessTokenLifespan = 0;
    });
    expect(hitsOf(await check(zero), 'KC-12')).toEqual([`KC-12[accessTokenLifespan]@${lineOf(zero, '"accessTokenLifespan"')}`]);
  });

  it('accepts 600 s exactly and an absent lifespan (Keycloak default 300 s)', async () => {
    const edge = variant((realm) => {
      realm.accessTokenLifespan = 600;
      delete clientOf(realm, 'oauth2-proxy').attributes['access.token.lifespan'];
    });
    expect(hitsOf(await check(edge), 'KC-12')).toEqual([]);
    expect(hitsOf(await check('{ "realm": "bare" }'), 'KC-12')).toEqual([]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-12')).toEqual([]);
  });
});

describe('KC-13 refresh-token rotation', () => {
  it('flags revokeRefreshToken false and refreshTokenMaxReuse above 0', async () => {
    const text = `{
  "realm": "lab",
  "revokeRefreshToken": false,
  "refreshTokenMaxReuse": 2
}`;
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-13')).toEqual(['KC-13[revokeRefreshToken]@3', 'KC-13[refreshTokenMaxReuse]@4']);
    expect(findings.filter((f) => f.ruleId === 'KC-13').map((f) => f.message)).toEqual([
      "realm 'lab' does not set revokeRefreshToken: true, so refresh tokens are not rotated",
      "realm 'lab' lets a refresh token be reused 2 time(s) (refreshTokenMaxReuse 2)",
    ]);
  });

  it('flags an absent revokeRefreshToken (Keycloak default false) at the realm object', async () => {
    expect(hitsOf(await check('{\n  "realm": "lab"\n}'), 'KC-13')).toEqual(['KC-13[revokeRefreshToken]@1']);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-13')).toEqual([]);
  });
});

describe('KC-14 offline access and session bounds', () => {
  it('flags offline_access in default scopes, and in optional scopes while refresh tokens are on', async () => {
    const text = `{
  "realm": "lab",
  "offlineSessionMaxLifespanEnabled": true,
  "ssoSessionIdleTimeout": 1800,
  "ssoSessionMaxLifespan": 28800,
  "clients": [
    {
      "clientId": "grafana",
      "defaultClientScopes": ["profile", "offline_access"],
      "optionalClientScopes": [
        "offline_access"
      ]
    },
    {
      "clientId": "mlflow",
      "attributes": { "use.refresh.tokens": "false" },
      "optionalClientScopes": ["offline_access"]
    },
    {
      "clientId": "svc-risk-engine",
      "standardFlowEnabled": false,
      "serviceAccountsEnabled": true,
      "defaultClientScopes": ["offline_access"]
    },
    { "clientId": "account", "optionalClientScopes": ["offline_access"] }
  ]
}`;
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-14')).toEqual(['KC-14[grafana]@9', 'KC-14[grafana]@11']);
    expect(findings.filter((f) => f.ruleId === 'KC-14').map((f) => f.message)).toEqual([
      "client 'grafana' has offline_access in its default client scopes",
      "client 'grafana' has offline_access in its optional client scopes",
    ]);
  });

  it('flags unbounded offline sessions and SSO lifespans that are unbounded or above 8 h', async () => {
    const text = `{
  "realm": "lab",
  "offlineSessionMaxLifespanEnabled": false,
  "ssoSessionIdleTimeout": 0,
  "ssoSessionMaxLifespan": 86400
}`;
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-14')).toEqual([
      'KC-14[offlineSessionMaxLifespanEnabled]@3',
      'KC-14[ssoSessionIdleTimeout]@4',
      'KC-14[ssoSessionMaxLifespan]@5',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-14').map((f) => f.message)).toEqual([
      "realm 'lab' does not set offlineSessionMaxLifespanEnabled: true, so offline sessions never end",
      "realm 'lab' sets ssoSessionIdleTimeout 0 s, which is unbounded",
      "realm 'lab' sets ssoSessionMaxLifespan 86400 s, above 28800 s",
    ]);
  });

  it("applies Keycloak's defaults when the lifespans are absent: idle 1800 s passes, max 36000 s does not", async () => {
    const findings = await check('{\n  "realm": "lab",\n  "offlineSessionMaxLifespanEnabled": true\n}');
    expect(hitsOf(findings, 'KC-14')).toEqual(['KC-14[ssoSessionMaxLifespan]@1']);
    expect(findings.find((f) => f.ruleId === 'KC-14')?.message).toBe("realm 'lab' leaves ssoSessionMaxLifespan to Keycloak's default 36000 s, above 28800 s");
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-14')).toEqual([]);
  });
});
