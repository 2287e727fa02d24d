import { sortKeys } from './canonical-json';
import { canonicalYaml } from './canonical-yaml';

/** Line and column (1-based) where a data path starts in a text. */
export interface TextLocation {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** Options of {@link StructuredText.yaml}. */
export interface StructuredYamlOptions {
  /**
   * Comment lines written first.
   * @default none
   */
  readonly header?: string;
  /**
   * Keys written first, in this order, at the top level.
   * @default none (all keys sorted)
   */
  readonly topLevelOrder?: readonly string[];
}

/**
 * A file written from data by one of the canonical writers, together with that data as a reader
 * gets it back and where every key and list item starts. Synth checks such a file (schema
 * verification, posture rules) on this data instead of parsing its own output again; the writers'
 * tests prove, document by document, that parsing the text gives the same data and positions.
 */
export class StructuredText {
  /** Canonical YAML (see {@link canonicalYaml}); keys sorted, undefined fields dropped. */
  public static yaml(value: unknown, options: StructuredYamlOptions = {}): StructuredText {
    const locations = new Map<string, TextLocation>();
    const text = canonicalYaml(value, { ...options, locations, locationDepth: Number.POSITIVE_INFINITY });
    return new StructuredText(text, sortKeys(value, options.topLevelOrder), locations);
  }

  /**
   * Canonical JSON (see {@link canonicalJson}); `topLevelOrder` keys first, for readers.
   */
  public static json(value: unknown, topLevelOrder: readonly string[] = []): StructuredText {
    const text = JSON.stringify(sortKeys(value, topLevelOrder), null, 2) + '\n';
    // JSON.parse is cheap and gives exactly what a reader sees (`undefined` in a list → null).
    const data: unknown = JSON.parse(text);
    return new StructuredText(text, data, jsonLocations(data));
  }

  /** Whether `x` is a StructuredText (also across copies of the library). */
  public static isStructuredText(x: unknown): x is StructuredText {
    return x instanceof StructuredText || (x !== null && typeof x === 'object' && typeof (x as StructuredText).text === 'string' && (x as StructuredText).locations instanceof Map);
  }

  private constructor(
    /** The file's text. */
    public readonly text: string,
    /** The data a parser reads from `text`. */
    public readonly data: unknown,
    /** Where each data path (segments joined with NUL) starts: the key for map entries, the item for list items. */
    public readonly locations: ReadonlyMap<string, TextLocation>,
  ) {}
}

/**
 * Positions in `JSON.stringify(data, null, 2)` without scanning the text: every key and list
 * item starts its own line, indented two spaces per level; empty collections and scalars take
 * one line. Exact for `JSON.stringify(data, null, 2)` (keys in the order `data` has them).
 */
export function jsonLocations(data: unknown): Map<string, TextLocation> {
  const locations = new Map<string, TextLocation>();
  // Returns how many lines `value` takes when it starts on `line` with its members at `indent` + 2.
  const walk = (value: unknown, line: number, indent: number, prefix: string): number => {
    if (value === null || typeof value !== 'object') return 1;
    let next = line + 1;
    if (Array.isArray(value)) {
      if (value.length === 0) return 1;
      for (let i = 0; i < value.length; i++) {
        locations.set(prefix + i, { line: next, column: indent + 3 });
        next += walk(value[i], next, indent + 2, `${prefix}${i}\u0000`);
      }
    } else {
      const entries = Object.keys(value);
      if (entries.length === 0) return 1;
      for (const key of entries) {
        locations.set(prefix + key, { line: next, column: indent + 3 });
        next += walk((value as Record<string, unknown>)[key], next, indent + 2, `${prefix}${key}\u0000`);
      }
    }
    return next - line + 1;
  };
  walk(data, 1, 0, '');
  return locations;
}
