import type { TlsFiles } from '../../workload/mounts';

/** What the Loki configuration is made of. */
export interface LokiConfigInput {
  /** HTTPS port (push, query, ready). */
  readonly port: number;
  /** Loopback-only gRPC port of the single binary's internal calls. */
  readonly grpcPort: number;
  /** Its certificate, key and the CA that verifies clients. */
  readonly tls: TlsFiles;
  /** Data directory (a named volume). */
  readonly dataDir: string;
  /** Retention of every stream, in days. */
  readonly retentionDays: number;
  /** Per-tenant ingestion rate, MiB/s. */
  readonly ingestionRateMiB: number;
}

/**
 * Loki's single-binary configuration (YAML object): multi-tenant mode on, HTTPS with required
 * client certificates on the only network listener, the internal gRPC server on the container's
 * loopback, TSDB schema v13 on the filesystem (what native OTLP ingestion needs), retention by the
 * compactor, no usage reporting.
 */
export function lokiConfig(c: LokiConfigInput): Record<string, unknown> {
  const hours = c.retentionDays * 24;
  return {
    // Every request must name its tenant (X-Scope-OrgID): no implicit shared "fake" tenant.
    auth_enabled: true,
    server: {
      http_listen_address: '0.0.0.0',
      http_listen_port: c.port,
      // Only the single binary's own components call it (querier → ingester, worker → frontend):
      // keeping it on the loopback means no plaintext listener on any network.
      grpc_listen_address: '127.0.0.1',
      grpc_listen_port: c.grpcPort,
      http_tls_config: {
        cert_file: c.tls.certificate,
        key_file: c.tls.privateKey,
        client_ca_file: c.tls.caBundle,
        // Identity of the caller is its certificate: the collector writes, Grafana reads.
        client_auth_type: 'RequireAndVerifyClientCert',
      },
      tls_min_version: 'VersionTLS12',
      log_format: 'json',
      log_level: 'info',
      http_server_read_timeout: '30s',
      http_server_write_timeout: '60s',
      grpc_server_max_recv_msg_size: 4 * 1024 * 1024,
    },
    common: {
      path_prefix: c.dataDir,
      replication_factor: 1,
      instance_addr: '127.0.0.1',
      ring: { kvstore: { store: 'inmemory' } },
      storage: { filesystem: { chunks_directory: `${c.dataDir}/chunks`, rules_directory: `${c.dataDir}/rules` } },
    },
    schema_config: {
      configs: [{ from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
    },
    compactor: {
      working_directory: `${c.dataDir}/compactor`,
      retention_enabled: true,
      retention_delete_delay: '2h',
      delete_request_store: 'filesystem',
    },
    limits_config: {
      // CONTROLS.md Z9-K06: audit events are kept 12–24 months.
      retention_period: `${hours}h`,
      // OTLP resource and log attributes that are not index labels become structured metadata.
      allow_structured_metadata: true,
      reject_old_samples: true,
      reject_old_samples_max_age: '168h',
      ingestion_rate_mb: c.ingestionRateMiB,
      ingestion_burst_size_mb: c.ingestionRateMiB * 2,
      max_query_lookback: `${hours}h`,
      max_query_length: '721h',
      max_entries_limit_per_query: 5000,
    },
    // No usage statistics sent to grafana.com: the host has no internet egress for it anyway.
    analytics: { reporting_enabled: false },
  };
}
