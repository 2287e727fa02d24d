import { Vps } from '../../core/vps';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import type { TlsFiles } from '../../workload/mounts';
import type { Workload } from '../../workload/workload';

/**
 * The certificate a Z9 service serves (and, with `server-and-client`, presents to the next hop):
 * Vault-issued, short-lived and renewed by its agent when the platform has Vault, otherwise a
 * bootstrap TlsIdentity. The CA bundle that verifies its peers is a bootstrap file either way
 * (it is public).
 */
export function serverTlsFiles(workload: Workload, vault: VaultServer | undefined, usage: 'server' | 'server-and-client'): TlsFiles {
  if (!vault) return workload.tlsFilesOf(workload.addTlsIdentity({ usage }));
  const issued = vault.enablePki().grantIssue(workload, { usage, ttlHours: 48 });
  return { certificate: issued.certificate, privateKey: issued.privateKey, caBundle: workload.addSecret(SecretSource.caBundle(Vps.of(workload))) };
}
