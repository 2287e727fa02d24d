import { Matcher } from './matcher';
import { MatchResult } from './matcher-result';
import { preview } from './plain-data';

/** Matches only a missing key: `null` is a value, so it does not count as absent. */
export class AbsentMatch extends Matcher {
  /** Name of the matcher. */
  public readonly name = 'absent';

  /** Passes only for `undefined` (a missing key). */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    if (actual !== undefined) result.recordFailure({ message: `expected absent, got ${preview(actual)}` });
    return result;
  }
}
