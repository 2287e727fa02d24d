/**
 * Canonical JSON: object keys sorted (code-unit order), arrays in declared order, two-space
 * indent, trailing newline. Byte-identical for equal data on every machine.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

const NO_ORDER: readonly string[] = [];

/**
 * A deep copy of plain data with every object's keys in sorted order and `undefined` fields
 * dropped; `topLevelOrder` keys come first at the top level. `mapString`, when given, rewrites
 * every string value (not keys) in the same pass, so a document is copied once, not twice.
 */
export function sortKeys(value: unknown, topLevelOrder: readonly string[] = NO_ORDER, mapString?: (s: string) => string): unknown {
  if (typeof value === 'string') return mapString ? mapString(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = sortKeys(value[i], NO_ORDER, mapString);
    return out;
  }
  const source = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units: locale-independent, same as compareCodePoints.
  const keys = Object.keys(source).sort();
  const out: Record<string, unknown> = {};
  for (const k of topLevelOrder) {
    if (source[k] !== undefined) out[k] = sortKeys(source[k], NO_ORDER, mapString);
  }
  for (const k of keys) {
    if (source[k] === undefined || (topLevelOrder.length > 0 && topLevelOrder.includes(k))) continue;
    out[k] = sortKeys(source[k], NO_ORDER, mapString);
  }
  return out;
}

/** Locale-independent ordering, so output does not depend on the machine's ICU data. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
