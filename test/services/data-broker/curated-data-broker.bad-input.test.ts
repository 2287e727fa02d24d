/** Bad inputs of CuratedDataBroker: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { PostgresServer, Testing, Vps, Workload, Zone } from '../../../lib';
import { CuratedDataBroker, CuratedDataBrokerProps, PublishedDataset } from '../../../lib/services/data-broker';
import { expectClearError, ExpectedError } from '../../property/support';
import { consumerWorkload } from '../support';
import { TRANSACTIONS } from './support';

const PATH = 'lab/data-broker';

type Clients = (broker: CuratedDataBroker, vps: Vps) => void;
const oneClient: Clients = (broker, vps) => broker.allowClient(consumerWorkload(vps, 'training-worker', Zone.Z4_FACTORY));

/** A lab with curated-db and a broker built from `props` over valid defaults, publishing `datasets`, with `clients`. */
function build(props: (db: PostgresServer) => Partial<CuratedDataBrokerProps> | Record<string, unknown>, datasets: unknown[] = [TRANSACTIONS], clients: Clients = oneClient) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED });
  db.addDatabase('curated', { schemas: ['curated_core', 'pii'] });
  const broker = new CuratedDataBroker(vps, 'data-broker', { curated: { server: db, database: 'curated', schema: 'curated_core' }, ...props(db) } as CuratedDataBrokerProps);
  for (const d of datasets) broker.publish(d as PublishedDataset);
  clients(broker, vps);
  return { app, vps, broker };
}

/** {@link build}, expecting synth to fail clearly. */
function rejects(props: (db: PostgresServer) => Partial<CuratedDataBrokerProps> | Record<string, unknown>, expected: Omit<ExpectedError, 'paths'> & { paths?: string[] }, datasets?: unknown[], clients?: Clients) {
  const { app } = build(props, datasets, clients);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], ...expected });
}

const publishing = (d: Record<string, unknown>) => [{ ...TRANSACTIONS, ...d }];

