import { Matcher } from './matcher';
import { MatchResult } from './matcher-result';

/** Matches any present value except `null` (as aws-cdk's `anyValue()` does). */
export class AnyMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name = 'anyValue';

  /** Passes for anything but `undefined` and `null`. */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    if (actual === undefined || actual === null) result.recordFailure({ message: `expected any value, got ${String(actual)}` });
    return result;
  }
}
