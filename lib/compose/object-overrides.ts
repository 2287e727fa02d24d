import { MlsecError } from '../core/errors';
import { describeValue } from '../core/prop-rules';

/**
 * Raw overrides applied on top of rendered data (the escape hatch for anything not modelled).
 * Paths are dot-separated; a literal dot in a key is written `\.` (e.g. `labels.mlsec\.zone`).
 */
export class ObjectOverrides {
  private readonly entries: { path: string[]; value: unknown }[] = [];

  /** Records an override; `undefined` deletes the key. */
  public add(path: string, value: unknown): void {
    const segments = splitPath(path);
    if (segments.length === 0 || segments.some((s) => s.length === 0 || s === '__proto__' || s === 'constructor' || s === 'prototype')) {
      throw new MlsecError(`override path ${JSON.stringify(path)} must be dot-separated non-empty keys (escape a literal dot as \\.)`);
    }
    this.entries.push({ path: segments, value: clonePlain(value, path) });
  }

  /** Whether any override was recorded. */
  public get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** Applies the overrides in order to `target` (mutated) and returns it. */
  public applyTo<T extends object>(target: T): T {
    for (const { path, value } of this.entries) {
      let node = target as Record<string, unknown>;
      for (const key of path.slice(0, -1)) {
        const next = node[key];
        if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
      const last = path[path.length - 1];
      if (value === undefined) delete node[last];
      else node[last] = clonePlain(value, path.join('.'));
    }
    return target;
  }
}

function splitPath(path: string): string[] {
  if (typeof path !== 'string') return [];
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '\\' && path[i + 1] === '.') {
      current += '.';
      i++;
    } else if (path[i] === '.') {
      out.push(current);
      current = '';
    } else {
      current += path[i];
    }
  }
  out.push(current);
  return out;
}

/** A deep copy of JSON-compatible data; anything else (BigInt, functions, cycles…) is refused. */
function clonePlain(value: unknown, path: string): unknown {
  if (value === undefined) return undefined;
  const seen = new Set<object>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'object' && !seen.has(v) && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      seen.add(v);
      const out: any = Array.isArray(v) ? v.map(copy) : Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, copy(x)]));
      seen.delete(v);
      return out;
    }
    throw new MlsecError(`override value at ${JSON.stringify(path)} must be plain JSON data (strings, finite numbers, booleans, null, arrays, plain objects; no cycles), got ${describeValue(v)}`);
  };
  return copy(value);
}
