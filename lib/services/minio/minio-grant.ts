import { compareCodePoints } from '../../core/canonical-json';
/** What a bucket grant allows: `read-delete` is for a job that moves objects away (staging → raw). */
export type BucketAccess = 'read' | 'write' | 'read-delete';

/** Options of `MinioBucket.grantRead` / `grantWrite` / `grantReadDelete`. */
export interface BucketGrantOptions {
  /**
   * Key prefix the grant is limited to: empty for the whole bucket, or `/`-separated segments of
   * lower-case letters, digits and `._=-`, ending in `/` (e.g. `source-a/`). No wildcards.
   * @default '' (the whole bucket)
   */
  readonly prefix?: string;
}

/** One grant as the policy renders it. */
export interface BucketGrant {
  /** Construct path of the consumer. */
  readonly consumerPath: string;
  /** The MinIO user (and policy) name: the consumer's service name. */
  readonly user: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Key prefix ('' for the whole bucket). */
  readonly prefix: string;
  /** Read, write, or read and delete. */
  readonly access: BucketAccess;
}

/** An IAM policy statement as MinIO reads it. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string[]>>;
}

/** A user's policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/**
 * Actions per access: only `read-delete` deletes (the current version only: never a version,
 * never bypassing a lock), nothing lists beyond the prefix, nothing administers. Sorted, as
 * MinIO stores and returns them, so the served policy equals the generated one.
 */
export const BUCKET_ACTIONS: Readonly<Record<BucketAccess, readonly string[]>> = {
  'read': ['s3:GetObject'],
  'write': ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'],
  'read-delete': ['s3:DeleteObject', 's3:GetObject'],
};

const SID: Readonly<Record<BucketAccess, string>> = { 'read': 'Read', 'write': 'Write', 'read-delete': 'ReadDelete' };

/**
 * The least-privilege policy of one user: per grant, the object actions on `bucket/prefix*`,
 * and for reads (with or without delete) a `s3:ListBucket` on the bucket limited by a `s3:prefix` condition (MinIO checks
 * listing against the bucket ARN, and the condition must sit in its own statement).
 */
export function policyDocument(grants: readonly BucketGrant[]): PolicyDocument {
  const statements: PolicyStatement[] = [];
  const sorted = [...grants].sort((a, b) => compareCodePoints(key(a), key(b)));
  sorted.forEach((g, i) => {
    const sid = `${SID[g.access]}${i + 1}`;
    statements.push({ Sid: sid, Effect: 'Allow', Action: [...BUCKET_ACTIONS[g.access]], Resource: [`arn:aws:s3:::${g.bucket}/${g.prefix}*`] });
    if (g.access !== 'write') {
      statements.push({
        Sid: `${sid}List`,
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:aws:s3:::${g.bucket}`],
        // A whole-bucket read lists without a prefix, and an absent key fails any condition.
        ...(g.prefix === '' ? {} : { Condition: { StringLike: { 's3:prefix': [`${g.prefix}*`] } } }),
      });
    }
  });
  return { Version: '2012-10-17', Statement: statements };
}

function key(g: BucketGrant): string {
  return `${g.bucket}\u0000${g.prefix}\u0000${g.access}`;
}
