/**
 * The roles of a realm as a graph (composite roles point at the roles they include), the groups
 * as a tree, and which roles are sensitive: the admin roles of `realm-management` (and, in the
 * master realm, `admin`, `create-realm` and the `<realm>-realm` clients' admin roles).
 */
import type { DocumentPath } from '../../source-document';
import { compareCodePoints } from '../../../core/canonical-json';
import { RealmView, asArray, asRecord, asString, isRecord, realmName, realmPath } from './realm-fields';

/** Admin roles of the `realm-management` client that let their holder take over the realm. */
export const SENSITIVE_CLIENT_ROLES: ReadonlySet<string> = new Set([
  'realm-admin', 'manage-realm', 'manage-users', 'manage-clients', 'manage-identity-providers', 'manage-authorization', 'manage-events',
  'impersonation', 'create-client',
]);

/** Sensitive realm roles of the master realm. */
const MASTER_REALM_ROLES: ReadonlySet<string> = new Set(['admin', 'create-realm']);

/** A role: `realm` for realm roles, else the clientId owning it. */
export interface RoleRef {
  readonly owner: string;
  readonly name: string;
}

/** A role assigned somewhere, with the path of the assignment. */
export interface Assignment {
  readonly role: RoleRef;
  readonly path: DocumentPath;
}

/** A group, flattened out of the `groups[].subGroups[]` tree. */
export interface GroupNode {
  readonly data: Readonly<Record<string, unknown>>;
  readonly path: DocumentPath;
  /** Its Keycloak path, e.g. `/ops/admins`. */
  readonly groupPath: string;
  readonly parent?: GroupNode;
}

const key = (role: RoleRef) => `${role.owner}\u0000${role.name}`;

/** `admin` for a realm role, `realm-management/manage-users` for a client role. */
export function roleLabel(role: RoleRef): string {
  return role.owner === 'realm' ? role.name : `${role.owner}/${role.name}`;
}

/** The roles assigned by a `realmRoles` list and a `clientRoles` map (groups, users, composites). */
export function assignmentsOf(realmRoles: unknown, clientRoles: unknown, realmRolesPath: DocumentPath, clientRolesPath: DocumentPath): Assignment[] {
  const out: Assignment[] = [];
  asArray(realmRoles).forEach((name, i) => {
    if (typeof name === 'string') out.push({ role: { owner: 'realm', name }, path: [...realmRolesPath, i] });
  });
  for (const [owner, names] of Object.entries(asRecord(clientRoles))) {
    asArray(names).forEach((name, i) => {
      if (typeof name === 'string') out.push({ role: { owner, name }, path: [...clientRolesPath, owner, i] });
    });
  }
  return out;
}

/** Roles, composites and groups of one realm. */
export class RoleGraph {
  /** Every declared role with the path of its object. */
  public readonly roles: { readonly role: RoleRef; readonly data: Readonly<Record<string, unknown>>; readonly path: DocumentPath }[] = [];
  /** Every group, parents before children. */
  public readonly groups: GroupNode[] = [];
  private readonly composites = new Map<string, RoleRef[]>();
  private readonly master: boolean;

  constructor(realm: RealmView) {
    this.master = realmName(realm) === 'master';
    const roles = asRecord(realm.data.roles);
    asArray(roles.realm).forEach((data, i) => this.addRole('realm', data, realmPath(realm, 'roles', 'realm', i)));
    for (const [owner, list] of Object.entries(asRecord(roles.client))) {
      asArray(list).forEach((data, i) => this.addRole(owner, data, realmPath(realm, 'roles', 'client', owner, i)));
    }
    this.addGroups(realm.data.groups, realmPath(realm, 'groups'), undefined);
  }

  /** Whether a role is one of the sensitive admin roles. */
  public isSensitive(role: RoleRef): boolean {
    if (role.owner === 'realm') return this.master && MASTER_REALM_ROLES.has(role.name);
    const adminClient = role.owner === 'realm-management' || (this.master && role.owner.endsWith('-realm'));
    return adminClient && SENSITIVE_CLIENT_ROLES.has(role.name);
  }

  /** Whether a role is Keycloak's own (an admin client's role, or master's `admin`), whose composites are expected. */
  public isBuiltIn(role: RoleRef): boolean {
    if (role.owner === 'realm') return this.master && MASTER_REALM_ROLES.has(role.name);
    return role.owner === 'realm-management' || (this.master && role.owner.endsWith('-realm'));
  }

  /** The sensitive roles reachable from `roles` through composites (the roles themselves included). */
  public sensitiveReach(roles: readonly RoleRef[]): RoleRef[] {
    const seen = new Set<string>();
    const found: RoleRef[] = [];
    const stack = [...roles];
    while (stack.length > 0) {
      const role = stack.pop()!;
      if (seen.has(key(role))) continue;
      seen.add(key(role));
      if (this.isSensitive(role)) found.push(role);
      stack.push(...(this.composites.get(key(role)) ?? []));
    }
    return found.sort((a, b) => compareCodePoints(roleLabel(a), roleLabel(b)));
  }

  /**
   * The sensitive roles an allow-list covers, by label: each entry (`realm-admin`,
   * `realm-management/manage-users`, a realm role) and every sensitive role it includes as a composite.
   */
  public allowedLabels(entries: ReadonlySet<string>): ReadonlySet<string> {
    const roots: RoleRef[] = [];
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      if (slash > 0) roots.push({ owner: entry.slice(0, slash), name: entry.slice(slash + 1) });
      else roots.push({ owner: 'realm', name: entry }, { owner: 'realm-management', name: entry });
    }
    return new Set([...roots.map(roleLabel), ...this.sensitiveReach(roots).map(roleLabel)]);
  }

  /** The roles a composite role includes directly. */
  public compositesOf(role: RoleRef): readonly RoleRef[] {
    return this.composites.get(key(role)) ?? [];
  }

  /** The group with a Keycloak path such as `/ops/admins`. */
  public group(groupPath: string): GroupNode | undefined {
    return this.groups.find((g) => g.groupPath === groupPath);
  }

  /** The roles a group grants its members: its own and its ancestors'. */
  public groupRoles(group: GroupNode): RoleRef[] {
    const out: RoleRef[] = [];
    for (let g: GroupNode | undefined = group; g; g = g.parent) {
      out.push(...assignmentsOf(g.data.realmRoles, g.data.clientRoles, [], []).map((a) => a.role));
    }
    return out;
  }

  private addRole(owner: string, data: unknown, path: DocumentPath): void {
    if (!isRecord(data) || typeof data.name !== 'string') return;
    const role = { owner, name: data.name };
    this.roles.push({ role, data, path });
    const composites = asRecord(data.composites);
    const included = assignmentsOf(composites.realm, composites.client, [], []).map((a) => a.role);
    if (included.length > 0) this.composites.set(key(role), [...(this.composites.get(key(role)) ?? []), ...included]);
  }

  private addGroups(list: unknown, path: DocumentPath, parent: GroupNode | undefined): void {
    asArray(list).forEach((data, i) => {
      if (!isRecord(data)) return;
      const name = asString(data.name) ?? `#${i}`;
      const groupPath = asString(data.path) ?? `${parent ? parent.groupPath : ''}/${name}`;
      const node: GroupNode = { data, path: [...path, i], groupPath, parent };
      this.groups.push(node);
      this.addGroups(data.subGroups, [...path, i, 'subGroups'], node);
    });
  }
}
