import { MlsecError } from './errors';

/**
 * A deterministic YAML emitter for plain data (maps, arrays, strings, finite numbers, booleans,
 * null). It emits the subset of YAML that YAML 1.1 readers (PyYAML in docker-compose 1.29) and
 * YAML 1.2 readers (compose v2, the `yaml` package) read as the same values: a string is written
 * plain only when no reader can take it for anything else (`22:22`, `yes`, `0755`, `1e3`, `~`
 * and friends are double-quoted), otherwise as a JSON string, which is valid YAML in both.
 *
 * Keys are written in the order of the input object: sort them first (see `sortKeys`).
 */
export function canonicalYaml(value: unknown, header?: string): string {
  const lines: string[] = [];
  if (header) for (const line of header.split('\n')) lines.push(`# ${line}`.trimEnd());
  if (isBlock(value)) emitBlock(value, 0, lines);
  else lines.push(scalar(value));
  return lines.join('\n') + '\n';
}

/** A string YAML 1.1 and 1.2 both read as that same string when written plain. */
const PLAIN_SAFE = /^[A-Za-z_/][A-Za-z0-9_./@+=-]*(?::[A-Za-z0-9_./@+=-]+)*$/;
/**
 * Plain-safe strings some reader still resolves to another type: YAML 1.1 booleans and null
 * (case-insensitively, to be safe), and exponent-only floats such as `e0` or `E5` that the `yaml`
 * package's 1.1 schema reads as numbers.
 */
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|[eE][-+]?[0-9]+)$/i;

function isBlock(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

function emitBlock(value: Record<string, unknown> | unknown[], indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isBlock(item) && !Array.isArray(item)) {
        // "- " followed by the map's first key on the same line, the rest aligned under it.
        const nested: string[] = [];
        emitBlock(item, indent + 2, nested);
        nested[0] = `${pad}- ${nested[0].slice(indent + 2)}`;
        lines.push(...nested);
      } else if (isBlock(item)) {
        lines.push(`${pad}-`);
        emitBlock(item, indent + 2, lines);
      } else {
        lines.push(`${pad}- ${scalar(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const k = key.includes(':') ? JSON.stringify(key) : scalarString(key);
    if (isBlock(item)) {
      lines.push(`${pad}${k}:`);
      emitBlock(item, Array.isArray(item) ? indent : indent + 2, lines);
    } else {
      lines.push(`${pad}${k}: ${scalar(item)}`);
    }
  }
}

function scalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MlsecError(`cannot write the non-finite number ${value} to YAML`);
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (typeof value === 'string') return scalarString(value);
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  throw new MlsecError(`cannot write a value of type ${typeof value} to YAML`);
}

function scalarString(value: string): string {
  if (PLAIN_SAFE.test(value) && !RESERVED.test(value)) return value;
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udfff]/g, escapeCodeUnit);
}

function escapeCodeUnit(ch: string, offset: number, whole: string): string {
  const code = ch.charCodeAt(0);
  // A well-formed surrogate pair is a real character: keep it as is.
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = whole.charCodeAt(offset + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return ch;
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const prev = whole.charCodeAt(offset - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) return ch;
  }
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
