import { Vps } from '../core/vps';
import { Gateway } from '../gateway/gateway';
import { RouteAuth } from '../gateway/route-auth';
import { AirflowDeployment } from '../services/airflow/airflow-deployment';
import { AirflowWorkerPool } from '../services/airflow/airflow-worker-pool';
import { MlflowServer } from '../services/mlflow/mlflow-server';
import { PostgresServer } from '../services/postgres/postgres-server';
import { RedisServer } from '../services/redis/redis-server';
import { VaultServer } from '../vault/vault-server';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';
import type { Z5ModelRegistry } from './z5-model-registry';

/** Props of {@link Z4ModelFactory}. */
export interface Z4ModelFactoryProps {
  /** Vault: certificates and the server's store credentials come from it. */
  readonly vault: VaultServer;
  /** The registry's stores: MLflow's metadata database and artifact bucket. */
  readonly registry: Z5ModelRegistry;
  /**
   * Public host name of the MLflow UI, if it is routed.
   * @default mlflow.<the Vps domain>
   */
  readonly uiHost?: string;
}

/** Options of {@link Z4ModelFactory.exposeUi}. */
export interface FactoryUiOptions {
  /** The operators' networks (CIDR) allowed to reach the UI. */
  readonly allowFrom: string[];
  /**
   * Realm roles that may use it.
   * @default ['ml-trainer', 'ml-sec']
   */
  readonly roles?: string[];
}

/**
 * Z4, the model factory (L3; CONTROLS.md Z4): MLflow tracking and registry over HTTPS with client
 * certificates, its metadata on the Z5 registry database by certificate login and its artifacts
 * proxied to the Z5 model store — no path to the raw lake or the curated stores (ZONE-05) and no
 * egress (ZONE-08). Airflow orchestrates, split by trust domain (CONTROLS.md §5 #22): its scheduler,
 * DAG processor and API server hold only the metadata database and the broker, and each domain's
 * tasks run on that domain's worker pool — `training` here (an MLflow client), others added with
 * `addWorkerPool` in their own zone (the lab adds Z3 curation). `exposeUi` routes the MLflow UI
 * for the operators, behind OIDC.
 */
export class Z4ModelFactory extends SecurityZone {
  /** The tracking and registry server. */
  public readonly mlflow: MlflowServer;
  /** The UI's host name. */
  public readonly uiHost: string;
  /** The orchestrator (control plane in Z4). */
  public readonly airflow: AirflowDeployment;
  /** The worker pool of training tasks (queue `training`): the one that may call MLflow. */
  public readonly trainingPool: AirflowWorkerPool;

  constructor(scope: Vps, id: string, props: Z4ModelFactoryProps) {
    super(scope, id, Zone.Z4_FACTORY);
    const p = props ?? ({} as Z4ModelFactoryProps);
    this.uiHost = p.uiHost ?? `mlflow.${Vps.of(this).domain}`;
    this.mlflow = new MlflowServer(this, 'mlflow', { database: p.registry?.registryDb, artifacts: p.registry?.artifactsBucket, vault: p.vault, publicHostname: this.uiHost });
    const database = new PostgresServer(this, 'airflow-db', { zone: Zone.Z4_FACTORY, vault: p.vault });
    const broker = new RedisServer(this, 'airflow-broker', { zone: Zone.Z4_FACTORY, use: 'broker', vault: p.vault });
    this.airflow = new AirflowDeployment(this, 'airflow', { database, broker, vault: p.vault, zone: Zone.Z4_FACTORY });
    this.trainingPool = this.airflow.addWorkerPool('Training', { queue: 'training', zone: Zone.Z4_FACTORY });
    this.mlflow.allowClient(this.trainingPool.worker);
    this.addControl({ id: 'DEF-22', title: 'orchestration split by trust domain (CONTROLS.md §5 #22); the scheduler holds no data credentials', builtBy: 'AirflowDeployment (control plane with metadata DB and broker only; one worker pool per zone and queue)' });
  }

  /** Routes the MLflow UI through the gateway: OIDC sign-in with `roles`, from `allowFrom` only. */
  public exposeUi(gateway: Gateway, options: FactoryUiOptions): void {
    gateway.expose(this.mlflow, { host: this.uiHost, auth: RouteAuth.oidc({ roles: options?.roles ?? ['ml-trainer', 'ml-sec'] }), allowFrom: options?.allowFrom });
  }
}
