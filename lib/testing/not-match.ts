import { Matcher } from './matcher';
import { MatchResult } from './matcher-result';
import { preview } from './plain-data';
import { compilePattern } from './structural-match';

/**
 * Matches a present value that the inner pattern does not match. Literal patterns compare
 * exactly, as in aws-cdk. A missing key fails: `not(false)` asserts a value that is not false.
 */
export class NotMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name = 'not';
  private readonly inner: Matcher;

  /** @param pattern what the value must not match (a literal compares exactly). */
  constructor(pattern: unknown) {
    super();
    this.inner = compilePattern(pattern, { name: 'not', partialObjects: false });
  }

  /** Passes for a present value the inner pattern rejects. */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    if (actual === undefined) return result.recordFailure({ message: `expected a value that is ${this.describe()}, got undefined` });
    // The inner result is dropped on purpose: captures inside not() must never fire.
    if (this.inner.test(actual).isSuccess) result.recordFailure({ message: `expected ${this.describe()}, got ${preview(actual)}` });
    return result;
  }

  /** `not(<inner>)`. */
  public describe(): string {
    return `not(${this.inner.describe()})`;
  }
}
