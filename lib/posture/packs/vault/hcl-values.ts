import type { DocumentPath } from '../../source-document';

/** A block of an hcl2json-shaped document with the data path it sits at. */
export interface Block {
  /** The block body. */
  readonly data: Record<string, any>;
  /** Its data path, e.g. `['listener', 'tcp', 0]`. */
  readonly path: DocumentPath;
}

/** A block under a label, e.g. `storage "raft" { … }` → label `raft`. */
export interface LabelledBlock extends Block {
  /** The label (listener, storage or seal type). */
  readonly label: string;
}

/** Whether a value is a plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The bodies of a block that may repeat: hcl2json gives an array of bodies (`[ {…}, {…} ]`);
 * data built by hand may give one body. Anything else is no block.
 */
export function blocksOf(value: unknown, path: DocumentPath): Block[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => (isObject(item) ? [{ data: item, path: [...path, i] }] : []));
  return isObject(value) ? [{ data: value, path }] : [];
}

/**
 * Labelled blocks such as `listener "tcp" {…}` (`{ tcp: [ {…} ] }`), also in Vault's JSON form
 * (`[ { "tcp": {…} } ]` or `[ { "type": "tcp", … } ]`).
 */
export function labelledBlocks(value: unknown, path: DocumentPath): LabelledBlock[] {
  if (isObject(value)) {
    return Object.entries(value).flatMap(([label, body]) => blocksOf(body, [...path, label]).map((b) => ({ ...b, label })));
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i): LabelledBlock[] => {
    if (!isObject(item)) return [];
    if (typeof item.type === 'string') return [{ data: item, path: [...path, i], label: item.type }];
    const keys = Object.keys(item);
    if (keys.length === 1 && isObject(item[keys[0]])) return [{ data: item[keys[0]], path: [...path, i, keys[0]], label: keys[0] }];
    return [];
  });
}

/**
 * A boolean as Vault reads it (`parseutil.ParseBool`, a weak decode): `true`, a non-zero number,
 * or one of the strings `1 t T TRUE true True` is true; `false`, `0` and `0 f F FALSE false False`
 * are false; anything else (absent, unparseable) is undefined.
 */
export function vaultBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value !== 0;
  if (typeof value !== 'string') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value.trim())) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(value.trim())) return false;
  return undefined;
}

/** A list of strings written as a list or as one comma-separated string; other entries dropped. */
export function stringList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== '');
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A duration in seconds as Vault reads it (`parseutil.ParseDurationSecond`): a number or a numeric
 * string is seconds; otherwise a Go duration (`768h`, `1h30m`) with `d` for days also accepted.
 * Undefined when unparseable.
 */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]];
  return total;
}

/** `3600` → `1h`, `90` → `90s`, `172800` → `48h`, for messages. */
export function formatSeconds(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A value for a message: strings as-is, everything else as JSON. */
export function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}
