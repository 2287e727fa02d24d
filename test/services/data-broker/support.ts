import { App, PostgresServer, Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { CuratedDataBroker, CuratedDataBrokerProps, PublishedDataset } from '../../../lib/services/data-broker';
import { consumerWorkload } from '../support';

/** The lab's curated database, the broker, and a Z4 client allowed to call it. */
export interface BrokerHost {
  readonly app: App;
  readonly vps: Vps;
  /** The VaultServer, when the host was built with `vault: true`. */
  readonly vault?: VaultServer;
  readonly curatedDb: PostgresServer;
  readonly broker: CuratedDataBroker;
  readonly worker: Workload;
  /** A Z4 workbench allowed only the customers dataset. */
  readonly workbench: Workload;
}

/** The transactions dataset: the table has a `customer_cpf` column that is never published. */
export const TRANSACTIONS: PublishedDataset = {
  name: 'risk_transactions_v1', table: 'curated_core.transactions', columns: ['id', 'amount', 'channel', 'occurred_at'], maxRows: 3,
};
/** A dataset keyed on text. */
export const CUSTOMERS: PublishedDataset = {
  name: 'risk_customers_v1', table: 'curated_core.customers', columns: ['customer_token', 'segment'], keyColumn: 'customer_token', keyType: 'text',
};

/**
 * Vps `lab`: `curated-db` (database `curated`, schema `curated_core`, as Z3CuratedData), the broker
 * `data-broker` reading schema `curated_core`, publishing `datasets` (default transactions and
 * customers), a Z4 `training-worker` allowed to read all of them and a Z4 `workbench` allowed
 * only `risk_customers_v1`.
 */
export function brokerHost(options: { vault?: boolean; datasets?: PublishedDataset[]; broker?: Partial<CuratedDataBrokerProps> } = {}, app: App = Testing.app()): BrokerHost {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = options.vault ? new VaultServer(vps, 'vault') : undefined;
  const curatedDb = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED, vault });
  curatedDb.addDatabase('curated', { schemas: ['curated_core'] });
  const broker = new CuratedDataBroker(vps, 'data-broker', { curated: { server: curatedDb, database: 'curated', schema: 'curated_core' }, vault, ...options.broker });
  for (const d of options.datasets ?? [TRANSACTIONS, CUSTOMERS]) broker.publish(d);
  const worker = consumerWorkload(vps, 'training-worker', Zone.Z4_FACTORY);
  broker.allowClient(worker);
  const workbench = consumerWorkload(vps, 'workbench', Zone.Z4_FACTORY);
  broker.allowClient(workbench, { datasets: [CUSTOMERS.name] });
  return { app, vps, vault, curatedDb, broker, worker, workbench };
}
