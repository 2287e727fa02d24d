import { MlsecError } from '../../core/errors';

/** A value of an HCL attribute. */
export type HclValue = string | number | boolean | readonly HclValue[] | { readonly [key: string]: HclValue };

/** A block: `type "label" … { body }`. */
export interface HclBlock {
  /** Block type, an identifier (`path`, `listener`, `storage`). */
  readonly type: string;
  /** Labels, each written as a quoted string. */
  readonly labels: readonly string[];
  /** The block's body. */
  readonly body: HclBody;
}

/** A body: attributes first (in the given order), then blocks. */
export interface HclBody {
  /** `name = value` pairs. */
  readonly attributes?: readonly (readonly [string, HclValue])[];
  /** Nested blocks. */
  readonly blocks?: readonly HclBlock[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** HCL 2 keywords that cannot stand as a bare object key. */
const KEYWORDS = new Set(['for', 'in', 'if', 'true', 'false', 'null']);

/**
 * An HCL string literal that HCL 1 (what Vault and OpenBao read policies and configs with) and
 * HCL 2 (HashiCorp's hcl2json, what the tests check with) read back identically. Escapes `\`,
 * `"` and control characters. A template introducer `${` or `%{` is refused rather than escaped:
 * HCL 2 escapes it as `$${`, which HCL 1 reads literally, and HCL 1 scans `${` for a closing brace
 * across lines, swallowing what follows. Lone surrogates are refused (they cannot be encoded).
 */
export function hclString(value: string): string {
  if (/[$%]\{/.test(value)) throw new MlsecError(`HCL: ${JSON.stringify(value.slice(0, 60))} holds "\${" or "%{", which HCL 1 and HCL 2 read differently; it is never written`);
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) throw new MlsecError(`HCL: ${JSON.stringify(value.slice(0, 60))} holds an unpaired surrogate`);
  let out = '"';
  for (const c of value) {
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out + '"';
}

function value(v: HclValue, indent: string): string {
  if (typeof v === 'string') return hclString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new MlsecError(`HCL: cannot write the number ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${(v as HclValue[]).map((x) => value(x, indent)).join(', ')}]`;
  const entries = Object.entries(v as Record<string, HclValue>);
  if (entries.length === 0) return '{}';
  const inner = indent + '  ';
  return `{\n${entries.map(([k, x]) => `${inner}${IDENTIFIER.test(k) && !KEYWORDS.has(k) ? k : hclString(k)} = ${value(x, inner)}`).join('\n')}\n${indent}}`;
}

function body(b: HclBody, indent: string, out: string[]): void {
  const attributes = b.attributes ?? [];
  for (const [name, v] of attributes) {
    if (!IDENTIFIER.test(name)) throw new MlsecError(`HCL: attribute name ${JSON.stringify(name)} is not an identifier`);
    out.push(`${indent}${name} = ${value(v, indent)}`);
  }
  (b.blocks ?? []).forEach((block, i) => {
    if (!IDENTIFIER.test(block.type)) throw new MlsecError(`HCL: block type ${JSON.stringify(block.type)} is not an identifier`);
    if (i > 0 || attributes.length > 0) out.push('');
    const head = [block.type, ...block.labels.map(hclString)].join(' ');
    const inner: string[] = [];
    body(block.body, indent + '  ', inner);
    out.push(inner.length === 0 ? `${indent}${head} {}` : `${indent}${head} {`, ...inner, ...(inner.length === 0 ? [] : [`${indent}}`]));
  });
}

/** The text of an HCL file (with a `#` header comment per line of `header`). */
export function renderHcl(b: HclBody, header: readonly string[] = []): string {
  const out = header.map((h) => `# ${h.replace(/[\r\n]+/g, ' ')}`);
  body(b, '', out);
  return out.join('\n') + '\n';
}

/**
 * The same body in the shape HashiCorp's hcl2json (`@cdktf/hcl2json`) gives: attributes as
 * values, blocks nested by type then labels, the innermost an array of bodies. Synth hands it to
 * the posture rules; tests check it equals the parse of `renderHcl`.
 */
export function hclData(b: HclBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of b.attributes ?? []) put(out, name, v);
  for (const block of b.blocks ?? []) {
    let level: Record<string, unknown> = out;
    const keys = [block.type, ...block.labels];
    for (const key of keys.slice(0, -1)) {
      if (own(level, key) === undefined) put(level, key, {});
      level = own(level, key) as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (own(level, last) === undefined) put(level, last, []);
    (own(level, last) as unknown[]).push(hclData(block.body));
  }
  return out;
}

/** An own property only: labels such as `constructor` or `__proto__` are data, not the prototype's. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function put(o: Record<string, unknown>, key: string, v: unknown): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}
