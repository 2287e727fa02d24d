/**
 * Prop checks of the Keycloak constructs. Each returns messages naming the prop, what is allowed
 * and what was given (the construct path is added by the validation that reports them).
 */
import { describeValue } from '../core/prop-rules';

/** Realm names: a DNS-label-like word (it appears in every URL of the realm). */
export const REALM_NAME = /^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/;
/** Client ids: lower-case words joined by `-`, `_` or `.` (they become environment variable names too). */
export const CLIENT_ID = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
/** Role and group names. */
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
/** API scope names such as `predict:online` or `inference:churn:v2:invoke`. */
export const SCOPE_NAME = /^[a-z0-9](?:[a-z0-9:._-]{0,126}[a-z0-9])?$/;
/** Audiences: a resource-server name or an https URL without spaces or quotes. */
export const AUDIENCE = /^(?:[a-z0-9](?:[a-z0-9:._-]{0,126}[a-z0-9])?|https:\/\/[a-z0-9.-]+(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~\/-]*)?)$/;
/** ABAC attribute values. */
export const ATTRIBUTE_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,126}[A-Za-z0-9])?$/;
/** Free-text descriptions: one line, no `${` (Keycloak would read it as an import placeholder). */
const DESCRIPTION = /^(?!.*\$\{)[^\n\r]{1,255}$/;

const HOST = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*';
const PORT = '(?::[0-9]{1,5})?';
/** An exact https URL: lower-case host, optional port, a path of safe characters, no query or fragment. */
const EXACT_HTTPS_URL = new RegExp(`^https://${HOST}${PORT}/[A-Za-z0-9._~/-]*$`);
/** An https origin: no path, not even `/`. */
const HTTPS_ORIGIN = new RegExp(`^https://${HOST}${PORT}$`);
/** A base URL: an https origin with an optional path, no trailing `/`. */
const HTTPS_BASE_URL = new RegExp(`^https://${HOST}${PORT}(?:/[A-Za-z0-9._~-]+)*$`);

/** A name matching `pattern`. */
export function checkName(prop: string, value: unknown, pattern: RegExp, allowed: string): string[] {
  return typeof value === 'string' && pattern.test(value) ? [] : [`prop '${prop}' must be ${allowed} (got ${describeValue(value)})`];
}

/** A one-line description. */
export function checkDescription(prop: string, value: unknown): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' && DESCRIPTION.test(value) ? [] : [`prop '${prop}' must be one line of 1 to 255 characters without "\${" (got ${describeValue(value)})`];
}

/** A list of strings (possibly empty when `minimum` is 0), each checked by `each`. */
export function checkList(prop: string, value: unknown, minimum: number, each: (item: unknown) => string | undefined): string[] {
  if (!Array.isArray(value) || value.length < minimum) {
    return [`prop '${prop}' must be a list of at least ${minimum} entr${minimum === 1 ? 'y' : 'ies'} (got ${describeValue(value)})`];
  }
  const out: string[] = [];
  const seen = new Set<unknown>();
  for (const item of value) {
    const problem = each(item);
    if (problem) out.push(`prop '${prop}': ${describeValue(item)} ${problem}`);
    else if (seen.has(item)) out.push(`prop '${prop}': ${describeValue(item)} is listed twice`);
    seen.add(item);
  }
  return out;
}

/** Why a redirect URI is refused, or undefined: Keycloak compares exactly only what has no wildcard. */
export function redirectUriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.includes('*')) return 'has a wildcard; list the exact callback URL (Keycloak treats a trailing * as a prefix match)';
  if (!value.startsWith('https://')) return 'must use https:// (codes must never travel in clear text)';
  if (!EXACT_HTTPS_URL.test(value)) return 'must be an exact https URL: lower-case host, optional port, a path, no query or fragment';
  return undefined;
}

/** Why a web origin is refused, or undefined. */
export function webOriginProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value === '*' || value === '+' || value.includes('*')) return 'must be an exact origin, not a wildcard or "+"';
  if (!HTTPS_ORIGIN.test(value)) return 'must be an https origin (scheme://host[:port]) without a path, not even "/"';
  return undefined;
}

/** Why a base URL (`frontendUrl`) is refused, or undefined. */
export function baseUrlProblem(value: unknown): string | undefined {
  return typeof value === 'string' && HTTPS_BASE_URL.test(value) ? undefined : 'must be an https URL (origin and optional path) without a trailing "/", query or fragment';
}

/** The pattern's words for a check. */
export function matches(pattern: RegExp, allowed: string): (item: unknown) => string | undefined {
  return (item) => (typeof item === 'string' && pattern.test(item) ? undefined : `must be ${allowed}`);
}
