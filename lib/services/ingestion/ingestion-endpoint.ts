import { Construct } from 'constructs';
import { checkPattern, collect, describeValue } from '../../core/prop-rules';
import { CLIENT_CERT_INFO_STATEMENTS, CLIENT_CN, CLIENT_CN_EXPRESSION } from '../../gateway/client-cert-info';
import { Zone } from '../../workload/zone';
import { BENTHOS_METRICS_PORT, BenthosService, BenthosServiceProps } from '../benthos/benthos-service';
import type { MinioBucket } from '../minio/minio-bucket';
import { contractMapping, contractProblems, IngestionContract } from './ingestion-contract';

/** Props of an {@link IngestionEndpoint}. */
export interface IngestionEndpointProps extends BenthosServiceProps {
  /** The source's name: lower-case letters, digits and "-"; the endpoint path is `/ingest/<source>`. */
  readonly source: string;
  /** The records' data contract. */
  readonly contract: IngestionContract;
  /** Where accepted records are written (under `<source>/`): the staging bucket. */
  readonly staging: MinioBucket;
  /** Where records that break the contract are written (under `<source>/`). */
  readonly quarantine: MinioBucket;
  /**
   * Who may send this source: the CN of each sender's client certificate, as the gateway forwards
   * it (`X-Forwarded-Tls-Client-Cert-Info`, from a `RouteAuth.mtls` route). Anyone else, or a
   * request without the header, gets 403 and nothing is written (CONTROLS.md Z1-K06).
   */
  readonly senders: readonly string[];
}

/** The HTTPS port the endpoint listens on. */
export const INGESTION_PORT = 8443;
const SOURCE = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** The one object-metadata field a connector stores: the SHA-256 (hex) of the body as written. */
export const CONTENT_SHA256_METADATA = 'content_sha256';
/**
 * Runs on every admitted record, accepted or not: the output stores all of a message's metadata
 * with the object, so what is left of it (the sender check already dropped the request headers)
 * goes and only the hash of the final bytes stays, for the promote job to check (CONTROLS.md
 * Z2-K08). A `mapping`, not a `mutation`: a mutation re-serializes JSON (sorted keys), which would
 * change a quarantined body; a mapping that assigns no `root` keeps the bytes and the error flag.
 */
const HASH_MAPPING = `let sum = content().hash("sha256").encode("hex")\nmeta = deleted()\nmeta ${CONTENT_SHA256_METADATA} = $sum\n`;
/** The Z1-K13 reason of a request from a sender the source does not admit. */
const UNAUTHORIZED = 'UNAUTHORIZED_CLIENT';
/** Marks a message whose sender is not admitted (metadata, set by the sender check). */
const IS_UNAUTHORIZED = `@reason == "${UNAUTHORIZED}"`;
/** The answer to a sender the source does not admit: generic, nothing about who is admitted. */
const REFUSAL = `root = {"error": "forbidden"}\nmeta = deleted()\nmeta http_status = "403"\nmeta reason = "${UNAUTHORIZED}"\n`;

/**
 * A Z1 ingestion connector for one source (CONTROLS.md Z1-K10, Z1-K11): an HTTPS endpoint
 * `POST /ingest/<source>` that checks each JSON record against the source's contract, keeps only
 * the contract's fields, and writes accepted records to `staging/<source>/` and rejected ones,
 * unchanged, to `quarantine/<source>/` — with write-only grants on exactly those prefixes (no
 * read, no delete, never `raw/`). Each object carries one metadata field, `content_sha256`, the
 * SHA-256 of its body, which the {@link StagingPromoter} checks before raw. Expose it through the
 * gateway (the Z1 door), which authenticates the sender's client certificate and adds limits and
 * the body-size cap; the endpoint then admits only the source's `senders` (by the certificate's
 * CN the gateway forwards) and answers anyone else 403, writing nothing. It counts every record in
 * `ingest_records_total{source,result,reason}` (accepted, or rejected with reason
 * UNAUTHORIZED_CLIENT or INVALID_SCHEMA), served over HTTPS on {@link BENTHOS_METRICS_PORT} for
 * Z9 to scrape (`Z9Observability.scrape`).
 */
export class IngestionEndpoint extends BenthosService {
  /** The source. */
  public readonly source: string;
  /** The path it serves. */
  public readonly path: string;
  private readonly endpointProps: IngestionEndpointProps;

  /** `ingest_records_total{source,result,reason}`. */
  public override get providedMetrics(): readonly string[] {
    return ['ingest_records_total{source,result,reason}'];
  }

