import type { TlsFiles } from '../../workload/mounts';
import { CREDENTIAL_KEY_PATTERN, ottlString, REDACTED_VALUES } from './redaction-rules';

/** What the collector's configuration is made of. */
export interface OtelCollectorConfigInput {
  /** OTLP/gRPC port. */
  readonly grpcPort: number;
  /** OTLP/HTTP port. */
  readonly httpPort: number;
  /** Its certificate and key (served to senders, presented to Loki) and the platform CA. */
  readonly tls: TlsFiles;
  /** Loki's OTLP logs endpoint, `https://<loki>:3100/otlp/v1/logs`. */
  readonly lokiLogsEndpoint: string;
  /** The Loki tenant logs are written as. */
  readonly tenant: string;
  /** The container's memory limit, MiB (the memory limiter keeps below it). */
  readonly memoryMiB: number;
  /** Largest accepted request, MiB. */
  readonly maxRequestMiB: number;
}

/** The processors of the logs pipeline, in order. */
export const LOG_PROCESSORS = ['memory_limiter', 'transform/drop-credentials', 'redaction/pii', 'batch'] as const;

/**
 * The OpenTelemetry Collector configuration (YAML object) of the Z9 collector: OTLP in over mTLS;
 * credentials dropped by key at every level (resource, scope, record, top-level body map), then
 * CPF, e-mail and bearer/JWT values masked everywhere, nested keys too (Z9-K01); memory limit and
 * batching; logs out to Loki's native OTLP endpoint over mTLS as the platform tenant.
 */
export function otelCollectorConfig(c: OtelCollectorConfigInput): Record<string, unknown> {
  const serverTls = {
    cert_file: c.tls.certificate,
    key_file: c.tls.privateKey,
    // A sender without a certificate of the platform CA is refused in the handshake.
    client_ca_file: c.tls.caBundle,
    min_version: '1.2',
    // Vault renews the certificate every day or two: pick up the new files without a restart.
    reload_interval: '1h',
  };
  const dropKeys = `delete_matching_keys(attributes, ${ottlString(CREDENTIAL_KEY_PATTERN)})`;
  return {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${c.grpcPort}`, tls: serverTls, max_recv_msg_size_mib: c.maxRequestMiB },
          http: { endpoint: `0.0.0.0:${c.httpPort}`, tls: serverTls, max_request_body_size: c.maxRequestMiB * 1024 * 1024, include_metadata: false },
        },
      },
    },
    processors: {
      // First, so a flood is refused (senders retry) before it costs memory further down.
      memory_limiter: { check_interval: '1s', limit_mib: Math.floor(c.memoryMiB * 0.8), spike_limit_mib: Math.floor(c.memoryMiB * 0.2) },
      'transform/drop-credentials': {
        // A statement that fails drops the batch rather than letting it through unredacted.
        error_mode: 'propagate',
        log_statements: [
          { context: 'resource', statements: [dropKeys] },
          { context: 'scope', statements: [dropKeys] },
          { context: 'log', statements: [dropKeys, `delete_matching_keys(body, ${ottlString(CREDENTIAL_KEY_PATTERN)}) where IsMap(body)`] },
        ],
      },
      'redaction/pii': {
        // Keys are not filtered here (the transform removed the credential ones): values are.
        allow_all_keys: true,
        // Credential keys nested inside map bodies or attributes are masked whole.
        blocked_key_patterns: [CREDENTIAL_KEY_PATTERN],
        blocked_values: REDACTED_VALUES.map((v) => v.pattern),
        redact_all_types: true,
        // Counts of masked values on each record (evidence for the DLP probe), never the key names.
        summary: 'info',
      },
      batch: { send_batch_size: 1024, send_batch_max_size: 2048, timeout: '2s' },
    },
    exporters: {
      'otlphttp/loki': {
        logs_endpoint: c.lokiLogsEndpoint,
        headers: { 'X-Scope-OrgID': c.tenant },
        tls: { ca_file: c.tls.caBundle, cert_file: c.tls.certificate, key_file: c.tls.privateKey, min_version: '1.2', reload_interval: '1h' },
        compression: 'gzip',
        timeout: '10s',
        retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '10m' },
        sending_queue: { enabled: true, num_consumers: 2, queue_size: 1000 },
      },
    },
    service: {
      pipelines: {
        logs: { receivers: ['otlp'], processors: [...LOG_PROCESSORS], exporters: ['otlphttp/loki'] },
      },
      telemetry: {
        logs: { level: 'info', encoding: 'json' },
        // Its own metrics endpoint would be a plain-HTTP listener: off until it is scraped over TLS.
        metrics: { level: 'none' },
      },
    },
  };
}
