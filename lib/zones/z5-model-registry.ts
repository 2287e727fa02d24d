import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import type { MlflowServer } from '../services/mlflow/mlflow-server';
import { RegistryGate } from '../services/registry-gate/registry-gate';
import { MinioBucket } from '../services/minio/minio-bucket';
import { MinioServer } from '../services/minio/minio-server';
import { PostgresServer } from '../services/postgres/postgres-server';
import { VaultServer } from '../vault/vault-server';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';

/** Props of {@link Z5ModelRegistry}. */
export interface Z5ModelRegistryProps {
  /** Vault: TLS certificates and every grantee's keys come from it. */
  readonly vault: VaultServer;
  /**
   * Days release evidence stays locked (COMPLIANCE mode; CONTROLS.md Z5-K07: approved artifacts 5 years).
   * @default 1825
   */
  readonly evidenceRetentionDays?: number;
}

/**
 * Z5, the model registry's stores (L3; CONTROLS.md Z5): the registry metadata database and the
 * model store (MinIO, its own server, so the factory never shares a network with the raw lake)
 * with the `mlflow-artifacts` bucket (versioned; writes never delete) and the `evidence` bucket
 * (WORM in COMPLIANCE mode: release manifests, signatures, approvals). The registry API itself is
 * the MLflow server of Z4 (`Z4ModelFactory.mlflow`): one server for tracking and registry, as the
 * catalog allows; the lifecycle is the tag `lifecycle_state` + aliases (`model-lifecycle.ts`).
 */
export class Z5ModelRegistry extends SecurityZone {
  /** The registry's metadata database server. */
  public readonly registryDb: PostgresServer;
  /** The model store. */
  public readonly modelStore: MinioServer;
  /** Model artifacts, proxied by the registry (clients hold no keys). */
  public readonly artifactsBucket: MinioBucket;
  /** Release evidence, locked. */
  public readonly evidenceBucket: MinioBucket;
  private registryGate?: RegistryGate;
  private readonly vault: VaultServer;

  constructor(scope: Vps, id: string, props: Z5ModelRegistryProps) {
    super(scope, id, Zone.Z5_REGISTRY);
    const p = props ?? ({} as Z5ModelRegistryProps);
    this.vault = p.vault;
    this.registryDb = new PostgresServer(this, 'registry-db', { zone: Zone.Z5_REGISTRY, vault: p.vault });
    this.modelStore = new MinioServer(this, 'model-store', { zone: Zone.Z5_REGISTRY, vault: p.vault });
    this.artifactsBucket = this.modelStore.addBucket('Artifacts', { name: 'mlflow-artifacts' });
    this.evidenceBucket = this.modelStore.addBucket('Evidence', { name: 'evidence', objectLock: { mode: 'COMPLIANCE', days: p.evidenceRetentionDays ?? 1825 } });
    this.addControl({ id: 'Z5-K07', title: 'release evidence kept in WORM storage for 5 years', builtBy: 'Z5ModelRegistry (evidence bucket, object lock COMPLIANCE)' });
    this.addControl({ id: 'Z5-K01', title: 'required version tags (digests, attestation, SBOM, signature, policy digest, purpose and legal basis …); missing → reject', gap: 'no registry gate is added (addGate): nothing checks a version\'s tags' });
    this.addControl({ id: 'Z5-K02', title: 'lifecycle Candidate → Staging → Approved → Revoked, as tag + aliases, transitions by the pipeline only', gap: 'no registry gate is added (addGate): MLflow\'s own API takes any write' });
    this.node.addValidation({ validate: () => (p.vault ? [] : ["prop 'vault' is required (the Z8 VaultServer)"]) });
  }

  /** The registry gate, once added. */
  public get gate(): RegistryGate | undefined {
    return this.registryGate;
  }

  /**
   * Puts the registry gate in front of `registry` (the MLflow server): the only door of the
   * serving fetchers (artifacts of servable versions only) and of lifecycle writes (tag and
   * aliases, transitions checked against model-lifecycle.ts; stage transitions and deletes refused).
   */
  public addGate(registry: MlflowServer): RegistryGate {
    if (this.registryGate) throw new MlsecError(`[${this.node.path}] addGate: the registry has its gate already ('${this.registryGate.node.path}')`);
    this.registryGate = new RegistryGate(this, 'registry-gate', { registry, vault: this.vault });
    this.cover('Z5-K01', { builtBy: `RegistryGate (a version enters and moves along the lifecycle, or takes an alias, only with the tags ${this.registryGate.requiredTags.join(', ')}; Approved also needs security_decision = PASS and approved_by ≠ created_by)` });
    this.cover('Z5-K02', { builtBy: 'RegistryGate (lifecycle_state tag and serving aliases only along model-lifecycle.ts transitions; transition-stage, deletes and other writes refused; readers download Approved versions only)' });
    return this.registryGate;
  }
}