  constructor(scope: Construct, id: string, props: IngestionEndpointProps) {
    const p = props ?? ({} as IngestionEndpointProps);
    super(scope, id, p, { zone: Zone.Z1_INGESTION, ports: [INGESTION_PORT], tlsUsage: 'server', metrics: true });
    // The image is FROM scratch: no shell or client to probe with.
    this.noHealthCheck('the Benthos image is built FROM scratch (no shell or HTTP client to probe with); the gateway answers 502 while it is down');
    this.endpointProps = p;
    this.source = p.source;
    this.path = `/ingest/${p.source}`;
    p.staging?.grantWrite(this, { prefix: `${p.source}/` });
    p.quarantine?.grantWrite(this, { prefix: `${p.source}/` });
    this.node.addValidation({
      validate: () => [
        ...collect(checkPattern('source', p.source, SOURCE, 'lower-case letters, digits and "-", starting with a letter'), p.staging ? undefined : "prop 'staging' is required (a MinioBucket)", p.quarantine ? undefined : "prop 'quarantine' is required (a MinioBucket)"),
        ...contractProblems(p.contract),
        ...(p.staging && p.quarantine && p.staging === p.quarantine ? ["prop 'quarantine' must be another bucket than 'staging'"] : []),
        ...sendersProblems(p.senders),
      ],
    });
  }

  protected renderConfig(): Record<string, unknown> {
    const p = this.endpointProps;
    const tls = this.tls;
    const s3 = (bucket: MinioBucket) => ({
      aws_s3: {
        bucket: bucket.bucketName,
        // One object per record; the date partitions the prefix, the UUID keeps writes idempotent-free of clashes.
        path: `${p.source}/\${! now().ts_format("2006-01-02") }/\${! uuid_v4() }.json`,
        content_type: 'application/json',
        endpoint: '${AWS_ENDPOINT_URL}',
        region: '${AWS_REGION}',
        force_path_style_urls: true,
        // Stores all the message's metadata, which the last processor reduced to the hash alone.
        metadata: { exclude_prefixes: [] },
        credentials: { profile: 'default' },
        max_in_flight: 16,
        timeout: '10s',
      },
    });
    return {
      input: {
        http_server: {
          address: `0.0.0.0:${INGESTION_PORT}`,
          path: this.path,
          ws_path: '',
          allowed_verbs: ['POST'],
          timeout: '10s',
          cert_file: tls.certificate,
          key_file: tls.privateKey,
          // A refused sender's answer is the refusal message (403); the others get 200 once written.
          sync_response: { status: '${! meta("http_status").or("200") }', headers: { 'Content-Type': 'application/json' } },
        },
      },
      pipeline: {
        processors: [
          { mapping: senderCheck(p.senders) },
          {
            switch: [
              { check: IS_UNAUTHORIZED, processors: [{ mapping: REFUSAL }] },
              { processors: [{ mapping: contractMapping(p.contract) }, { mapping: HASH_MAPPING }] },
            ],
          },
          // What the Z1 alert rules read (reject ratio, unauthorized senders per source): one count per record.
          {
            metric: {
              type: 'counter', name: 'ingest_records_total',
              labels: {
                source: p.source,
                result: `\${! if errored() || ${IS_UNAUTHORIZED} { "rejected" } else { "accepted" } }`,
                reason: `\${! if ${IS_UNAUTHORIZED} { "${UNAUTHORIZED}" } else if errored() { "INVALID_SCHEMA" } else { "" } }`,
              },
            },
          },
        ],
      },
      output: {
        switch: {
          cases: [
            // Nothing of a refused sender's is stored, not even in quarantine.
            { check: IS_UNAUTHORIZED, output: { sync_response: {} } },
            { check: 'errored()', output: s3(p.quarantine) },
            { output: s3(p.staging) },
          ],
        },
      },
    };
  }
}

/**
 * Reads the forwarded certificate's CN, then drops every request header from the metadata (so no
 * header can pose as `reason`) and sets `@reason` to UNAUTHORIZED_CLIENT unless the CN is one of
 * `senders`: no header, a malformed one or another CN all count as unauthorized.
 */
function senderCheck(senders: readonly string[]): string {
  return [
    ...CLIENT_CERT_INFO_STATEMENTS,
    `let cn = ${CLIENT_CN_EXPRESSION}`,
    'meta = deleted()',
    `meta reason = if $cn != "" && ${JSON.stringify([...(senders ?? [])].sort())}.contains($cn) { "" } else { "${UNAUTHORIZED}" }`,
    '',
  ].join('\n');
}

function sendersProblems(senders: readonly string[] | undefined): string[] {
  if (!Array.isArray(senders) || senders.length === 0) {
    return [`prop 'senders' must list at least one sender: the CN of a client certificate the gateway verifies (got ${describeValue(senders)})`];
  }
  const bad = senders.filter((s) => typeof s !== 'string' || !CLIENT_CN.test(s));
  return bad.length === 0 ? [] : [`prop 'senders' must hold certificate CNs: a letter or digit, then letters, digits, ".", "_" or "-", at most 64 (got ${bad.map((b) => describeValue(b)).join(', ')})`];
}
