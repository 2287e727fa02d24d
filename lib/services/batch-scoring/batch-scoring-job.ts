import { Construct } from 'constructs';
import { checkInteger, collect, describeValue } from '../../core/prop-rules';
import { Zone } from '../../workload/zone';
import { BenthosService, BenthosServiceProps } from '../benthos/benthos-service';
import type { ModelServer } from '../model-serving/model-server';
import { pgIdentifierProblem } from '../postgres/postgres-names';
import type { PostgresServer } from '../postgres/postgres-server';
import { ENTITY_ID_PATTERN, postgresDsn, SCORED_COLUMNS, SCORED_SCHEMA, ScoredStore, scoredStoreProblems, scoredTableOf } from './scored-store';

/** The feature table a {@link BatchScoringJob} reads (Z3, offline features). */
export interface FeatureSource {
  /** The PostgreSQL server of the feature table. */
  readonly server: PostgresServer;
  /** Its database (added with `server.addDatabase`). */
  readonly database: string;
  /** Its schema. */
  readonly schema: string;
  /** The table (or view). */
  readonly table: string;
  /** The column holding the entity id (text matching `ENTITY_ID_PATTERN`). */
  readonly entityColumn: string;
  /** The feature columns, in the model's input order: the only columns the job selects (numeric). */
  readonly columns: string[];
}

/** Props of a {@link BatchScoringJob}. */
export interface BatchScoringJobProps extends BenthosServiceProps {
  /** The model server whose model scores the rows (its v2 inference endpoint). */
  readonly modelServer: ModelServer;
  /** The feature table to score. */
  readonly features: FeatureSource;
  /** Where the scores go: `<schema>.<model>_scores` (see `scoredTableSql`). */
  readonly scored: ScoredStore;
  /**
   * Rows per inference request (and per INSERT).
   * @default 100
   */
  readonly batchSize?: number;
}

const FEATURES_PREFIX = 'FEATURES_PG';
const SCORED_PREFIX = 'SCORED_PG';

/**
 * A Z6 batch scoring job (CONTROLS.md Z6-K09, Z6-K10), one-shot: selects the declared feature
 * columns — and only those — of every row of a Z3 feature table whose features are all present
 * and whose entity id is well-formed (`ENTITY_ID_PATTERN`), sends them in batches to the model
 * server's v2 inference endpoint (`POST /v2/models/<model>/infer`), and appends one row per
 * entity to `<model>_scores` in the scored store with the score, the `model_version` the server
 * answered and the time (see `scoredTableSql` for the table). It logs in
 * to both databases with its client certificate only: SELECT on the feature schema, INSERT (no
 * SELECT, UPDATE or DELETE) on the score schema. A batch the model cannot score (error after
 * retries, an answer of another model, no `model_version`, a row count that does not match) is
 * rejected and replayed, never written: the job finishes only when every row is scored.
 * The hop to the model server is plain HTTP: MLServer 1.6 serves no TLS (the same exception the
 * inference door declares on its route); it stays on the serving network.
 */
export class BatchScoringJob extends BenthosService {
  /** The model it runs. */
  public readonly modelName: string;
  /** The score table, `<schema>.<model>_scores`. */
  public readonly scoredTable: string;
  private readonly jobProps: BatchScoringJobProps;

  constructor(scope: Construct, id: string, props: BatchScoringJobProps) {
    const p = props ?? ({} as BatchScoringJobProps);
    super(scope, id, p, { zone: Zone.Z6_SERVING, ports: [], tlsUsage: 'client' });
    this.noHealthCheck('a one-shot job that scores the feature table, then exits');
    this.jobProps = p;
    const model = p.modelServer?.model?.name;
    this.modelName = model;
    this.scoredTable = `${p.scored?.schema ?? SCORED_SCHEMA}.${scoredTableOf(String(model))}`;
    const problems = this.propProblems();
    if (problems.length === 0) {
      const f = p.features;
      f.server.grantConnect(this, { database: f.database, schema: f.schema, privileges: ['SELECT'], authentication: 'cert', envPrefix: FEATURES_PREFIX, connectionLimit: 2 });
      p.scored.server.grantConnect(this, {
        database: p.scored.database, schema: p.scored.schema ?? SCORED_SCHEMA, privileges: ['INSERT'], authentication: 'cert', envPrefix: SCORED_PREFIX, connectionLimit: 2,
      });
      this.connections.allowTo(p.modelServer, { port: p.modelServer.port });
    }
    this.node.addValidation({ validate: () => problems });
  }

