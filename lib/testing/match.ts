import { AbsentMatch } from './absent-match';
import { AnyMatch } from './any-match';
import { Matcher } from './matcher';
import { NotMatch } from './not-match';
import { StringLikeRegexpMatch } from './string-like-regexp-match';
import { ArrayMatch, compilePattern, ObjectMatch } from './structural-match';

/**
 * Factories of the built-in matchers, with the semantics of aws-cdk-lib/assertions so that
 * patterns read the same in both: literal objects nested in `objectLike` match partially, literal
 * arrays anywhere match element by element with the exact length.
 */
export abstract class Match {
  /** Matches only a missing key (`null` is a present value). */
  public static absent(): Matcher {
    return new AbsentMatch();
  }

  /** Matches any present, non-null value. */
  public static anyValue(): Matcher {
    return new AnyMatch();
  }

  /**
   * Matches an object that has at least the pattern's keys, each matching; nested literal objects
   * match the same partial way, nested literal arrays exactly.
   */
  public static objectLike(pattern: { readonly [key: string]: any }): Matcher {
    return new ObjectMatch('objectLike', pattern, { partial: true, label: 'objectLike' });
  }

  /** Matches an object with exactly the pattern's keys, each matching, nested objects exactly too. */
  public static objectEquals(pattern: { readonly [key: string]: any }): Matcher {
    return new ObjectMatch('objectEquals', pattern, { partial: false, label: 'objectEquals' });
  }

  /**
   * Matches an array containing the pattern's elements in that order, other elements allowed in
   * between. As in aws-cdk, literal object elements match exactly: wrap them in `objectLike` for
   * a partial match.
   */
  public static arrayWith(pattern: readonly any[]): Matcher {
    return new ArrayMatch('arrayWith', pattern, { subsequence: true, partialObjects: false, label: 'arrayWith' });
  }

  /** Matches an array of exactly the pattern's elements, in order (object elements exactly). */
  public static arrayEquals(pattern: readonly any[]): Matcher {
    return new ArrayMatch('arrayEquals', pattern, { subsequence: false, partialObjects: false, label: 'arrayEquals' });
  }

  /**
   * Matches a value deeply equal to the pattern: objects at every depth must have exactly the
   * pattern's keys. Matchers nested inside the pattern still apply.
   */
  public static exact(pattern: any): Matcher {
    if (Matcher.isMatcher(pattern)) {
      // As in aws-cdk: exact(anyValue()) is a mistake, not a request for "exactly anyValue()".
      throw new Error(`Match.exact() cannot directly hold another matcher (${pattern.describe()}); pass the matcher alone or nest it in an object or array`);
    }
    return compilePattern(pattern, { name: 'exact', partialObjects: false });
  }

  /** Matches a present value that `pattern` does not match (a literal pattern compares exactly). */
  public static not(pattern: any): Matcher {
    return new NotMatch(pattern);
  }

  /** Matches a string in which the regular expression finds a match (anchor it for a full match). */
  public static stringLikeRegexp(pattern: string | RegExp): Matcher {
    return new StringLikeRegexpMatch(pattern);
  }
}
