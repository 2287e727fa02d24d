import { Construct } from 'constructs';
import { checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Zone } from '../../workload/zone';
import { BenthosService, BenthosServiceProps } from '../benthos/benthos-service';
import { MalwareScanClientFiles, MalwareScanService } from '../clamav/malware-scan-service';
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
  /**
   * The malware scan service every hash-checked object is sent to before it may reach raw
   * (CONTROLS.md Z1-K09): `clean` goes to raw, `infected` or `suspicious` to
   * `quarantine/<source>/scan-rejected/` (with the signature as metadata), and no verdict (the
   * service down or failing) leaves the object in staging for the next run.
   * @default no scan (the catalog exempts JSON records, Z1-2.5): objects are promoted on the hash check alone
   */
  readonly scan?: MalwareScanService;
}

const SOURCE = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** The sub-prefix of `quarantine/<source>/` that holds objects the promote job refused. */
export const PROMOTE_REJECTED = 'promote-rejected';
/** The sub-prefix of `quarantine/<source>/` that holds objects the scan found infected or suspicious (CONTROLS.md Z1-K09). */
export const SCAN_REJECTED = 'scan-rejected';
/** The metadata the scan step sets: the verdict (never stored) and the signature (stored on quarantined objects). */
const VERDICT = 'mlsec_scan_verdict';
const SIGNATURE = 'mlsec_scan_signature';

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
  private readonly scanClient?: MalwareScanClientFiles;

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
    if (p.scan instanceof MalwareScanService) this.scanClient = p.scan.allowScanFrom(this);
    this.node.addValidation({
      validate: () => [
        ...collect(
          checkPattern('source', p.source, SOURCE, 'lower-case letters, digits and "-", starting with a letter'),
          ...(['staging', 'raw', 'quarantine'] as const).map((k) => (p[k] instanceof MinioBucket ? undefined : `prop '${k}' is required (a MinioBucket)`)),
        ),
        ...(p.scan === undefined || p.scan instanceof MalwareScanService ? [] : [`prop 'scan' must be a MalwareScanService (got ${describeValue(p.scan)})`]),
        ...(buckets.every((b) => b instanceof MinioBucket) && !distinct ? ["props 'staging', 'raw' and 'quarantine' must be three different buckets"] : []),
        ...(buckets.every((b) => b instanceof MinioBucket) && new Set(buckets.map((b) => b.node.scope)).size > 1 ? ["props 'staging', 'raw' and 'quarantine' must be buckets of the same MinioServer (the job holds one set of S3 keys)"] : []),
      ],
    });
  }

  protected renderConfig(): Record<string, unknown> {
    const p = this.promoterProps;
    const quarantined = (sub: string) => `${p.source}/${sub}/\${! @s3_key.trim_prefix("${p.source}/") }`;
    const s3 = { endpoint: '${AWS_ENDPOINT_URL}', region: '${AWS_REGION}', force_path_style_urls: true, credentials: { profile: 'default' } };
    const output = (bucket: MinioBucket, path: string, keepSignature = false) => ({
      aws_s3: {
        bucket: bucket.bucketName,
        path,
        content_type: '${! @s3_content_type }',
        // The check left only s3_key and s3_content_type (for the request), the hash and the scan's
        // metadata: the hash is stored, and the signature on what the scan quarantined.
        metadata: { exclude_prefixes: !this.scanClient ? ['s3_'] : keepSignature ? ['s3_', VERDICT] : ['s3_', 'mlsec_scan_'] },
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
      pipeline: { processors: [{ mapping: checkMapping() }, { mapping: metadataMapping() }, ...(this.scanClient ? scanSteps(this.scanClient) : [])] },
      output: {
        switch: {
          cases: [
            { check: 'errored()', output: output(p.quarantine, quarantined(PROMOTE_REJECTED)) },
            ...(this.scanClient ? [
              { check: `@${VERDICT} == "infected" || @${VERDICT} == "suspicious"`, output: output(p.quarantine, quarantined(SCAN_REJECTED), true) },
              // No verdict: nacked, so the object stays in staging and the input replays it.
              { check: `@${VERDICT} != "clean"`, output: { reject: `no scan verdict for \${! @s3_key }: left in staging` } },
            ] : []),
            { output: output(p.raw, '${! @s3_key }') },
          ],
        },
      },
    };
  }
}

/** Where the scan steps keep the object's bytes while the branch maps its result back. */
const STASH = 'mlsec_scan_bytes';

/**
 * The scan of a checked object: a branch, so the object's bytes are sent as they are and only the
 * verdict and signature come back, as metadata. A failed call (after the retries) is caught as no
 * verdict, which the output nacks, never as clean. A branch maps its result back like a
 * `mutation`, which re-serializes a JSON object, so the bytes are stashed before it and put back
 * after it: what reaches raw is exactly what the connector stored and the check hashed.
 */
function scanSteps(client: MalwareScanClientFiles): Record<string, unknown>[] {
  return [
    { mapping: `meta ${STASH} = content()\n` },
    scanBranch(client),
    { mapping: `root = @${STASH}\nmeta ${STASH} = deleted()\n` },
  ];
}

function scanBranch(client: MalwareScanClientFiles): Record<string, unknown> {
  return {
    branch: {
      // An object that failed the hash check is quarantined as such, unscanned.
      request_map: 'root = if errored() { deleted() } else { content() }',
      processors: [
        {
          http: {
            url: client.url,
            verb: 'POST',
            headers: { 'Content-Type': 'application/octet-stream' },
            tls: { enabled: true, root_cas_file: client.caBundle, client_certs: [{ cert_file: client.certificate, key_file: client.privateKey }] },
            timeout: '90s',
            retries: 3,
            retry_period: '2s',
            max_retry_backoff: '30s',
          },
        },
        { catch: [{ log: { level: 'WARN', message: 'scan failed: ${! error() }' } }, { mapping: 'root = {"verdict": "none"}' }] },
      ],
      result_map: [
        `meta ${VERDICT} = this.verdict.catch("none")`,
        `meta ${SIGNATURE} = this.signature.catch("").or("")`,
        '',
      ].join('\n'),
    },
  };
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
