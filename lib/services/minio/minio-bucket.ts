import { Construct } from 'constructs';
import { checkedId } from '../../core/names';
import { checkInteger, collect, describeValue } from '../../core/prop-rules';
import { Workload } from '../../workload/workload';
import { BucketAccess, BucketGrant, BucketGrantOptions } from './minio-grant';

/** Object-lock retention of a bucket (WORM). */
export interface ObjectLockRetention {
  /** GOVERNANCE: only a holder of s3:BypassGovernanceRetention may delete; COMPLIANCE: nobody may. */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  /** Default retention in days. */
  readonly days: number;
}

/** Props of a {@link MinioBucket}. */
export interface MinioBucketProps {
  /** Bucket name: 3-63 lower-case letters, digits and "-" (no dots, no "xn--" or "-s3alias"). */
  readonly name: string;
  /**
   * Keep every version of every object.
   * @default true
   */
  readonly versioning?: boolean;
  /**
   * Object lock with a default retention (CONTROLS.md Z2-K03: raw and evidence). Implies versioning.
   * @default none
   */
  readonly objectLock?: ObjectLockRetention;
  /**
   * Expire objects after this many days (CONTROLS.md Z2-K06: staging ≤ 3).
   * @default never
   */
  readonly expireAfterDays?: number;
}

const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const PREFIX = /^(?:[a-z0-9][a-z0-9._=-]{0,62}\/){0,8}$/;

/**
 * A bucket of a {@link MinioServer}: versioned, encrypted by default (SSE with the server's KMS
 * key), optionally locked (WORM) or expiring. Access is only by grants: `grantRead`,
 * `grantWrite` and `grantReadDelete` add exactly the object actions on `bucket/prefix*` to the
 * consumer's own MinIO user, never another prefix; only `grantReadDelete` deletes.
 */
export class MinioBucket extends Construct {
  /** The bucket name. */
  public readonly bucketName: string;
  /** Versioning on. */
  public readonly versioning: boolean;
  /** Object lock, if any. */
  public readonly objectLock?: ObjectLockRetention;
  /** Expiry in days, if any. */
  public readonly expireAfterDays?: number;

  /** @internal */ public readonly _grants: BucketGrant[] = [];
  /** @internal */ public readonly _grantees = new Map<string, Workload>();
  /** @internal Set by the server: gives the grantee its user, credentials and flow. */
  public _onGrant?: (workload: Workload) => void;
  private readonly problems: string[] = [];

  constructor(scope: Construct, id: string, props: MinioBucketProps) {
    super(scope, checkedId(scope, id));
    const p = props ?? ({} as MinioBucketProps);
    this.bucketName = p.name;
    this.objectLock = p.objectLock;
    this.versioning = p.objectLock !== undefined ? true : (p.versioning ?? true);
    this.expireAfterDays = p.expireAfterDays;
    this.node.addValidation({
      validate: () => [
        ...this.problems,
        ...collect(
          typeof p.name === 'string' && BUCKET_NAME.test(p.name) ? undefined : `prop 'name' must be 3-63 lower-case letters, digits and "-" starting and ending with a letter or digit (got ${describeValue(p.name)})`,
          p.objectLock !== undefined && p.versioning === false ? "prop 'versioning' cannot be false with 'objectLock': object lock needs versions" : undefined,
          p.objectLock === undefined || ['GOVERNANCE', 'COMPLIANCE'].includes(p.objectLock?.mode) ? undefined : `prop 'objectLock.mode' must be 'GOVERNANCE' or 'COMPLIANCE' (got ${describeValue(p.objectLock?.mode)})`,
          p.objectLock === undefined ? undefined : checkInteger('objectLock.days', p.objectLock?.days, 1, 36500),
          p.expireAfterDays === undefined ? undefined : checkInteger('expireAfterDays', p.expireAfterDays, 1, 36500),
          p.objectLock !== undefined && p.expireAfterDays !== undefined ? "props 'objectLock' and 'expireAfterDays' exclude each other: a locked bucket keeps what it holds" : undefined,
        ),
      ],
    });
  }

  /** Lets `workload` read objects under `options.prefix` (GetObject, and list that prefix only). */
  public grantRead(workload: Workload, options: BucketGrantOptions = {}): void {
    this.grant(workload, 'read', options);
  }

  /** Lets `workload` write objects under `options.prefix` (PutObject and multipart; no delete). */
  public grantWrite(workload: Workload, options: BucketGrantOptions = {}): void {
    this.grant(workload, 'write', options);
  }

  /**
   * Lets `workload` read, list and delete objects under `options.prefix` (GetObject, DeleteObject
   * of the current version): for a job that moves objects out, such as the staging → raw promoter.
   * No version delete and no lock bypass, so on a versioned bucket the old version stays.
   */
  public grantReadDelete(workload: Workload, options: BucketGrantOptions = {}): void {
    this.grant(workload, 'read-delete', options);
  }

  private grant(workload: Workload, access: BucketAccess, options: BucketGrantOptions): void {
    const method = { 'read': 'grantRead', 'write': 'grantWrite', 'read-delete': 'grantReadDelete' }[access];
    const where = `${method}(${workload?.node?.path ?? describeValue(workload)})`;
    const prefix = options?.prefix ?? '';
    if (!Workload.isWorkload(workload)) {
      this.problems.push(`${where}: the grantee must be a Workload (got ${describeValue(workload)})`);
      return;
    }
    if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
      this.problems.push(`${where}: prop 'prefix' must be '' or "/"-separated segments of lower-case letters, digits and "._=-" ending in "/", such as "source-a/" — no wildcards (got ${describeValue(prefix)})`);
      return;
    }
    const user = workload.serviceName;
    const overlap = this._grants.find((g) => g.user === user && g.access === access && (g.prefix.startsWith(prefix) || prefix.startsWith(g.prefix)));
    if (overlap) {
      this.problems.push(`${where}: overlaps its ${access} grant on ${describeValue(`${this.bucketName}/${overlap.prefix}`)}; grants must not overlap: keep the narrowest prefix that is needed`);
      return;
    }
    this._grants.push({ consumerPath: workload.node.path, user, bucket: this.bucketName, prefix, access });
    this._grantees.set(user, workload);
    this._onGrant?.(workload);
  }
}
