/**
 * The keycloak pack on odd input: null sections, wrong types, scalar documents, multi-realm
 * exports and randomly damaged copies of the compliant realm never make a rule throw.
 */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantRealm } from './realm-fixtures';

const ODD_DOCUMENTS: readonly string[] = [
  '',
  'null',
  '42',
  '"realm"',
  '[]',
  '[null, 1, "x", []]',
  '{}',
  JSON.stringify({
    realm: null,
    clients: null,
    users: null,
    groups: null,
    roles: null,
    identityProviders: null,
    identityProviderMappers: null,
    clientScopes: null,
    components: null,
    scopeMappings: null,
    clientScopeMappings: null,
    browserSecurityHeaders: null,
    smtpServer: null,
    passwordPolicy: null,
  }),
  JSON.stringify({
    realm: 7,
    keycloakVersion: 26,
    sslRequired: { none: true },
    accessTokenLifespan: 'forever',
    ssoSessionMaxLifespan: '36000',
    failureFactor: [],
    bruteForceProtected: 'yes',
    passwordPolicy: ['length(12)'],
    clients: [null, 1, 'x', [], { clientId: 5, redirectUris: 'https://x', webOrigins: { a: 1 }, attributes: [] }],
    users: [null, { credentials: 'x' }, { credentials: [null, 3, { value: { nested: true } }] }, { serviceAccountClientId: 3, groups: 'x' }],
    groups: [null, { name: 3, subGroups: 'x', clientRoles: [] }, { subGroups: [{ subGroups: [{ realmRoles: 'admin' }] }] }],
    roles: { realm: { a: 1 }, client: [] },
    identityProviders: [null, { alias: 3, providerId: 'saml', config: null }, { providerId: 'oidc', config: [] }],
    identityProviderMappers: 'x',
    clientScopes: [null, { name: null, protocolMappers: [null, { protocolMapper: 'oidc-usermodel-attribute-mapper', config: null }] }],
    components: { 'org.keycloak.userprofile.UserProfileProvider': [{ config: { 'kc.user.profile.config': ['{not json'] } }], other: 'x' },
    scopeMappings: [{ roles: 'x' }, { client: 'a', roles: [null, 2] }],
    clientScopeMappings: { 'realm-management': 'x' },
    browserSecurityHeaders: { xFrameOptions: 1, contentSecurityPolicy: null },
    smtpServer: 'x',
  }),
  JSON.stringify({
    clients: [
      {
        clientId: 'odd',
        protocol: null,
        standardFlowEnabled: 'maybe',
        redirectUris: [null, 1, '', '*', 'https://x*', 'http://'],
        rootUrl: 5,
        attributes: { 'post.logout.redirect.uris': 7, 'access.token.lifespan': {}, 'pkce.code.challenge.method': null },
        defaultClientScopes: 'offline_access',
        protocolMappers: { a: 1 },
      },
      { clientId: 'saml', protocol: 'saml', attributes: null, redirectUris: ['http*'] },
    ],
  }),
  '# a YAML comment, not JSON\nrealm: lab\nclients:\n  - clientId: yaml-client\n    redirectUris: ["*"]\n',
];

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: readonly unknown[] = [null, 0, -1, '', 'x', true, false, [], {}, [null], { '': null }, 'true', '*', 1e308];

/** Replaces `count` random nodes of a JSON value with odd values. */
function damage(value: any, rand: () => number, count: number): any {
  const nodes: { parent: any; key: string | number }[] = [];
  const walk = (node: any) => {
    if (node === null || typeof node !== 'object') return;
    for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) {
      nodes.push({ parent: node, key });
      walk(node[key]);
    }
  };
  walk(value);
  for (let i = 0; i < count && nodes.length > 0; i++) {
    const { parent, key } = nodes[Math.floor(rand() * nodes.length)];
    parent[key] = ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
  }
  return value;
}

describe('keycloak pack robustness', () => {
  it.each(ODD_DOCUMENTS.map((text, i) => [i, text]))('never throws on odd document #%i', async (_i, text) => {
    await expect(check(text)).resolves.toBeInstanceOf(Array);
  });

  it('never throws on 60 randomly damaged copies of the compliant realm', async () => {
    const rand = random(0x6b63);
    for (let i = 0; i < 60; i++) {
      const text = JSON.stringify(damage(compliantRealm(), rand, 1 + Math.floor(rand() * 12)), null, 2);
      await expect(check(text), `damaged copy #${i}`).resolves.toBeInstanceOf(Array);
    }
  });

  it('audits every realm of a multi-realm export (a JSON array of realms)', async () => {
    const text = `[
  { "realm": "lab-np", "sslRequired": "external" },
  {
    "realm": "lab-prod",
    "sslRequired": "none"
  }
]`;
    const findings = await check(text);
    expect(hitsOf(findings, 'KC-20')).toEqual(['KC-20[sslRequired]@5']);
    expect(findings.find((f) => f.ruleId === 'KC-20')?.path).toBe('1.sslRequired');
  });

  it('reads a realm written as YAML (the parser is YAML 1.2) like its JSON form', async () => {
    expect(hitsOf(await check(ODD_DOCUMENTS[ODD_DOCUMENTS.length - 1]), 'KC-01')).toEqual(['KC-01[yaml-client]@5']);
  });
});
