/**
 * Keycloak's `passwordPolicy` string: policies joined by ` and `, each `name` or `name(value)`,
 * e.g. `length(12) and notUsername(undefined) and passwordHistory(3) and hashIterations(27500)`.
 */

/** The policies of a `passwordPolicy` string, by name (value `''` for a policy without one). */
export function parsePasswordPolicy(policy: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const part of policy.split(/\s+and\s+/i)) {
    const match = /^\s*([A-Za-z][\w.-]*)\s*(?:\((.*)\))?\s*$/s.exec(part);
    if (match) out.set(match[1], (match[2] ?? '').trim());
  }
  return out;
}

/**
 * Minimum PBKDF2 iterations per hashing algorithm (OWASP Password Storage Cheat Sheet). Argon2 has
 * no iteration minimum here: it is memory-hard and is what we prefer.
 */
export const PBKDF2_MIN_ITERATIONS: Readonly<Record<string, number>> = {
  'pbkdf2-sha512': 210_000,
  'pbkdf2-sha256': 600_000,
  'pbkdf2': 1_300_000,
};

/**
 * The iteration minimum for a `hashAlgorithm` value, or undefined when iterations are not judged
 * (argon2, unknown providers). Without `hashAlgorithm`, Keycloak's default depends on its version,
 * so the lowest PBKDF2 minimum applies: an explicit `hashIterations` only makes sense for PBKDF2.
 */
export function minimumIterations(algorithm: string | undefined): number | undefined {
  if (algorithm === undefined || algorithm === '') return PBKDF2_MIN_ITERATIONS['pbkdf2-sha512'];
  const name = algorithm.toLowerCase();
  if (name.includes('argon2')) return undefined;
  return PBKDF2_MIN_ITERATIONS[name] ?? (name.startsWith('pbkdf2') ? PBKDF2_MIN_ITERATIONS.pbkdf2 : undefined);
}
