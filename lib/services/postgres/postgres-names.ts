/**
 * Identifier rules for what reaches SQL, pg_hba.conf and pg_ident.conf. Names are checked, never
 * quoted into safety: only lower-case letters, digits and "_" pass, so no quote, space or
 * metacharacter can reach the generated text.
 */
export const PG_IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** Names PostgreSQL reserves or that would grant more than intended in pg_hba.conf. */
export const PG_RESERVED = new Set(['all', 'public', 'postgres', 'template0', 'template1', 'replication', 'samerole', 'samegroup', 'samehost', 'samenet', 'none', 'current_user', 'session_user', 'current_role', 'user']);

/** What a PostgreSQL name may look like, for error messages. */
export const PG_IDENTIFIER_ALLOWED = 'a lower-case identifier: a letter, then letters, digits or "_", at most 63 characters, not a reserved name (all, public, postgres, template0/1, replication, …) and not starting with pg_';

/** Why `name` cannot be a database, schema or role name, or undefined. */
export function pgIdentifierProblem(prop: string, name: unknown): string | undefined {
  if (typeof name !== 'string' || !PG_IDENTIFIER.test(name) || PG_RESERVED.has(name) || name.startsWith('pg_')) {
    return `prop '${prop}' must be ${PG_IDENTIFIER_ALLOWED} (got ${JSON.stringify(name)?.slice(0, 80)})`;
  }
  return undefined;
}

/** The role of a consumer service: its service name with "-" as "_" (service names are DNS labels). */
export function roleNameOf(serviceName: string): string {
  return serviceName.replace(/-/g, '_');
}

/** `"name"`: identifiers are validated first, so quoting is only for keywords such as `user`. */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}
