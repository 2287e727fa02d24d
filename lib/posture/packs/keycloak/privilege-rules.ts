import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { RealmView, asArray, asRecord, asString, clientsOf, isRecord, realmName, realmPath, realmsOf } from './realm-fields';
import { Assignment, RoleGraph, RoleRef, assignmentsOf, roleLabel } from './role-graph';
import { keycloakMajor } from './user-profile';

/**
 * The attribute (on a client, client scope, group or role) listing the sensitive roles that holder
 * is expected to have, comma- or space-separated: `manage-users` or `realm-management/manage-users`.
 */
export const SENSITIVE_ROLES_ATTRIBUTE = 'mlsec.sensitive-roles';

/** Oldest Keycloak major line still receiving fixes; realms exported from older ones are stale. */
export const SUPPORTED_KEYCLOAK_MAJOR = 26;

/** The roles a holder's `mlsec.sensitive-roles` attribute allows (string, or list of strings as in group attributes). */
function allowedBy(attributes: unknown): ReadonlySet<string> {
  const raw = asRecord(attributes)[SENSITIVE_ROLES_ATTRIBUTE];
  const values = Array.isArray(raw) ? raw : [raw];
  return new Set(values.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(/[\s,]+/).filter(Boolean)));
}

interface Holder {
  readonly kind: string;
  readonly name: string;
  readonly allowed: ReadonlySet<string>;
}

/** One hit for a holder whose assignments reach sensitive roles it is not expected to hold. */
function holderHit(realm: RealmView, graph: RoleGraph, holder: Holder, sources: { roles: readonly RoleRef[]; path: DocumentPath }[]): RuleHit[] {
  let path: DocumentPath | undefined;
  const reached = new Map<string, RoleRef>();
  const allowed = graph.allowedLabels(holder.allowed);
  for (const source of sources) {
    const unexpected = graph.sensitiveReach(source.roles).filter((r) => !holder.allowed.has(r.name) && !allowed.has(roleLabel(r)));
    if (unexpected.length === 0) continue;
    path ??= source.path;
    for (const role of unexpected) reached.set(roleLabel(role), role);
  }
  if (path === undefined) return [];
  const labels = [...reached.keys()].sort();
  const roles = `sensitive role${labels.length > 1 ? 's' : ''} ${labels.join(', ')}`;
  return [
    {
      document: realm.document,
      path,
      granular: holder.name,
      message: `${holder.kind} '${holder.name}' holds ${roles} not listed in its ${SENSITIVE_ROLES_ATTRIBUTE} attribute`,
    },
  ];
}

const direct = (assignments: readonly Assignment[]) => assignments.map((a) => ({ roles: [a.role], path: a.path }));

function compositeHits(realm: RealmView, graph: RoleGraph): RuleHit[] {
  return graph.roles
    .filter(({ role }) => !graph.isBuiltIn(role))
    .flatMap(({ role, data, path }) => {
      const holder = { kind: 'composite role', name: roleLabel(role), allowed: allowedBy(data.attributes) };
      return holderHit(realm, graph, holder, [{ roles: graph.compositesOf(role), path: [...path, 'composites'] }]);
    });
}

function groupHits(realm: RealmView, graph: RoleGraph): RuleHit[] {
  return graph.groups.flatMap((group) => {
    const holder = { kind: 'group', name: group.groupPath, allowed: allowedBy(group.data.attributes) };
    const own = assignmentsOf(group.data.realmRoles, group.data.clientRoles, [...group.path, 'realmRoles'], [...group.path, 'clientRoles']);
    return holderHit(realm, graph, holder, direct(own));
  });
}

function serviceAccountHits(realm: RealmView, graph: RoleGraph): RuleHit[] {
  const clientAttributes = new Map(clientsOf(realm).map((c) => [c.clientId, c.data.attributes]));
  const hits: RuleHit[] = [];
  asArray(realm.data.users).forEach((user, i) => {
    if (!isRecord(user)) return;
    const clientId = asString(user.serviceAccountClientId);
    if (clientId === undefined) return;
    const at = (...rest: (string | number)[]) => realmPath(realm, 'users', i, ...rest);
    const allowed = new Set([...allowedBy(clientAttributes.get(clientId)), ...allowedBy(user.attributes)]);
    const sources = direct(assignmentsOf(user.realmRoles, user.clientRoles, at('realmRoles'), at('clientRoles')));
    asArray(user.groups).forEach((groupPath, j) => {
      const group = typeof groupPath === 'string' ? graph.group(groupPath) : undefined;
      if (group) sources.push({ roles: graph.groupRoles(group), path: at('groups', j) });
    });
    hits.push(...holderHit(realm, graph, { kind: 'service account of client', name: clientId, allowed }, sources));
  });
  return hits;
}

