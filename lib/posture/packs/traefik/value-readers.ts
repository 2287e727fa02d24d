/**
 * Tolerant readers for values of hand-written Traefik files: a rule must never throw on a file
 * with null sections, numbers where strings are expected or lists where maps are.
 */

/** Whether a value is a plain (non-array) object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The entries of a map, or none when the value is not one. */
export function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

/** The items of a list, or none when the value is not one. */
export function itemsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string value, or undefined (numbers are not strings here). */
export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Whether a value is boolean true, or the string `true` (Traefik parses file values as text). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** Whether a value is boolean false, or the string `false`. */
export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false');
}

/** A finite number from a number or a numeric string, else undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Whether a map has a key (even with a null value: `docker:` alone enables the Docker provider). */
export function hasKey(value: unknown, key: string): boolean {
  return isRecord(value) && Object.prototype.hasOwnProperty.call(value, key);
}

/**
 * A reference to a file-provider object without its provider suffix: `auth@file` → `auth`,
 * `auth` → `auth`. A reference to another provider (`auth@docker`, `api@internal`) has no
 * file-provider counterpart and yields undefined.
 */
export function fileProviderName(reference: unknown): string | undefined {
  if (typeof reference !== 'string' || reference === '') return undefined;
  const at = reference.lastIndexOf('@');
  if (at < 0) return reference;
  return reference.slice(at + 1) === 'file' ? reference.slice(0, at) : undefined;
}
