import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { RealmView, asArray, asRecord, asString, clientsOf, isRecord, realmPath, realmsOf } from './realm-fields';
import { STANDARD_USER_ATTRIBUTES, whyUsersCanEdit } from './user-profile';

/** Protocol mappers that copy a user attribute into a token or assertion. */
export const USER_ATTRIBUTE_MAPPERS: ReadonlySet<string> = new Set(['oidc-usermodel-attribute-mapper', 'saml-user-attribute-mapper']);

function mapperHits(realm: RealmView, owner: string, ownerKind: string, mappers: unknown, base: DocumentPath): RuleHit[] {
  const hits: RuleHit[] = [];
  asArray(mappers).forEach((mapper, j) => {
    if (!isRecord(mapper) || typeof mapper.protocolMapper !== 'string' || !USER_ATTRIBUTE_MAPPERS.has(mapper.protocolMapper)) return;
    const attribute = asString(asRecord(mapper.config)['user.attribute']);
    if (attribute === undefined || STANDARD_USER_ATTRIBUTES.has(attribute)) return;
    const why = whyUsersCanEdit(realm, attribute);
    if (why === undefined) return;
    hits.push({
      document: realm.document,
      path: [...base, j, 'config', 'user.attribute'],
      granular: owner,
      message: `${ownerKind} '${owner}' maps user attribute '${attribute}' into tokens, yet users can edit it: ${why}`,
    });
  });
  return hits;
}

/**
 * KC-24: a user-attribute protocol mapper (`oidc-usermodel-attribute-mapper`,
 * `saml-user-attribute-mapper`) on a client or client scope reads a non-standard attribute that
 * users can edit themselves: the user profile declares it with `edit: ["user", …]`, or it is
 * undeclared while `unmanagedAttributePolicy` is `ENABLED`, or the realm has no user profile and
 * predates Keycloak 24 (or does not say which version it is).
 */
export const KC_24: Rule = {
  id: 'KC-24',
  title: 'Token claim from a user-editable attribute',
  severity: 'high',
  level: 'error',
  priority: 'P2',
  rationale:
    'Claims such as tenant, domain or data_clearance drive ABAC decisions in OPA and the resource servers. If the user can edit the attribute ' +
    'in the account console, they can grant themselves another tenant or clearance and Keycloak will sign it into their token.',
  remediation:
    'Declare the attribute in the realm\'s user profile with `permissions: { view: ["admin", "user"], edit: ["admin"] }` and keep ' +
    '`unmanagedAttributePolicy` unset (DISABLED) or ADMIN_EDIT; or take the claim from group attributes instead.',
  controls: { 'nist-800-53-r5': ['AC-16', 'AC-3'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    realmsOf(model).flatMap((realm): RuleHit[] => {
      const hits = clientsOf(realm).flatMap((client) =>
        mapperHits(realm, client.clientId, 'client', client.data.protocolMappers, [...client.path, 'protocolMappers']),
      );
      asArray(realm.data.clientScopes).forEach((scope, k) => {
        if (!isRecord(scope)) return;
        const name = asString(scope.name) ?? `clientScopes[${k}]`;
        hits.push(...mapperHits(realm, name, 'client scope', scope.protocolMappers, realmPath(realm, 'clientScopes', k, 'protocolMappers')));
      });
      return hits;
    }),
};
