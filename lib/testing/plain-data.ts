import { Matcher } from './matcher';

/** Longest preview of a value in a failure message; longer ones end in `…`. */
export const PREVIEW_LENGTH = 80;

/** Whether `x` is a plain `{ … }` object (parsed YAML/JSON maps and object literals in patterns). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The kind of a value in words, for type mismatches: `string`, `array`, `null`, `object` … */
export function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (x instanceof Date) return 'date';
  return typeof x;
}

/**
 * A short, single-line rendering of a value or pattern: JSON for data, the matcher's own
 * description for matchers (so a pattern reads like the code that built it), dates as the
 * YAML 1.1 `!!timestamp` they came from, cut at `max` characters.
 */
export function preview(value: unknown, max: number = PREVIEW_LENGTH): string {
  const text = render(value, 0);
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Depth past which nested data prints as `…`: previews are cut anyway, and cycles must end. */
const MAX_DEPTH = 8;

function render(value: unknown, depth: number): string {
  if (Matcher.isMatcher(value)) return value.describe();
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `!!timestamp ${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()}`;
  if (value instanceof RegExp) return String(value);
  if (typeof value !== 'object') return String(value);
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return `[${value.map((v) => render(v, depth + 1)).join(',')}]`;
  if (!isPlainObject(value)) return `${value.constructor?.name ?? 'object'} ${JSON.stringify(value) ?? ''}`.trim();
  const fields = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${render(v, depth + 1)}`);
  return `{${fields.join(',')}}`;
}
