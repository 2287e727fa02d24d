/** A table privilege, or `CREATE` on the schema (DDL: create tables, which the grantee then owns). */
export type PostgresPrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE' | 'CREATE';

/** Every privilege, in the order SQL lists them. */
export const POSTGRES_PRIVILEGES: readonly PostgresPrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'CREATE'];

/** How a granted role proves who it is. */
export type PostgresAuthentication = 'scram-sha-256' | 'cert';

/** Options of `PostgresServer.grantConnect`. */
export interface PostgresGrantOptions {
  /** The database, added with `addDatabase`. */
  readonly database: string;
  /** What the role may do with the tables of the schema(s); `CREATE` also allows DDL. */
  readonly privileges: PostgresPrivilege[];
  /**
   * The schema the privileges apply to.
   * @default every schema of the database
   */
  readonly schema?: string;
  /**
   * `scram-sha-256`: a generated password (the server holds only its SCRAM verifier) and a client
   * certificate from the internal CA (`clientcert=verify-ca`). `cert`: the client certificate
   * alone, its CN (the service name) mapped to the role in pg_ident.conf.
   * @default 'scram-sha-256'
   */
  readonly authentication?: PostgresAuthentication;
  /**
   * Connections the role may hold at once.
   * @default 10
   */
  readonly connectionLimit?: number;
  /**
   * Prefix of the libpq variables set on the consumer (`<prefix>HOST`, `<prefix>PORT`, …), so a
   * workload with grants on two servers can tell them apart.
   * @default 'PG' (libpq's own PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE, PGPASSFILE, …)
   */
  readonly envPrefix?: string;
}

/** A grant as the server renders it. */
export interface PostgresGrant {
  /** Construct path of the consumer, for messages. */
  readonly consumerPath: string;
  /** The consumer's compose service (the CN of its client certificate). */
  readonly serviceName: string;
  /** The role it logs in as. */
  readonly role: string;
  /** The database. */
  readonly database: string;
  /** The schema, or undefined for every schema of the database. */
  readonly schema?: string;
  /** Privileges, deduplicated, in POSTGRES_PRIVILEGES order. */
  readonly privileges: readonly PostgresPrivilege[];
  /** How the role authenticates. */
  readonly authentication: PostgresAuthentication;
  /** Connection limit of the role. */
  readonly connectionLimit: number;
  /** The file (under /run/secrets of the server) that holds the role's SCRAM verifier, for scram roles. */
  readonly verifierFile?: string;
  /** When Vault issues the credentials: its database role (the grant's role is then a NOLOGIN group). */
  readonly vaultRole?: string;
}

/** Props of `PostgresServer.addDatabase`. */
export interface PostgresDatabaseOptions {
  /**
   * Schemas created in the database, owned by its NOLOGIN owner role.
   * @default ['app']
   */
  readonly schemas?: string[];
}
