import { Construct } from 'constructs';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { ISecretSource } from '../../workload/secret-source';
import { Workload } from '../../workload/workload';
import { clientTlsFiles } from '../client-tls';
import type { VaultServer } from '../../vault/vault-server';
import type { VaultDatabaseConnection } from '../../vault/vault-database';
import { Zone } from '../../workload/zone';
import { renderPgHba, renderPgIdent } from './pg-hba';
import { POSTGRES_PRIVILEGES, PostgresDatabaseOptions, PostgresGrant, PostgresGrantOptions, PostgresPrivilege } from './postgres-grant';
import { renderPostgresConfig } from './postgres-config';
import { ownerRoleOf, renderInitSql } from './postgres-init-sql';
import { pgIdentifierProblem, roleNameOf } from './postgres-names';
import { scramSha256Verifier } from './scram-verifier';

/** Props of a {@link PostgresServer}. */
export interface PostgresServerProps {
  /** The zone the database belongs to (Z3 for curated data and the offline feature store). */
  readonly zone: Zone;
  /**
   * The image: an official `postgres` 15 image (its entrypoint runs the init SQL on first start).
   * @default postgres:15.8-bookworm
   */
  readonly image?: Image;
  /**
   * Resource limits; buffers in postgresql.conf are sized from the memory limit.
   * @default 1 CPU, 512 MiB, 256 pids
   */
  readonly resources?: ResourceLimits;
  /**
   * The superuser the image creates. It may log in only over the container's own socket.
   * @default 'mlsec_admin'
   */
  readonly adminRole?: string;
  /**
   * `max_connections`.
   * @default 50
   */
  readonly maxConnections?: number;
  /**
   * `log_statement`: DDL is the audit floor; `mod` or `all` log data changes too.
   * @default 'ddl'
   */
  readonly logStatement?: 'ddl' | 'mod' | 'all';
  /**
   * Vault issues the credentials of SCRAM grants: each grant's role becomes a NOLOGIN group, and
   * Vault's database engine creates short-lived LOGIN members of it (5-minute leases, 1 hour at
   * most) that the grantee's Vault Agent renders into a libpq service file. Certificate grants
   * need no password and are unchanged.
   * @default none (passwords are bootstrap credentials)
   */
  readonly vault?: VaultServer;
}

/** The port PostgreSQL listens on. */
export const POSTGRES_PORT = 5432;
const CONF_DIR = '/etc/postgresql';
const ENV_PREFIX = /^[A-Z][A-Z0-9_]{0,30}$/;
const AUTHENTICATIONS = ['scram-sha-256', 'cert'];
/** The role Vault's database engine logs in as (CREATEROLE, never superuser). */
export const VAULT_ADMIN_ROLE = 'vault_admin';

/**
 * A PostgreSQL server (L2), hardened: TLS only (1.2+) with the internal CA's certificate, SCRAM
 * passwords plus client certificates, connection and DDL logging, one NOLOGIN owner per database,
 * and access expressed only as grants: `grantConnect(workload, { database, privileges })` creates
 * the network flow, the role, its pg_hba line and its privileges, and delivers the credentials
 * (a pgpass file and a client certificate) to the workload. Nothing grants more than asked.
 *
 * Files in `<vps>/<service>/`: `postgresql.conf`, `pg_hba.conf`, `pg_ident.conf`,
 * `initdb/10-mlsec-roles.sql`.
 */
export class PostgresServer extends Workload {
  /** The superuser role (socket only). */
  public readonly adminRole: string;

  private readonly databases = new Map<string, { schemas: string[]; path: string; ddl: string[] }>();
  private readonly grants: PostgresGrant[] = [];
  private readonly grantProblems: string[] = [];
  private readonly pgProps: PostgresServerProps;
  private readonly vaultConnection?: VaultDatabaseConnection;
  /** Per SCRAM role: its password and the two files derived from it (one role, one password, however many databases). */
  private readonly roleSecrets = new Map<string, { verifier: ISecretSource; pgpass: ISecretSource; verifierFile: string }>();

