import { Construct } from 'constructs';
import { canonicalJson } from '../../core/canonical-json';
import { describeValue } from '../../core/prop-rules';
import { StructuredText } from '../../core/structured-text';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import type { VaultServer } from '../../vault/vault-server';
import type { VaultKvSecret } from '../../vault/vault-grants';
import { Zone } from '../../workload/zone';
import { lifecycleDocument, renderBootstrapScript } from './minio-bootstrap-script';
import { MinioBucket, MinioBucketProps } from './minio-bucket';
import { policyDocument } from './minio-grant';
import { s3PolicyProblems } from './s3-policy-validator';

/** Props of a {@link MinioServer}. */
export interface MinioServerProps {
  /** The zone (Z2 for the raw data lake). */
  readonly zone: Zone;
  /**
   * The server image.
   * @default minio/minio:RELEASE.2025-04-22T22-12-26Z
   */
  readonly image?: Image;
  /**
   * The `mc` image of the one-shot bootstrap job.
   * @default minio/mc:RELEASE.2025-04-16T18-13-26Z
   */
  readonly clientImage?: Image;
  /**
   * Resource limits of the server.
   * @default 1 CPU, 1024 MiB, 512 pids
   */
  readonly resources?: ResourceLimits;
  /**
   * Vault hands the grantees their secret keys: each is seeded into KV
   * (`kv/data/<vps>/core/<grantee>/<server>`) and the grantee's Vault Agent renders its AWS
   * shared-credentials file. The one-shot bootstrap job (which creates the users) still gets
   * them from the bootstrap.
   * @default none (the bootstrap delivers the credentials file)
   */
  readonly vault?: VaultServer;
}

/** The S3 API port (TLS). */
export const MINIO_PORT = 9000;
const USER = '10001:10001';
const CONFIG_DIR = '/etc/mlsec/minio';

/**
 * A MinIO server (L2): S3 over TLS only (certificate from the internal CA), console off, root
 * credentials only through `*_FILE`, default encryption with a KMS key from the secrets folder,
 * audit-friendly JSON logs. Buckets come from `addBucket` (versioned by default; lock, expiry);
 * access only from grants on a bucket (`bucket.grantRead/grantWrite(workload, { prefix })`): each
 * grantee gets its own MinIO user and policy (JSON in `<service>/policies/`), its own secret key,
 * the flow to port 9000, and an AWS shared-credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
 * `AWS_ENDPOINT_URL`, `AWS_CA_BUNDLE`).
 *
 * A one-shot job `<service>-bootstrap` (mc) applies buckets, policies and users idempotently
 * from the generated `<service>/bootstrap.sh`; a one-shot `<service>-volume-init` hands the data
 * volume to the server's non-root user.
 */
export class MinioServer extends Workload {
  /** The buckets, in the order they were added. */
  public readonly buckets: MinioBucket[] = [];
  /** The one-shot job that applies the bootstrap script. */
  public readonly bootstrapJob: Workload;

  private readonly users = new Map<string, { workload: Workload; credential: Credential; policy: VpsFile }>();
  private readonly configProblems: string[] = [];
  private readonly minioProps: MinioServerProps;
  private rootSecret?: VaultKvSecret;

