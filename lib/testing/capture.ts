import { Matcher } from './matcher';
import { ICaptureSink, MatchResult } from './matcher-result';
import { kindOf, preview } from './plain-data';
import { compilePattern } from './structural-match';

/**
 * A matcher that records the value it matched, to assert on it afterwards (as in
 * aws-cdk-lib/assertions). Values are recorded only when the whole assertion succeeds; when it
 * matched several times (several services, several array elements), `next()` walks through them
 * in order.
 *
 * ```ts
 * const user = new Capture();
 * compose.hasService('api', { user });
 * expect(user.asString()).toBe('10001:10001');
 * ```
 */
export class Capture extends Matcher implements ICaptureSink {
  /** Name of the matcher. */
  public readonly name = 'Capture';
  private readonly inner?: Matcher;
  private readonly captured: unknown[] = [];
  private index = 0;

  /**
   * @param pattern what a value must match to be captured: a matcher, or a literal (an object
   *   matches like `Match.objectLike`, anything else exactly).
   * @default any non-null value
   */
  constructor(pattern?: unknown) {
    super();
    if (pattern !== undefined) this.inner = compilePattern(pattern, { name: 'Capture', partialObjects: true });
  }

  /** Passes for a non-null value that matches the pattern, and records it. */
  public test(actual: unknown): MatchResult {
    const result = new MatchResult(actual);
    if (actual === undefined || actual === null) return result.recordFailure({ message: `expected a value to capture, got ${String(actual)}` });
    if (this.inner) {
      const inner = this.inner.test(actual);
      if (inner.hasFailed()) return inner;
      result.compose([], inner); // nested captures
    }
    return result.recordCapture(this, actual);
  }

  /** `capture()` or `capture(<pattern>)`. */
  public describe(): string {
    return this.inner ? `capture(${this.inner.describe()})` : 'capture()';
  }

  /** Stores one captured value; called by `MatchResult.finished()`, not by user code. */
  public _captureValue(value: unknown): void {
    this.captured.push(value);
  }

  /** Moves to the next captured value; false (and stays put) when there is none. */
  public next(): boolean {
    if (this.index < this.captured.length - 1) {
      this.index++;
      return true;
    }
    return false;
  }

  /** The current captured value as a string; throws when it is something else. */
  public asString(): string {
    return this.current('string') as string;
  }

  /** The current captured value as a number; throws when it is something else. */
  public asNumber(): number {
    return this.current('number') as number;
  }

  /** The current captured value as a boolean; throws when it is something else. */
  public asBoolean(): boolean {
    return this.current('boolean') as boolean;
  }

  /** The current captured value as an array; throws when it is something else. */
  public asArray(): any[] {
    return this.current('array') as any[];
  }

  /** The current captured value as an object; throws when it is something else. */
  public asObject(): { [key: string]: any } {
    return this.current('object') as { [key: string]: any };
  }

  private current(kind: string): unknown {
    if (this.captured.length === 0) throw new Error('No value captured: the assertion using this Capture did not run or did not match');
    const value = this.captured[this.index];
    if (kindOf(value) !== kind) throw new Error(`Captured value is expected to be ${kind} but found ${kindOf(value)}: ${preview(value)}`);
    return value;
  }
}
