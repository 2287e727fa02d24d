/** KC-21 plaintext secrets in the realm file (unsuppressible), and the placeholders it accepts. */
import { describe, expect, it } from 'vitest';
import { KC_21 } from '../../../../lib/posture/packs/keycloak/secret-rules';
import { isPlaintextSecret } from '../../../../lib/posture/packs/keycloak/secret-placeholders';
import { hitsOf } from '../../support';
import { check, compliantFindings } from './realm-fixtures';

describe('KC-21 plaintext secrets', () => {
  const text = `{
  "realm": "lab",
  "smtpServer": { "host": "smtp.lab.example.org", "password": "Sm7p-p4ss!" },
  "clients": [
    { "clientId": "grafana", "secret": "f3b0c44298fc1c149afbf4c8996fb924" },
    {
      "clientId": "airflow",
      "secret": "\${vault.airflow_client_secret}",
      "attributes": { "client.secret.rotated": "0ld-s3cret" }
    }
  ],
  "users": [
    {
      "username": "alice",
      "credentials": [
        { "type": "password", "value": "Welcome2024!", "temporary": true },
        { "type": "password", "value": "\${ALICE_INITIAL_PASSWORD}" }
      ]
    }
  ],
  "identityProviders": [
    { "alias": "corp-oidc", "providerId": "oidc", "config": { "clientSecret": "corp-broker-secret" } }
  ],
  "components": {
    "org.keycloak.storage.UserStorageProvider": [
      { "name": "corp-ldap", "config": { "bindDn": ["cn=kc,dc=corp"], "bindCredential": ["ld4p-bind"] } }
    ],
    "org.keycloak.keys.KeyProvider": [
      { "name": "rsa", "providerId": "rsa", "config": { "privateKey": ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"] } }
    ]
  }
}`;

  it('flags client, rotated client, user credential, SMTP, IdP and component secrets, never echoing the value', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-21')).toEqual([
      'KC-21[smtpServer]@3',
      'KC-21[grafana]@5',
      'KC-21[airflow]@9',
      'KC-21[alice]@16',
      'KC-21[corp-oidc]@22',
      'KC-21[corp-ldap]@26',
      'KC-21[rsa]@29',
    ]);
    const messages = findings.filter((f) => f.ruleId === 'KC-21').map((f) => f.message);
    expect(messages).toEqual([
      "realm 'lab' has a plaintext smtpServer.password",
      "client 'grafana' has a plaintext secret instead of a placeholder",
      "client 'airflow' has a plaintext attributes['client.secret.rotated']",
      "user 'alice' has a plaintext password value in the realm file",
      "identity provider 'corp-oidc' has a plaintext config.clientSecret",
      "component 'corp-ldap' (org.keycloak.storage.UserStorageProvider) has a plaintext config.bindCredential",
      "component 'rsa' (org.keycloak.keys.KeyProvider) has a plaintext config.privateKey",
    ]);
    for (const secret of ['Sm7p-p4ss!', 'f3b0c44298fc1c149afbf4c8996fb924', 'Welcome2024!', 'corp-broker-secret', 'ld4p-bind']) {
      expect(messages.join('\n')).not.toContain(secret);
    }
  });

  it("flags SAML clients' signing and encryption private keys kept in their attributes", async () => {
    const saml = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "risk-dashboard",
      "protocol": "saml",
      "attributes": {
        "saml.signing.certificate": "MIICrzCCAZcCBgF",
        "saml.signing.private.key": "MIIEogIBAAKCAQEAyA5Xt9aS",
        "saml.encryption.private.key": "\${vault.risk_dashboard_encryption_key}"
      }
    }
  ]
}`;
    const findings = await check(saml);
    expect(hitsOf(findings, 'KC-21')).toEqual(['KC-21[risk-dashboard]@9']);
    expect(findings.find((f) => f.ruleId === 'KC-21')?.message).toBe("client 'risk-dashboard' has a plaintext attributes['saml.signing.private.key']");
  });

  it('is unsuppressible, critical and an error', () => {
    expect([KC_21.unsuppressible, KC_21.severity, KC_21.level]).toEqual([true, 'critical', 'error']);
  });

  it('is silent on the compliant realm, whose secrets are all placeholders', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-21')).toEqual([]);
  });
});

describe('secret placeholders', () => {
  it.each([
    '${vault.kc_client_secret}',
    '${KC_CLIENT_SECRET}',
    '${KC_CLIENT_SECRET:}',
    '$(env:KC_CLIENT_SECRET)',
    '$(file:/run/secrets/kc_client_secret)',
    '**********',
    '',
    '   ',
  ])('accepts %j as a reference, not a secret', (value) => {
    expect(isPlaintextSecret(value)).toBe(false);
  });

  it.each([
    'hunter2',
    '${KC_CLIENT_SECRET:hunter2}',
    'prefix-${vault.kc_client_secret}',
    '${vault.a} ${vault.b}',
    '$(sys:user.home)',
    // Keycloak 26.7.3 imports `${env.X}` unchanged: the literal text would be the secret.
    '${env.KC_CLIENT_SECRET}',
  ])('treats %j as a literal secret', (value) => {
    expect(isPlaintextSecret(value)).toBe(true);
  });

  it('treats numbers as literal secrets and non-values as none', () => {
    expect(isPlaintextSecret(123456)).toBe(true);
    expect([null, undefined, true, {}, []].map(isPlaintextSecret)).toEqual([false, false, false, false, false]);
  });
});
