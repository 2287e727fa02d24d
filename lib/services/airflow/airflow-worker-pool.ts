import { Construct } from 'constructs';
import { Zone } from '../../workload/zone';
import type { AirflowComponent } from './airflow-component';

/** Options of `AirflowDeployment.addWorkerPool`. */
export interface AirflowWorkerPoolOptions {
  /**
   * The Celery queue the pool's worker listens to, and the only one (DAG tasks pick it with
   * `queue=`): lower-case letters, digits and "-", 2–32 characters, starting with a letter.
   */
  readonly queue: string;
  /** The trust domain: the worker's zone, so its networks are that zone's flows only. */
  readonly zone: Zone;
  /**
   * Tasks the worker runs at once.
   * @default 2
   */
  readonly concurrency?: number;
}

/**
 * One trust domain of an Airflow deployment: a Celery worker in the domain's zone that listens
 * only to the domain's queue, with its own Redis user (confined to that queue's keys), its own
 * Vault role and client certificate, and no metadata-database, fernet or task-signing
 * credentials. Data grants go to `worker`, never to the scheduler.
 */
export class AirflowWorkerPool extends Construct {
  /** The queue. */
  public readonly queue: string;
  /** The trust domain. */
  public readonly zone: Zone;
  /** The worker: give it the domain's data grants (`bucket.grantRead(pool.worker)`, …). */
  public readonly worker: AirflowComponent;

  /** @internal Use `AirflowDeployment.addWorkerPool`. */
  constructor(scope: Construct, id: string, queue: string, zone: Zone, worker: (pool: AirflowWorkerPool) => AirflowComponent) {
    super(scope, id);
    this.queue = queue;
    this.zone = zone;
    this.worker = worker(this);
  }
}