describe('CuratedDataBroker bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    expect(() => Testing.synth(build(() => ({})).app)).not.toThrow();
  });

  it.each([[undefined], [null], [{}], [{ server: 'curated-db', database: 'curated' }]])('refuses the curated database %j', (curated) => {
    rejects(() => ({ curated }), { prop: "prop 'curated'", allowed: /server: PostgresServer, database/ });
  });

  it.each([['Curated'], ['curated; drop'], ['pg_catalog'], ['public']])('refuses the schema %j', (schema) => {
    rejects((db) => ({ curated: { server: db, database: 'curated', schema } }), { prop: "prop 'curated.schema'", allowed: /lower-case identifier/ });
  });

  it('refuses a database the server does not have (named by the grant)', () => {
    rejects((db) => ({ curated: { server: db, database: 'other' } }), { prop: "prop 'database'", allowed: /addDatabase/, paths: ['lab/curated-db'] });
  });

  it.each([[0], [1001], [1.5], ['20']])('refuses requestsPerSecond %j', (requestsPerSecond) => {
    rejects(() => ({ requestsPerSecond }), { prop: "prop 'requestsPerSecond'", allowed: /integer from 1 to 1000/ });
  });

  it.each([[0], [61], ['5']])('refuses queryTimeoutSeconds %j', (queryTimeoutSeconds) => {
    rejects(() => ({ queryTimeoutSeconds }), { prop: "prop 'queryTimeoutSeconds'", allowed: /integer from 1 to 60/ });
  });

  it('refuses a broker that publishes nothing', () => {
    rejects(() => ({}), { prop: /publish at least one dataset/ }, []);
  });

  it.each([['transactions'], ['risk_transactions'], ['Risk_transactions_v1'], ['risk-transactions-v1'], ['risk_transactions_v1|x'], ['risk_tx_v1)}'], ['risk_transactions_v1\nx'], [undefined], [42]])('refuses the dataset name %j', (name) => {
    rejects(() => ({}), { prop: /prop 'publish\(#1\)\.name'/, allowed: /<domain>_<dataset>_v<major>/ }, publishing({ name }));
  });

  it.each([['transactions'], ['a.b.c'], [undefined]])('refuses the table %j', (table) => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).table'", allowed: /schema\.table/ }, publishing({ table }));
  });

  it.each([['curated_core.'], ['curated_core.Transactions'], ['curated_core.tx;drop'], ['pg_catalog.pg_authid'], ['curated_core."x"']])('refuses the table identifier %j', (table) => {
    rejects(() => ({}), { prop: /prop 'publish\(risk_transactions_v1\)\.table \((schema|table)\)'/, allowed: /lower-case identifier/ }, publishing({ table }));
  });

  it('refuses a table outside the schema the broker may read', () => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).table'", allowed: /in schema 'curated_core'/ }, publishing({ table: 'pii.cpf_map' }));
  });

  it.each([[[]], [undefined], ['id'], [Array.from({ length: 65 }, (_, i) => `c${i}`)]])('refuses the column list %j', (columns) => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).columns'", allowed: /1 to 64 column names/ }, publishing({ columns }));
  });

  it.each([['*'], ['Amount'], ['amount, customer_cpf'], ['pg_read_file'], ['all'], ['id"']])('refuses the column %j', (column) => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).columns[1]'", allowed: /lower-case identifier/ }, publishing({ columns: ['id', column] }));
  });

  it('refuses a column named twice', () => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).columns'", allowed: /each column once/ }, publishing({ columns: ['id', 'amount', 'id'] }));
  });

  it('refuses a key column that is not published', () => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).keyColumn'", allowed: /one of the published columns/ }, publishing({ keyColumn: 'customer_cpf' }));
  });

  it.each([['uuid'], ['INTEGER'], [1]])('refuses the key type %j', (keyType) => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).keyType'", allowed: /'integer' or 'text'/ }, publishing({ keyType }));
  });

  it.each([[0], [10_001], [2.5], ['100']])('refuses maxRows %j', (maxRows) => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).maxRows'", allowed: /integer from 1 to 10000/ }, publishing({ maxRows }));
  });

  it('refuses a dataset published twice', () => {
    rejects(() => ({}), { prop: "prop 'publish(risk_transactions_v1).name'", allowed: /already published/ }, [TRANSACTIONS, TRANSACTIONS]);
  });

  it('refuses a 17th dataset (one database connection each)', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ ...TRANSACTIONS, name: `risk_set${i}_v1` }));
    rejects(() => ({}), { prop: /publish\(risk_set16_v1\)/, allowed: /at most 16 datasets/ }, many);
  });

  it('refuses a broker without clients (it would answer nobody)', () => {
    rejects(() => ({}), { prop: /the broker has no client/, allowed: /allowClient/ }, undefined, () => {});
  });

  it.each([[[]], [['risk_accounts_v1']], ['risk_transactions_v1']])('refuses the client datasets %j', (datasets) => {
    rejects(() => ({}), { prop: "prop 'datasets'", allowed: /non-empty list of published datasets \(risk_transactions_v1\)/, paths: [PATH, 'lab/training-worker'] }, undefined,
      (broker, vps) => broker.allowClient(consumerWorkload(vps, 'training-worker', Zone.Z4_FACTORY), { datasets: datasets as string[] }));
  });

  it('refuses the same client twice', () => {
    const { broker, vps } = build(() => ({}), undefined, () => {});
    const worker = consumerWorkload(vps, 'training-worker', Zone.Z4_FACTORY);
    broker.allowClient(worker);
    expectClearError(() => broker.allowClient(worker), { paths: [PATH, 'lab/training-worker'], prop: 'allowClient', allowed: /already a client/ });
  });

  it('refuses a client that is no workload', () => {
    const { broker } = build(() => ({}));
    expectClearError(() => broker.allowClient('training-worker' as unknown as Workload), { paths: [PATH], prop: 'allowClient', allowed: /must be a Workload/ });
  });
});
