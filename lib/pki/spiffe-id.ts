/**
 * The SPIFFE ID a workload's client certificate carries as its URI SAN (CONTROLS.md Z8-K06),
 * `spiffe://<vps>/ns/<zone id>/sa/<service>`: the same whether the bootstrap PKI or Vault issues
 * it, so a server can allow-list clients by it.
 */
export function workloadSpiffeId(vpsName: string, zoneId: string | undefined, serviceName: string): string {
  return `spiffe://${vpsName}/ns/${zoneId ?? 'shared'}/sa/${serviceName}`;
}
