import type { ServiceNode } from '../../service-graph';

/**
 * What a service is, for the zone invariants: its declared `x-mlsec.role` first, then the image
 * it runs (for files written by hand). Image matching is by repository name, never by tag.
 */
export class ServiceRoles {
  /** The edge proxy: the one service allowed to publish host ports and join the edge network. */
  public static isEdgeGateway(s: ServiceNode): boolean {
    return s.role !== undefined ? s.role === 'edge-gateway' : /(^|\/)(traefik|nginx|caddy|haproxy|envoy)$/.test(repository(s));
  }

  /** The LLM gateway: the one service allowed to reach external LLM providers. */
  public static isLlmGateway(s: ServiceNode): boolean {
    return s.role === 'llm-gateway' || s.role === 'egress-proxy';
  }

  /** A data store of zones Z2/Z3/Z8 that the edge must never reach. */
  public static isDataStore(s: ServiceNode): boolean {
    if (s.role !== undefined) return s.role === 'data-store';
    return /(^|\/)(postgres|postgresql|redis|valkey|minio|kes|mysql|mariadb|mongo|vault|openbao)$/.test(repository(s));
  }
}

/** The image repository without registry port, tag or digest, lower case. */
export function repository(s: ServiceNode): string {
  const image = typeof s.data?.image === 'string' ? s.data.image.toLowerCase() : '';
  const withoutDigest = image.split('@')[0];
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}
