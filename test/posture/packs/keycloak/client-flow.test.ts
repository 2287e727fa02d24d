/**
 * KC-07 implicit flow, KC-08 PKCE S256, KC-09 direct access grants (with the test-profile
 * allowance), KC-16 service account plus user flows.
 */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, clientOf, compliantFindings, lineOf, variant } from './realm-fixtures';

describe('KC-07 implicit flow', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    { "clientId": "legacy-spa", "publicClient": true, "implicitFlowEnabled": true, "redirectUris": ["https://spa.lab.example.org/"] },
    {
      "clientId": "reports",
      "implicitFlowEnabled": "true"
    },
    { "clientId": "api", "bearerOnly": true, "implicitFlowEnabled": true },
    { "clientId": "grafana", "implicitFlowEnabled": false }
  ]
}`;

  it('flags implicitFlowEnabled true (boolean or string) on clients that obtain tokens', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-07')).toEqual(['KC-07[legacy-spa]@4', 'KC-07[reports]@7']);
    expect(findings.find((f) => f.ruleId === 'KC-07')?.message).toBe("client 'legacy-spa' sets implicitFlowEnabled: true");
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-07')).toEqual([]);
  });
});

describe('KC-08 PKCE S256', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "grafana",
      "redirectUris": ["https://grafana.lab.example.org/login/generic_oauth"]
    },
    {
      "clientId": "portal",
      "publicClient": true,
      "attributes": {
        "pkce.code.challenge.method": "plain"
      }
    },
    {
      "clientId": "mlflow",
      "standardFlowEnabled": true,
      "attributes": { "pkce.code.challenge.method": "S256" }
    },
    { "clientId": "svc-fraud-engine", "standardFlowEnabled": false, "serviceAccountsEnabled": true },
    { "clientId": "realm-management", "bearerOnly": true }
  ]
}`;

  it('flags standard-flow clients (on by default) without S256, public or confidential', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-08')).toEqual(['KC-08[grafana]@4', 'KC-08[portal]@12']);
    expect(findings.filter((f) => f.ruleId === 'KC-08').map((f) => f.message)).toEqual([
      "confidential client 'grafana' has the standard flow on but does not enforce PKCE S256",
      "public client 'portal' uses PKCE method 'plain' instead of S256",
    ]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-08')).toEqual([]);
  });
});

describe('KC-09 direct access grants', () => {
  it('flags directAccessGrantsEnabled true at high severity, including on built-in admin-cli', async () => {
    const text = variant((realm) => {
      clientOf(realm, 'oauth2-proxy').directAccessGrantsEnabled = true;
      clientOf(realm, 'admin-cli').directAccessGrantsEnabled = true;
    });
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-09')).toEqual([
      `KC-09[oauth2-proxy]@${lineOf(text, '"directAccessGrantsEnabled": true')}`,
      `KC-09[admin-cli]@${lineOf(text, '"directAccessGrantsEnabled": true', 2)}`,
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-09').map((f) => [f.severity, f.level])).toEqual([
      ['high', 'error'],
      ['high', 'error'],
    ]);
  });

  it("downgrades a client marked attributes['mlsec.test-profile'] = \"true\" to severity info", async () => {
    const text = variant((realm) => {
      const portal = clientOf(realm, 'lab-portal');
      portal.directAccessGrantsEnabled = true;
      portal.attributes['mlsec.test-profile'] = 'true';
    });
    const findings = await check(text);
    const hit = findings.find((f) => f.ruleId === 'KC-09');
    expect(hitsOf(findings, 'KC-09')).toEqual([`KC-09[lab-portal]@${lineOf(text, '"directAccessGrantsEnabled": true')}`]);
    expect(hit?.severity).toBe('info');
    expect(hit?.message).toBe("test-profile client 'lab-portal' sets directAccessGrantsEnabled: true");
  });

  it('ignores bearer-only clients and the value "false"', async () => {
    const text = variant((realm) => {
      clientOf(realm, 'inference-gw').directAccessGrantsEnabled = true;
      clientOf(realm, 'oauth2-proxy').directAccessGrantsEnabled = 'false';
    });
    expect(hitsOf(await check(text), 'KC-09')).toEqual([]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-09')).toEqual([]);
  });
});

describe('KC-16 service account with a user flow', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "svc-risk-engine",
      "serviceAccountsEnabled": true
    },
    {
      "clientId": "ingestor-airflow",
      "standardFlowEnabled": false,
      "directAccessGrantsEnabled": true,
      "serviceAccountsEnabled": true
    },
    {
      "clientId": "svc-fraud-engine",
      "standardFlowEnabled": false,
      "serviceAccountsEnabled": true
    },
    { "clientId": "public-one", "publicClient": true, "serviceAccountsEnabled": true }
  ]
}`;

  it('flags confidential service-account clients with any user flow, the default standard flow included', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-16')).toEqual(['KC-16[svc-risk-engine]@6', 'KC-16[ingestor-airflow]@12']);
    expect(findings.filter((f) => f.ruleId === 'KC-16').map((f) => f.message)).toEqual([
      "service-account client 'svc-risk-engine' also has user flows on: standardFlowEnabled",
      "service-account client 'ingestor-airflow' also has user flows on: directAccessGrantsEnabled",
    ]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-16')).toEqual([]);
  });
});
