import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { MlsecError } from '../../core/errors';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultKvSecret } from '../../vault/vault-grants';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { BenthosService, BenthosServiceProps, httpsApiInput } from '../benthos/benthos-service';
import type { PostgresServer } from '../postgres/postgres-server';
import { pgIdentifierProblem, quoteIdent as q } from '../postgres/postgres-names';

/** Where the broker reads: a database of a {@link PostgresServer}. */
export interface CuratedDatabase {
  /** The server. */
  readonly server: PostgresServer;
  /** The database (added with `addDatabase`), e.g. `curated`. */
  readonly database: string;
  /**
   * The one schema the broker may read; published tables must be in it.
   * @default every schema of the database
   */
  readonly schema?: string;
}

/** Props of a {@link CuratedDataBroker}. */
export interface CuratedDataBrokerProps extends BenthosServiceProps {
  /** The curated database it reads with SELECT only, by certificate login. */
  readonly curated: CuratedDatabase;
  /**
   * Requests per second it answers, all clients together (above: 429).
   * @default 20
   */
  readonly requestsPerSecond?: number;
  /**
   * How long one query may run (PostgreSQL `statement_timeout`), seconds.
   * @default 5
   */
  readonly queryTimeoutSeconds?: number;
}

/** One dataset the broker serves, exactly as published. */
export interface PublishedDataset {
  /** The dataset name: `<domain>_<dataset>_v<major>` (the catalog's name), the path is `/datasets/<name>`. */
  readonly name: string;
  /** The table or view: `schema.table`. */
  readonly table: string;
  /** The columns served, in order; no other column of the table ever leaves the broker. */
  readonly columns: string[];
  /**
   * The unique, non-null column pages are keyed on (`after=<key>`); one of `columns`.
   * @default the first column
   */
  readonly keyColumn?: string;
  /**
   * What the key holds: `integer` keys accept `after` as a decimal integer, `text` keys as letters, digits and `_.:@+=-`.
   * @default 'integer'
   */
  readonly keyType?: 'integer' | 'text';
  /**
   * Rows per page at most (`limit` is capped to it, and is it when absent).
   * @default 1000
   */
  readonly maxRows?: number;
}

/** Options of {@link CuratedDataBroker.allowClient}. */
export interface DataBrokerClientOptions {
  /**
   * The published datasets it may read (others answer 403).
   * @default every published dataset
   */
  readonly datasets?: string[];
}

/** What a client of the broker receives (container paths), also announced by its environment. */
export interface DataBrokerClientFiles {
  /** `https://<broker>:8443` (`MLSEC_DATA_BROKER_URL`). */
  readonly url: string;
  /** The internal CA bundle that verifies the broker (`MLSEC_DATA_BROKER_CA_FILE`). */
  readonly caBundle: string;
  /**
   * Its own bearer token (`MLSEC_DATA_BROKER_TOKEN_FILE`), sent as `Authorization: Bearer <token>`:
   * rendered by its Vault Agent when the broker has `vault`, else delivered by the bootstrap.
   */
  readonly tokenFile: string;
}

/** The variable (from the broker's env file) holding `<client>=<sha256 of its token>,…`. */
export const DATA_BROKER_TOKENS_VARIABLE = 'MLSEC_DATA_BROKER_CLIENTS';
/** The HTTPS port of the broker. */
export const DATA_BROKER_PORT = 8443;
/** Datasets one broker serves at most: each holds one database connection. */
export const MAX_PUBLISHED_DATASETS = 16;
const PREFIX = 'CURATED_PG';
const RATE_LIMIT = 'data_broker';
const DATASET = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+_v[0-9]{1,4}$/;
const AFTER: Record<'integer' | 'text', string> = { integer: '^-?[0-9]{1,18}$', text: '^[A-Za-z0-9][A-Za-z0-9_.:@+=-]{0,127}$' };

