import { Construct } from 'constructs';
import { Posture } from '../../posture/posture';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { AIRFLOW_PATHS, AirflowConfigOptions, AirflowRole, renderAirflowConfig } from './airflow-config';
import { renderAirflowStartScript, renderRedisUrlScript } from './airflow-scripts';

/** Props of an {@link AirflowComponent}. */
export interface AirflowComponentProps {
  /** Which Airflow program it runs. */
  readonly role: AirflowRole;
  /** Its zone. */
  readonly zone: Zone;
  /** The Airflow image. */
  readonly image: Image;
  /** The compose service name. */
  readonly serviceName: string;
  /** `airflow` arguments. */
  readonly command: readonly string[];
  /** Ports it listens on. @default none */
  readonly ports?: number[];
  /** Its health check; undefined only for the one-shot migration job. @default none */
  readonly healthCheck?: HealthCheck;
  /** Resource limits. @default 1 CPU, 1 GiB, 512 pids (Airflow forks a supervisor per task) */
  readonly resources?: ResourceLimits;
  /** DAG files mounted read-only into the DAG folder (workers and the DAG processor). @default none */
  readonly dags?: readonly VpsFile[];
}

/**
 * One Airflow program as a hardened Workload (runs as the image's user 50000, read-only root,
 * HOME and logs on tmpfs), with its own generated `airflow.cfg` and start script. The config is
 * rendered at synth from `configOf()`, so grants made after construction still land in it.
 */
export class AirflowComponent extends Workload {
  /** Which Airflow program it runs. */
  public readonly role: AirflowRole;
  /** Its generated airflow.cfg. */
  public readonly config: VpsFile;
  /** Its start script (the entrypoint). */
  public readonly startScript: VpsFile;
  /** @internal Filled by the deployment: what its airflow.cfg says. */
  public _configOptions?: () => AirflowConfigOptions;
  /** @internal Variables naming files that must be there before it starts. */
  public readonly _requiredFiles: string[] = [];

  constructor(scope: Construct, id: string, props: AirflowComponentProps) {
    super(scope, id, {
      zone: props.zone,
      image: props.image,
      serviceName: props.serviceName,
      user: '50000:0', // the image's airflow user
      ports: props.ports,
      entrypoint: ['/bin/sh', AIRFLOW_PATHS.startScript],
      workingDir: '/tmp',
      resources: { cpus: 1, memoryMiB: 1024, pids: 512, ...(props.resources ?? {}) },
      environment: {
        AIRFLOW_HOME: AIRFLOW_PATHS.home,
        AIRFLOW_CONFIG: AIRFLOW_PATHS.config,
        HOME: '/tmp',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      healthCheck: props.healthCheck,
    });
    this.role = props.role;
    // The apache/airflow image keeps its files group 0 and documents running as <uid>:0; its agent
    // shares the user so the rendered files stay readable (both findings are reported here).
    const reason = "the apache/airflow image's files belong to group 0 and its documentation requires running as uid 50000 with gid 0; the root group grants no capability";
    for (const svc of [this.serviceName, `${this.serviceName}-vault-agent`]) Posture.of(Vps.of(this)).acknowledge(`CMP-12[${svc}]`, reason);
    const dir = `${this.serviceName}`;
    this.config = new VpsFile(this, 'Config', {
      path: `${dir}/airflow.cfg`,
      content: () => renderAirflowConfig(this._configOptions!()),
    });
    this.startScript = new VpsFile(this, 'StartScript', {
      path: `${dir}/start.sh`,
      content: () => renderAirflowStartScript({ producer: this.node.path, requiredFiles: [...this._requiredFiles].sort(), command: props.command }),
    });
    this.mountFile(this.config, AIRFLOW_PATHS.config);
    this.mountFile(this.startScript, AIRFLOW_PATHS.startScript);
    for (const dag of props.dags ?? []) this.mountFile(dag, `${AIRFLOW_PATHS.dags}/${dag.path.split('/').pop()}`);
  }

  /** Mounts the broker URL script (for components with a broker grant). */
  public _mountRedisUrlScript(): void {
    const script = new VpsFile(this, 'RedisUrlScript', { path: `${this.serviceName}/redis_url.py`, content: () => renderRedisUrlScript(this.node.path) });
    this.mountFile(script, AIRFLOW_PATHS.redisUrlScript);
  }
}