  constructor(scope: Construct, id: string, props: PostgresServerProps) {
    const p = props ?? ({} as PostgresServerProps);
    super(scope, id, {
      zone: p.zone,
      image: p.image ?? Image.fromRegistry('postgres', '15.8-bookworm'),
      user: '999:999', // the image's postgres user, owner of PGDATA
      ports: [POSTGRES_PORT],
      command: ['postgres', '-c', `config_file=${CONF_DIR}/postgresql.conf`],
      writablePaths: ['/tmp', '/var/run/postgresql'],
      resources: { cpus: 1, memoryMiB: 512, pids: 256, ...(p.resources ?? {}) },
      environment: { PGDATA: '/var/lib/postgresql/data/pgdata' },
      healthCheck: HealthCheck.command(['pg_isready', '-h', '127.0.0.1', '-p', String(POSTGRES_PORT)]),
    });
    this.pgProps = p;
    this.adminRole = p.adminRole ?? 'mlsec_admin';
    this.addEnvironment('POSTGRES_USER', this.adminRole);
    this.addEnvironment('POSTGRES_DB', this.adminRole);
    this.addEnvironment('POSTGRES_INITDB_ARGS', '--auth-local=scram-sha-256 --auth-host=scram-sha-256 --data-checksums');
    const admin = new Credential(this, 'AdminPassword', { name: `${this.serviceName}-admin-password`, description: `superuser '${this.adminRole}' of ${this.node.path} (socket login only)` });
    this.addDataVolume('data', '/var/lib/postgresql/data');
    let tls: { certificate: string; privateKey: string; caBundle: string };
    if (p.vault) {
      // Its certificate, admin password and Vault-admin verifier all come from its own agent
      // (Vault's database engine connects lazily, so the server need not be up before Vault).
      const issued = p.vault.enablePki().grantIssue(this, { usage: 'server', fileNames: { certificate: 'tls.crt', privateKey: 'tls.key' } });
      tls = { ...issued, caBundle: this.addSecret(SecretSource.caBundle(Vps.of(this))) };
      const adminSecret = p.vault.addKvSecret(`Postgres-${this.serviceName}-admin`, { path: `${Vps.of(this).name}/core/${this.serviceName}/admin`, seed: { password: admin } });
      adminSecret.grantRead(this, { fields: { password: 'POSTGRES_PASSWORD_FILE' }, fileNames: { password: 'admin-password' } });
      // The init SQL reads the verifier files from the agent's folder.
      this.addEnvironment('MLSEC_FILES_DIR', '/run/vault');
    } else {
      this.addSecret(SecretSource.credential(admin, 'admin-password'), { envVar: 'POSTGRES_PASSWORD_FILE' });
      tls = this.tlsFilesOf(this.addTlsIdentity({ usage: 'server' }));
    }

    const conf = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/postgresql.conf`,
      content: () => renderPostgresConfig({
        producer: this.node.path,
        port: POSTGRES_PORT,
        memoryMiB: this.defaults.resources.memoryMiB,
        maxConnections: this.pgProps.maxConnections ?? 50,
        tls,
        hbaFile: `${CONF_DIR}/pg_hba.conf`,
        identFile: `${CONF_DIR}/pg_ident.conf`,
        logStatement: this.pgProps.logStatement ?? 'ddl',
      }),
    });
    const hba = new VpsFile(this, 'Hba', { path: `${this.serviceName}/pg_hba.conf`, content: () => renderPgHba(this.node.path, this.adminRole, this.grants, this.vaultConnection ? VAULT_ADMIN_ROLE : undefined) });
    const ident = new VpsFile(this, 'Ident', { path: `${this.serviceName}/pg_ident.conf`, content: () => renderPgIdent(this.node.path, this.grants) });
    const init = new VpsFile(this, 'InitSql', {
      path: `${this.serviceName}/initdb/10-mlsec-roles.sql`,
      content: () => renderInitSql(this.node.path, [...this.databases].map(([name, d]) => ({ name, schemas: d.schemas, ddl: d.ddl })), this.grants, this.vaultConnection ? VAULT_ADMIN_ROLE : undefined),
    });
    this.mountFile(conf, `${CONF_DIR}/postgresql.conf`);
    this.mountFile(hba, `${CONF_DIR}/pg_hba.conf`);
    this.mountFile(ident, `${CONF_DIR}/pg_ident.conf`);
    this.mountFile(init, '/docker-entrypoint-initdb.d/10-mlsec-roles.sql');
    if (p.vault) this.vaultConnection = this.connectVault(p.vault);
    this.node.addValidation({ validate: () => this.postgresProblems() });
  }

  /** Vault's admin role and connection: Vault reaches the server and manages the dynamic users. */
  private connectVault(vault: VaultServer): VaultDatabaseConnection {
    const password = new Credential(this, 'VaultAdminPassword', { name: `${this.serviceName}-vault-admin-password`, description: `initial password of '${VAULT_ADMIN_ROLE}' on ${this.node.path}; Vault rotates it at once` });
    const verifier = vault.addKvSecret(`Postgres-${this.serviceName}-vault-admin`, {
      path: `${Vps.of(this).name}/core/${this.serviceName}/vault-admin`,
      seed: { scram: { from: password, seedName: `${this.serviceName}-vault-admin.scram`, transform: (value) => scramSha256Verifier(value, VAULT_ADMIN_ROLE) } },
    });
    verifier.grantRead(this);
    vault.agentOf(this)!.addTemplate({ fileName: 'role-vault-admin.scram', template: 'kv-field', values: { path: verifier.dataPath, field: 'scram' } });
    // Vault connects lazily (the database engine), so no start order: Postgres itself waits for its agent, which waits for Vault.
    vault.connections.allowTo(this, { port: POSTGRES_PORT, startsAfter: false });
    return vault.addPostgresConnection(`Postgres-${this.serviceName}`, {
      name: this.serviceName, host: this.serviceName, port: POSTGRES_PORT, database: 'postgres', adminRole: VAULT_ADMIN_ROLE, adminPassword: password,
    });
  }

  /** Adds a database, owned by a NOLOGIN role `<name>_owner`, with its schemas. */
  public addDatabase(name: string, options: PostgresDatabaseOptions = {}): string {
    const schemas = options?.schemas ?? ['app'];
    const problems = collect(
      pgIdentifierProblem('addDatabase.name', name),
      typeof name === 'string' && name.length > 57 ? `prop 'addDatabase.name' must be at most 57 characters, so its owner role '<name>_owner' fits PostgreSQL's 63 (got ${name.length})` : undefined,
      name === this.adminRole ? `prop 'addDatabase.name' '${name}' is the admin role's own database` : undefined,
    );
    if (!Array.isArray(schemas) || schemas.length === 0) problems.push(`prop 'addDatabase.schemas' must be a non-empty array of schema names (got ${describeValue(schemas)})`);
    else schemas.forEach((s, i) => { const pr = pgIdentifierProblem(`addDatabase.schemas[${i}]`, s); if (pr) problems.push(pr); });
    if (problems.length === 0 && this.databases.has(name)) problems.push(`prop 'addDatabase.name': database '${name}' is already added`);
    if (problems.length === 0 && typeof name === 'string' && ownerRoleOf(name) === this.adminRole) problems.push(`prop 'addDatabase.name': its owner role would be the admin role '${this.adminRole}'`);
    if (problems.length > 0) this.grantProblems.push(...problems);
    else this.databases.set(name, { schemas: [...new Set(schemas)], path: this.node.path, ddl: [] });
    return name;
  }

  /**
   * Adds statements that create `database`'s objects (idempotent DDL such as `CREATE TABLE IF NOT
   * EXISTS`, e.g. `scoredTableSql`), appended to the init SQL after the database's grants and
   * default privileges. They run as the admin role; to have the grants' default privileges apply,
   * create objects as the owner (`SET ROLE <database>_owner` … `RESET ROLE`). Meant for constructs
   * that generate DDL from validated identifiers, never for user input.
   */
  public addSchemaObjects(database: string, ddl: string): void {
    const db = this.databases.get(database);
    if (!db) {
      this.grantProblems.push(`addSchemaObjects: prop 'database' must be a database added with addDatabase() on '${this.node.path}' (${[...this.databases.keys()].join(', ') || 'none yet'}), got ${describeValue(database)}`);
      return;
    }
    if (typeof ddl !== 'string' || ddl.trim() === '') {
      this.grantProblems.push(`addSchemaObjects(${database}): prop 'ddl' must be non-empty SQL text (got ${describeValue(ddl)})`);
      return;
    }
    if (!db.ddl.includes(ddl)) db.ddl.push(ddl.trimEnd());
  }

  /**
   * Lets `workload` connect to `options.database` as its own role (the service name with "_"),
   * with exactly `options.privileges`. Creates the flow to port 5432, the role, its pg_hba line,
   * its privileges, and delivers to the workload a client certificate, the CA bundle and (for
   * SCRAM) a pgpass file, announced by libpq's variables (`PGHOST`, `PGPORT`, `PGDATABASE`,
   * `PGUSER`, `PGSSLMODE=verify-full`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, `PGPASSFILE`).
   */
  public grantConnect(workload: Workload, options: PostgresGrantOptions): PostgresGrant | undefined {
    const o = options ?? ({} as PostgresGrantOptions);
    const where = `grantConnect(${workload?.node?.path ?? describeValue(workload)})`;
    if (!Workload.isWorkload(workload)) {
      this.grantProblems.push(`${where}: the grantee must be a Workload (got ${describeValue(workload)})`);
      return undefined;
    }
    const role = roleNameOf(workload.serviceName);
    const authentication = o.authentication ?? 'scram-sha-256';
    const prefix = o.envPrefix ?? 'PG';
    const privileges = Array.isArray(o.privileges) ? POSTGRES_PRIVILEGES.filter((p) => o.privileges.includes(p)) : [];
    const db = this.databases.get(o.database);
    const problems = collect(
      db === undefined ? `${where}: prop 'database' must be a database added with addDatabase() on '${this.node.path}' (${[...this.databases.keys()].join(', ') || 'none yet'}), got ${describeValue(o.database)}` : undefined,
      Array.isArray(o.privileges) && o.privileges.length > 0 && o.privileges.every((p) => POSTGRES_PRIVILEGES.includes(p as PostgresPrivilege))
        ? undefined
        : `${where}: prop 'privileges' must be a non-empty array of ${POSTGRES_PRIVILEGES.join(', ')} (got ${describeValue(o.privileges)})`,
      o.schema === undefined || (db?.schemas.includes(o.schema) ?? true) ? undefined : `${where}: prop 'schema' must be a schema of database '${o.database}' (${db?.schemas.join(', ')}), got ${describeValue(o.schema)}`,
      o.schema === undefined ? undefined : pgIdentifierProblem(`${where} schema`, o.schema),
      AUTHENTICATIONS.includes(authentication) ? undefined : `${where}: prop 'authentication' must be 'scram-sha-256' or 'cert' (got ${describeValue(authentication)})`,
      o.connectionLimit === undefined ? undefined : checkInteger(`${where} connectionLimit`, o.connectionLimit, 1, 100),
      checkPattern(`${where} envPrefix`, prefix, ENV_PREFIX, 'upper-case letters, digits and "_", starting with a letter'),
      pgIdentifierProblem(`${where}: the role name derived from service '${workload.serviceName}'`, role),
      role === this.adminRole ? `${where}: the service's role name '${role}' is the admin role` : undefined,
      role === VAULT_ADMIN_ROLE ? `${where}: the service's role name '${role}' is reserved for Vault's database engine` : undefined,
      workload === this ? `${where}: a server cannot be granted access to itself` : undefined,
    );
    const overlapping = this.grants.find((g) => g.role === role && g.database === o.database);
    if (overlapping) problems.push(`${where}: '${workload.node.path}' already has a grant on database '${o.database}' (privileges ${overlapping.privileges.join(', ')}); grants must not overlap: put every privilege in one grant`);
    const other = this.grants.find((g) => g.role === role);
    if (other && other.authentication !== authentication) problems.push(`${where}: role '${role}' already authenticates with '${other.authentication}'; one role has one authentication`);
    if (problems.length > 0) {
      this.grantProblems.push(...problems);
      return undefined;
    }

    workload.connections.allowTo(this, { port: POSTGRES_PORT });
    const client = clientTlsFiles(workload, this.pgProps.vault);
    let verifierFile: string | undefined;
    let vaultRole: string | undefined;
    const vault = this.pgProps.vault;
    if (authentication === 'scram-sha-256' && vault && this.vaultConnection) {
      vaultRole = this.vaultConnection.addRole(role, { connectionLimit: o.connectionLimit ?? 10, searchPath: o.schema !== undefined ? [o.schema] : db!.schemas });
      const serviceFile = vault.grantDatabaseCredentials(workload, vaultRole, `${this.serviceName}.pg_service.conf`, {
        service: this.serviceName, host: this.serviceName, port: POSTGRES_PORT, dbname: o.database,
        sslrootcert: client.caBundle, sslcert: client.certificate, sslkey: client.privateKey,
      });
      this.setClientEnvironment(workload, `${prefix}SERVICEFILE`, serviceFile);
      this.setClientEnvironment(workload, `${prefix}SERVICE`, this.serviceName);
    } else if (authentication === 'scram-sha-256') {
      const secrets = this.roleSecretsOf(role, workload.serviceName);
      verifierFile = secrets.verifierFile;
      this.addSecret(secrets.verifier);
      workload.addSecret(secrets.pgpass, { envVar: `${prefix}PASSFILE` });
    }
    // A second grant on this server keeps the first PGDATABASE: the client names the database.
    const sameServer = workload._environment[`${prefix}HOST`] === this.serviceName;
    const env: Record<string, string> = {
      HOST: this.serviceName, PORT: String(POSTGRES_PORT), ...(sameServer ? {} : { DATABASE: o.database }), ...(vaultRole ? {} : { USER: role }),
      SSLMODE: 'verify-full', SSLROOTCERT: client.caBundle, SSLCERT: client.certificate, SSLKEY: client.privateKey,
    };
    for (const [k, v] of Object.entries(env)) this.setClientEnvironment(workload, `${prefix}${k}`, v);
    const grant: PostgresGrant = {
      consumerPath: workload.node.path, serviceName: workload.serviceName, role, database: o.database, schema: o.schema,
      privileges, authentication, connectionLimit: o.connectionLimit ?? 10, verifierFile, vaultRole,
    };
    this.grants.push(grant);
    return grant;
  }

  /** The grants, in the order they were made. */
  public get grantsMade(): readonly PostgresGrant[] {
    return [...this.grants];
  }

  private roleSecretsOf(role: string, service: string): { verifier: ISecretSource; pgpass: ISecretSource; verifierFile: string } {
    const known = this.roleSecrets.get(role);
    if (known) return known;
    const credential = new Credential(this, `Role-${role}`, { name: `${this.serviceName}-role-${service}`, description: `password of role '${role}' on ${this.node.path}` });
    const server = this.serviceName;
    const verifierFile = `role-${service}.scram`;
    const secrets = {
      verifierFile,
      verifier: SecretSource.derived(verifierFile, (ctx) => scramSha256Verifier(ctx.credential(credential), role)),
      pgpass: SecretSource.derived(`${server}.pgpass`, (ctx) => `${server}:${POSTGRES_PORT}:*:${role}:${pgpassEscape(ctx.credential(credential))}\n`),
    };
    this.roleSecrets.set(role, secrets);
    return secrets;
  }

  private setClientEnvironment(workload: Workload, name: string, value: string): void {
    const existing = workload._environment[name];
    if (existing !== undefined && existing !== value) {
      this.grantProblems.push(`grantConnect(${workload.node.path}): variable ${name} is already set to ${describeValue(existing)} by another grant; pass envPrefix to tell the servers apart`);
      return;
    }
    workload._environment[name] = value;
  }

  private postgresProblems(): string[] {
    const owners = new Map([...this.databases.keys()].map((db) => [ownerRoleOf(db), db]));
    const clashes = [...new Set(this.grants.map((g) => g.role))].filter((role) => owners.has(role)).map((role) => {
      const g = this.grants.find((x) => x.role === role)!;
      return `grantConnect(${g.consumerPath}): its role '${role}' (from service '${g.serviceName}') is the NOLOGIN owner role of database '${owners.get(role)}'; a grantee must never log in as an owner: rename the service`;
    });
    return [
      ...this.grantProblems,
      ...clashes,
      ...collect(
        pgIdentifierProblem('adminRole', this.adminRole),
        this.pgProps.maxConnections === undefined ? undefined : checkInteger('maxConnections', this.pgProps.maxConnections, 10, 1000),
        this.pgProps.logStatement === undefined || ['ddl', 'mod', 'all'].includes(this.pgProps.logStatement)
          ? undefined
          : `prop 'logStatement' must be 'ddl', 'mod' or 'all' (got ${describeValue(this.pgProps.logStatement)})`,
      ),
    ];
  }
}

/** pgpass escapes ":" and "\\" in fields. */
function pgpassEscape(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}