function scopeMappingHits(realm: RealmView, graph: RoleGraph): RuleHit[] {
  const clientAttributes = new Map(clientsOf(realm).map((c) => [c.clientId, c.data.attributes]));
  const scopeAttributes = new Map(
    asArray(realm.data.clientScopes)
      .filter(isRecord)
      .map((s) => [asString(s.name) ?? '', s.attributes]),
  );
  const hits: RuleHit[] = [];
  const visit = (mapping: unknown, owner: string, path: DocumentPath) => {
    if (!isRecord(mapping)) return;
    const client = asString(mapping.client);
    const scope = asString(mapping.clientScope);
    const holder =
      client !== undefined
        ? { kind: 'client', name: client, allowed: allowedBy(clientAttributes.get(client)) }
        : scope !== undefined
          ? { kind: 'client scope', name: scope, allowed: allowedBy(scopeAttributes.get(scope)) }
          : undefined;
    if (!holder) return;
    const sources = asArray(mapping.roles).flatMap((name, k) => (typeof name === 'string' ? [{ roles: [{ owner, name }], path: [...path, 'roles', k] }] : []));
    hits.push(...holderHit(realm, graph, holder, sources));
  };
  asArray(realm.data.scopeMappings).forEach((m, i) => visit(m, 'realm', realmPath(realm, 'scopeMappings', i)));
  for (const [owner, list] of Object.entries(asRecord(realm.data.clientScopeMappings))) {
    asArray(list).forEach((m, i) => visit(m, owner, realmPath(realm, 'clientScopeMappings', owner, i)));
  }
  return hits;
}

function versionHits(realm: RealmView): RuleHit[] {
  const major = keycloakMajor(realm);
  if (major === undefined || major >= SUPPORTED_KEYCLOAK_MAJOR) return [];
  const version = String(realm.data.keycloakVersion);
  const redHat = /redhat/i.test(version);
  const note = redHat ? ' (a Red Hat build may carry backported fixes)' : '';
  return [
    {
      document: realm.document,
      path: realmPath(realm, 'keycloakVersion'),
      granular: 'keycloakVersion',
      severity: redHat ? 'low' : undefined,
      message: `realm '${realmName(realm)}' was exported from Keycloak ${version}, older than the supported ${SUPPORTED_KEYCLOAK_MAJOR}.x line${note}`,
    },
  ];
}

/**
 * KC-26: a sensitive admin role (`realm-management` realm-admin, manage-realm, manage-users,
 * manage-clients, manage-identity-providers, manage-authorization, manage-events, impersonation,
 * create-client; in master also `admin`, `create-realm`) is reachable, directly or through composite
 * roles and groups, by a composite role, a group, a service account, or a client or client scope
 * scope mapping, and that holder does not list it in its `mlsec.sensitive-roles` attribute (the
 * expected holders, as kcwarden's monitor allow-lists); or `keycloakVersion` is older than 26.x
 * (a Red Hat build is reported at low severity).
 */
export const KC_26: Rule = {
  id: 'KC-26',
  title: 'Sensitive role held unexpectedly, or stale Keycloak',
  severity: 'medium',
  level: 'warning',
  priority: 'P3',
  rationale:
    'realm-management admin roles let their holder create clients, reset passwords, impersonate users or rewrite the realm. Held by a ' +
    'service account, a group, the default roles or a client scope, they turn one leaked secret or one group membership into full control ' +
    'of every application behind the IdP. An old Keycloak line no longer receives security fixes.',
  remediation:
    `Remove the role from the holder (prefer fine-grained view-* roles), or declare the holder as expected with attribute ` +
    `\`${SENSITIVE_ROLES_ATTRIBUTE}\` listing the roles; upgrade Keycloak to ${SUPPORTED_KEYCLOAK_MAJOR}.x or later and re-export.`,
  controls: { 'nist-800-53-r5': ['AC-6', 'AC-2', 'AC-5', 'SI-2'], 'csa-aicm': ['IAM', 'TVM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    realmsOf(model).flatMap((realm) => {
      const graph = new RoleGraph(realm);
      return [
        ...compositeHits(realm, graph),
        ...groupHits(realm, graph),
        ...serviceAccountHits(realm, graph),
        ...scopeMappingHits(realm, graph),
        ...versionHits(realm),
      ];
    }),
};
