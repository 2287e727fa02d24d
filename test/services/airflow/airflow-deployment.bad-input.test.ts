import { describe, expect, it } from 'vitest';
import { PostgresServer, RedisServer, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { AirflowDeployment } from '../../../lib/services/airflow';
import { orchestrationHost } from './support';

describe('AirflowDeployment bad input', () => {
  it('refuses a missing database, broker or vault, naming the construct', () => {
    const vps = new Vps(Testing.app(), 'lab', { domain: 'lab.example.com' });
    expect(() => new AirflowDeployment(vps, 'airflow', {} as never)).toThrow(/\[lab\/airflow\] prop 'database' must be the PostgresServer.*prop 'broker'.*prop 'vault'/);
  });

  it('refuses bad queues, a queue used twice and the unrouted queue', () => {
    const { airflow } = orchestrationHost();
    expect(() => airflow.addWorkerPool('X', { queue: 'Bad Queue', zone: Zone.Z3_CURATED })).toThrow(/lab\/airflow.*queue.*lower-case letters/);
    expect(() => airflow.addWorkerPool('Y', { queue: 'curation', zone: Zone.Z3_CURATED })).toThrow(/queue 'curation' already has a pool/);
    expect(() => airflow.addWorkerPool('Z', { queue: 'unrouted', zone: Zone.Z3_CURATED })).toThrow(/no worker may listen to it/);
    expect(() => airflow.addWorkerPool('W', { queue: 'scoring', zone: 'z6' as never })).toThrow(/prop 'zone' must be a Zone/);
  });

  it('refuses a cache Redis, a broker without Vault and bad DAG file names', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    const database = new PostgresServer(vps, 'airflow-db', { zone: Zone.Z8_SECURITY, vault });
    const broker = new RedisServer(vps, 'airflow-broker', { zone: Zone.Z8_SECURITY, use: 'cache' });
    new AirflowDeployment(vps, 'airflow', { database, broker, vault, dags: { 'Bad-Name.py': 'x = 1' } });
    expect(() => Testing.synth(app)).toThrow(/use 'broker'[\s\S]*given 'vault'[\s\S]*dags\['Bad-Name\.py'\]/);
  });

  it('refuses a data grant to the control plane', () => {
    const { app, airflow, lake } = orchestrationHost();
    lake.addBucket('Scored', { name: 'scored' }).grantRead(airflow.scheduler);
    expect(() => Testing.synth(app)).toThrow(/lab\/airflow\/Scheduler holds AWS_SHARED_CREDENTIALS_FILE: the control plane never holds data credentials/);
  });
});
