/** KC-24 token claims taken from user attributes the user can edit. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, clientOf, compliantFindings, lineOf, variant } from './realm-fixtures';

const UP = 'org.keycloak.userprofile.UserProfileProvider';

/** The compliant realm with its user-profile configuration changed by `change`. */
function withUserProfile(change: (profile: any) => void, more: (realm: any) => void = () => {}): string {
  return variant((realm) => {
    const config = realm.components[UP][0].config;
    const profile = JSON.parse(config['kc.user.profile.config'][0]);
    change(profile);
    config['kc.user.profile.config'] = [JSON.stringify(profile)];
    more(realm);
  });
}

describe('KC-24 user-attribute mappers on user-editable attributes', () => {
  const noProfile = (version?: string) => `{
  "realm": "lab",${version ? `\n  "keycloakVersion": "${version}",` : ''}
  "clients": [
    {
      "clientId": "oauth2-proxy",
      "protocolMappers": [
        {
          "name": "tenant",
          "protocolMapper": "oidc-usermodel-attribute-mapper",
          "config": { "user.attribute": "tenant", "claim.name": "tenant" }
        },
        { "name": "email", "protocolMapper": "oidc-usermodel-attribute-mapper", "config": { "user.attribute": "email" } },
        { "name": "env", "protocolMapper": "oidc-hardcoded-claim-mapper", "config": { "claim.value": "prod" } }
      ]
    }
  ],
  "clientScopes": [
    {
      "name": "customer",
      "protocolMappers": [
        { "name": "customer", "protocolMapper": "saml-user-attribute-mapper", "config": { "user.attribute": "customer_number" } }
      ]
    }
  ]
}`;

  it('flags client and client-scope mappers on custom attributes when the realm has no user profile and no version', async () => {
    const findings = await check(noProfile());
    expect(hitsOf(findings, 'KC-24')).toEqual(['KC-24[oauth2-proxy]@10', 'KC-24[customer]@21']);
    expect(findings.find((f) => f.ruleId === 'KC-24')?.message).toBe(
      "client 'oauth2-proxy' maps user attribute 'tenant' into tokens, yet users can edit it: the realm has no user-profile configuration (and no keycloakVersion showing Keycloak 24+)",
    );
  });

  it('flags them on a pre-24 Keycloak without user profile, not on 24+ (declarative profile, unmanaged attributes disabled)', async () => {
    const old = await check(noProfile('22.0.5'));
    expect(hitsOf(old, 'KC-24')).toEqual(['KC-24[oauth2-proxy]@11', 'KC-24[customer]@22']);
    expect(old.find((f) => f.ruleId === 'KC-24')?.message).toContain('Keycloak 22 without a user profile lets users edit any attribute');
    expect(hitsOf(await check(noProfile('26.1.0')), 'KC-24')).toEqual([]);
  });

  it('flags an attribute the user profile lets users edit, and an undeclared one under unmanagedAttributePolicy ENABLED', async () => {
    const text = withUserProfile(
      (profile) => {
        profile.unmanagedAttributePolicy = 'ENABLED';
        profile.attributes.find((a: any) => a.name === 'tenant').permissions.edit = ['admin', 'user'];
      },
      (realm) => {
        clientOf(realm, 'lab-portal').protocolMappers.push({
          name: 'cost-center',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-usermodel-attribute-mapper',
          config: { 'user.attribute': 'cost_center', 'claim.name': 'cost_center' },
        });
      },
    );
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-24')).toEqual([
      `KC-24[lab-portal]@${lineOf(text, '"user.attribute": "cost_center"')}`,
      `KC-24[tenant]@${lineOf(text, '"user.attribute": "tenant"')}`,
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-24').map((f) => f.message)).toEqual([
      "client 'lab-portal' maps user attribute 'cost_center' into tokens, yet users can edit it: it is not declared in the user profile and unmanagedAttributePolicy is ENABLED",
      "client scope 'tenant' maps user attribute 'tenant' into tokens, yet users can edit it: the user profile lets users edit it",
    ]);
  });

  it('accepts undeclared attributes under ADMIN_EDIT and the legacy userProfileEnabled realm attribute', async () => {
    const adminEdit = withUserProfile(() => {}, (realm) => {
      clientOf(realm, 'lab-portal').protocolMappers.push({
        name: 'cost-center',
        protocolMapper: 'oidc-usermodel-attribute-mapper',
        config: { 'user.attribute': 'cost_center' },
      });
    });
    expect(hitsOf(await check(adminEdit), 'KC-24')).toEqual([]);
    const legacy = noProfile('21.1.2').replace('"realm": "lab",', '"realm": "lab",\n  "attributes": { "userProfileEnabled": "true" },');
    expect(hitsOf(await check(legacy), 'KC-24')).toEqual([]);
  });

  it('is silent on the compliant realm (tenant and data_clearance are admin-edit only)', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-24')).toEqual([]);
  });
});
