import { App, MinioServer, PostgresServer, RedisServer, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { AirflowDeployment, AirflowDeploymentProps, AirflowWorkerPool } from '../../../lib/services/airflow';

/** Two tasks, each routed to its trust domain's queue; each prints the worker that ran it. */
export const ROUTING_DAG = `from __future__ import annotations

import os
import socket

import pendulum
from airflow.sdk import dag, task


@dag(dag_id="split_by_domain", schedule="@once", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, is_paused_upon_creation=False)
def split_by_domain():
    @task(queue="curation")
    def curate():
        return {"queue": "curation", "ran_on": os.environ.get("MLSEC_WORKER_NAME", socket.gethostname()), "sees_s3_keys": "AWS_SHARED_CREDENTIALS_FILE" in os.environ}

    @task(queue="training")
    def train(curated):
        return {"queue": "training", "ran_on": os.environ.get("MLSEC_WORKER_NAME", socket.gethostname()), "after": curated["ran_on"]}

    train(curate())


split_by_domain()
`;

/** The orchestration host: Vault, the metadata PostgreSQL, the broker Redis, Airflow with two pools, and a Z3 lake bucket only curation reads. */
export interface OrchestrationHost {
  readonly app: App;
  readonly vps: Vps;
  readonly vault: VaultServer;
  readonly db: PostgresServer;
  readonly broker: RedisServer;
  readonly airflow: AirflowDeployment;
  readonly curation: AirflowWorkerPool;
  readonly training: AirflowWorkerPool;
  readonly lake: MinioServer;
}

/** Builds the host; `props` overrides AirflowDeployment props. */
export function orchestrationHost(props: Partial<AirflowDeploymentProps> = {}, app: App = Testing.app()): OrchestrationHost {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const db = new PostgresServer(vps, 'airflow-db', { zone: Zone.Z8_SECURITY, vault });
  const broker = new RedisServer(vps, 'airflow-broker', { zone: Zone.Z8_SECURITY, use: 'broker', vault });
  const airflow = new AirflowDeployment(vps, 'airflow', { database: db, broker, vault, dags: { 'split_by_domain.py': ROUTING_DAG }, ...props });
  const curation = airflow.addWorkerPool('Curation', { queue: 'curation', zone: Zone.Z3_CURATED });
  const training = airflow.addWorkerPool('Training', { queue: 'training', zone: Zone.Z4_FACTORY });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE, vault });
  lake.addBucket('Raw', { name: 'raw' }).grantRead(curation.worker, { prefix: 'loans/' });
  return { app, vps, vault, db, broker, airflow, curation, training, lake };
}