/**
 * The Z4 → Z3 access broker (CONTROLS.md INV-05, Z4-K02, Z4-K04, Z3-K10): the only path from the
 * model factory to curated data. It sits in Z3 with the data — the factory calls into it, so no
 * Z4 workload ever has a flow to a store. HTTPS on 8443, one route, `GET /datasets/<name>?after=<key>&limit=<n>`,
 * serving only what `publish` declared: the published columns of the published table, in keyset
 * pages (`{ "rows": [...], "next": <key or null> }`, `limit` capped by `maxRows`). Each dataset
 * has one fixed statement; the request's `after` and `limit` reach it only as bound parameters
 * after a pattern check (else 400). An unknown dataset or path is 404, any other method 405, a
 * database failure or timeout a generic 503. It logs in with its client certificate (no
 * password exists) as its own role with SELECT only, in read-only transactions with a statement
 * timeout. Benthos' HTTP server cannot ask for client certificates, so each client declared with
 * `allowClient` gets the flow and its own bootstrap-generated bearer token; the broker holds only
 * the SHA-256 of each, in an env file. With `vault`, the token is seeded into KV at a path only its
 * client reads (`kv/data/<vps>/core/<client>/<broker>`, rendered by the client's agent) and its
 * SHA-256 at a path only the broker reads (`kv/data/<vps>/core/<broker>/token-<client>`, rendered
 * into the env file by the broker's agent); without, the bootstrap delivers both. A missing or unknown token is 401, a dataset the
 * client was not given 403; a broker without clients answers nobody (fail closed).
 * Benthos' own metrics (Prometheus) are served over HTTPS on 4195 (`BENTHOS_METRICS_PORT`) for Z9 to
 * scrape (`Z9Observability.scrape`).
 */
export class CuratedDataBroker extends BenthosService {
  /** The published datasets, in publication order. */
  public readonly datasets: readonly PublishedDataset[] = [];
  private readonly brokerProps: CuratedDataBrokerProps;
  private readonly publishProblems: string[] = [];
  private readonly clients = new Map<string, { workload: Workload; token: Credential; datasets?: string[]; digest?: VaultKvSecret }>();

  constructor(scope: Construct, id: string, props: CuratedDataBrokerProps) {
    const p = props ?? ({} as CuratedDataBrokerProps);
    super(scope, id, p, { zone: Zone.Z3_CURATED, ports: [DATA_BROKER_PORT], tlsUsage: 'server-and-client', metrics: true });
    this.noHealthCheck('the Benthos image is built FROM scratch (no shell or HTTP client to probe with); its clients see a refused connection while it is down');
    this._role = 'access-broker';
    this.brokerProps = p;
    const c = p.curated;
    const problems = c === null || typeof c !== 'object' || typeof c.server?.grantConnect !== 'function'
      ? [`prop 'curated' must be { server: PostgresServer, database, schema? } (got ${describeValue(c)})`]
      : collect(pgIdentifierProblem('curated.database', c.database), c.schema === undefined ? undefined : pgIdentifierProblem('curated.schema', c.schema));
    problems.push(...collect(
      p.requestsPerSecond === undefined ? undefined : checkInteger('requestsPerSecond', p.requestsPerSecond, 1, 1000),
      p.queryTimeoutSeconds === undefined ? undefined : checkInteger('queryTimeoutSeconds', p.queryTimeoutSeconds, 1, 60),
    ));
    if (problems.length === 0) {
      c.server.grantConnect(this, { database: c.database, schema: c.schema, privileges: ['SELECT'], authentication: 'cert', envPrefix: PREFIX, connectionLimit: MAX_PUBLISHED_DATASETS });
    }
    // The token digests: rendered by the broker's own agent (it holds a grant already: its
    // certificate) from KV, or computed at bootstrap from the clients' credentials.
    this.addEnvFile(p.vault
      ? p.vault.agentOf(this)!.addTemplate({
        fileName: `${this.serviceName}-clients.env`,
        template: 'kv-sha256-env',
        values: () => ({ variables: [{ name: DATA_BROKER_TOKENS_VARIABLE, entries: [...this.clients.entries()].map(([key, c]) => ({ key, path: c.digest!.dataPath })) }] }),
      })
      : this.addSecret(SecretSource.derived(`${this.serviceName}-clients.env`, (ctx) => {
        const entries = [...this.clients.entries()].map(([service, c]) => `${service}=${createHash('sha256').update(ctx.credential(c.token)).digest('hex')}`);
        return `${DATA_BROKER_TOKENS_VARIABLE}=${entries.join(',')}\n`;
      })));
    this.node.addValidation({
      validate: () => [
        ...problems,
        ...this.publishProblems,
        ...this.clientProblems(),
        ...(this.datasets.length === 0 && this.publishProblems.length === 0 ? ['publish at least one dataset (publish({ name, table, columns }))'] : []),
      ],
    });
  }

