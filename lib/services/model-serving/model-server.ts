import { Construct } from 'constructs';
import { ComposeVolume } from '../../compose/compose-volume';
import { MlsecError } from '../../core/errors';
import { checkInteger, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import type { VaultServer } from '../../vault/vault-server';
import type { VaultKvSecret, VaultTransitKey } from '../../vault/vault-grants';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import type { RegistryGate } from '../registry-gate/registry-gate';
import { ModelFetchJob } from './model-fetch-job';
import { ModelReleaseProps, modelReleasePath } from './model-release';
import { ServedModel, servedModelProblems } from './served-model';

/** The port MLServer serves inference on (HTTP, v2 protocol). */
export const MODEL_SERVER_PORT = 8080;
/** Where the server mounts the model volume, read-only. */
export const SERVER_MODELS_DIR = '/mnt/models';
const DEFAULT_RUNTIME = 'mlserver_sklearn.SKLearnModel';

/** Props of a {@link ModelServer}. */
export interface ModelServerProps {
  /** The one model it serves (which artifact is its release record's business, not the app's). */
  readonly model: ServedModel;
  /** Who publishes the model's release record (artifact path, digest, signature) to Vault KV. */
  readonly release: ModelReleaseProps;
  /**
   * The registry gate the fetch job downloads MLflow's proxied artifacts through, as a reader: it
   * serves an artifact only while a model version in a servable state (Approved by default) holds it.
   */
  readonly registry: RegistryGate;
  /** The Transit key models are signed with (`ecdsa-p256`); the fetch job may only verify with it. */
  readonly signingKey: VaultTransitKey;
  /** Vault: holds the release record and checks the signature. */
  readonly vault: VaultServer;
  /**
   * The serving image.
   * @default seldonio/mlserver:1.6.1
   */
  readonly image?: Image;
  /**
   * The serving command.
   * @default ['mlserver', 'start', '/mnt/models']
   */
  readonly command?: string[];
  /**
   * The port it serves inference on (MLServer reads it from `MLSERVER_HTTP_PORT`).
   * @default 8080
   */
  readonly port?: number;
  /**
   * Its health check.
   * @default MLServer's readiness endpoint, probed with the image's Python
   */
  readonly healthCheck?: HealthCheck;
  /**
   * Resource limits of the server.
   * @default 1 CPU, 1024 MiB
   */
  readonly resources?: ResourceLimits;
  /**
   * The compose service name (the fetch job is `<name>-fetch`).
   * @default 'model-server'
   */
  readonly serviceName?: string;
  /**
   * The largest artifact the fetch job accepts, MiB (the model volume's guard against a huge download).
   * @default 2048
   */
  readonly maxArtifactMiB?: number;
  /**
   * The fetch job's image: needs POSIX sh, curl, sha256sum, base64, mktemp and find.
   * @default curlimages/curl:8.11.1
   */
  readonly fetchImage?: Image;
}

/**
 * The Z6 online model server (CONTROLS.md Z6-2.3, INV-06, Z6-K04): MLServer serving exactly one
 * registry model, which it reads from a named volume mounted **read-only** and filled only by
 * its one-shot fetch job (`fetchJob`): the model's release record read from Vault KV
 * (`<vps>/release/<model>/record`: artifact path, SHA-256, Transit signature, written by the CI
 * release role only — see {@link ModelReleaseRecord}), download through the registry gate (only
 * an artifact of a model version in a servable lifecycle state; no direct path to MLflow), digest
 * check, signature of the digest verified by Vault, atomic install. Compose starts the
 * server only after the job completed successfully, so a missing or malformed record, or a
 * tampered, unsigned or wrongly signed artifact, or one of a version not (or no longer) Approved,
 * means no server. The server itself holds no registry token and no Vault grant.
 * Route it with the gateway (the Z6 inference door).
 */
export class ModelServer extends Workload {
  /** The one-shot fetch-and-verify job. */
  public readonly fetchJob: ModelFetchJob;
  /** The model volume (written by the job, read-only here). */
  public readonly modelVolume: ComposeVolume;
  /** The served model. */
  public readonly model: ServedModel;
  /** Its release record in Vault KV: written by the CI release role, read by the fetch job. */
  public readonly releaseRecord: VaultKvSecret;
  /** The inference port. */
  public readonly port: number;

  constructor(scope: Construct, id: string, props: ModelServerProps) {
    const p = props ?? ({} as ModelServerProps);
    // Without them there is no job to build: they are where the model and its trust come from.
    const missing = collect(
      typeof p.registry?.allowReader === 'function' ? undefined : `prop 'registry' must be the RegistryGate models are fetched through (got ${describeValue(p.registry)})`,
      typeof p.signingKey?.grantVerify === 'function' ? undefined : `prop 'signingKey' must be the VaultTransitKey models are signed with (got ${describeValue(p.signingKey)})`,
      typeof p.vault?.agentOf === 'function' ? undefined : `prop 'vault' must be the VaultServer of the signing key (got ${describeValue(p.vault)})`,
      typeof p.release?.ciRole?.allowWrite === 'function' ? undefined
        : `prop 'release.ciRole' must be the VaultCiRole (vault.addCiRole) that signs and publishes the model's releases (got ${describeValue(p.release?.ciRole ?? p.release)})`,
    );
    if (missing.length > 0) throw new MlsecError(`[${scope?.node?.path || '<app>'}/${id}] ${missing.join('; ')}`);
    const port = p.port ?? MODEL_SERVER_PORT;
    super(scope, id, {
      zone: Zone.Z6_SERVING,
      serviceName: p.serviceName ?? 'model-server',
      image: p.image ?? Image.fromRegistry('seldonio/mlserver', '1.6.1'),
      ports: [port],
      command: p.command ?? ['mlserver', 'start', SERVER_MODELS_DIR],
      resources: { cpus: 1, memoryMiB: 1024, ...(p.resources ?? {}) },
      environment: { MLSERVER_HTTP_PORT: String(port), MLSERVER_GRPC_PORT: '8081', MLSERVER_METRICS_PORT: '8082' },
      healthCheck: p.healthCheck ?? HealthCheck.command(['python', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}/v2/health/ready', timeout=3)`]),
    });
    this._role = 'model-server';
    this.model = p.model;
    this.port = port;
    this.modelVolume = new ComposeVolume(this, 'models', { name: `${this.serviceName}-models` });
    this.mountVolume(this.modelVolume, SERVER_MODELS_DIR, { readOnly: true });
    // Not seeded: the bootstrap writes nothing here; the CI release role does, at each release.
    this.releaseRecord = p.vault.addKvSecret(`ModelRelease-${this.serviceName}`, { path: modelReleasePath(Vps.of(this).name, p.model?.name) });
    p.release.ciRole.allowWrite(this.releaseRecord);
    p.release.ciRole.allowSign(p.signingKey);
    this.fetchJob = new ModelFetchJob(this, 'Fetch', {
      zone: Zone.Z6_SERVING,
      serviceName: `${this.serviceName}-fetch`,
      model: p.model ?? ({} as ServedModel),
      releaseRecord: this.releaseRecord,
      registry: p.registry,
      signingKey: p.signingKey,
      volume: this.modelVolume,
      runtime: p.model?.runtime ?? DEFAULT_RUNTIME,
      maxArtifactMiB: p.maxArtifactMiB ?? 2048,
      image: p.fetchImage,
    });
    this.startsAfterCompletionOf(this.fetchJob);
    this.node.addValidation({
      validate: () => [
        ...servedModelProblems(p.model),
        ...collect(
          p.port === undefined ? undefined : checkInteger('port', p.port, 1024, 65535),
          p.port === 8081 || p.port === 8082 ? `prop 'port' must not be 8081 or 8082: MLServer's gRPC and metrics ports (got ${p.port})` : undefined,
          p.maxArtifactMiB === undefined ? undefined : checkInteger('maxArtifactMiB', p.maxArtifactMiB, 1, 65536),
          p.signingKey.type === 'ecdsa-p256' ? undefined : `prop 'signingKey' must be an ecdsa-p256 Transit key (CONTROLS.md Z8-K05 model-sign; got '${p.signingKey.node.path}' of type ${describeValue(p.signingKey.type)})`,
          p.vault.agentOf(this.fetchJob) ? undefined : `prop 'vault' must be the VaultServer of the signing key and the release record (its fetch job holds no grant there)`,
          p.release.ciRole.node.scope === p.vault ? undefined : `prop 'release.ciRole' must be a CI role of prop 'vault' (vault.addCiRole; got '${p.release.ciRole.node.path}')`,
        ),
      ],
    });
  }
}
