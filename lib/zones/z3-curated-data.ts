import { canonicalJson } from '../core/canonical-json';
import { MlsecError } from '../core/errors';
import { checkInteger, checkPattern, collect, describeValue } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { VpsFile } from '../core/vps-file';
import { CuratedDataBroker, PublishedDataset } from '../services/data-broker/curated-data-broker';
import { FeatureApi, FEATURE_KEY_PREFIX, FeatureGroup } from '../services/feature-api/feature-api';
import { PostgresServer } from '../services/postgres/postgres-server';
import { RedisServer } from '../services/redis/redis-server';
import { VaultServer } from '../vault/vault-server';
import { Image } from '../workload/image';
import { Workload } from '../workload/workload';
import { Zone } from '../workload/zone';
import { DataClassification } from './data-source';
import { SecurityZone } from './security-zone';
import type { Z2RawLake } from './z2-raw-lake';

/** Props of {@link Z3CuratedData}. */
export interface Z3CuratedDataProps {
  /** Vault: database users, Redis users and TLS certificates come from it. */
  readonly vault: VaultServer;
  /** The lake, whose `backups` bucket receives the nightly dumps of the curated database. */
  readonly lake: Z2RawLake;
  /**
   * Memory of the online feature store, MiB.
   * @default 512
   */
  readonly featureStoreMemoryMiB?: number;
  /**
   * The online feature groups: the feature API serves them, and `grantFeatureWrite` gives a
   * pipeline write access to them alone.
   * @default none (no feature API; the store has no readers)
   */
  readonly featureGroups?: FeatureGroup[];
}

/** A curated column's SQL type. */
export type CuratedColumnType = 'text' | 'bigint' | 'double precision' | 'numeric' | 'boolean' | 'date' | 'timestamptz';

/** The table of a curated dataset: created by Z3 (its owner role), readable through the access broker. */
export interface CuratedTableProps {
  /** Column → type, in order; the first column is the key the broker pages by (unique, not null). */
  readonly columns: Readonly<Record<string, CuratedColumnType>>;
  /**
   * Rows per broker page at most.
   * @default 1000
   */
  readonly maxRows?: number;
}

/** Catalog metadata of one curated dataset or feature group (CONTROLS.md Z3-K01, INV-19). */
export interface CuratedDatasetProps {
  /** Dataset name: `<domain>_<dataset>_v<major>`, lower-case. */
  readonly name: string;
  /** Accountable team (an address). */
  readonly owner: string;
  /** Classification. A dataset with personal data must be `restricted` (CONTROLS.md Z3-K02). */
  readonly classification: DataClassification;
  /** Why it exists. */
  readonly purpose: string;
  /** The legal basis of the processing (LGPD art. 7 or 11). */
  readonly legalBasis: string;
  /** Days kept. */
  readonly retentionDays: number;
  /**
   * Columns holding personal data (tokenized with the Z8 `pii` key).
   * @default none
   */
  readonly piiColumns?: string[];
  /**
   * Its table in `curated_core` (named after the dataset): created by Z3 and published through
   * the access broker without its `piiColumns` (masking by default, CONTROLS.md Z4-K04).
   * @default none (a catalog entry only: no table, not readable through the broker)
   */
  readonly table?: CuratedTableProps;
}

/**
 * Z3, curated data and the feature store (L3; CONTROLS.md Z3): PostgreSQL with the `curated`
 * and `features` (offline) databases, the online feature store on Redis, a nightly read-only
 * backup shipped write-only to the lake's WORM `backups` bucket, and the dataset catalog
 * (`datasets/catalog.json`) every curated dataset needs before anyone may read it.
 */
export class Z3CuratedData extends SecurityZone {
  /** The curated database server (`curated`, `features`). */
  public readonly curatedDb: PostgresServer;
  /** The online feature store. */
  public readonly featureStore: RedisServer;
  /** The access broker, the factory's only path to curated data (created by the first `grantDatasetRead`). */
  public get dataBroker(): CuratedDataBroker | undefined {
    return this.broker;
  }

