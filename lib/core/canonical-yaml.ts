import { MlsecError } from './errors';

/** Options of {@link canonicalYaml}. */
export interface CanonicalYamlOptions {
  /**
   * Comment lines written first, each prefixed with `# `.
   * @default none
   */
  readonly header?: string;
  /**
   * Keys written first, in this order, at the top level; all other keys are sorted.
   * @default none
   */
  readonly topLevelOrder?: readonly string[];
  /**
   * Rewrites every string value (not keys) as it is written, e.g. to escape interpolation.
   * @default identity
   */
  readonly mapString?: (value: string) => string;
  /**
   * Receives the 1-based line and column of every map key and list item down to `locationDepth`,
   * keyed by the data path joined with NUL — so a checker can locate findings without re-parsing.
   * @default not recorded
   */
  readonly locations?: Map<string, { line: number; column: number }>;
  /**
   * How deep `locations` records.
   * @default 4
   */
  readonly locationDepth?: number;
}

/**
 * A deterministic YAML emitter for plain data (maps, arrays, strings, finite numbers, booleans,
 * null). Map keys are written sorted (code-unit order) and `undefined` fields dropped, without
 * copying the data first. It emits the subset of YAML that YAML 1.1 readers (PyYAML in docker-compose 1.29) and
 * YAML 1.2 readers (compose v2, the `yaml` package) read as the same values: a string is written
 * plain only when no reader can take it for anything else (`22:22`, `yes`, `0755`, `1e3`, `~`
 * and friends are double-quoted), otherwise as a JSON string, which is valid YAML in both.
 */
export function canonicalYaml(value: unknown, options: CanonicalYamlOptions = {}): string {
  const lines: string[] = [];
  if (options.header) for (const line of options.header.split('\n')) lines.push(`# ${line}`.trimEnd());
  const emitter = new Emitter(lines, options.mapString, options.locations, options.locationDepth ?? 4);
  if (isBlock(value)) emitter.block(value, '', '', options.topLevelOrder ?? [], '', 0);
  else lines.push(emitter.scalar(value));
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
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) if ((value as Record<string, unknown>)[key] !== undefined) return true;
  return false;
}

class Emitter {
  constructor(
    private readonly lines: string[],
    private readonly mapString?: (value: string) => string,
    private readonly locations?: Map<string, { line: number; column: number }>,
    private readonly locationDepth = 4,
  ) {}

  /** Records where the node of data path `key` starts: on the line about to be pushed (plus `lineOffset`), at column `pad.length + 1`. */
  private mark(key: string, depth: number, pad: string, lineOffset = 0): void {
    if (this.locations && depth <= this.locationDepth) this.locations.set(key, { line: this.lines.length + 1 + lineOffset, column: pad.length + 1 });
  }

  /**
   * Emits a non-empty map or list at indentation `pad`; the first line starts with `firstPad`
   * instead (`pad` with "- " in its last two columns when the block is a list item).
   */
  public block(value: Record<string, unknown> | unknown[], pad: string, firstPad: string, order: readonly string[] = [], path = '', depth = 0): void {
    let linePad = firstPad;
    const prefix = depth === 0 ? '' : `${path}\u0000`;
    if (Array.isArray(value)) {
      const inner = pad + '  ';
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        // A list item's node starts after "- " (a nested list: on the next line), as parsers report it.
        if (isBlock(item) && Array.isArray(item)) this.mark(prefix + i, depth + 1, inner, 1);
        else this.mark(prefix + i, depth + 1, linePad + '- ');
        if (isBlock(item) && !Array.isArray(item)) {
          this.block(item, inner, linePad + '- ', [], prefix + i, depth + 1);
        } else if (isBlock(item)) {
          this.lines.push(`${linePad}-`);
          this.block(item, inner, inner, [], prefix + i, depth + 1);
        } else {
          this.lines.push(`${linePad}- ${this.scalar(item)}`);
        }
        linePad = pad;
      }
      return;
    }
    const keys = Object.keys(value).sort();
    const ordered = order.length === 0 ? keys : [...order.filter((k) => k in value), ...keys.filter((k) => !order.includes(k))];
    for (const key of ordered) {
      const item = value[key];
      if (item === undefined) continue;
      const k = key.includes(':') ? JSON.stringify(key) : scalarString(key);
      this.mark(prefix + key, depth + 1, linePad);
      if (isBlock(item)) {
        this.lines.push(`${linePad}${k}:`);
        if (Array.isArray(item)) this.block(item, pad, pad, [], prefix + key, depth + 1);
        else this.block(item, pad + '  ', pad + '  ', [], prefix + key, depth + 1);
      } else {
        this.lines.push(`${linePad}${k}: ${this.scalar(item)}`);
      }
      linePad = pad;
    }
  }

  public scalar(value: unknown): string {
    if (typeof value === 'string') return scalarString(this.mapString ? this.mapString(value) : value);
    if (value === null) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new MlsecError(`cannot write the non-finite number ${value} to YAML`);
      return Object.is(value, -0) ? '0' : String(value);
    }
    if (Array.isArray(value)) return '[]';
    if (typeof value === 'object') return '{}';
    throw new MlsecError(`cannot write a value of type ${typeof value} to YAML`);
  }
}

function scalarString(value: string): string {
  if (PLAIN_SAFE.test(value) && !RESERVED.test(value)) return value;
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udfff]/g, escapeCodeUnit);
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
