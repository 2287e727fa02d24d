import { Vps } from '../core/vps';
import { SecretSource } from '../secrets/secret-source';
import type { VaultServer } from '../vault/vault-server';
import type { TlsFiles } from '../workload/mounts';
import type { Workload } from '../workload/workload';

/**
 * The client certificate a grantee presents to a data service: short-lived and Vault-issued
 * (rendered by its agent) when the service uses Vault, otherwise its bootstrap TlsIdentity. The
 * CA bundle that verifies the service is a bootstrap file either way (it is public).
 */
export function clientTlsFiles(workload: Workload, vault: VaultServer | undefined): TlsFiles {
  const issued = vault?.enablePki().clientFilesOf(workload);
  return issued
    ? { certificate: issued.certificate, privateKey: issued.privateKey, caBundle: workload.addSecret(SecretSource.caBundle(Vps.of(workload))) }
    : workload.tlsFilesOf(workload.clientTlsIdentity());
}
