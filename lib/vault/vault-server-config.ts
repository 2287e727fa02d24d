import { HclBody } from './hcl/hcl-body';

/** Inputs of {@link vaultServerConfig}. */
export interface VaultServerConfigInput {
  /** The service's DNS name (api_addr / cluster_addr host). */
  readonly hostname: string;
  /** API port (8200) and cluster port (8201). */
  readonly apiPort: number;
  readonly clusterPort: number;
  /** Container paths of the TLS certificate and key. */
  readonly tlsCertificate: string;
  readonly tlsKey: string;
  /** Raft data directory in the container. */
  readonly dataPath: string;
  /** Container path of the audit log file (on its own volume). */
  readonly auditFile: string;
  /** Caps of lease lifetimes. */
  readonly defaultLeaseTtl: string;
  readonly maxLeaseTtl: string;
}

/**
 * vault.hcl (accepted by Vault and OpenBao): one TLS listener (TLS 1.2+, HSTS), raft storage with
 * https cluster and API addresses, UI off, JSON logs, Prometheus telemetry that needs a token,
 * bounded leases. `disable_mlock = true` because raft keeps its data in files that mlock cannot
 * pin; the compose service sets `memswap_limit` equal to its memory limit so nothing reaches swap
 * (RULES.md VLT-10). Two audit devices, so one failing sink does not block requests: declared
 * here for OpenBao, enabled by the bootstrap for Vault (which has no config stanza for them).
 * OpenBao warns that it ignores `disable_mlock` (it never locks memory).
 */
export function vaultServerConfig(c: VaultServerConfigInput): HclBody {
  return {
    attributes: [
      ['ui', false],
      ['disable_mlock', true],
      ['api_addr', `https://${c.hostname}:${c.apiPort}`],
      ['cluster_addr', `https://${c.hostname}:${c.clusterPort}`],
      ['log_format', 'json'],
      ['log_level', 'info'],
      ['default_lease_ttl', c.defaultLeaseTtl],
      ['max_lease_ttl', c.maxLeaseTtl],
    ],
    blocks: [
      {
        type: 'listener',
        labels: ['tcp'],
        body: {
          attributes: [
            ['address', `0.0.0.0:${c.apiPort}`],
            ['cluster_address', `0.0.0.0:${c.clusterPort}`],
            ['tls_disable', false],
            ['tls_cert_file', c.tlsCertificate],
            ['tls_key_file', c.tlsKey],
            ['tls_min_version', 'tls12'],
            ['tls_cipher_suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305'],
            // Unauthenticated endpoints reveal no addresses, cluster name or version (Vault 1.17+; OpenBao ignores them).
            ['redact_addresses', true],
            ['redact_cluster_name', true],
            ['redact_version', true],
          ],
          blocks: [
            { type: 'telemetry', labels: [], body: { attributes: [['unauthenticated_metrics_access', false]] } },
            { type: 'custom_response_headers', labels: [], body: { attributes: [['default', { 'Strict-Transport-Security': ['max-age=31536000; includeSubDomains'] }]] } },
          ],
        },
      },
      { type: 'storage', labels: ['raft'], body: { attributes: [['path', c.dataPath], ['node_id', c.hostname]] } },
      { type: 'telemetry', labels: [], body: { attributes: [['disable_hostname', true], ['prometheus_retention_time', '30s']] } },
      // Declarative audit devices (OpenBao refuses to enable them through the API; Vault ignores the
      // stanza with a warning and gets the same two devices from the bootstrap).
      auditDevice('file', c.auditFile),
      auditDevice('stdout', 'stdout'),
    ],
  };
}

function auditDevice(name: string, filePath: string) {
  return { type: 'audit', labels: ['file', name], body: { attributes: [['description', `mlsec ${name} audit device`]], blocks: [{ type: 'options', labels: [], body: { attributes: [['file_path', filePath], ['mode', '0600']] } }] } } as const;
}