  /** Serves `dataset` at `GET /datasets/<name>`: its columns of its table, nothing else. */
  public publish(dataset: PublishedDataset): void {
    const d = dataset ?? ({} as PublishedDataset);
    const at = `publish(${typeof d.name === 'string' && DATASET.test(d.name) ? d.name : '#' + (this.datasets.length + 1)})`;
    const [schema, table, ...rest] = typeof d.table === 'string' ? d.table.split('.') : [];
    const columns = Array.isArray(d.columns) ? d.columns : [];
    const key = d.keyColumn ?? columns[0];
    const problems = collect(
      checkPattern(`${at}.name`, d.name, DATASET, '`<domain>_<dataset>_v<major>` in lower case, e.g. `risk_transactions_v1`'),
      typeof d.table === 'string' && rest.length === 0 && table !== undefined ? undefined : `prop '${at}.table' must be \`schema.table\` (got ${describeValue(d.table)})`,
      schema === undefined ? undefined : pgIdentifierProblem(`${at}.table (schema)`, schema),
      table === undefined ? undefined : pgIdentifierProblem(`${at}.table (table)`, table),
      Array.isArray(d.columns) && d.columns.length >= 1 && d.columns.length <= 64 ? undefined : `prop '${at}.columns' must be a list of 1 to 64 column names (got ${describeValue(d.columns)})`,
      ...columns.map((col, i) => pgIdentifierProblem(`${at}.columns[${i}]`, col)),
      new Set(columns).size === columns.length ? undefined : `prop '${at}.columns' must name each column once (got ${describeValue(d.columns)})`,
      columns.includes(key) ? undefined : `prop '${at}.keyColumn' must be one of the published columns ${describeValue(columns)} (got ${describeValue(d.keyColumn)})`,
      d.keyType === undefined || d.keyType === 'integer' || d.keyType === 'text' ? undefined : `prop '${at}.keyType' must be 'integer' or 'text' (got ${describeValue(d.keyType)})`,
      d.maxRows === undefined ? undefined : checkInteger(`${at}.maxRows`, d.maxRows, 1, 10_000),
      this.brokerProps.curated?.schema === undefined || schema === undefined || schema === this.brokerProps.curated.schema
        ? undefined : `prop '${at}.table' must be in schema '${this.brokerProps.curated.schema}', the only one the broker may read (got ${describeValue(d.table)})`,
      this.datasets.some((x) => x.name === d.name) ? `prop '${at}.name': dataset '${d.name}' is already published` : undefined,
      this.datasets.length >= MAX_PUBLISHED_DATASETS ? `${at}: a broker serves at most ${MAX_PUBLISHED_DATASETS} datasets (one database connection each)` : undefined,
    );
    if (problems.length > 0) {
      this.publishProblems.push(...problems);
      return;
    }
    (this.datasets as PublishedDataset[]).push({ name: d.name, table: d.table, columns: [...columns], keyColumn: key, keyType: d.keyType ?? 'integer', maxRows: d.maxRows ?? 1000 });
  }

