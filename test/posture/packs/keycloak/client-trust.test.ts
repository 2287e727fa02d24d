/** KC-10 shared-secret client authentication, KC-11 web origins, KC-15 full scope allowed. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantFindings } from './realm-fixtures';

describe('KC-10 shared-secret client authentication', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    { "clientId": "grafana", "clientAuthenticatorType": "client-secret", "secret": "\${vault.grafana_client_secret}" },
    {
      "clientId": "airflow"
    },
    { "clientId": "mlflow", "clientAuthenticatorType": "client-secret-jwt" },
    { "clientId": "core-banking", "clientAuthenticatorType": "client-jwt" },
    { "clientId": "partner-abc-client", "clientAuthenticatorType": "client-x509" },
    { "clientId": "portal", "publicClient": true },
    { "clientId": "api", "bearerOnly": true },
    { "clientId": "broker" }
  ]
}`;

  it('flags confidential clients on client-secret (the default) or client-secret-jwt, at low severity', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-10')).toEqual(['KC-10[grafana]@4', 'KC-10[airflow]@5', 'KC-10[mlflow]@8']);
    const hit = findings.find((f) => f.ruleId === 'KC-10');
    expect(hit?.message).toBe("confidential client 'grafana' authenticates with client-secret instead of client-jwt, client-x509 or federated-jwt");
    expect([hit?.severity, hit?.level]).toEqual(['low', 'info']);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-10')).toEqual([]);
  });
});

describe('KC-11 web origins', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "portal",
      "webOrigins": [
        "+",
        "https://portal.lab.example.org",
        "*",
        "https://portal.lab.example.org/",
        "portal.lab.example.org",
        "https://*.lab.example.org",
        "http://localhost:3000"
      ]
    }
  ]
}`;

  it('flags `*` and entries that are not bare origins', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-11')).toEqual(['KC-11[portal]@9', 'KC-11[portal]@10', 'KC-11[portal]@11', 'KC-11[portal]@12']);
    expect(findings.filter((f) => f.ruleId === 'KC-11').map((f) => f.message).slice(0, 2)).toEqual([
      "client 'portal' allows CORS from any origin (webOrigins '*')",
      "client 'portal' has invalid web origin 'https://portal.lab.example.org/' (expected scheme://host[:port])",
    ]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-11')).toEqual([]);
  });
});

describe('KC-15 full scope allowed', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    { "clientId": "grafana", "fullScopeAllowed": true },
    {
      "clientId": "airflow"
    },
    { "clientId": "mlflow", "fullScopeAllowed": false },
    { "clientId": "svc-risk-engine", "standardFlowEnabled": false, "serviceAccountsEnabled": true, "fullScopeAllowed": true },
    { "clientId": "security-admin-console", "fullScopeAllowed": true }
  ]
}`;

  it('flags user-facing clients with fullScopeAllowed true or absent (Keycloak default true); machines and built-ins are skipped', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-15')).toEqual(['KC-15[grafana]@4', 'KC-15[airflow]@5']);
    expect(findings.filter((f) => f.ruleId === 'KC-15').map((f) => f.message)).toEqual([
      "client 'grafana' sets fullScopeAllowed: true",
      "client 'airflow' does not set fullScopeAllowed: false, so Keycloak's default (true) applies",
    ]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-15')).toEqual([]);
  });
});
