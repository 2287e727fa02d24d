import { vaultPathMatches } from './vault-path-match';

/** A Vault policy capability. */
export type VaultCapability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny' | 'subscribe' | 'recover';

/** Every capability, in the order policies list them. */
export const VAULT_CAPABILITIES: readonly VaultCapability[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny', 'subscribe', 'recover'];

const WRITE: readonly VaultCapability[] = ['create', 'update', 'patch', 'delete', 'sudo'];

/** Engine administration below any mount: keys, roles, configuration, CA material, KV metadata. */
const ENGINE_ADMIN = ['keys/k', 'roles/r', 'static-roles/r', 'config/c', 'rotate-root/c', 'root/generate/internal', 'intermediate/set-signed', 'sign-verbatim/r', 'root/sign-intermediate', 'root/sign-self-issued', 'metadata/x', 'destroy/x'];

/** Paths an application may never write, one sample per forbidden family, with its rule. */
const ADMIN_SAMPLES: readonly (readonly [string, string])[] = [
  ['sys/mounts/x', 'VLT-16'], ['sys/auth/x', 'VLT-16'], ['sys/policies/acl/x', 'VLT-16'], ['sys/audit/x', 'VLT-16'],
  ['auth/token/create', 'VLT-18'], ['auth/token/create-orphan', 'VLT-18'], ['auth/token/roles/r', 'VLT-18'], ['auth/x/create', 'VLT-18'], ['identity/entity', 'VLT-18'],
  ['transit/keys/k', 'VLT-19'], ['database/roles/r', 'VLT-19'], ['database/config/c', 'VLT-19'], ['pki/root/generate/internal', 'VLT-19'],
  ['pki/intermediate/set-signed', 'VLT-19'], ['pki/sign-verbatim/r', 'VLT-19'], ['kv/metadata/x', 'VLT-19'], ['kv/destroy/x', 'VLT-19'],
];

/**
 * A policy path: segments of letters, digits and `-_.@=:`, a `+` segment (one segment of anything),
 * a `{{identity.entity.id}}`-style template segment, and at most a trailing `*`. No `..`, no
 * empty segment, no leading `/`, nothing that could close the HCL string.
 */
export const VAULT_POLICY_PATH = /^(?!(?:.*\/)?\.{1,2}(?:\/|\*?$))(?:(?:[A-Za-z0-9_.@=:-]+|\+|\{\{identity\.(?:entity|groups)\.[A-Za-z0-9_.]+\}\})\/)*(?:[A-Za-z0-9_.@=:-]+\*?|\+|\*|\{\{identity\.(?:entity|groups)\.[A-Za-z0-9_.]+\}\})$/;

/**
 * Why an application policy may not hold `capabilities` on `path` (RULES.md VLT-14…VLT-19), or
 * undefined. Admin and break-glass policies skip these checks (they are declared with a reason).
 */
export function applicationPolicyProblem(path: string, capabilities: readonly VaultCapability[]): string | undefined {
  const writes = capabilities.some((c) => WRITE.includes(c));
  const first = path.split('/')[0];
  if (path === '*' || first === '+' || first === '*' || first.endsWith('*') || first.startsWith('{{')) return `path '${path}' covers every mount (VLT-14 root glob)`;
  if (capabilities.includes('sudo')) return `'sudo' on '${path}' is for admin or break-glass policies only (VLT-15)`;
  if (first === 'sys' && writes) return `writing '${path}' under sys/ is for admin policies only (VLT-16)`;
  if (/^auth\/token\/create/.test(path) || (first === 'identity' && writes)) return `'${path}' mints tokens or identities (VLT-18)`;
  if (writes && /^[^/]+\/(keys|roles|config|root|intermediate|metadata|destroy|sign-verbatim)(\/|\*|$)/.test(path)) {
    return `writing '${path}' administers an engine (VLT-19)`;
  }
  // Globs and `+` are judged by what they match, not by how they are spelled; engine admin
  // paths are tried under the pattern's own mount too, whatever it is called.
  if (writes) {
    const samples = [...ADMIN_SAMPLES, ...ENGINE_ADMIN.map((rest) => [`${first}/${rest}`, 'VLT-19'] as const)];
    const reached = samples.find(([sample]) => vaultPathMatches(path, sample));
    if (reached) return `writing '${path}' reaches '${reached[0]}' (${reached[1]})`;
  }
  return undefined;
}
