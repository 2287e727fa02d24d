import { collect, describeValue } from '../../core/prop-rules';
import type { Workload } from '../../workload/workload';
import { ownerRoleOf } from '../postgres/postgres-init-sql';
import { pgIdentifierProblem, quoteIdent as q } from '../postgres/postgres-names';
import type { PostgresServer } from '../postgres/postgres-server';

/** Where scores are stored: one table per model, `<schema>.<model>_scores`, in a Z6 PostgreSQL database. */
export interface ScoredStore {
  /** The PostgreSQL server of the scored store. */
  readonly server: PostgresServer;
  /** The database, added with `server.addDatabase` (its schemas must include `schema`). */
  readonly database: string;
  /**
   * The schema of the score tables.
   * @default 'scored_core'
   */
  readonly schema?: string;
}

/** The default schema of the score tables. */
export const SCORED_SCHEMA = 'scored_core';
/** The columns of a score table, in the order the job inserts them. */
export const SCORED_COLUMNS = ['entity_id', 'score', 'model_version', 'scored_at'] as const;
/** Entity ids the store accepts (and the API's path allows): no SQL, path or log metacharacter. */
export const ENTITY_ID_PATTERN = '[A-Za-z0-9._:-]{1,128}';

/** The score table of `model` (a model name: lower-case letters, digits and "-"): `<model with "_">_scores`. */
export function scoredTableOf(model: string): string {
  return `${model.replace(/-/g, '_')}_scores`;
}

/**
 * The DDL of `model`'s score table, run by the database's NOLOGIN owner role (so the default
 * privileges of the grants apply: INSERT for the job, SELECT for the API, and nobody else holds
 * DDL or UPDATE/DELETE on it). Append-only: each run adds rows keyed by entity, model version and
 * time, so a score is never overwritten and every row names the model version that produced it.
 * Idempotent (`IF NOT EXISTS`); every identifier was validated first.
 */
export function scoredTableSql(store: ScoredStore, model: string): string {
  const schema = store.schema ?? SCORED_SCHEMA;
  const table = `${q(schema)}.${q(scoredTableOf(model))}`;
  return [
    `SET ROLE ${q(ownerRoleOf(store.database))};`,
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    `  entity_id text NOT NULL CHECK (entity_id ~ '^${ENTITY_ID_PATTERN}$'),`,
    "  score double precision NOT NULL CHECK (score <> 'NaN'::double precision),",
    '  model_version text NOT NULL CHECK (length(model_version) BETWEEN 1 AND 200),',
    '  scored_at timestamptz NOT NULL,',
    '  PRIMARY KEY (entity_id, model_version, scored_at)',
    ');',
    `CREATE INDEX IF NOT EXISTS ${q(`${scoredTableOf(model)}_latest`)} ON ${table} (entity_id, scored_at DESC);`,
    'RESET ROLE;',
    '',
  ].join('\n');
}

/** Problems of a `scored` prop, naming `<prop>.<field>`. */
export function scoredStoreProblems(prop: string, store: ScoredStore | undefined): string[] {
  if (store === null || typeof store !== 'object' || typeof store.server?.grantConnect !== 'function') {
    return [`prop '${prop}' must be { server: PostgresServer, database, schema? } (got ${describeValue(store)})`];
  }
  return collect(pgIdentifierProblem(`${prop}.database`, store.database), store.schema === undefined ? undefined : pgIdentifierProblem(`${prop}.schema`, store.schema));
}

/**
 * The `postgres` (lib/pq) DSN of a grant made with `envPrefix: prefix`: the libpq variables the
 * grant set on `workload`, as one URL — certificate login, so no password is in it; the server
 * certificate is verified for the service name (`verify-full`).
 */
export function postgresDsn(workload: Workload, prefix: string): string {
  const env = (name: string) => workload._environment[`${prefix}${name}`] ?? '';
  const query = [
    `sslmode=${env('SSLMODE')}`, `sslrootcert=${env('SSLROOTCERT')}`, `sslcert=${env('SSLCERT')}`, `sslkey=${env('SSLKEY')}`, 'connect_timeout=10',
  ].join('&');
  return `postgres://${env('USER')}@${env('HOST')}:${env('PORT')}/${env('DATABASE')}?${query}`;
}
