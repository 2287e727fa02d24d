/**
 * A vitest matcher for posture: `expect(assembly).toHavePostureClean()` passes when no posture
 * report of the assembly lists an unacknowledged finding (at `level` or above when given).
 *
 * ```ts
 * import { expect } from 'vitest';
 * import { postureMatchers } from 'mlsec-cdk/dist/testing/posture-matchers';
 * expect.extend(postureMatchers);
 *
 * expect(Testing.synth(app)).toHavePostureClean();                    // nothing open at all
 * expect(Testing.synth(app)).toHavePostureClean({ level: 'warning' }); // info findings allowed
 * ```
 *
 * The module only imports vitest's types: it has no runtime dependency on vitest.
 */
import type {} from 'vitest';
import { Assembly } from '../core/assembly';
import { describeFinding, NoFindingsOptions, PostureAssertions } from '../posture/posture-assertions';

/** What a matcher returns to vitest. */
export interface PostureMatcherResult {
  /** Whether the assertion held. */
  readonly pass: boolean;
  /** The failure message (also used for `.not`). */
  readonly message: () => string;
}

/** Matchers to pass to `expect.extend`. */
export const postureMatchers = {
  /** Passes when the assembly's posture reports have no unacknowledged finding (at `level` or above). */
  toHavePostureClean(this: { readonly isNot?: boolean } | void, received: unknown, options: NoFindingsOptions = {}): PostureMatcherResult {
    if (!(received instanceof Assembly)) {
      return { pass: false, message: () => `expected an Assembly (from Testing.synth(app)), got ${received === null ? 'null' : typeof received}` };
    }
    let assertions: PostureAssertions;
    try {
      assertions = PostureAssertions.fromAssembly(received);
    } catch (err) {
      return { pass: false, message: () => (err as Error).message };
    }
    const blocking = assertions.blocking(options);
    const scope = options.level && options.level !== 'info' ? ` at level ${options.level} or above` : '';
    if (blocking.length === 0) {
      return { pass: true, message: () => `expected the assembly to have unacknowledged posture findings${scope}, but it has none` };
    }
    const lines = blocking.map((f) => `  - ${describeFinding(f)}`).join('\n');
    return {
      pass: false,
      message: () => `expected no unacknowledged posture findings${scope}, found ${blocking.length}:\n${lines}\n(fix them, or acknowledge one with Posture.of(construct).acknowledge(id, reason) when the risk is accepted)`,
    };
  },
};

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Assertion<T = any> {
    /** Passes when the assembly's posture reports have no unacknowledged finding (at `level` or above). */
    toHavePostureClean(options?: NoFindingsOptions): void;
  }
}
