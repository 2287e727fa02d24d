import type { TlsFiles } from '../../workload/mounts';
import { fileValue } from './grafana-ini';

/** A data source Grafana reaches over verified TLS, presenting its own certificate. */
export interface TlsDatasource {
  /** Display name and uid stem. */
  readonly name: string;
  /** Grafana plugin type: `loki` or `prometheus`. */
  readonly type: 'loki' | 'prometheus';
  /** Its compose service name (the host name its certificate carries). */
  readonly serviceName: string;
  /** Its HTTPS port. */
  readonly port: number;
  /** The `X-Scope-OrgID` tenant to send (Loki in multi-tenant mode). */
  readonly tenant?: string;
}

/**
 * The data-source provisioning file (YAML object): each source over HTTPS with the platform CA
 * and the server name checked, Grafana's client certificate presented, nothing editable from the
 * UI, and every PEM read from its file at start (`$__file{}`), never written here.
 */
export function datasourceProvisioning(sources: readonly TlsDatasource[], tls: TlsFiles): Record<string, unknown> {
  return {
    apiVersion: 1,
    // Sources removed from the code disappear from Grafana too.
    prune: true,
    datasources: sources.map((s, i) => ({
      name: s.name,
      uid: s.name.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
      type: s.type,
      access: 'proxy',
      url: `https://${s.serviceName}:${s.port}`,
      isDefault: i === 0,
      editable: false,
      jsonData: {
        tlsAuth: true,
        tlsAuthWithCACert: true,
        tlsSkipVerify: false,
        serverName: s.serviceName,
        ...(s.tenant ? { httpHeaderName1: 'X-Scope-OrgID' } : {}),
        timeout: 60,
      },
      secureJsonData: {
        tlsCACert: fileValue(tls.caBundle),
        tlsClientCert: fileValue(tls.certificate),
        tlsClientKey: fileValue(tls.privateKey),
        ...(s.tenant ? { httpHeaderValue1: s.tenant } : {}),
      },
    })),
  };
}
