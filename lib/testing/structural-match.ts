import { isDeepStrictEqual } from 'util';
import { Matcher } from './matcher';
import { MatchResult } from './matcher-result';
import { isPlainObject, preview } from './plain-data';

/**
 * Deep structural matching: literals, objects and arrays. The three matchers live in one file
 * because they are one mutually recursive concept (an object's values may be arrays of objects)
 * and splitting them would create an import cycle.
 *
 * Semantics follow aws-cdk-lib/assertions: a literal object nested in a partial pattern matches
 * partially too; a literal array always matches element by element with the exact length (its
 * object elements partially under `objectLike`, exactly otherwise).
 */

/** How literal values nested in a pattern are turned into matchers. */
export interface CompileOptions {
  /** Name given to the matchers made from literals (the name of the enclosing matcher). */
  readonly name: string;
  /** Whether literal objects match partially (extra keys in the actual value allowed). */
  readonly partialObjects: boolean;
}

/** Turns a pattern (a matcher, or literal data possibly holding matchers) into a matcher. */
export function compilePattern(pattern: unknown, options: CompileOptions): Matcher {
  if (Matcher.isMatcher(pattern)) return pattern;
  if (Array.isArray(pattern)) return new ArrayMatch(options.name, pattern, { subsequence: false, partialObjects: options.partialObjects });
  if (isPlainObject(pattern)) return new ObjectMatch(options.name, pattern, { partial: options.partialObjects });
  return new LiteralMatch(options.name, pattern);
}

/** Matches a scalar (string, number, boolean, null) or other non-container value exactly. */
export class LiteralMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name: string;
  private readonly pattern: unknown;

  /** @param pattern the value to equal; never a matcher (compilePattern keeps those). */
  constructor(name: string, pattern: unknown) {
    super();
    this.name = name;
    this.pattern = pattern;
  }

  /** Passes for a value deeply equal to the pattern. */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    // isDeepStrictEqual also covers the odd non-plain values YAML 1.1 yields (dates, binary).
    if (!isDeepStrictEqual(actual, this.pattern)) {
      result.recordFailure({ message: `expected ${preview(this.pattern)}, got ${preview(actual)}` });
    }
    return result;
  }

  /** The literal, as JSON. */
  public describe(): string {
    return preview(this.pattern);
  }
}

/** Options of an {@link ObjectMatch}. */
export interface ObjectMatchOptions {
  /** Whether keys of the actual object that the pattern does not mention are allowed. */
  readonly partial: boolean;
  /** Set when the matcher was built by `Match.<label>()`, so messages show that call. */
  readonly label?: string;
}

/** Matches an object key by key (`objectLike` when partial, `objectEquals` when not). */
export class ObjectMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name: string;
  private readonly pattern: Record<string, unknown>;
  private readonly entries: readonly (readonly [string, Matcher])[];
  private readonly options: ObjectMatchOptions;

  /** @param pattern keys to match; literal values inside are compiled with the same partiality. */
  constructor(name: string, pattern: Record<string, unknown>, options: ObjectMatchOptions) {
    super();
    if (!isPlainObject(pattern)) throw new Error(`Match.${name}() expects a plain object pattern, got ${preview(pattern)}`);
    this.name = name;
    this.pattern = pattern;
    this.options = options;
    // Compiled once, so a malformed nested pattern fails where it is written, not at test time.
    const nested: CompileOptions = { name, partialObjects: options.partial };
    this.entries = Object.entries(pattern).map(([k, v]) => [k, compilePattern(v, nested)] as const);
  }

  /** Passes for an object whose keys match the pattern's (and has no others unless partial). */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    if (!isPlainObject(actual)) {
      return result.recordFailure({ message: `expected an object, got ${preview(actual)}` });
    }
    for (const [key, matcher] of this.entries) {
      const present = Object.prototype.hasOwnProperty.call(actual, key) && actual[key] !== undefined;
      if (present) {
        result.compose(key, matcher.test(actual[key]));
        continue;
      }
      // A missing key passes only matchers that accept "nothing" (absent()); one short line
      // reads better than the inner matcher's complaint about `undefined`.
      const inner = matcher.test(undefined);
      if (inner.hasFailed()) result.recordFailure({ path: [key], message: `missing key, expected ${matcher.describe()}` });
      else result.compose(key, inner);
    }
    if (!this.options.partial) {
      for (const key of Object.keys(actual)) {
        if (!Object.prototype.hasOwnProperty.call(this.pattern, key) && actual[key] !== undefined) {
          result.recordFailure({ path: [key], message: `unexpected key, got ${preview(actual[key])}` });
        }
      }
    }
    return result;
  }

  /** `objectLike({…})` / `arrayWith([…])` when built by `Match`, else the literal. */
  public describe(): string {
    return this.options.label ? `${this.options.label}(${preview(this.pattern)})` : preview(this.pattern);
  }
}