  /**
   * Lets `client` (e.g. the Z4 training worker) read `options.datasets` (default: all): the flow
   * to 8443, the CA bundle and its own bearer token, announced by `MLSEC_DATA_BROKER_URL`,
   * `MLSEC_DATA_BROKER_CA_FILE` and `MLSEC_DATA_BROKER_TOKEN_FILE`.
   */
  public allowClient(client: Workload, options: DataBrokerClientOptions = {}): DataBrokerClientFiles {
    if (!Workload.isWorkload(client)) throw new MlsecError(`[${this.node.path}] allowClient: the client must be a Workload (got ${describeValue(client)})`);
    if (this.clients.has(client.serviceName)) throw new MlsecError(`[${this.node.path}] allowClient(${client.node.path}): it is already a client; give all its datasets in one call`);
    const token = new Credential(this, `Token-${client.serviceName}`, {
      name: `${this.serviceName}-client-${client.serviceName}`,
      description: `bearer token of ${client.node.path} at the access broker ${this.node.path}`,
    });
    const vault = this.brokerProps.vault;
    let tokenFile: string;
    let digest: VaultKvSecret | undefined;
    if (vault) {
      // The client reads its token, the broker only its SHA-256, each at a KV path of its own.
      const vps = Vps.of(this).name;
      const secret = vault.addKvSecret(`DataBroker-${this.serviceName}-${client.serviceName}`, { path: `${vps}/core/${client.serviceName}/${this.serviceName}`, seed: { token } });
      secret.grantRead(client, { fields: { token: 'MLSEC_DATA_BROKER_TOKEN_FILE' }, fileNames: { token: `${this.serviceName}-token` } });
      tokenFile = client._environment.MLSEC_DATA_BROKER_TOKEN_FILE;
      digest = vault.addKvSecret(`DataBroker-${this.serviceName}-${client.serviceName}-sha256`, { path: `${vps}/core/${this.serviceName}/token-${client.serviceName}`, seed: { sha256: { sha256Of: token } } });
      digest.grantRead(this);
    } else {
      tokenFile = client.addSecret(SecretSource.credential(token, `${this.serviceName}-token`));
      client.addEnvironment('MLSEC_DATA_BROKER_TOKEN_FILE', tokenFile);
    }
    this.clients.set(client.serviceName, { workload: client, token, datasets: options?.datasets, digest });
    client.connections.allowTo(this, { port: DATA_BROKER_PORT });
    const caBundle = client.addSecret(SecretSource.caBundle(Vps.of(client)));
    const files: DataBrokerClientFiles = { url: `https://${this.serviceName}:${DATA_BROKER_PORT}`, caBundle, tokenFile };
    client.addEnvironment('MLSEC_DATA_BROKER_URL', files.url);
    client.addEnvironment('MLSEC_DATA_BROKER_CA_FILE', caBundle);
    return files;
  }

  /** The clients that may read `dataset`. */
  private callersOf(dataset: string): string[] {
    return [...this.clients.entries()].filter(([, c]) => c.datasets === undefined || c.datasets.includes(dataset)).map(([service]) => service);
  }

  private clientProblems(): string[] {
    const published = this.datasets.map((d) => d.name);
    return [
      ...(this.clients.size === 0 ? ['the broker has no client: call allowClient (e.g. the Z4 training worker)'] : []),
      ...[...this.clients.values()].flatMap((c) => (c.datasets === undefined ? [] : collect(
        Array.isArray(c.datasets) && c.datasets.length > 0 && c.datasets.every((n) => published.includes(n))
          ? undefined
          : `allowClient(${c.workload.node.path}): prop 'datasets' must be a non-empty list of published datasets (${published.join(', ') || 'none yet'}), got ${describeValue(c.datasets)}`,
      ))),
    ];
  }

  protected renderConfig(): Record<string, unknown> {
    const p = this.brokerProps;
    const timeout = p.queryTimeoutSeconds ?? 5;
    const dsn = curatedDsn(this, timeout);
    return {
      input: {
        // The router matches only published names: anything else is its 404.
        ...httpsApiInput({
          port: DATA_BROKER_PORT, path: `/datasets/{dataset:(?:${this.datasets.map((d) => d.name).join('|')})}`,
          verbs: ['GET'], timeout: `${timeout + 2}s`, rateLimit: RATE_LIMIT, status: '${! meta("http_status") }',
        }, this.tls),
      },
      pipeline: {
        processors: [
          { mapping: REQUEST },
          {
            switch: [
              { check: 'this.caller == ""', processors: [{ mapping: answer('401', 'unauthorized') }] },
              ...this.datasets.map((d) => ({ check: `this.dataset == "${d.name}"`, processors: datasetProcessors(d, dsn, this.callersOf(d.name)) })),
              { processors: [{ mapping: answer('404', 'not found') }] },
            ],
          },
          // Any failure above (database down, timeout, …): one generic answer.
          { catch: [{ mapping: answer('503', 'unavailable') }] },
        ],
      },
      output: { sync_response: {} },
      rate_limit_resources: [{ label: RATE_LIMIT, local: { count: p.requestsPerSecond ?? 20, interval: '1s' } }],
    };
  }
}

/**
 * Keeps only the request's three inputs and the caller its bearer token names (empty: none).
 * Headers, query parameters, path variables and cookies share one metadata namespace (cookies
 * written last), so a client can restate them in another place; each is validated whatever its
 * origin, and a token counts only if its digest is registered. Extra parts (a multipart body) are
 * dropped, so one request runs one query.
 */
