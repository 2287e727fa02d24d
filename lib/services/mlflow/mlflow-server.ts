import { Construct } from 'constructs';
import { MlsecError } from '../../core/errors';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { DNS_NAME, Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits, SecurityProfile } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import type { MinioBucket } from '../minio/minio-bucket';
import type { PostgresServer } from '../postgres/postgres-server';
import { roleNameOf } from '../postgres/postgres-names';
import { renderMlflowStartScript } from './mlflow-start-script';

/** The MLflow release the default image and tools/install-mlflow.sh pin (keep both in sync). */
export const MLFLOW_VERSION = '3.17.2';
/** The HTTPS port the tracking server listens on. */
export const MLFLOW_PORT = 5000;
/** Prefix of the backend grant's libpq variables (not libpq's own PG*: the URI names every setting). */
const PG_PREFIX = 'BACKEND_PG';
const START_SCRIPT = '/etc/mlflow/start.sh';

/** Props of an {@link MlflowServer}. */
export interface MlflowServerProps {
  /** The PostgreSQL server of the backend store: a database and a certificate-login role named after the service are added. */
  readonly database: PostgresServer;
  /** The bucket artifacts are proxied to (`s3://<bucket>/`); the server gets read and write grants, never delete. */
  readonly artifacts: MinioBucket;
  /** Vault: issues its certificate (server and client) and renders its S3 credentials. */
  readonly vault: VaultServer;
  /**
   * The zone.
   * @default Zone.Z4_FACTORY (the model factory)
   */
  readonly zone?: Zone;
  /**
   * The public host the gateway serves its UI on (behind OIDC), e.g. `mlflow.lab.example.com`:
   * added to the allowed Host headers, and `https://<host>` becomes the only allowed CORS origin.
   * @default none (internal clients only)
   */
  readonly publicHostname?: string;
  /**
   * uvicorn worker processes.
   * @default 2
   */
  readonly workers?: number;
  /**
   * Concurrent connections uvicorn accepts before answering 503.
   * @default 64
   */
  readonly maxConcurrency?: number;
  /**
   * The image: MLflow's `-full` variant (PostgreSQL driver and boto3 included).
   * @default ghcr.io/mlflow/mlflow:v3.17.2-full
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 1 CPU, 1536 MiB, 256 pids
   */
  readonly resources?: ResourceLimits;
}

/** What a client of the tracking server is given by {@link MlflowServer.allowClient}. */
export interface MlflowClientFiles {
  /** `https://<service>:5000` (also its `MLFLOW_TRACKING_URI`). */
  readonly trackingUri: string;
  /** The CA bundle that verifies the server (its `MLFLOW_TRACKING_SERVER_CERT_PATH`). */
  readonly caBundle: string;
  /** Its Vault-issued client certificate (`MLSEC_MLFLOW_CLIENT_CERT_FILE`). */
  readonly certificate: string;
  /** The certificate's key (`MLSEC_MLFLOW_CLIENT_KEY_FILE`). */
  readonly privateKey: string;
}

/**
 * The MLflow tracking server and model registry of the model factory (Z4; CONTROLS.md Z4-2.6,
 * Z5-2.1). Its backend store is a database on the lab's PostgreSQL, reached with a Vault-issued
 * client certificate (`sslmode=verify-full`, no password exists); artifacts are proxied to a
 * MinIO bucket (`--serve-artifacts`), so clients never hold S3 keys, and the server's keys are
 * rendered by its Vault Agent. It serves HTTPS only and requires a client certificate of the
 * internal CA (`allowClient` gives one). A generated start script refuses to start while any
 * file it needs is missing or empty. Telemetry, the AI gateway, job execution and the remote
 * assistant are off; allowed hosts and CORS origins are exact; frames are denied.
 *
 * The registry keeps the lifecycle in the tag `lifecycle_state` and aliases (see
 * `model-lifecycle.ts`), not in MLflow's deprecated stages.
 */
export class MlflowServer extends Workload {
  /** The start script (mounted as the entrypoint). */
  public readonly startScript: VpsFile;
  /** The backend database's name. */
  public readonly databaseName: string;
  /** `https://<service>:5000`. */
  public readonly trackingUri: string;
  private readonly vault: VaultServer;

