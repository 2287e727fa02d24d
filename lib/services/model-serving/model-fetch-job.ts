import { Construct } from 'constructs';
import { VpsFile } from '../../core/vps-file';
import { ComposeVolume } from '../../compose/compose-volume';
import type { VaultKvSecret, VaultTransitKey } from '../../vault/vault-grants';
import { Image } from '../../workload/image';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import type { RegistryGate } from '../registry-gate/registry-gate';
import { renderModelFetchScript } from './model-fetch-script';
import { MODEL_RELEASE_FIELDS } from './model-release';
import { ServedModel } from './served-model';

/** The curl image of the fetch job: busybox sh, sha256sum and base64 next to curl. */
export const MODEL_FETCH_IMAGE = Image.fromRegistry('curlimages/curl', '8.11.1');
/** Where the job mounts the model volume (read-write). */
export const FETCH_MODELS_DIR = '/models';
const CONFIG_DIR = '/etc/mlsec/model-fetch';

/** Props of a {@link ModelFetchJob} (the {@link ModelServer} creates it; every value is validated there). */
export interface ModelFetchJobProps {
  /** The serving zone. */
  readonly zone: Zone;
  /** The compose service name, `<server>-fetch`. */
  readonly serviceName: string;
  /** The served model. */
  readonly model: ServedModel;
  /** Its release record in Vault KV (written by the CI release role; the job may only read it). */
  readonly releaseRecord: VaultKvSecret;
  /** The registry gate it downloads through (its readers' listener, bearer token, TLS of the internal CA). */
  readonly registry: RegistryGate;
  /** The Transit key it verifies the signature with (verify only). */
  readonly signingKey: VaultTransitKey;
  /** The named volume it writes into; the server mounts it read-only. */
  readonly volume: ComposeVolume;
  /** The MLServer runtime of the model's settings. */
  readonly runtime: string;
  /** Largest artifact accepted, MiB. */
  readonly maxArtifactMiB: number;
  /**
   * The image.
   * @default MODEL_FETCH_IMAGE (curlimages/curl:8.11.1)
   */
  readonly image?: Image;
}

/**
 * The one-shot `<server>-fetch` job of a model server (CONTROLS.md INV-06, Z6-K04): a hardened
 * curl container (non-root, read-only root, no capabilities) that runs the generated
 * `<server>/fetch.sh` — the release record read from Vault KV (its agent renders the artifact
 * path, digest and signature), download through the registry gate (which serves only the
 * artifacts of model versions in a servable lifecycle state, Approved by default), digest check,
 * Transit signature check, atomic install into the model volume. Its only grants: a reader's
 * bearer token at the gate (`registry.allowReader`: no flow to MLflow itself, no registry client
 * certificate), `read` on the release record, and `transit/verify/<key>` (with the agent's token
 * for the call).
 * A second one-shot job, `<server>-volume-init` (root with CHOWN only, no network), hands the
 * fresh volume to the job's user first.
 */
export class ModelFetchJob extends Workload {
  /** The generated script. */
  public readonly script: VpsFile;

  constructor(scope: Construct, id: string, props: ModelFetchJobProps) {
    const p = props;
    super(scope, id, {
      zone: p.zone,
      serviceName: p.serviceName,
      image: p.image ?? MODEL_FETCH_IMAGE,
      entrypoint: ['/bin/sh', `${CONFIG_DIR}/fetch.sh`],
      resources: { cpus: 0.5, memoryMiB: 128, pids: 32 },
      environment: { MLSEC_MODELS_DIR: FETCH_MODELS_DIR },
    });
    this._role = 'model-fetch';
    this.noHealthCheck('a one-shot job that fetches and verifies the model, then exits; the server waits for it to complete successfully');
    this.mountVolume(p.volume, FETCH_MODELS_DIR);
    p.registry.allowReader(this);
    const fields = MODEL_RELEASE_FIELDS;
    p.releaseRecord.grantRead(this, {
      fields: { artifact_path: fields.artifact_path.envVar, sha256: fields.sha256.envVar, signature: fields.signature.envVar },
      fileNames: { artifact_path: fields.artifact_path.fileName, sha256: fields.sha256.fileName, signature: fields.signature.fileName },
    });
    p.signingKey.grantVerify(this);

    const volumeInit = new Workload(this, 'VolumeInit', {
      zone: p.zone,
      serviceName: `${p.serviceName}-volume-init`,
      image: this.image,
      entrypoint: ['chown', '-R', this.runAsUser, FETCH_MODELS_DIR],
      resources: { cpus: 0.1, memoryMiB: 32, pids: 16 },
    });
    volumeInit.mountVolume(p.volume, FETCH_MODELS_DIR);
    volumeInit.runAsRoot('changing the owner of the fresh model volume needs root; the job exits at once and has no network');
    volumeInit.addCapability('CHOWN', 'chown of the model volume to the non-root fetch job');
    volumeInit.noHealthCheck('a one-shot job that exits; the fetch job waits for it to complete successfully');
    this.startsAfterCompletionOf(volumeInit);

    this.script = new VpsFile(this, 'Script', {
      path: `${p.serviceName}/fetch.sh`,
      content: () => renderModelFetchScript({
        producer: this.node.path,
        model: p.model.name,
        runtime: p.runtime,
        recordPath: p.releaseRecord.dataPath,
        verifyPath: `${p.signingKey.transitMountPath}/verify/${p.signingKey.keyName}`,
        maxBytes: p.maxArtifactMiB * 1024 * 1024,
      }),
    });
    this.mountFile(this.script, `${CONFIG_DIR}/fetch.sh`);
  }
}
