/**
 * Errors raised by mlsec-cdk. Every user-facing error names the construct path, the prop and
 * what is allowed, and prints without an internal stack trace: the message is the whole story.
 */

/** One problem found in one construct. */
export interface ValidationIssue {
  /** Construct path, e.g. `lab/api`. */
  readonly path: string;
  /** Human-readable message, starting with the prop it concerns. */
  readonly message: string;
}

/** Base class of every error mlsec-cdk raises on purpose. */
export class MlsecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlsecError';
    // A user error is fully described by its message; an internal stack would only hide it.
    this.stack = `${this.name}: ${message}`;
  }
}

/** All validation problems of one synth, aggregated. */
export class ValidationError extends MlsecError {
  public readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], phase = 'validation') {
    const lines = issues.map((i) => `  - [${i.path}] ${i.message}`);
    const noun = issues.length === 1 ? 'error' : 'errors';
    super(`Synthesis failed with ${issues.length} ${phase} ${noun}:\n${lines.join('\n')}`);
    this.name = 'ValidationError';
    this.stack = `${this.name}: ${this.message}`;
    this.issues = issues;
  }
}

/** A document failed its schema after rendering: a bug in a construct, reported with its path. */
export class VerificationError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super(issues, 'schema verification');
    this.name = 'VerificationError';
    this.stack = `${this.name}: ${this.message}`;
  }
}