  constructor(scope: Construct, id: string, props: MlflowServerProps) {
    const p = props ?? ({} as MlflowServerProps);
    // Nothing sensible can be built without them: they are where its data, artifacts and certificates live.
    const missing = collect(
      typeof p.database?.grantConnect === 'function' ? undefined : `prop 'database' must be the PostgresServer of the backend store (got ${describeValue(p.database)})`,
      typeof p.artifacts?.grantWrite === 'function' ? undefined : `prop 'artifacts' must be the MinioBucket artifacts are stored in (got ${describeValue(p.artifacts)})`,
      typeof p.vault?.enablePki === 'function' ? undefined : `prop 'vault' must be the VaultServer issuing its certificates and rendering its credentials (got ${describeValue(p.vault)})`,
    );
    if (missing.length > 0) throw new MlsecError(`[${scope?.node?.path || '<app>'}/${id}] ${missing.join('; ')}`);
    super(scope, id, {
      zone: p.zone ?? Zone.Z4_FACTORY,
      image: p.image ?? Image.fromRegistry('ghcr.io/mlflow/mlflow', `v${MLFLOW_VERSION}-full`),
      ports: [MLFLOW_PORT],
      resources: { cpus: 1, memoryMiB: 1536, pids: 256, ...(p.resources ?? {}) },
      entrypoint: ['/bin/sh', START_SCRIPT],
      workingDir: '/tmp',
      // The image's Python has no client but urllib: a liveness probe with its own certificate
      // (the server requires one), verifying the chain; the name is the service's, not 127.0.0.1.
      healthCheck: HealthCheck.command(['python3', '-c', [
        'import os, ssl, urllib.request',
        "c = ssl.create_default_context(cafile=os.environ['MLSEC_TLS_CLIENT_CA_FILE'])",
        'c.check_hostname = False',
        "c.load_cert_chain(os.environ['MLSEC_TLS_CERT_FILE'], os.environ['MLSEC_TLS_KEY_FILE'])",
        `urllib.request.urlopen('https://127.0.0.1:${MLFLOW_PORT}/health', context=c, timeout=5)`,
      ].join('; ')]),
    });
    this.vault = p.vault;
    // Proxied uploads are spooled to /tmp before they go to S3: room for a model file.
    SecurityProfile.of(this).apply({ tmpfsSizeMiB: 512 });
    this.trackingUri = `https://${this.serviceName}:${MLFLOW_PORT}`;
    const workers = p.workers ?? 2;
    const maxConcurrency = p.maxConcurrency ?? 64;

    const tls = p.vault.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 });
    const ca = this.addSecret(SecretSource.caBundle(Vps.of(this)));
    this.addEnvironment('MLSEC_TLS_CERT_FILE', tls.certificate);
    this.addEnvironment('MLSEC_TLS_KEY_FILE', tls.privateKey);
    this.addEnvironment('MLSEC_TLS_CLIENT_CA_FILE', ca);

    this.databaseName = roleNameOf(this.serviceName);
    p.database.addDatabase(this.databaseName, { schemas: [this.databaseName] });
    // Each worker holds a pool of 2 (+1 overflow); the table migration at start takes one more.
    const pool = { size: 2, overflow: 1 };
    p.database.grantConnect(this, {
      database: this.databaseName, privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE'], authentication: 'cert',
      envPrefix: PG_PREFIX, connectionLimit: Math.min(100, workers * (pool.size + pool.overflow) + 2),
    });
    p.artifacts.grantRead(this);
    p.artifacts.grantWrite(this);

    const env: Record<string, string> = {
      HOME: '/tmp',
      // boto3 honours AWS_CA_BUNDLE (MLflow passes verify=None); MinIO wants path-style addressing.
      MLFLOW_S3_ENDPOINT_URL: this._environment.AWS_ENDPOINT_URL ?? '',
      MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE: 'path',
      MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: String(pool.size),
      MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: String(pool.overflow),
      MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE: '1800',
      // No phoning home, no LLM gateway (Z7 has its own), no server-side code execution.
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: 'true',
      MLFLOW_ENABLE_AI_GATEWAY: 'false',
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      MLFLOW_SERVER_ENABLE_CUSTOM_SCORERS: 'false',
      MLFLOW_ENABLE_REMOTE_ASSISTANT: 'false',
      MLFLOW_ENABLE_ASSISTANT_SANDBOX: 'false',
    };
    for (const [k, v] of Object.entries(env)) this.addEnvironment(k, v);

    const allowedHosts = [this.serviceName, `${this.serviceName}:${MLFLOW_PORT}`, ...(p.publicHostname === undefined ? [] : [p.publicHostname])];
    const corsOrigins = p.publicHostname === undefined ? [this.trackingUri] : [`https://${p.publicHostname}`];
    this.startScript = new VpsFile(this, 'StartScript', {
      path: `${this.serviceName}/start.sh`,
      content: () => renderMlflowStartScript({
        producer: this.node.path, pgPrefix: PG_PREFIX, bucket: p.artifacts.bucketName, port: MLFLOW_PORT,
        workers, allowedHosts, corsOrigins, maxConcurrency, keepAliveSeconds: 5,
      }),
    });
    this.mountFile(this.startScript, START_SCRIPT);

    this.node.addValidation({
      validate: () => collect(
        p.publicHostname === undefined ? undefined : checkPattern('publicHostname', p.publicHostname, DNS_NAME, 'a lower-case DNS name such as "mlflow.lab.example.com"'),
        p.workers === undefined ? undefined : checkInteger('workers', p.workers, 1, 8),
        p.maxConcurrency === undefined ? undefined : checkInteger('maxConcurrency', p.maxConcurrency, 4, 1024),
        // Secrets only from its agent: a bucket of a MinioServer without Vault would hand it a bootstrap key file.
        (this._environment.AWS_SHARED_CREDENTIALS_FILE ?? '').startsWith('/run/vault/')
          ? undefined
          : `prop 'artifacts' must be a bucket of a MinioServer given 'vault', so its S3 keys are rendered by its Vault Agent (got a bucket whose keys are delivered as ${describeValue(this._environment.AWS_SHARED_CREDENTIALS_FILE)})`,
        (this._environment[`${PG_PREFIX}SSLCERT`] ?? '').startsWith('/run/vault/')
          ? undefined
          : `prop 'database' must be a PostgresServer given 'vault', so its client certificate is Vault-issued (got ${describeValue(this._environment[`${PG_PREFIX}SSLCERT`])})`,
      ),
    });
  }

  /**
   * Lets `client` call the tracking API: the flow to port 5000, a Vault-issued client certificate
   * (the server requires one) and the CA bundle, announced by `MLFLOW_TRACKING_URI`,
   * `MLFLOW_TRACKING_SERVER_CERT_PATH`, `MLSEC_MLFLOW_CLIENT_CERT_FILE` and `MLSEC_MLFLOW_CLIENT_KEY_FILE`.
   */
  public allowClient(client: Workload): MlflowClientFiles {
    if (!Workload.isWorkload(client)) throw new MlsecError(`[${this.node.path}] allowClient: the client must be a Workload (got ${describeValue(client)})`);
    client.connections.allowTo(this, { port: MLFLOW_PORT });
    const tls = this.vault.enablePki().clientFilesOf(client);
    const caBundle = client.addSecret(SecretSource.caBundle(Vps.of(client)));
    const files: MlflowClientFiles = { trackingUri: this.trackingUri, caBundle, certificate: tls.certificate, privateKey: tls.privateKey };
    client.addEnvironment('MLFLOW_TRACKING_URI', files.trackingUri);
    client.addEnvironment('MLFLOW_TRACKING_SERVER_CERT_PATH', caBundle);
    client.addEnvironment('MLSEC_MLFLOW_CLIENT_CERT_FILE', files.certificate);
    client.addEnvironment('MLSEC_MLFLOW_CLIENT_KEY_FILE', files.privateKey);
    return files;
  }
}
