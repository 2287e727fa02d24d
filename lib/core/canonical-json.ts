/**
 * Canonical JSON: object keys sorted (code-point order), arrays in declared order, two-space
 * indent, trailing newline. Byte-identical for equal data on every machine.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

/** A deep copy of plain data with every object's keys in sorted order; `undefined` fields dropped. */
export function sortKeys(value: unknown, topLevelOrder: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source).filter((k) => source[k] !== undefined).sort(compareCodePoints);
  const ordered = [...topLevelOrder.filter((k) => keys.includes(k)), ...keys.filter((k) => !topLevelOrder.includes(k))];
  const out: Record<string, unknown> = {};
  for (const k of ordered) out[k] = sortKeys(source[k]);
  return out;
}

/** Locale-independent ordering, so output does not depend on the machine's ICU data. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
