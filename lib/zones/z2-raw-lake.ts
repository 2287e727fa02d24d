import { checkInteger, collect } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { MinioBucket } from '../services/minio/minio-bucket';
import { MinioServer } from '../services/minio/minio-server';
import { VaultServer } from '../vault/vault-server';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';

/** Props of {@link Z2RawLake}. */
export interface Z2RawLakeProps {
  /** Vault: MinIO's TLS certificate and every grantee's keys come from it. */
  readonly vault: VaultServer;
  /**
   * Days each raw object stays locked (object lock, GOVERNANCE mode; CONTROLS.md Z2-K03).
   * @default 365
   */
  readonly rawRetentionDays?: number;
  /**
   * Days after which staging objects expire (CONTROLS.md Z2-K06: at most 3).
   * @default 3
   */
  readonly stagingExpiryDays?: number;
  /**
   * Days each backup stays locked (COMPLIANCE mode: not even root can shorten it).
   * @default 35
   */
  readonly backupRetentionDays?: number;
}

/**
 * Z2, the raw data lake (L3; CONTROLS.md Z2): one MinIO on internal networks only, with the
 * catalog's buckets — `raw` (versioned, object-locked), `staging` (expires), `quarantine`
 * (security only) and `backups` (locked in COMPLIANCE mode). Access is only ever a grant on a
 * bucket handle (`rawBucket.grantRead(curation)`), which the ZONE-04/05/18 rules audit.
 */
export class Z2RawLake extends SecurityZone {
  /** The MinIO server. */
  public readonly lake: MinioServer;
  /** Promoted source data: written only by the promote job, read by curation. */
  public readonly rawBucket: MinioBucket;
  /** Contract-checked records waiting for promotion: written only by Z1 connectors. */
  public readonly stagingBucket: MinioBucket;
  /** Rejected or suspicious payloads: written by connectors, read only by security. */
  public readonly quarantineBucket: MinioBucket;
  /** Backups of the platform's databases. */
  public readonly backupBucket: MinioBucket;

  constructor(scope: Vps, id: string, props: Z2RawLakeProps) {
    super(scope, id, Zone.Z2_RAW_LAKE);
    const p = props ?? ({} as Z2RawLakeProps);
    const staging = p.stagingExpiryDays ?? 3;
    this.lake = new MinioServer(this, 'lake', { zone: Zone.Z2_RAW_LAKE, vault: p.vault });
    this.rawBucket = this.lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: p.rawRetentionDays ?? 365 } });
    this.stagingBucket = this.lake.addBucket('Staging', { name: 'staging', expireAfterDays: staging });
    this.quarantineBucket = this.lake.addBucket('Quarantine', { name: 'quarantine' });
    this.backupBucket = this.lake.addBucket('Backups', { name: 'backups', objectLock: { mode: 'COMPLIANCE', days: p.backupRetentionDays ?? 35 } });
    this.node.addValidation({
      validate: () => collect(
        p.vault ? undefined : "prop 'vault' is required (the Z8 VaultServer)",
        checkInteger('stagingExpiryDays', staging, 1, 3),
      ),
    });
  }
}
