/**
 * Telling a secret from a reference to one. A realm file may carry these instead of a value
 * (the whole value must be one of them):
 *
 * - `${vault.<key>}`: Keycloak's vault SPI, resolved at runtime (e.g. from Vault-rendered files);
 * - `${<NAME>}` or `${<NAME>:}`: environment placeholders Keycloak resolves when it imports the
 *   realm (`--import-realm`; measured on 26.7.3). `${env.<NAME>}` is NOT one: Keycloak imports it
 *   as the literal text, which then is the (publicly known) secret;
 * - `$(env:<NAME>)`, `$(file:<path>)`: keycloak-config-cli substitutions;
 * - `**********` (only asterisks): the mask Keycloak writes in exports instead of a secret;
 * - an empty or blank string, `null`: no secret at all.
 *
 * `${NAME:default}` with a non-empty default is NOT a placeholder: the default is a literal secret
 * written in the file.
 */

const PLACEHOLDERS: readonly RegExp[] = [
  /^\$\{vault\.[^{}\s]+\}$/,
  /^\$\{(?!env\.)[A-Za-z_][\w.-]*:?\}$/,
  /^\$\((?:env|file):[^()\s]+\)$/,
  /^\*+$/,
];

/** Whether the value is a literal secret: a non-blank string (or number) that is not a placeholder. */
export function isPlaintextSecret(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') return true;
  if (typeof value !== 'string') return false;
  const trimmed = value.trim();
  if (trimmed === '') return false;
  return !PLACEHOLDERS.some((pattern) => pattern.test(trimmed));
}
