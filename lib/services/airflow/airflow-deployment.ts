import { Construct } from 'constructs';
import { MlsecError } from '../../core/errors';
import { Names } from '../../core/names';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { DNS_NAME, Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import type { PostgresPrivilege } from '../postgres/postgres-grant';
import type { PostgresServer } from '../postgres/postgres-server';
import { roleNameOf } from '../postgres/postgres-names';
import type { RedisServer } from '../redis/redis-server';
import type { RedisCategory } from '../redis/redis-grant';
import { AirflowComponent } from './airflow-component';
import { AirflowRole, AirflowSecretFiles, celeryExtraConfig } from './airflow-config';
import { BROKER_ENV_PREFIX } from './airflow-scripts';
import { AirflowWorkerPool, AirflowWorkerPoolOptions } from './airflow-worker-pool';

/** The Airflow release the default image and tools/install-airflow.sh pin (keep both in sync). */
export const AIRFLOW_VERSION = '3.3.2';
/** The HTTPS port of the API server (UI, public API and the task execution API). */
export const AIRFLOW_API_PORT = 8080;
/** The queue tasks without `queue=` land in: no worker listens to it, so an unrouted task never runs. */
export const AIRFLOW_UNROUTED_QUEUE = 'unrouted';
const PG_PREFIX = 'METADB_';
const QUEUE = /^[a-z][a-z0-9-]{1,31}$/;
const DAG_FILE = /^[a-z][a-z0-9_]{0,62}\.py$/;
const DML: PostgresPrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
/** Redis categories of a Celery producer or consumer (BRPOP is in `list`; pipelines are `transaction`). */
const CELERY_COMMANDS: RedisCategory[] = ['read', 'write', 'keyspace', 'list', 'set', 'string', 'sortedset', 'hash', 'connection', 'transaction', 'fast', 'pubsub'];

/** Props of an {@link AirflowDeployment}. */
export interface AirflowDeploymentProps {
  /** The PostgreSQL server of the metadata database: a database and one certificate-login role per component are added. */
  readonly database: PostgresServer;
  /** The Celery broker and result store: a RedisServer with `use: 'broker'`, one ACL user per component. */
  readonly broker: RedisServer;
  /** Vault: issues the certificates and renders the broker passwords, the fernet key and the token keys. */
  readonly vault: VaultServer;
  /**
   * The zone of the control plane (migration job, scheduler, DAG processor, API server). It holds
   * no data credentials; workers live in their pools' zones.
   * @default Zone.Z8_SECURITY
   */
  readonly zone?: Zone;
  /**
   * DAG files, `file name → Python source`, mounted read-only into the DAG folder of the DAG
   * processor and every worker. Tasks choose their trust domain with `queue='<pool queue>'`.
   * @default none
   */
  readonly dags?: Readonly<Record<string, string>>;
  /**
   * The public host the gateway serves the UI on (behind OIDC), e.g. `airflow.lab.example.com`.
   * @default none (`https://<api server>:8080`)
   */
  readonly publicHostname?: string;
  /**
   * The image.
   * @default apache/airflow:3.3.2-python3.11
   */
  readonly image?: Image;
}

/**
 * Apache Airflow 3 with the CeleryExecutor, split by trust domain (CONTROLS.md §5 #22). The
 * control plane — a one-shot `db migrate` job, the scheduler, the DAG processor and the API
 * server — holds only metadata-database and broker credentials (each component its own
 * certificate-login role and Redis user, no password anywhere in config). Each
 * `addWorkerPool(id, { queue, zone })` adds a Celery worker in that zone, listening to that queue
 * only, with its own Vault role, Redis user confined to its queue's keys and client certificate;
 * workers never touch the metadata database (Airflow 3 tasks reach it only through the API
 * server's execution API, with a per-task token the scheduler signs, over mutual TLS).
 */
export class AirflowDeployment extends Construct {
  /** The one-shot job that creates and upgrades the metadata schema (the only component with DDL). */
  public readonly migrateJob: AirflowComponent;
  /** The scheduler: metadata database, broker (publish only to the key space of this deployment) and the task-token key. */
  public readonly scheduler: AirflowComponent;
  /** The DAG processor: parses the DAG files into the metadata database. */
  public readonly dagProcessor: AirflowComponent;
  /** The API server (UI, REST and execution API), HTTPS with client certificates required. */
  public readonly apiServer: AirflowComponent;
  /** The metadata database's name. */
  public readonly databaseName: string;
  /** Redis key prefix of this deployment's queues (kombu `global_keyprefix`). */
  public readonly keyPrefix: string;
  /** `https://<api server>:8080/execution/`. */
  public readonly executionApiUrl: string;

  private readonly props: AirflowDeploymentProps;
  private readonly image: Image;
  private readonly dagFiles: VpsFile[] = [];
  private readonly pools = new Map<string, AirflowWorkerPool>();
  private readonly poolProblems: string[] = [];
  private readonly secrets: { fernet: () => string; jwt: (w: Workload) => string; api: () => string };

  constructor(scope: Construct, id: string, props: AirflowDeploymentProps) {
    super(scope, id);
    const p = props ?? ({} as AirflowDeploymentProps);
    const missing = collect(
      typeof p.database?.grantConnect === 'function' ? undefined : `prop 'database' must be the PostgresServer of the metadata database (got ${describeValue(p.database)})`,
      typeof p.broker?.grantAccess === 'function' ? undefined : `prop 'broker' must be the RedisServer used as Celery broker (got ${describeValue(p.broker)})`,
      typeof p.vault?.enablePki === 'function' ? undefined : `prop 'vault' must be the VaultServer issuing its certificates and rendering its secrets (got ${describeValue(p.vault)})`,
    );
    if (missing.length > 0) throw new MlsecError(`[${this.node.path}] ${missing.join('; ')}`);
    this.props = p;
    this.image = p.image ?? Image.fromRegistry('apache/airflow', `${AIRFLOW_VERSION}-python3.11`);
    const base = Names.toComposeName(id);
    const zone = p.zone ?? Zone.Z8_SECURITY;
    this.keyPrefix = `${base}:`;
    this.databaseName = roleNameOf(base);
    p.database.addDatabase(this.databaseName, { schemas: [this.databaseName] });
    for (const [name, source] of Object.entries(p.dags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      this.dagFiles.push(new VpsFile(this, `Dag-${name}`, { path: `${base}/dags/${name}`, content: typeof source === 'string' ? source : '' }));
    }

    const component = (cid: string, role: AirflowRole, command: string[], extra: { ports?: number[]; healthCheck?: HealthCheck; dags?: boolean } = {}) =>
      new AirflowComponent(this, cid, { role, zone, image: this.image, serviceName: `${base}-${role}`, command, ports: extra.ports, healthCheck: extra.healthCheck, dags: extra.dags ? this.dagFiles : undefined });
    this.migrateJob = component('DbMigrate', 'db-migrate', ['db', 'migrate']);
    this.migrateJob.noHealthCheck('a one-shot job that migrates the metadata schema, then exits; the other components wait for it to complete');
    this.scheduler = component('Scheduler', 'scheduler', ['scheduler'], { healthCheck: HealthCheck.command(['airflow', 'jobs', 'check', '--job-type', 'SchedulerJob', '--local']) });
    this.dagProcessor = component('DagProcessor', 'dag-processor', ['dag-processor'], { dags: true, healthCheck: HealthCheck.command(['airflow', 'jobs', 'check', '--job-type', 'DagProcessorJob', '--local']) });
    this.apiServer = component('ApiServer', 'api-server', ['api-server', '--host', '0.0.0.0', '--port', String(AIRFLOW_API_PORT)], {
      ports: [AIRFLOW_API_PORT],
      // Its own client certificate (the server requires one); the name checked is the service's, reached on 127.0.0.1.
      healthCheck: HealthCheck.command(['python3', '-c', [
        'import os, ssl, urllib.request',
        "c = ssl.create_default_context(cafile=os.environ['MLSEC_TLS_CA_FILE'])",
        'c.check_hostname = False',
        "c.load_cert_chain(os.environ['MLSEC_TLS_CERT_FILE'], os.environ['MLSEC_TLS_KEY_FILE'])",
        `urllib.request.urlopen('https://127.0.0.1:${AIRFLOW_API_PORT}/api/v2/monitor/health', context=c, timeout=5)`,
      ].join('; ')]),
    });
    this.executionApiUrl = `https://${this.apiServer.serviceName}:${AIRFLOW_API_PORT}/execution/`;

    // Its server certificate first: the database and broker grants then reuse it as the client certificate.
    const serverTls = p.vault.enablePki().grantIssue(this.apiServer, { usage: 'server-and-client', ttlHours: 48 });
    // Metadata database: certificate login for each control-plane component; only the job may create tables.
    p.database.grantConnect(this.migrateJob, { database: this.databaseName, privileges: [...DML, 'CREATE'], authentication: 'cert', envPrefix: PG_PREFIX, connectionLimit: 5 });
    for (const c of [this.scheduler, this.dagProcessor, this.apiServer]) {
      p.database.grantConnect(c, { database: this.databaseName, privileges: DML, authentication: 'cert', envPrefix: PG_PREFIX, connectionLimit: 20 });
      c.startsAfterCompletionOf(this.migrateJob);
    }
    // The scheduler publishes to every queue of this deployment and reads the task results.
    this.grantBroker(this.scheduler, [`${this.keyPrefix}*`, 'celery-task-meta-*'], []);

    // Keys, each in its own KV path, so a policy that reads one cannot read another.
    const vps = Vps.of(this).name;
    const fernet = new Credential(this, 'FernetKey', { name: `${base}-fernet-key`, description: `fernet key of ${this.node.path} (encrypts connections and variables)` });
    const fernetSecret = p.vault.addKvSecret('AirflowFernet', { path: `${vps}/core/${base}/fernet`, seed: { fernet_key: { from: fernet, seedName: `${base}-fernet-key`, transform: (v) => `${v}=` } } });
    const jwt = new Credential(this, 'JwtSecret', { name: `${base}-jwt-secret`, description: `HS512 key of ${this.node.path} that signs task identity tokens`, randomBytes: 64 });
    const jwtSecret = p.vault.addKvSecret('AirflowJwt', { path: `${vps}/core/${base}/jwt`, seed: { jwt_secret: jwt } });
    const session = new Credential(this, 'ApiSecretKey', { name: `${base}-api-secret-key`, description: `session key of the API server of ${this.node.path}` });
    const sessionSecret = p.vault.addKvSecret('AirflowApiSecret', { path: `${vps}/core/${base}/api-session`, seed: { secret_key: session } });
    this.secrets = {
      fernet: () => { fernetSecret.grantRead(this.apiServer, { fields: { fernet_key: 'AIRFLOW_FERNET_KEY_FILE' } }); return this.apiServer._environment.AIRFLOW_FERNET_KEY_FILE; },
      jwt: (w) => { jwtSecret.grantRead(w, { fields: { jwt_secret: 'AIRFLOW_JWT_SECRET_FILE' } }); return w._environment.AIRFLOW_JWT_SECRET_FILE; },
      api: () => { sessionSecret.grantRead(this.apiServer, { fields: { secret_key: 'AIRFLOW_API_SECRET_KEY_FILE' } }); return this.apiServer._environment.AIRFLOW_API_SECRET_KEY_FILE; },
    };
    const apiFiles: AirflowSecretFiles = { fernetKey: this.secrets.fernet(), jwtSecret: this.secrets.jwt(this.apiServer), apiSecretKey: this.secrets.api() };
    const schedulerFiles: AirflowSecretFiles = { jwtSecret: this.secrets.jwt(this.scheduler) };

    const apiCa = this.apiServer.addSecret(SecretSource.caBundle(Vps.of(this)));
    this.apiServer.addEnvironment('MLSEC_TLS_CERT_FILE', serverTls.certificate);
    this.apiServer.addEnvironment('MLSEC_TLS_KEY_FILE', serverTls.privateKey);
    this.apiServer.addEnvironment('MLSEC_TLS_CA_FILE', apiCa);

    const baseUrl = p.publicHostname === undefined ? `https://${this.apiServer.serviceName}:${AIRFLOW_API_PORT}` : `https://${p.publicHostname}`;
    const common = (c: AirflowComponent) => ({
      producer: c.node.path, role: c.role, executionApiUrl: this.executionApiUrl, baseUrl, defaultQueue: AIRFLOW_UNROUTED_QUEUE,
      workerConcurrency: 2, apiPort: AIRFLOW_API_PORT, metadataDb: this.metadataUrlOf(c),
    });
    this.migrateJob._configOptions = () => ({ ...common(this.migrateJob), broker: false, secrets: {}, extraCelery: {} });
    this.dagProcessor._configOptions = () => ({ ...common(this.dagProcessor), broker: false, secrets: {}, extraCelery: {} });
    this.apiServer._configOptions = () => ({
      ...common(this.apiServer), broker: false, secrets: apiFiles, extraCelery: {},
      apiServerTls: { caBundle: apiCa, certificate: serverTls.certificate, privateKey: serverTls.privateKey },
    });
    this.scheduler._configOptions = () => ({ ...common(this.scheduler), broker: true, secrets: schedulerFiles, extraCelery: celeryExtraConfig(this.keyPrefix), brokerTls: this.brokerTlsOf(this.scheduler) });
    this.apiServer._requiredFiles.push('AIRFLOW_FERNET_KEY_FILE', 'AIRFLOW_JWT_SECRET_FILE', 'AIRFLOW_API_SECRET_KEY_FILE', 'MLSEC_TLS_CERT_FILE', 'MLSEC_TLS_KEY_FILE', 'MLSEC_TLS_CA_FILE');
    this.scheduler._requiredFiles.push('AIRFLOW_JWT_SECRET_FILE');

    this.node.addValidation({ validate: () => this.problems() });
  }

  /**
   * Adds a trust domain: a Celery worker in `options.zone` that listens only to `options.queue`.
   * Its Redis user may touch only that queue's keys (and write task results); it reaches the API
   * server's execution API with its own Vault-issued client certificate; it holds no metadata
   * database, fernet or token-signing credential. Give the domain's data grants to `pool.worker`.
   */
  public addWorkerPool(id: string, options: AirflowWorkerPoolOptions): AirflowWorkerPool {
    const o = options ?? ({} as AirflowWorkerPoolOptions);
    const where = `addWorkerPool(${describeValue(id)})`;
    const problems = collect(
      checkPattern(`${where} queue`, o.queue, QUEUE, 'lower-case letters, digits and "-", 2-32 characters, starting with a letter, such as "curation"'),
      Zone.isZone(o.zone) ? undefined : `${where}: prop 'zone' must be a Zone (got ${describeValue(o.zone)})`,
      o.concurrency === undefined ? undefined : checkInteger(`${where} concurrency`, o.concurrency, 1, 32),
      o.queue === AIRFLOW_UNROUTED_QUEUE ? `${where}: queue '${AIRFLOW_UNROUTED_QUEUE}' is where unrouted tasks wait; no worker may listen to it` : undefined,
      [...this.pools.values()].some((pool) => pool.queue === o.queue) ? `${where}: queue '${o.queue}' already has a pool; one queue, one trust domain` : undefined,
    );
    if (problems.length > 0) {
      this.poolProblems.push(...problems);
      throw new MlsecError(`[${this.node.path}] ${problems.join('; ')}`);
    }
    const base = Names.toComposeName(this.node.id);
    const queue = o.queue;
    const pool = new AirflowWorkerPool(this, id, queue, o.zone, (scope) => new AirflowComponent(scope, 'Worker', {
      role: 'worker', zone: o.zone, image: this.image, serviceName: `${base}-worker-${queue}`, dags: this.dagFiles,
      command: ['celery', 'worker', '--queues', queue, '--concurrency', String(o.concurrency ?? 2), '--skip-serve-logs', '--without-mingle', '--without-gossip'],
      // Remote control (celery inspect ping) is off by design; the probe checks the worker process is alive.
      healthCheck: HealthCheck.command(['python3', '-c', 'import os; os.kill(1, 0)']),
    }));
    this.pools.set(id, pool);
    const worker = pool.worker;
    const k = `${this.keyPrefix}`;
    this.grantBroker(worker, [`${k}${queue}`, `${k}_kombu.binding.${queue}`, 'celery-task-meta-*'], ['celery-task-meta-*']);
    worker.connections.allowTo(this.apiServer, { port: AIRFLOW_API_PORT });
    const client = this.props.vault.enablePki().clientFilesOf(worker);
    const ca = worker.addSecret(SecretSource.caBundle(Vps.of(worker)));
    worker._configOptions = () => ({
      producer: worker.node.path, role: 'worker', executionApiUrl: this.executionApiUrl, baseUrl: `https://${this.apiServer.serviceName}:${AIRFLOW_API_PORT}`,
      defaultQueue: AIRFLOW_UNROUTED_QUEUE, workerConcurrency: o.concurrency ?? 2, apiPort: AIRFLOW_API_PORT,
      broker: true, secrets: {}, extraCelery: celeryExtraConfig(this.keyPrefix), brokerTls: this.brokerTlsOf(worker),
      apiClientTls: { caBundle: ca, certificate: client.certificate, privateKey: client.privateKey },
    });
    return pool;
  }

  /** The pools, by id. */
  public get workerPools(): readonly AirflowWorkerPool[] {
    return [...this.pools.values()];
  }

  /** Every Airflow container of the deployment (control plane, then workers). */
  public get components(): readonly AirflowComponent[] {
    return [this.migrateJob, this.scheduler, this.dagProcessor, this.apiServer, ...this.workerPools.map((pool) => pool.worker)];
  }

  private grantBroker(c: AirflowComponent, keys: string[], channels: string[]): void {
    this.props.broker.grantAccess(c, { keys, commands: CELERY_COMMANDS, channels }, BROKER_ENV_PREFIX);
    c._mountRedisUrlScript();
    c._requiredFiles.push(`${BROKER_ENV_PREFIX}PASSWORD_FILE`, `${BROKER_ENV_PREFIX}TLS_CA_FILE`, `${BROKER_ENV_PREFIX}TLS_CERT_FILE`, `${BROKER_ENV_PREFIX}TLS_KEY_FILE`);
  }

  private brokerTlsOf(c: AirflowComponent) {
    const e = c._environment;
    return { caBundle: e[`${BROKER_ENV_PREFIX}TLS_CA_FILE`], certificate: e[`${BROKER_ENV_PREFIX}TLS_CERT_FILE`], privateKey: e[`${BROKER_ENV_PREFIX}TLS_KEY_FILE`] };
  }


  /** `postgresql+psycopg://<role>@<host>:5432/<db>?sslmode=verify-full&…`: certificate login, so no password exists. */
  private metadataUrlOf(c: AirflowComponent): string | undefined {
    const e = c._environment;
    if (e[`${PG_PREFIX}HOST`] === undefined) return undefined;
    const q = (name: string) => encodeURIComponent(e[`${PG_PREFIX}${name}`] ?? '').replace(/%2F/g, '/');
    return `postgresql+psycopg://${e[`${PG_PREFIX}USER`]}@${e[`${PG_PREFIX}HOST`]}:${e[`${PG_PREFIX}PORT`]}/${this.databaseName}`
      + `?sslmode=verify-full&sslrootcert=${q('SSLROOTCERT')}&sslcert=${q('SSLCERT')}&sslkey=${q('SSLKEY')}&connect_timeout=10`;
  }

  private problems(): string[] {
    const p = this.props;
    const control = [this.migrateJob, this.scheduler, this.dagProcessor, this.apiServer];
    return [
      ...this.poolProblems,
      ...collect(
        p.publicHostname === undefined ? undefined : checkPattern('publicHostname', p.publicHostname, DNS_NAME, 'a lower-case DNS name such as "airflow.lab.example.com"'),
        p.zone === undefined || Zone.isZone(p.zone) ? undefined : `prop 'zone' must be a Zone (got ${describeValue(p.zone)})`,
        p.broker.use === 'broker' ? undefined : `prop 'broker' must be a RedisServer with use 'broker' (append-only, never evicts a queued task), got use ${describeValue(p.broker.use)}`,
        (this.scheduler._environment[`${BROKER_ENV_PREFIX}PASSWORD_FILE`] ?? '').startsWith('/run/vault/')
          ? undefined
          : `prop 'broker' must be a RedisServer given 'vault', so each component's broker password is rendered by its Vault Agent (got ${describeValue(this.scheduler._environment[`${BROKER_ENV_PREFIX}PASSWORD_FILE`])})`,
        (this.scheduler._environment[`${PG_PREFIX}SSLCERT`] ?? '').startsWith('/run/vault/')
          ? undefined
          : `prop 'database' must be a PostgresServer given 'vault', so each component's client certificate is Vault-issued (got ${describeValue(this.scheduler._environment[`${PG_PREFIX}SSLCERT`])})`,
      ),
      ...Object.entries(p.dags ?? {}).flatMap(([name, source]) => collect(
        checkPattern(`dags['${name}']`, name, DAG_FILE, 'a Python file name of lower-case letters, digits and "_", such as "curate_loans.py"'),
        typeof source === 'string' && source.trim().length > 0 ? undefined : `prop 'dags['${name}']' must be the Python source of the DAG file (got ${describeValue(source)})`,
      )),
      // The invariant of CONTROLS.md §5 #22: data grants go to a pool's worker, never to the control plane.
      ...control.flatMap((c) => dataGrantsOf(c).map((v) => `${c.node.path} holds ${v}: the control plane never holds data credentials; give data grants to a pool's worker (addWorkerPool(...).worker)`)),
    ];
  }
}

/** Variables of a component that only a data grant sets (S3 keys, a second database, a libpq service file…). */
function dataGrantsOf(c: AirflowComponent): string[] {
  const own = new Set(['AIRFLOW_FERNET_KEY_FILE', 'AIRFLOW_JWT_SECRET_FILE', 'AIRFLOW_API_SECRET_KEY_FILE']);
  return Object.keys(c._environment).filter((v) => !own.has(v) && !v.startsWith(PG_PREFIX) && !v.startsWith(BROKER_ENV_PREFIX)
    && (/^(AWS_|PG|REDIS_|MLFLOW_)/.test(v) || /(_PASSWORD_FILE|_CREDENTIALS_FILE|PASSFILE|SERVICEFILE)$/.test(v))).sort();
}