const REQUEST = [
  `let tokens = env("${DATA_BROKER_TOKENS_VARIABLE}").or("")`,
  'let presented = @Authorization.or("")',
  'let token = if $presented.has_prefix("Bearer ") { $presented.trim_prefix("Bearer ") } else { "" }',
  'let digest = $token.hash("sha256").encode("hex")',
  'let callers = if $token.length() < 32 { [] } else { $tokens.split(",").map_each(e -> e.split("=")).filter(e -> e.length() == 2 && e.index(1) == $digest).map_each(e -> e.index(0)) }',
  'let request = {"dataset": @dataset, "after": @after, "limit": @limit, "caller": $callers.index(0).or("")}',
  'meta = deleted()',
  'root = if batch_index() > 0 { deleted() } else { $request }',
].join('\n');

/** The answer `status` with a fixed error body (no table, host or SQL in it). */
function answer(status: string, error: string): string {
  return `meta = deleted()\nmeta http_status = "${status}"\nroot = {"error": "${error}"}`;
}

/** Check the caller and the request → one fixed parametrized statement → page; a refused request stops at 403 or 400. */
function datasetProcessors(d: PublishedDataset, dsn: string, callers: string[]): unknown[] {
  const max = d.maxRows!;
  const validate = [
    `let allowed = ${JSON.stringify(callers)}.contains(this.caller)`,
    'let after = this.after',
    `let limit = this.limit.or("${max}")`,
    `let ok = match { $after != null && !$after.string().re_match("${AFTER[d.keyType!]}") => false, !$limit.string().re_match("^[0-9]{1,7}$") => false, _ => $limit.number() >= 1 }`,
    'meta http_status = if !$allowed { "403" } else if $ok { "200" } else { "400" }',
    // One row more than the page tells whether a next page exists.
    `meta page_limit = if $allowed && $ok { [$limit.number(), ${max}].min().string() } else { "0" }`,
    `root = if !$allowed { {"error": "forbidden"} } else if $ok { {"after": $after, "fetch": [$limit.number(), ${max}].min().int64() + 1} } else { {"error": "bad request"} }`,
  ].join('\n');
  const page = [
    'let n = @page_limit.number()',
    'let more = this.length() > $n',
    'let rows = if $more { this.slice(0, $n) } else { this }',
    'meta = deleted()',
    'meta http_status = "200"',
    `root = {"rows": $rows, "next": if $more { $rows.index(-1).get("${d.keyColumn}") } else { null }}`,
  ].join('\n');
  return [
    { mapping: validate },
    {
      switch: [{
        check: '@http_status == "200"',
        processors: [
          {
            sql_raw: {
              driver: 'postgres',
              dsn,
              query: datasetQuery(d),
              args_mapping: 'root = [ this.after, this.fetch ]',
              // One connection per dataset: the grant's connection limit is MAX_PUBLISHED_DATASETS.
              conn_max_open: 1,
              conn_max_idle: 1,
              conn_max_idle_time: '60s',
            },
          },
          { mapping: page },
        ],
      }],
    },
  ];
}

/**
 * The dataset's one statement: its columns, by name, of its table; `$1` the key to start after
 * (NULL: the first page), `$2` the rows to fetch. Every identifier was validated, and quoted.
 */
export function datasetQuery(d: PublishedDataset): string {
  const [schema, table] = d.table.split('.');
  const key = q(d.keyColumn ?? d.columns[0]);
  return `SELECT ${d.columns.map(q).join(', ')} FROM ${q(schema)}.${q(table)} WHERE ${key} IS NOT NULL AND (${key} > $1 OR $1 IS NULL) ORDER BY ${key} LIMIT $2`;
}

/**
 * The lib/pq DSN of the broker's grant: certificate login (no password exists), the server
 * certificate verified for its service name, and as run-time parameters a statement timeout and
 * read-only transactions (defence in depth: the role holds SELECT only).
 */
function curatedDsn(workload: Workload, timeoutSeconds: number): string {
  const env = (name: string) => workload._environment[`${PREFIX}${name}`] ?? '';
  const query = [
    `sslmode=${env('SSLMODE')}`, `sslrootcert=${env('SSLROOTCERT')}`, `sslcert=${env('SSLCERT')}`, `sslkey=${env('SSLKEY')}`, 'connect_timeout=10',
    `statement_timeout=${timeoutSeconds * 1000}`, 'default_transaction_read_only=on',
  ].join('&');
  return `postgres://${env('USER')}@${env('HOST')}:${env('PORT')}/${env('DATABASE')}?${query}`;
}
