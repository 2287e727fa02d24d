/** KC-26 sensitive admin roles held by unexpected holders, and stale Keycloak versions. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantFindings, lineOf, variant } from './realm-fixtures';

describe('KC-26 sensitive roles and stale Keycloak', () => {
  const text = `{
  "realm": "lab",
  "keycloakVersion": "21.1.2",
  "roles": {
    "realm": [
      {
        "name": "default-roles-lab",
        "composite": true,
        "composites": { "realm": ["reader"], "client": { "realm-management": ["manage-users"] } }
      },
      { "name": "ops", "composite": true, "composites": { "realm": ["power"] } },
      { "name": "power", "composite": true, "composites": { "client": { "realm-management": ["realm-admin"] } } },
      {
        "name": "break-glass",
        "attributes": { "mlsec.sensitive-roles": ["realm-admin"] },
        "composite": true,
        "composites": { "client": { "realm-management": ["realm-admin"] } }
      },
      { "name": "reader" }
    ],
    "client": {
      "realm-management": [
        { "name": "realm-admin", "composite": true, "composites": { "client": { "realm-management": ["manage-users", "impersonation"] } } },
        { "name": "manage-users" },
        { "name": "impersonation" }
      ]
    }
  },
  "groups": [
    {
      "name": "ops",
      "subGroups": [
        {
          "name": "oncall",
          "clientRoles": { "realm-management": ["view-users", "manage-clients"] }
        }
      ]
    },
    { "name": "admins", "attributes": { "mlsec.sensitive-roles": ["realm-admin"] }, "realmRoles": ["power"] }
  ],
  "users": [
    {
      "username": "service-account-svc-ci",
      "serviceAccountClientId": "svc-ci",
      "groups": ["/ops/oncall"]
    },
    {
      "username": "service-account-svc-provisioner",
      "serviceAccountClientId": "svc-provisioner",
      "clientRoles": { "realm-management": ["manage-users"] }
    },
    { "username": "alice", "clientRoles": { "realm-management": ["realm-admin"] } }
  ],
  "clients": [
    { "clientId": "svc-ci", "standardFlowEnabled": false, "serviceAccountsEnabled": true },
    { "clientId": "svc-provisioner", "attributes": { "mlsec.sensitive-roles": "manage-users" } }
  ],
  "clientScopeMappings": {
    "realm-management": [
      { "client": "grafana", "roles": ["impersonation"] },
      { "clientScope": "admin-tools", "roles": ["view-users"] }
    ]
  }
}`;

  it('flags composite roles (transitively), groups, service accounts (via groups) and scope mappings that reach admin roles', async () => {
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-26')).toEqual([
      'KC-26[keycloakVersion]@3',
      'KC-26[default-roles-lab]@9',
      'KC-26[ops]@11',
      'KC-26[power]@12',
      'KC-26[/ops/oncall]@35',
      'KC-26[svc-ci]@45',
      'KC-26[grafana]@60',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-26').map((f) => f.message)).toEqual([
      "realm 'lab' was exported from Keycloak 21.1.2, older than the supported 26.x line",
      "composite role 'default-roles-lab' holds sensitive role realm-management/manage-users not listed in its mlsec.sensitive-roles attribute",
      "composite role 'ops' holds sensitive roles realm-management/impersonation, realm-management/manage-users, realm-management/realm-admin not listed in its mlsec.sensitive-roles attribute",
      "composite role 'power' holds sensitive roles realm-management/impersonation, realm-management/manage-users, realm-management/realm-admin not listed in its mlsec.sensitive-roles attribute",
      "group '/ops/oncall' holds sensitive role realm-management/manage-clients not listed in its mlsec.sensitive-roles attribute",
      "service account of client 'svc-ci' holds sensitive role realm-management/manage-clients not listed in its mlsec.sensitive-roles attribute",
      "client 'grafana' holds sensitive role realm-management/impersonation not listed in its mlsec.sensitive-roles attribute",
    ]);
  });

  it('lets mlsec.sensitive-roles declare expected holders, covering the roles an allowed composite includes', async () => {
    const findings = await check(text);
    expect(findings.filter((f) => f.ruleId === 'KC-26' && /break-glass|admins|svc-provisioner|alice|admin-tools/.test(f.granularId))).toEqual([]);
  });

  it("flags the master realm's admin roles on a group, but not master's own admin composite", async () => {
    const master = `{
  "realm": "master",
  "keycloakVersion": "26.0.7",
  "roles": {
    "realm": [
      { "name": "admin", "composite": true, "composites": { "realm": ["create-realm"], "client": { "lab-realm": ["manage-users"] } } },
      { "name": "create-realm" }
    ]
  },
  "groups": [
    { "name": "helpdesk", "realmRoles": ["create-realm"], "clientRoles": { "lab-realm": ["manage-users"] } }
  ]
}`;
    const findings = await check(master);
    expect(hitsOf(findings, 'KC-26')).toEqual(['KC-26[/helpdesk]@11']);
    expect(findings.find((f) => f.ruleId === 'KC-26')?.message).toBe(
      "group '/helpdesk' holds sensitive roles create-realm, lab-realm/manage-users not listed in its mlsec.sensitive-roles attribute",
    );
  });

  it('reports a stale Red Hat build at low severity, and nothing for a current or unknown version', async () => {
    const redHat = variant((realm) => {
      realm.keycloakVersion = '24.0.5.redhat-00001';
    });
    const findings = await check(redHat);
    expect(hitsOf(findings, 'KC-26')).toEqual([`KC-26[keycloakVersion]@${lineOf(redHat, '"keycloakVersion"')}`]);
    expect(findings.find((f) => f.ruleId === 'KC-26')?.severity).toBe('low');
    const unknown = variant((realm) => {
      delete realm.keycloakVersion;
    });
    expect(hitsOf(await check(unknown), 'KC-26')).toEqual([]);
  });

  it('is silent on the compliant realm (allow-listed platform-admins group and provisioner service account)', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-26')).toEqual([]);
  });
});
