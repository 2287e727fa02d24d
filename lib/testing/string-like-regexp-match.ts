import { Matcher } from './matcher';
import { MatchResult } from './matcher-result';
import { preview } from './plain-data';

/** Matches a string in which a regular expression finds a match (anchor it with `^…$` for all of it). */
export class StringLikeRegexpMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name = 'stringLikeRegexp';
  private readonly regexp: RegExp;

  /** @param pattern a regular expression, as source text or a RegExp. */
  constructor(pattern: string | RegExp) {
    super();
    if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) {
      throw new Error(`Match.stringLikeRegexp() expects a string or a RegExp, got ${preview(pattern)}`);
    }
    // Dropping g and y keeps test() stateless: with them, RegExp#test resumes at lastIndex.
    this.regexp = typeof pattern === 'string' ? new RegExp(pattern) : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  }

  /** Passes for a string the regular expression finds a match in. */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    if (typeof actual !== 'string' || !this.regexp.test(actual)) result.recordFailure({ message: `expected a string matching ${this.regexp}, got ${preview(actual)}` });
    return result;
  }

  /** `stringLikeRegexp(/…/)`. */
  public describe(): string {
    return `stringLikeRegexp(${this.regexp})`;
  }
}
