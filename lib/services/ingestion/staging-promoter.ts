import { Construct } from 'constructs';
import { checkPattern, collect } from '../../core/prop-rules';
import { Zone } from '../../workload/zone';
import { BenthosService, BenthosServiceProps } from '../benthos/benthos-service';
import { MinioBucket } from '../minio/minio-bucket';
import { CONTENT_SHA256_METADATA } from './ingestion-endpoint';

/** Props of a {@link StagingPromoter}. */
export interface StagingPromoterProps extends BenthosServiceProps {
  /** The source's name (as its {@link IngestionEndpoint}'s): lower-case letters, digits and "-". */
  readonly source: string;
  /** Where the source's connector writes (under `<source>/`); the job reads and then deletes there. */
  readonly staging: MinioBucket;
  /** Where checked objects go, under the same key (`<source>/…`): the raw bucket, usually object-locked. */
  readonly raw: MinioBucket;
  /** Where objects that fail the check go, under `<source>/promote-rejected/`. */
  readonly quarantine: MinioBucket;
}

const SOURCE = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** The sub-prefix of `quarantine/<source>/` that holds objects the promote job refused. */
export const PROMOTE_REJECTED = 'promote-rejected';

/**
 * The Z1 staging → raw promote job of one source (CONTROLS.md Z1-K11, Z2-K05, Z2-K08): a one-shot
 * Benthos run that takes every object under `staging/<source>/`, recomputes the SHA-256 of its
 * bytes and compares it with the `content_sha256` metadata its {@link IngestionEndpoint} stored.
 * A match is written to `raw/<source>/…` under the same key with that hash as its only metadata;
 * a mismatch or a missing hash (tampered in staging, or written by anyone but the connector) goes
 * to `quarantine/<source>/promote-rejected/…` instead, never to raw. Either way the staging
 * object is deleted only once that write succeeded: a failed write (lake down, key denied) is
 * logged and retried with backoff while the object stays in staging, so run the job with a time limit.
 *
 * Its identity is its own (role `raw-promoter`, one MinIO user per source): read and delete on
 * `staging/<source>/`, write-only on `raw/<source>/` and `quarantine/<source>/` — it can neither
 * read nor delete raw, and the connector cannot write raw. Run it on a schedule
 * (`docker compose run --rm <service>` from cron or the orchestrator); it exits when staging is drained.
 */
export class StagingPromoter extends BenthosService {
  /** The source. */
  public readonly source: string;
  private readonly promoterProps: StagingPromoterProps;

  constructor(scope: Construct, id: string, props: StagingPromoterProps) {
    const p = props ?? ({} as StagingPromoterProps);
    super(scope, id, p, { zone: Zone.Z1_INGESTION, ports: [], tlsUsage: 'client' });
    this.noHealthCheck('a one-shot job that drains staging/<source>/ into raw or quarantine, then exits');
    this._role = 'raw-promoter';
    this.promoterProps = p;
    this.source = p.source;
    const buckets = [p.staging, p.raw, p.quarantine];
    const distinct = new Set(buckets).size === 3;
    // Granted only when the props make sense, so a mistake never leaves a wider policy behind.
    if (buckets.every((b) => b instanceof MinioBucket) && distinct && typeof p.source === 'string' && SOURCE.test(p.source)) {
      const prefix = `${p.source}/`;
      p.staging.grantReadDelete(this, { prefix });
      p.raw.grantWrite(this, { prefix });
      p.quarantine.grantWrite(this, { prefix });
    }
    this.node.addValidation({
      validate: () => [
        ...collect(
          checkPattern('source', p.source, SOURCE, 'lower-case letters, digits and "-", starting with a letter'),
          ...(['staging', 'raw', 'quarantine'] as const).map((k) => (p[k] instanceof MinioBucket ? undefined : `prop '${k}' is required (a MinioBucket)`)),
        ),
        ...(buckets.every((b) => b instanceof MinioBucket) && !distinct ? ["props 'staging', 'raw' and 'quarantine' must be three different buckets"] : []),
        ...(buckets.every((b) => b instanceof MinioBucket) && new Set(buckets.map((b) => b.node.scope)).size > 1 ? ["props 'staging', 'raw' and 'quarantine' must be buckets of the same MinioServer (the job holds one set of S3 keys)"] : []),
      ],
    });
  }

  protected renderConfig(): Record<string, unknown> {
    const p = this.promoterProps;
    const s3 = { endpoint: '${AWS_ENDPOINT_URL}', region: '${AWS_REGION}', force_path_style_urls: true, credentials: { profile: 'default' } };
    const output = (bucket: MinioBucket, path: string) => ({
      aws_s3: {
        bucket: bucket.bucketName,
        path,
        content_type: '${! @s3_content_type }',
        // The check left only s3_key and s3_content_type (for the request) and the hash: the hash alone is stored.
        metadata: { exclude_prefixes: ['s3_'] },
        ...s3,
        max_in_flight: 16,
        timeout: '30s',
      },
    });
    return {
      input: {
        aws_s3: {
          bucket: p.staging.bucketName,
          prefix: `${p.source}/`,
          ...s3,
          // Acknowledged = written to raw or quarantine; only then is the staging object deleted.
          delete_objects: true,
          // One message per object, so the hash covers exactly the object's bytes.
          scanner: { to_the_end: {} },
        },
      },
      pipeline: { processors: [{ mapping: checkMapping() }, { mapping: metadataMapping() }] },
      output: {
        switch: {
          cases: [
            { check: 'errored()', output: output(p.quarantine, `${p.source}/${PROMOTE_REJECTED}/\${! @s3_key.trim_prefix("${p.source}/") }`) },
            { output: output(p.raw, '${! @s3_key }') },
          ],
        },
      },
    };
  }
}

/**
 * The hash check: assigns nothing, so the bytes stay exactly as read (a `mutation` would
 * re-serialize JSON); fails the message — which routes it to quarantine and logs the key and
 * both hashes — when the stored hash is missing or differs from the content's.
 */
function checkMapping(): string {
  return [
    'let actual = content().hash("sha256").encode("hex")',
    // MinIO keeps the field as x-amz-meta-content_sha256; the aws_s3 input hands it back under its own name.
    `let claimed = @${CONTENT_SHA256_METADATA}.or("")`,
    'let checked = if $claimed == "" {',
    `  throw("promote refused %s: no ${CONTENT_SHA256_METADATA} metadata".format(@s3_key))`,
    '} else if $claimed != $actual {',
    `  throw("promote refused %s: ${CONTENT_SHA256_METADATA} %s but the content hashes to %s".format(@s3_key, $claimed, $actual))`,
    '} else { true }',
    '',
  ].join('\n');
}

/**
 * On every message, checked or not: whatever metadata the object carried is dropped, so only the
 * key and content type (for the write) and the hash of the bytes as read reach the output, which
 * stores the hash alone. It keeps the error flag of the check.
 */
function metadataMapping(): string {
  return [
    'let key = @s3_key',
    'let type = @s3_content_type.or("application/octet-stream")',
    'let sum = content().hash("sha256").encode("hex")',
    'meta = deleted()',
    'meta s3_key = $key',
    'meta s3_content_type = $type',
    `meta ${CONTENT_SHA256_METADATA} = $sum`,
    '',
  ].join('\n');
}
