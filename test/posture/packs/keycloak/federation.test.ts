/** KC-22 upstream identity providers, KC-23 SAML clients. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantFindings } from './realm-fixtures';

describe('KC-22 upstream identity provider', () => {
  const text = `{
  "realm": "lab",
  "identityProviders": [
    {
      "alias": "corp-oidc",
      "providerId": "oidc",
      "config": {
        "validateSignature": "false",
        "pkceEnabled": "true",
        "pkceMethod": "plain",
        "syncMode": "IMPORT"
      }
    },
    {
      "alias": "staff-kc",
      "providerId": "keycloak-oidc",
      "config": { "validateSignature": "true", "syncMode": "FORCE" }
    },
    {
      "alias": "partner-saml",
      "providerId": "saml",
      "config": {
        "validateSignature": "true",
        "wantAssertionsSigned": "false",
        "postBindingResponse": "true",
        "wantAuthnRequestsSigned": "true"
      }
    },
    { "alias": "old-idp", "providerId": "saml", "enabled": false, "config": {} },
    { "alias": "github", "providerId": "github", "config": { "syncMode": "IMPORT" } }
  ],
  "identityProviderMappers": [
    { "name": "corp-groups", "identityProviderAlias": "corp-oidc", "config": { "syncMode": "INHERIT" } },
    { "name": "corp-dept", "identityProviderAlias": "corp-oidc", "config": { "syncMode": "FORCE" } },
    { "name": "partner-role", "identityProviderAlias": "partner-saml", "config": {} }
  ]
}`;

  it('flags OIDC signature and PKCE gaps, SAML signature/encryption/binding gaps and one-time sync with mappers', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-22')).toEqual([
      'KC-22[corp-oidc]@8',
      'KC-22[corp-oidc]@10',
      'KC-22[corp-oidc]@11',
      'KC-22[staff-kc]@17',
      'KC-22[partner-saml]@22',
      'KC-22[partner-saml]@22',
      'KC-22[partner-saml]@24',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-22').map((f) => f.message)).toEqual([
      'OIDC identity provider \'corp-oidc\' does not set validateSignature: "true"',
      "OIDC identity provider 'corp-oidc' uses PKCE method 'plain' instead of S256",
      "identity provider 'corp-oidc' has syncMode IMPORT while mappers 'corp-groups' import upstream data only once",
      "OIDC identity provider 'staff-kc' does not enable PKCE (pkceEnabled)",
      "SAML identity provider 'partner-saml' does not require encrypted assertions (wantAssertionsEncrypted is not \"true\")",
      "identity provider 'partner-saml' has syncMode LEGACY while mappers 'partner-role' import upstream data only once",
      "SAML identity provider 'partner-saml' does not require signed assertions (wantAssertionsSigned is not \"true\")",
    ]);
  });

  it('skips disabled providers, and social providers without mappers', async () => {
    const findings = await check(text);
    expect(findings.filter((f) => f.ruleId === 'KC-22' && /old-idp|github/.test(f.granularId))).toEqual([]);
  });

  it('is silent on the compliant realm (FORCE on the OIDC broker, FORCE on the SAML broker\'s only mapper)', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-22')).toEqual([]);
  });
});

describe('KC-23 SAML client', () => {
  const text = `{
  "realm": "lab",
  "clients": [
    {
      "clientId": "https://risk.lab.example.org/saml",
      "protocol": "saml",
      "redirectUris": ["https://risk.lab.example.org/saml/acs"],
      "attributes": {
        "saml.assertion.signature": "false",
        "saml.client.signature": "true",
        "saml.encrypt": "true",
        "saml.onetimeuse.condition": "true",
        "saml.signature.algorithm": "RSA_SHA1"
      }
    },
    {
      "clientId": "bare-saml",
      "protocol": "saml"
    },
    { "clientId": "oidc-app", "attributes": { "saml.encrypt": "false" } }
  ]
}`;

  it('flags each missing protection and a SHA-1 signature algorithm; absent attributes count as off', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-23')).toEqual([
      'KC-23[https://risk.lab.example.org/saml]@9',
      'KC-23[https://risk.lab.example.org/saml]@13',
      'KC-23[bare-saml]@16',
      'KC-23[bare-saml]@16',
      'KC-23[bare-saml]@16',
      'KC-23[bare-saml]@16',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-23').map((f) => f.message).slice(0, 2)).toEqual([
      "SAML client 'https://risk.lab.example.org/saml' does not sign assertions (saml.assertion.signature is not \"true\")",
      "SAML client 'https://risk.lab.example.org/saml' signs with weak algorithm RSA_SHA1",
    ]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-23')).toEqual([]);
  });
});
