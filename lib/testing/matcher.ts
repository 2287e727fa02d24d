import type { MatchResult } from './matcher-result';

const MATCHER = Symbol.for('mlsec-cdk.Matcher');

/**
 * A pattern that tests a value and reports every mismatch with its path. Extend it for a custom
 * matcher; the built-in ones come from `Match`. Recognised by a brand symbol rather than
 * `instanceof`, so patterns built with another copy of the package still count as matchers.
 */
export abstract class Matcher {
  /** Whether `x` is a matcher (as opposed to a literal value in a pattern). */
  public static isMatcher(x: unknown): x is Matcher {
    return x !== null && typeof x === 'object' && MATCHER in x;
  }

  /** Name of the matcher, e.g. `objectLike`. */
  public abstract readonly name: string;

  /** Brands the instance, so `Matcher.isMatcher()` recognises it. */
  constructor() {
    Object.defineProperty(this, MATCHER, { value: true });
  }

  /** Tests `actual`; the result lists every mismatch (none when it matches). */
  public abstract test(actual: unknown): MatchResult;

  /**
   * How the matcher reads in a failure message, written like the code that built it
   * (e.g. `stringLikeRegexp(/^z[0-9]$/)`). Defaults to the name.
   */
  public describe(): string {
    return `${this.name}()`;
  }
}
