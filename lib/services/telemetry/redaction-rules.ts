/**
 * What the Z9 collector removes from telemetry before it is stored (CONTROLS.md Z9-K01: never
 * `Authorization`, `Cookie`, `Set-Cookie`; redaction for CPF, e-mail and bearer tokens). Plain
 * data, shared by the collector's config and its tests. Every pattern is RE2 (Go's regexp), the
 * engine of the collector's processors.
 */

/**
 * Attribute keys that carry credentials: HTTP headers as OpenTelemetry records them
 * (`http.request.header.authorization`), bare header names, and the usual secret-bearing fields.
 * Matched case-insensitively against the whole key; the prefix may end in `.`, `_` or `-`.
 */
export const CREDENTIAL_KEY_NAMES: readonly string[] = [
  'authorization',
  'proxy[._-]authorization',
  'cookie',
  'set[._-]cookie',
  'x[._-]api[._-]key',
  'api[._-]key',
  'x[._-]auth[._-]token',
  'x[._-]amz[._-]security[._-]token',
  'x[._-]vault[._-]token',
  'password',
  'passwd',
  'secret',
  'client[._-]secret',
  'access[._-]token',
  'refresh[._-]token',
  'id[._-]token',
  'session[._-]token',
];

/** One regular expression over whole keys, for `delete_matching_keys` and `blocked_key_patterns`. */
export const CREDENTIAL_KEY_PATTERN = `(?i)^(.*[._-])?(${CREDENTIAL_KEY_NAMES.join('|')})$`;

/** A value pattern the collector masks wherever it appears (attribute values and log bodies). */
export interface RedactedValue {
  /** What it finds, for docs and tests. */
  readonly name: string;
  /** RE2 pattern. */
  readonly pattern: string;
}

/**
 * Values masked in every attribute and in log bodies (strings, and each string inside map or
 * array bodies). They over-match on purpose: a masked order number costs less than a leaked CPF.
 */
export const REDACTED_VALUES: readonly RedactedValue[] = [
  // Authorization schemes with their credential, wherever a header value was logged as text.
  { name: 'bearer token', pattern: '(?i)bearer\\s+[A-Za-z0-9._~+/=-]+' },
  { name: 'basic credentials', pattern: '(?i)basic\\s+[A-Za-z0-9+/]{8,}=*' },
  // A JWT without its scheme (e.g. a token in a query string or a JSON field).
  { name: 'JWT', pattern: 'eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*' },
  // CPF (Brazilian taxpayer id): 000.000.000-00, or 11 digits standing alone.
  { name: 'CPF', pattern: '\\b[0-9]{3}\\.?[0-9]{3}\\.?[0-9]{3}-?[0-9]{2}\\b' },
  { name: 'e-mail address', pattern: '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}' },
];

/** What the redaction processor replaces masked values with (its fixed mask; 0.161 has no setting for it). */
export const MASK = '****';

/** An OTTL string literal of `value` (backslashes and quotes escaped). */
export function ottlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
