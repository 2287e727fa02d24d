import { App, MinioServer, PostgresServer, Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { MlflowServer, MlflowServerProps } from '../../../lib/services/mlflow';
import { consumerWorkload } from '../support';

/** The model factory's tracking stack: Vault, a Z4 PostgreSQL and a Z4 MinIO with Vault, MLflow, and one client. */
export interface FactoryHost {
  readonly app: App;
  readonly vps: Vps;
  readonly vault: VaultServer;
  readonly db: PostgresServer;
  readonly store: MinioServer;
  readonly mlflow: MlflowServer;
  readonly client: Workload;
}

/** Builds the host; `props` overrides MlflowServer props. */
export function factoryHost(props: Partial<MlflowServerProps> = {}, app: App = Testing.app()): FactoryHost {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const db = new PostgresServer(vps, 'factory-db', { zone: Zone.Z4_FACTORY, vault });
  const store = new MinioServer(vps, 'model-store', { zone: Zone.Z4_FACTORY, vault });
  const artifacts = store.addBucket('Artifacts', { name: 'mlflow-artifacts' });
  const mlflow = new MlflowServer(vps, 'mlflow', { database: db, artifacts, vault, ...props });
  const client = consumerWorkload(vps, 'trainer', Zone.Z4_FACTORY);
  mlflow.allowClient(client);
  return { app, vps, vault, db, store, mlflow, client };
}