  constructor(scope: Construct, id: string, props: MinioServerProps) {
    const p = props ?? ({} as MinioServerProps);
    super(scope, id, {
      zone: p.zone,
      image: p.image ?? Image.fromRegistry('minio/minio', 'RELEASE.2025-04-22T22-12-26Z'),
      user: USER,
      ports: [MINIO_PORT],
      // --certs-dir: public.crt and private.key are delivered there (by the bootstrap, or by its
      // Vault Agent); its CAs/ need not exist (a read-only folder is fine).
      command: ['server', '/data', '--address', `:${MINIO_PORT}`, '--certs-dir', p?.vault ? '/run/vault' : '/run/secrets'],
      resources: { cpus: 1, memoryMiB: 1024, pids: 512, ...(p.resources ?? {}) },
      environment: { MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
      healthCheck: HealthCheck.command(['mc', 'ready', 'local']),
    });
    this.minioProps = p;
    const svc = this.serviceName;
    const rootUser = new Credential(this, 'RootUser', { name: `${svc}-root-user`, description: `root access key of ${this.node.path} (bootstrap job only)`, randomBytes: 16 });
    const rootPassword = new Credential(this, 'RootPassword', { name: `${svc}-root-password`, description: `root secret key of ${this.node.path} (bootstrap job only)` });
    const kmsKey = new Credential(this, 'KmsKey', { name: `${svc}-kms-key`, description: `static KMS key of ${this.node.path} (default bucket encryption)` });
    const kmsOf = (value: string) => `${svc}-key:${Buffer.from(value, 'base64url').toString('base64')}`;
    if (p.vault) {
      // Root keys, KMS key and certificate reach the server only through its own Vault Agent.
      this.rootSecret = p.vault.addKvSecret(`Minio-${svc}-root`, {
        path: `${Vps.of(this).name}/core/${svc}/root`,
        seed: { user: rootUser, password: rootPassword, kms_key: { from: kmsKey, seedName: `${svc}-kms-key`, transform: kmsOf } },
      });
      this.rootSecret.grantRead(this, {
        fields: { user: 'MINIO_ROOT_USER_FILE', password: 'MINIO_ROOT_PASSWORD_FILE', kms_key: 'MINIO_KMS_SECRET_KEY_FILE' },
        fileNames: { user: 'root-user', password: 'root-password', kms_key: 'kms-key' },
      });
      p.vault.enablePki().grantIssue(this, { usage: 'server', fileNames: { certificate: 'public.crt', privateKey: 'private.key' } });
      this.addEnvironment('SSL_CERT_FILE', this.addSecret(SecretSource.caBundle(Vps.of(this))));
    } else {
      this.addSecret(SecretSource.credential(rootUser, 'root-user'), { envVar: 'MINIO_ROOT_USER_FILE' });
      this.addSecret(SecretSource.credential(rootPassword, 'root-password'), { envVar: 'MINIO_ROOT_PASSWORD_FILE' });
      this.addSecret(SecretSource.derived('kms-key', (ctx) => kmsOf(ctx.credential(kmsKey))), { envVar: 'MINIO_KMS_SECRET_KEY_FILE' });
      const tls = this.addTlsIdentity({ usage: 'server' });
      this.addSecret(SecretSource.tlsCertificate(tls, 'public.crt'));
      this.addSecret(SecretSource.tlsPrivateKey(tls, 'private.key'));
      this.addEnvironment('SSL_CERT_FILE', this.tlsFilesOf(tls).caBundle);
    }
    // The image's mc probes its own service name over TLS (the certificate's SAN), verified with the CA bundle.
    this.addEnvironment('MC_HOST_local', `https://${svc}:${MINIO_PORT}`);

    const data = this.addDataVolume('data', '/data');
    const volumeInit = new Workload(this, 'VolumeInit', {
      zone: p.zone,
      serviceName: `${svc}-volume-init`,
      image: this.image,
      entrypoint: ['chown', '-R', USER, '/data'],
      resources: { cpus: 0.1, memoryMiB: 32, pids: 16 },
    });
    volumeInit.mountVolume(data, '/data');
    volumeInit.runAsRoot('changing the owner of the data volume needs root; the job exits at once and has no network');
    volumeInit.addCapability('CHOWN', 'chown of the freshly created data volume to the non-root server user');
    volumeInit.noHealthCheck('a one-shot job that exits; the server waits for it to complete successfully');
    this.startsAfterCompletionOf(volumeInit);

    const script = new VpsFile(this, 'BootstrapScript', {
      path: `${svc}/bootstrap.sh`,
      content: () => renderBootstrapScript({
        producer: this.node.path,
        url: `https://${svc}:${MINIO_PORT}`,
        buckets: [...this.buckets].sort((a, b) => (a.bucketName < b.bucketName ? -1 : 1)),
        users: [...this.users.keys()].sort().map((name) => ({ name, secretFile: `user-${name}.secret` })),
      }),
    });
    this.bootstrapJob = new Workload(this, 'Bootstrap', {
      zone: p.zone,
      serviceName: `${svc}-bootstrap`,
      image: p.clientImage ?? Image.fromRegistry('minio/mc', 'RELEASE.2025-04-16T18-13-26Z'),
      entrypoint: ['/bin/sh', `${CONFIG_DIR}/bootstrap.sh`],
      resources: { cpus: 0.2, memoryMiB: 64, pids: 32 },
      environment: { MLSEC_CONFIG_DIR: CONFIG_DIR },
    });
    this.bootstrapJob.noHealthCheck('a one-shot job that applies buckets, policies and users, then exits');
    this.bootstrapJob.mountFile(script, `${CONFIG_DIR}/bootstrap.sh`);
    const jobCa = this.bootstrapJob.addSecret(SecretSource.caBundle(Vps.of(this)));
    if (p.vault && this.rootSecret) {
      // The job creates the users, so it must know their keys: all from its own agent, at the names the script reads.
      this.rootSecret.grantRead(this.bootstrapJob, { fields: {}, fileNames: {} });
      const agent = p.vault.agentOf(this.bootstrapJob)!;
      for (const [field, file] of [['user', 'root-user'], ['password', 'root-password']]) {
        agent.addTemplate({ fileName: file, template: 'kv-field', values: { path: this.rootSecret.dataPath, field } });
      }
      this.bootstrapJob.addEnvironment('MLSEC_FILES_DIR', '/run/vault');
    } else {
      this.bootstrapJob.addSecret(SecretSource.credential(rootUser, 'root-user'));
      this.bootstrapJob.addSecret(SecretSource.credential(rootPassword, 'root-password'));
    }
    this.bootstrapJob.addEnvironment('MLSEC_CA_FILE', jobCa);
    this.bootstrapJob.connections.allowTo(this, { port: MINIO_PORT });
    this.node.addValidation({ validate: () => this.minioProblems() });
  }

  /** Adds a bucket; access to it is granted with `bucket.grantRead/grantWrite`. */
  public addBucket(id: string, props: MinioBucketProps): MinioBucket {
    const bucket = new MinioBucket(this, id, props);
    const clash = this.buckets.find((b) => b.bucketName === bucket.bucketName);
    if (clash) this.configProblems.push(`addBucket('${id}'): bucket name ${describeValue(bucket.bucketName)} is already used by '${clash.node.path}'`);
    this.buckets.push(bucket);
    bucket._onGrant = (workload) => this.ensureUser(workload);
    if (bucket.expireAfterDays !== undefined && typeof bucket.bucketName === 'string') {
      const file = new VpsFile(this, `Lifecycle-${id}`, { path: `${this.serviceName}/lifecycle/${bucket.bucketName}.json`, content: () => canonicalJson(lifecycleDocument(bucket)) });
      this.bootstrapJob.mountFile(file, `${CONFIG_DIR}/lifecycle/${bucket.bucketName}.json`);
    }
    return bucket;
  }

  /** The policy document of a grantee's user (what `mc admin policy create` receives). */
  public policyOf(serviceName: string): object | undefined {
    if (!this.users.has(serviceName)) return undefined;
    return policyDocument(this.buckets.flatMap((b) => b._grants.filter((g) => g.user === serviceName)));
  }

  private ensureUser(workload: Workload): void {
    const name = workload.serviceName;
    if (this.users.has(name)) return;
    if (name.length < 3) {
      this.configProblems.push(`grant to '${workload.node.path}': its service name '${name}' is its MinIO access key, which needs at least 3 characters; rename the service`);
      return;
    }
    if (workload === this || workload === this.bootstrapJob) {
      this.configProblems.push(`grant to '${workload.node.path}': the server and its bootstrap job hold root; they take no grants`);
      return;
    }
    const credential = new Credential(this, `User-${name}`, { name: `${this.serviceName}-user-${name}`, description: `secret key of MinIO user '${name}' on ${this.node.path}` });
    const policy = new VpsFile(this, `Policy-${name}`, { path: `${this.serviceName}/policies/${name}.json`, kind: 's3-policy', content: () => StructuredText.json(this.policyOf(name)) });
    this.users.set(name, { workload, credential, policy });
    this.bootstrapJob.mountFile(policy, `${CONFIG_DIR}/policies/${name}.json`);
    workload.connections.allowTo(this, { port: MINIO_PORT });
    const ca = workload.addSecret(SecretSource.caBundle(Vps.of(this)));
    if (this.minioProps.vault) {
      const vault = this.minioProps.vault;
      const secret = vault.addKvSecret(`Minio-${this.serviceName}-${name}`, { path: `${Vps.of(this).name}/core/${name}/${this.serviceName}`, seed: { secret_key: credential } });
      secret.grantRead(workload, { awsCredentials: { accessKeyId: name, field: 'secret_key', envVar: 'AWS_SHARED_CREDENTIALS_FILE' } });
      secret.grantRead(this.bootstrapJob);
      vault.agentOf(this.bootstrapJob)?.addTemplate({ fileName: `user-${name}.secret`, template: 'kv-field', values: { path: secret.dataPath, field: 'secret_key' } });
    } else {
      this.bootstrapJob.addSecret(SecretSource.credential(credential, `user-${name}.secret`));
      workload.addSecret(
        SecretSource.derived(`${this.serviceName}.aws-credentials`, (ctx) => `[default]\naws_access_key_id = ${name}\naws_secret_access_key = ${ctx.credential(credential)}\n`),
        { envVar: 'AWS_SHARED_CREDENTIALS_FILE' },
      );
    }
    workload.addEnvironment('AWS_ENDPOINT_URL', `https://${this.serviceName}:${MINIO_PORT}`);
    workload.addEnvironment('AWS_CA_BUNDLE', ca);
    workload.addEnvironment('AWS_REGION', 'us-east-1');
  }

  private minioProblems(): string[] {
    const problems = [...this.configProblems];
    for (const name of this.users.keys()) {
      for (const p of s3PolicyProblems(this.policyOf(name))) problems.push(`policy of user '${name}': ${p}`);
    }
    if (this.buckets.length === 0) problems.push(`has no bucket: add one with addBucket(id, { name })`);
    return problems;
  }
}
