/** A Vault policy capability. */
export type VaultCapability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny' | 'subscribe' | 'recover';

/** Every capability, in the order policies list them. */
export const VAULT_CAPABILITIES: readonly VaultCapability[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny', 'subscribe', 'recover'];

const WRITE: readonly VaultCapability[] = ['create', 'update', 'patch', 'delete', 'sudo'];

/**
 * A policy path: segments of letters, digits and `-_.@=:`, a `+` segment (one segment of anything),
 * a `{{identity.entity.id}}`-style template segment, and at most a trailing `*`. No `..`, no
 * empty segment, no leading `/`, nothing that could close the HCL string.
 */
export const VAULT_POLICY_PATH = /^(?:(?:[A-Za-z0-9_.@=:-]+|\+|\{\{identity\.(?:entity|groups)\.[A-Za-z0-9_.]+\}\})\/)*(?:[A-Za-z0-9_.@=:-]+\*?|\+|\*|\{\{identity\.(?:entity|groups)\.[A-Za-z0-9_.]+\}\})$/;

/**
 * Why an application policy may not hold `capabilities` on `path` (RULES.md VLT-14…VLT-19), or
 * undefined. Admin and break-glass policies skip these checks (they are declared with a reason).
 */
export function applicationPolicyProblem(path: string, capabilities: readonly VaultCapability[]): string | undefined {
  const writes = capabilities.some((c) => WRITE.includes(c));
  const first = path.split('/')[0];
  if (path === '*' || first === '+' || first === '*' || first.endsWith('*')) return `path '${path}' covers every mount (VLT-14 root glob)`;
  if (capabilities.includes('sudo')) return `'sudo' on '${path}' is for admin or break-glass policies only (VLT-15)`;
  if (first === 'sys' && writes) return `writing '${path}' under sys/ is for admin policies only (VLT-16)`;
  if (/^auth\/token\/create/.test(path) || (first === 'identity' && writes)) return `'${path}' mints tokens or identities (VLT-18)`;
  if (writes && /^[^/]+\/(keys|roles|config|root|intermediate|metadata|destroy|sign-verbatim)(\/|\*|$)/.test(path)) {
    return `writing '${path}' administers an engine (VLT-19)`;
  }
  return undefined;
}
