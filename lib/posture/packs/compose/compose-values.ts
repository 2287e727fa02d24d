/**
 * Tolerant readers for compose values. Rules receive arbitrary user files, so every reader
 * treats an unexpected shape (null, a list where a map belongs, a number where a string belongs)
 * as absent instead of throwing.
 */

/** A plain mapping, or undefined for anything else (null, lists, scalars). */
export function asMap(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A list, or undefined. */
export function asList(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** A string, or the text of a finite number (YAML may turn `512` or `0.5` into numbers); else undefined. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Whether a compose flag is on: `true`, or the strings/numbers docker accepts for it. */
export function isTrue(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === 'string' && /^\s*(true|yes|on|1)\s*$/i.test(value);
}

/** Whether a key is a compose extension (`x-…`), which carries no runtime meaning. */
export function isExtensionKey(key: string): boolean {
  return key.startsWith('x-');
}

/** Whether a value is missing: undefined, null or an empty/blank string. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A short printable form of a value for a message: strings quoted, long values cut. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Entries of a compose "list or dict" field (`environment`, `labels`, `sysctls`, `build.args`):
 * `KEY: value` or `- KEY=value`. `value` is undefined for a bare `KEY` (passed through from the
 * host) or a null map value. `at` is the path step of the entry (the key, or the list index).
 */
export function keyValueEntries(value: unknown): { key: string; value: unknown; at: string | number }[] {
  const list = asList(value);
  if (list) {
    const out: { key: string; value: unknown; at: string | number }[] = [];
    list.forEach((item, index) => {
      if (typeof item !== 'string') return;
      const eq = item.indexOf('=');
      out.push(eq < 0 ? { key: item.trim(), value: undefined, at: index } : { key: item.slice(0, eq).trim(), value: item.slice(eq + 1), at: index });
    });
    return out;
  }
  const map = asMap(value);
  if (!map) return [];
  return Object.keys(map).map((key) => ({ key, value: map[key] === null ? undefined : map[key], at: key }));
}

/** Strings of a list field, with their indexes (other items are skipped). */
export function stringItems(value: unknown): { text: string; index: number }[] {
  const list = asList(value) ?? (typeof value === 'string' ? [value] : []);
  const out: { text: string; index: number }[] = [];
  list.forEach((item, index) => {
    if (typeof item === 'string') out.push({ text: item, index });
  });
  return out;
}
