import { Construct } from 'constructs';
import { checkedId } from '../core/names';
import { VpsFile } from '../core/vps-file';
import type { Credential } from '../secrets/credential';

/** Props of a {@link VaultDatabaseConnection}. */
export interface VaultDatabaseConnectionProps {
  /** Connection name in the database engine (the server's service name). */
  readonly name: string;
  /** Host and port Vault connects to (TLS, verify-full against the internal CA). */
  readonly host: string;
  readonly port: number;
  /** The database Vault logs in to. */
  readonly database: string;
  /** The role Vault manages users with (LOGIN CREATEROLE, never superuser). */
  readonly adminRole: string;
  /** Its initial password; the bootstrap rotates it right away so only Vault knows the new one. */
  readonly adminPassword: Credential;
}

/** A dynamic-credentials role of the database engine. */
export interface VaultDatabaseRole {
  /** Role name in the engine: `<connection>-<group>`. */
  readonly name: string;
  /** The NOLOGIN group role whose privileges the short-lived users inherit. */
  readonly groupRole: string;
  /** Lease TTLs. */
  readonly defaultTtl: string;
  readonly maxTtl: string;
  /** Connection limit of each user. */
  readonly connectionLimit: number;
  /** Schemas of the user's `search_path` (a role's settings do not pass to its members). */
  readonly searchPath: readonly string[];
}

/**
 * A PostgreSQL connection of Vault's database secrets engine, and its roles. Each role creates
 * short-lived LOGIN users that are members of one NOLOGIN group role (which holds the grant's
 * privileges) and act as it (`SET role`), so what they create belongs to the group and the user
 * can be dropped when the lease ends. Statements are files in `vault/database/`.
 */
export class VaultDatabaseConnection extends Construct {
  /** Connection props. */
  public readonly props: VaultDatabaseConnectionProps;
  private readonly roles = new Map<string, VaultDatabaseRole>();

  /** @param mount makes a statements file visible to the server (the bootstrap reads it there). */
  constructor(scope: Construct, id: string, props: VaultDatabaseConnectionProps, private readonly mount: (file: VpsFile, name: string) => void) {
    super(scope, checkedId(scope, id));
    this.props = props;
  }

  /** The roles, by name order. */
  public get roleList(): VaultDatabaseRole[] {
    return [...this.roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Adds (once) the role for `groupRole`; returns its name (the `database/creds/<name>` path). */
  public addRole(groupRole: string, options: { defaultTtl?: string; maxTtl?: string; connectionLimit?: number; searchPath?: readonly string[] } = {}): string {
    const name = `${this.props.name}-${groupRole.replace(/_/g, '-')}`;
    const known = this.roles.get(name);
    if (known) {
      for (const schema of options.searchPath ?? []) if (!known.searchPath.includes(schema)) (known.searchPath as string[]).push(schema);
      return name;
    }
    const role: VaultDatabaseRole = { name, groupRole, defaultTtl: options.defaultTtl ?? '5m', maxTtl: options.maxTtl ?? '1h', connectionLimit: options.connectionLimit ?? 10, searchPath: [...(options.searchPath ?? [])] };
    this.roles.set(name, role);
    const create = new VpsFile(this, `Create-${name}`, {
      path: `vault/database/${name}.create.sql`,
      content: () => [
        // {{name}}, {{password}} and {{expiration}} are filled in by Vault; the group role was validated upstream.
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${role.connectionLimit} IN ROLE "${groupRole}";`,
        `ALTER ROLE "{{name}}" SET role TO "${groupRole}";`,
        // So the revocation may reassign what the user owns (PostgreSQL 15: a creator is not a member of what it creates).
        `GRANT "{{name}}" TO "${this.props.adminRole}";`,
        ...(role.searchPath.length > 0 ? [`ALTER ROLE "{{name}}" SET search_path TO ${role.searchPath.map((x) => `"${x}"`).join(', ')};`] : []),
        '',
      ].join('\n'),
    });
    const revoke = new VpsFile(this, `Revoke-${name}`, {
      path: `vault/database/${name}.revoke.sql`,
      content: () => [
        `REASSIGN OWNED BY "{{name}}" TO "${groupRole}";`,
        'DROP OWNED BY "{{name}}";',
        'DROP ROLE IF EXISTS "{{name}}";',
        '',
      ].join('\n'),
    });
    this.mount(create, `${name}.create.sql`);
    this.mount(revoke, `${name}.revoke.sql`);
    return name;
  }
}