  private propProblems(): string[] {
    const p = this.jobProps;
    const f = p.features;
    const serverOk = typeof p.modelServer?.model?.name === 'string' && typeof p.modelServer?.port === 'number';
    const featuresOk = f !== null && typeof f === 'object' && typeof f.server?.grantConnect === 'function';
    const columns = featuresOk && Array.isArray(f.columns) ? f.columns : undefined;
    return [
      ...collect(
        serverOk ? undefined : `prop 'modelServer' must be the ModelServer whose model scores the rows (got ${describeValue(p.modelServer)})`,
        featuresOk ? undefined : `prop 'features' must be { server: PostgresServer, database, schema, table, entityColumn, columns } (got ${describeValue(f)})`,
        p.batchSize === undefined ? undefined : checkInteger('batchSize', p.batchSize, 1, 1000),
      ),
      ...(featuresOk
        ? collect(
          pgIdentifierProblem('features.database', f.database),
          pgIdentifierProblem('features.schema', f.schema),
          pgIdentifierProblem('features.table', f.table),
          pgIdentifierProblem('features.entityColumn', f.entityColumn),
          columns !== undefined && columns.length >= 1 && columns.length <= 256 ? undefined : `prop 'features.columns' must be a list of 1 to 256 feature column names (got ${describeValue(f.columns)})`,
          ...(columns ?? []).map((c, i) => pgIdentifierProblem(`features.columns[${i}]`, c)),
          columns !== undefined && new Set([f.entityColumn, ...columns]).size !== columns.length + 1
            ? `prop 'features.columns' must name each column once and not the entity column '${f.entityColumn}' (got ${describeValue(columns)})` : undefined,
        )
        : []),
      ...scoredStoreProblems('scored', p.scored),
    ];
  }

  protected renderConfig(): Record<string, unknown> {
    const p = this.jobProps;
    const f = p.features;
    const batch = p.batchSize ?? 100;
    const model = this.modelName;
    const dsnScored = postgresDsn(this, SCORED_PREFIX);
    const vector = `[${f.columns.map((c) => `r.${c}.number()`).join(', ')}]`;
    return {
      input: {
        broker: {
          inputs: [{
            sql_select: {
              driver: 'postgres',
              dsn: postgresDsn(this, FEATURES_PREFIX),
              table: `${f.schema}.${f.table}`,
              columns: [f.entityColumn, ...f.columns],
              // No default is guessed for a missing feature, and an id the store refuses is not sent: such a row is not scored.
              where: [`${f.entityColumn} ~ '^${ENTITY_ID_PATTERN}$'`, ...f.columns.map((c) => `${c} IS NOT NULL`)].join(' AND '),
              conn_max_open: 1,
            },
          }],
          batching: { count: batch, period: '1s' },
        },
      },
      pipeline: {
        threads: 1,
        processors: [
          { archive: { format: 'json_array' } },
          { mapping: 'root.rows = this' },
          {
            branch: {
              request_map: [
                `root.inputs = [{"name": "features", "datatype": "FP64", "shape": [this.rows.length(), ${f.columns.length}],`,
                `  "data": this.rows.map_each(r -> ${vector}).flatten()}]`,
              ].join('\n'),
              processors: [{
                http: {
                  url: `http://${p.modelServer.serviceName}:${p.modelServer.port}/v2/models/${model}/infer`,
                  verb: 'POST',
                  headers: { 'Content-Type': 'application/json' },
                  timeout: '60s',
                  retries: 3,
                  retry_period: '2s',
                  max_retry_backoff: '30s',
                },
              }],
              result_map: 'root.inference = this',
            },
          },
          { mapping: scoresMapping(model, f.entityColumn) },
          { unarchive: { format: 'json_array' } },
        ],
      },
      output: {
        // A batch that failed is nacked: the input replays it; nothing partial is written.
        reject_errored: {
          sql_insert: {
            driver: 'postgres',
            dsn: dsnScored,
            table: this.scoredTable,
            columns: [...SCORED_COLUMNS],
            args_mapping: `root = [ ${SCORED_COLUMNS.map((c) => `this.${c}`).join(', ')} ]`,
            // Retries of a written batch change nothing; INSERT alone allows DO NOTHING.
            suffix: 'ON CONFLICT DO NOTHING',
            max_in_flight: 1,
            conn_max_open: 1,
            batching: { count: batch, period: '1s' },
          },
        },
      },
    };
  }
}

/**
 * The rows to insert, from the batch and the model's answer: its first output, one value (or,
 * for probabilities, one row whose last column is the positive class) per input row.
 */
function scoresMapping(model: string, entityColumn: string): string {
  return [
    'let out = this.inference.outputs.index(0)',
    `let version = if this.inference.model_name == "${model}" { this.inference.model_version.not_null().string().not_empty() } else { throw("the inference answer is not of model ${model}") }`,
    'let n = this.rows.length()',
    'let cols = if $out.shape.length() > 1 { $out.shape.index(1) } else { 1 }',
    'let data = if $out.data.flatten().length() == $n * $cols { $out.data.flatten() } else { throw("the inference answer does not have one score per row") }',
    'let at = now()',
    `root = this.rows.enumerated().map_each(e -> {"entity_id": e.value.${entityColumn}.not_null().string(), "score": $data.index(e.index * $cols + $cols - 1).number(), "model_version": $version, "scored_at": $at})`,
  ].join('\n');
}