  /** The feature API, the store's only reader (when feature groups are declared). */
  public readonly featureApi?: FeatureApi;
  /** The nightly logical backup of `curated` (one-shot; `docker-compose run curated-backup`). */
  public readonly backupJob: Workload;
  /** The catalog file. */
  public readonly catalog: VpsFile;
  private readonly datasets: CuratedDatasetProps[] = [];
  private broker?: CuratedDataBroker;
  private readonly zoneVault: VaultServer;

  constructor(scope: Vps, id: string, props: Z3CuratedDataProps) {
    super(scope, id, Zone.Z3_CURATED);
    const p = props ?? ({} as Z3CuratedDataProps);
    this.zoneVault = p.vault;
    this.curatedDb = new PostgresServer(this, 'curated-db', { zone: Zone.Z3_CURATED, vault: p.vault });
    this.curatedDb.addDatabase('curated', { schemas: [CURATED_SCHEMA] });
    this.curatedDb.addDatabase('features', { schemas: [OFFLINE_SCHEMA] });
    this.featureStore = new RedisServer(this, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store', resources: { memoryMiB: p.featureStoreMemoryMiB ?? 512 }, vault: p.vault });
    if ((p.featureGroups ?? []).length > 0) {
      this.featureApi = new FeatureApi(this, 'feature-api', { store: this.featureStore, featureGroups: p.featureGroups!, vault: p.vault });
      for (const group of this.featureApi.featureGroups) this.curatedDb.addSchemaObjects('features', offlineTableSql(group));
      this.addControl({ id: 'Z3-K06', title: 'feature groups: one writer pipeline, readers only through the feature API (declared fields only)', builtBy: 'FeatureApi (HMGET of declared fields, read-only ACL on its groups) and grantFeatureWrite (write ACL on the groups only)' });
    }
    this.backupJob = this.addBackup(p);
    this.catalog = new VpsFile(this, 'Catalog', { path: 'datasets/catalog.json', content: () => canonicalJson({ datasets: this.datasets }) });
    this.addControl({ id: 'Z3-K01', title: 'every curated dataset has a catalog entry (owner, classification, purpose, legal basis, retention)', builtBy: 'Z3CuratedData.addDataset (datasets/catalog.json; synth fails on a missing field)' });
    this.node.addValidation({ validate: () => [...collect(p.vault ? undefined : "prop 'vault' is required (the Z8 VaultServer)", p.lake ? undefined : "prop 'lake' is required (the Z2RawLake)"), ...this.datasets.flatMap(datasetProblems)] });
  }

  /**
   * Where batch jobs read a feature group offline: table `fs_offline.<group>` of the `features`
   * database (one row per entity, one numeric column per feature).
   */
  public offlineFeatures(group: string): { server: PostgresServer; database: string; schema: string; table: string; entityColumn: string; columns: string[] } {
    const g = this.featureApi?.featureGroups.find((x) => x.name === group);
    if (!g) throw new MlsecError(`[${this.node.path}] offlineFeatures('${group}'): no such feature group (declared: ${(this.featureApi?.featureGroups ?? []).map((x) => x.name).join(', ') || 'none'})`);
    return { server: this.curatedDb, database: 'features', schema: OFFLINE_SCHEMA, table: g.name, entityColumn: 'entity_id', columns: [...g.fields] };
  }

  /**
   * Lets `pipeline` write the declared feature groups (hashes `fs:<group>:<entity>`, with expiry)
   * and nothing else in the store (CONTROLS.md Z3-K06: one writer per group).
   */
  public grantFeatureWrite(pipeline: Workload): void {
    const groups = this.featureApi?.featureGroups ?? [];
    if (groups.length === 0) throw new MlsecError(`[${this.node.path}] grantFeatureWrite(${pipeline?.node?.path}): no feature groups are declared (prop 'featureGroups')`);
    this.featureStore.grantAccess(pipeline, { keys: groups.map((g) => `${FEATURE_KEY_PREFIX}:${g.name}:*`), commands: ['write', 'hash', 'keyspace', 'connection'] }, 'FEATURE_STORE_');
  }

  /**
   * Records a curated dataset or feature group in the catalog; with a `table`, also creates the
   * table (as the `curated` owner) and publishes it through the access broker.
   */
  public addDataset(props: CuratedDatasetProps): void {
    this.datasets.push(props);
    if (props?.table && datasetProblems(props, this.datasets.length - 1).length === 0 && tableProblems(props).length === 0) {
      this.curatedDb.addSchemaObjects('curated', curatedTableSql(props.name, props.table));
      this.broker?.publish(publicationOf(props));
    }
  }

  /**
   * Lets `client` (a training worker) read published datasets through the access broker —
   * never the database (CONTROLS.md INV-05, Z4-K04): the flow, the broker's URL and CA and its own
   * bearer token. Creates the broker on first use.
   */
  public grantDatasetRead(client: Workload, datasets?: string[]): void {
    if (!this.broker) {
      this.broker = new CuratedDataBroker(this, 'data-broker', { curated: { server: this.curatedDb, database: 'curated', schema: CURATED_SCHEMA }, vault: this.zoneVault });
      for (const d of this.datasets) if (d?.table && datasetProblems(d, 0).length === 0 && tableProblems(d).length === 0) this.broker.publish(publicationOf(d));
      this.addControl({ id: 'Z4-K04', title: 'the access broker is the factory\'s only path to curated data: fixed parameterized queries, published columns only, row and time caps, per-client tokens', builtBy: 'CuratedDataBroker (Z3; SELECT-only certificate login, read-only transactions, statement timeout; PII columns never published)' });
    }
    this.broker.allowClient(client, { datasets });
  }

  private addBackup(p: Z3CuratedDataProps): Workload {
    const backup = new Workload(this, 'curated-backup', {
      zone: Zone.Z3_CURATED,
      image: Image.fromRegistry('postgres', '15.8-bookworm'),
      user: '999:999',
      entrypoint: ['sh', '-c', 'pg_dump --format=custom --file="/backups/curated-$(date -u +%Y%m%dT%H%M%SZ).dump" curated'],
      resources: { memoryMiB: 256, cpus: 0.5 },
    });
    backup.noHealthCheck('a one-shot job run by the scheduler; it exits when the dump is written');
    const volume = backup.addDataVolume('backups', '/backups');
    this.curatedDb.grantConnect(backup, { database: 'curated', privileges: ['SELECT'] });

    // Ships the dumps to the lake (write-only, its own prefix; the bucket is WORM).
    const shipper = new Workload(this, 'backup-shipper', {
      zone: Zone.Z3_CURATED,
      image: Image.fromRegistry('minio/mc', 'RELEASE.2025-04-16T18-13-26Z'),
      // mc reads its credentials from MC_HOST_<alias>; they come from the delivered AWS credentials file, never argv.
      entrypoint: ['/bin/sh', '-ec', [
        'export MC_CONFIG_DIR=/tmp/mc && mkdir -p /tmp/mc/certs/CAs && cp "$AWS_CA_BUNDLE" /tmp/mc/certs/CAs/',
        'k=$(sed -n "s/^aws_access_key_id = //p" "$AWS_SHARED_CREDENTIALS_FILE"); s=$(sed -n "s/^aws_secret_access_key = //p" "$AWS_SHARED_CREDENTIALS_FILE")',
        'export MC_HOST_lake="https://$k:$s@${AWS_ENDPOINT_URL#https://}"',
        // cp, not mirror: mirror lists the target first, which a write-only grant may not (and it then copies nothing).
        'mc cp --recursive --newer-than 2d /backups/ lake/backups/curated/',
      ].join('\n')],
      resources: { memoryMiB: 128, cpus: 0.5 },
    });
    shipper.noHealthCheck('a one-shot job run by the scheduler after each dump; it exits when the upload is done');
    shipper.mountVolume(volume, '/backups', { readOnly: true });
    p.lake?.backupBucket.grantWrite(shipper, { prefix: 'curated/' });
    return backup;
  }
}

const OFFLINE_SCHEMA = 'fs_offline';
const CURATED_SCHEMA = 'curated_core';
const COLUMN = /^[a-z][a-z0-9_]{0,62}$/;
const COLUMN_TYPES: readonly CuratedColumnType[] = ['text', 'bigint', 'double precision', 'numeric', 'boolean', 'date', 'timestamptz'];

function tableProblems(d: CuratedDatasetProps, i = 0): string[] {
  const t = d?.table;
  if (t === undefined) return [];
  const at = `addDataset ${d?.name ?? `#${i + 1}`}`;
  const columns = Object.entries(t?.columns ?? {});
  const published = columns.filter(([c]) => !(d.piiColumns ?? []).includes(c));
  return collect(
    columns.length >= 1 && columns.length <= 64 ? undefined : `${at}: prop 'table.columns' must name 1 to 64 columns (got ${describeValue(t?.columns)})`,
    ...columns.map(([c, type]) => (COLUMN.test(c) && COLUMN_TYPES.includes(type) ? undefined : `${at}: prop 'table.columns.${c}' must be a lower-case name of type ${COLUMN_TYPES.join(', ')} (got ${describeValue(type)})`)),
    ...(d.piiColumns ?? []).map((c) => (t.columns?.[c] !== undefined ? undefined : `${at}: prop 'piiColumns' names '${c}', which is not a column of prop 'table.columns'`)),
    columns.length > 0 && (d.piiColumns ?? []).includes(columns[0][0]) ? `${at}: the key column '${columns[0][0]}' (the first of prop 'table.columns') must not be a personal-data column` : undefined,
    published.length > 0 || columns.length === 0 ? undefined : `${at}: every column is a personal-data column, so nothing can be published`,
    t.maxRows === undefined ? undefined : checkInteger(`${at}.table.maxRows`, t.maxRows, 1, 10_000),
  );
}

/** The broker's publication of a dataset: its table without the personal-data columns. */
function publicationOf(d: CuratedDatasetProps): PublishedDataset {
  const columns = Object.keys(d.table!.columns).filter((c) => !(d.piiColumns ?? []).includes(c));
  const keyType = ['bigint'].includes(d.table!.columns[columns[0]]) ? 'integer' : 'text';
  return { name: d.name, table: `${CURATED_SCHEMA}.${d.name}`, columns, keyColumn: columns[0], keyType, maxRows: d.table!.maxRows };
}

/** The dataset's table, created by the `curated` owner (every name validated by tableProblems). */
function curatedTableSql(name: string, table: CuratedTableProps): string {
  const columns = Object.entries(table.columns);
  return [
    'SET ROLE "curated_owner";',
    `CREATE TABLE IF NOT EXISTS "${CURATED_SCHEMA}"."${name}" (`,
    columns.map(([c, type], i) => `  "${c}" ${type}${i === 0 ? ' PRIMARY KEY' : ''}`).join(',\n'),
    ');',
    'RESET ROLE;',
  ].join('\n');
}

/** The offline table of a feature group, created by the database's owner (group and field names are validated by FeatureApi). */
function offlineTableSql(group: FeatureGroup): string {
  const table = `"${OFFLINE_SCHEMA}"."${group.name}"`;
  return [
    'SET ROLE "features_owner";',
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    '  entity_id text PRIMARY KEY,',
    ...group.fields.map((f) => `  "${f}" double precision,`),
    '  updated_at timestamptz NOT NULL DEFAULT now()',
    ');',
    'RESET ROLE;',
  ].join('\n');
}

const DATASET = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_v[0-9]+$/;

function datasetProblems(d: CuratedDatasetProps, i: number): string[] {
  const at = `addDataset #${i + 1}`;
  const text = (prop: keyof CuratedDatasetProps) => (typeof d?.[prop] === 'string' && (d[prop] as string).trim() !== '' ? undefined : `${at}: prop '${prop}' is required (non-empty text), got ${describeValue(d?.[prop])}`);
  return collect(
    checkPattern(`${at}.name`, d?.name, DATASET, '`<domain>_<dataset>_v<major>` in lower case, e.g. `risk_transactions_v1`'),
    text('owner'), text('purpose'), text('legalBasis'),
    ['public', 'internal', 'confidential', 'restricted'].includes(d?.classification) ? undefined : `${at}: prop 'classification' must be one of public, internal, confidential, restricted (got ${describeValue(d?.classification)})`,
    checkInteger(`${at}.retentionDays`, d?.retentionDays, 1, 3650),
    (d?.piiColumns ?? []).length > 0 && d?.classification !== 'restricted' ? `${at}: dataset '${d.name}' has personal-data columns (${d.piiColumns!.join(', ')}), so prop 'classification' must be 'restricted' (CONTROLS.md Z3-K02), got ${describeValue(d.classification)}` : undefined,
  );
}