/** Options of an {@link ArrayMatch}. */
export interface ArrayMatchOptions {
  /** Whether the pattern may match a subsequence (in order, gaps allowed) instead of the whole array. */
  readonly subsequence: boolean;
  /** Whether literal object elements match partially. */
  readonly partialObjects: boolean;
  /** Set when the matcher was built by `Match.<label>()`, so messages show that call. */
  readonly label?: string;
}

/** Matches an array element by element (`arrayEquals`, literal arrays) or as a subsequence (`arrayWith`). */
export class ArrayMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name: string;
  private readonly pattern: readonly unknown[];
  private readonly elements: readonly Matcher[];
  private readonly options: ArrayMatchOptions;

  /** @param pattern the elements, in order; `absent()` among them is refused (an element is never absent). */
  constructor(name: string, pattern: readonly unknown[], options: ArrayMatchOptions) {
    super();
    if (!Array.isArray(pattern)) throw new Error(`Match.${name}() expects an array pattern, got ${preview(pattern)}`);
    this.name = name;
    this.pattern = pattern;
    this.options = options;
    const nested: CompileOptions = { name, partialObjects: options.partialObjects };
    this.elements = pattern.map((p) => compilePattern(p, nested));
    const absent = this.elements.find((m) => m.test(undefined).isSuccess);
    if (absent) throw new Error(`${absent.describe()} cannot be an array element: an element is never absent`);
  }

  /** Passes for an array matching the pattern whole, or as a subsequence for `arrayWith`. */
  public test(actual: unknown): MatchResult {
    if (!Array.isArray(actual)) {
      return new MatchResult(actual).recordFailure({ message: `expected an array, got ${preview(actual)}` });
    }
    return this.options.subsequence ? this.testSubsequence(actual) : this.testWhole(actual);
  }

  /** `objectLike({…})` / `arrayWith([…])` when built by `Match`, else the literal. */
  public describe(): string {
    return this.options.label ? `${this.options.label}(${preview(this.pattern)})` : preview(this.pattern);
  }

  private testWhole(actual: readonly unknown[]): MatchResult {
    const result = new MatchResult(actual);
    const expected = this.elements.length;
    if (actual.length !== expected && this.isScalarList(actual)) {
      // For lists of strings (cap_drop, networks, tmpfs) both lists on one line read best.
      return result.recordFailure({ message: `expected ${preview(this.pattern, 2 * 80)}, got ${preview(actual, 2 * 80)}` });
    }
    const common = Math.min(expected, actual.length);
    for (let i = 0; i < common; i++) result.compose(String(i), this.elements[i].test(actual[i]));
    const count = `expected ${expected} element${expected === 1 ? '' : 's'}, got ${actual.length}`;
    if (actual.length > expected) {
      result.recordFailure({ path: [String(expected)], message: `unexpected element ${preview(actual[expected])} (${count})` });
    } else if (actual.length < expected) {
      result.recordFailure({ path: [String(actual.length)], message: `missing element, expected ${this.elements[actual.length].describe()} (${count})` });
    }
    return result;
  }

  /**
   * Greedy in-order search: each pattern element takes the first remaining element it matches.
   * Greedy is exact here because elements are matched independently of one another.
   */
  private testSubsequence(actual: readonly unknown[]): MatchResult {
    const result = new MatchResult(actual);
    let next = 0;
    for (let p = 0; p < this.elements.length; p++) {
      const matcher = this.elements[p];
      const start = next;
      let closest: { index: number; result: MatchResult } | undefined;
      let matchedAt = -1;
      for (; next < actual.length && matchedAt < 0; next++) {
        const inner = matcher.test(actual[next]);
        if (inner.isSuccess) {
          result.compose(String(next), inner); // keeps its captures
          matchedAt = next;
        } else if (!closest || inner.failCount < closest.result.failCount) {
          closest = { index: next, result: inner };
        }
      }
      if (matchedAt >= 0) continue;
      const where = start === 0 ? '' : ` after index ${start - 1}`;
      result.recordFailure({ message: `no element${where} matches ${matcher.describe()} (element ${p} of ${this.describe()}); got ${preview(actual)}` });
      // Showing why the nearest structured element failed pinpoints the typo; for scalars the
      // line above already says it all.
      if (closest && (isPlainObject(actual[closest.index]) || Array.isArray(actual[closest.index]))) {
        result.compose(String(closest.index), closest.result);
      }
      break;
    }
    return result;
  }

  private isScalarList(actual: readonly unknown[]): boolean {
    const scalar = (x: unknown) => x === null || typeof x !== 'object';
    return this.pattern.every((p) => scalar(p)) && actual.every(scalar);
  }
}
