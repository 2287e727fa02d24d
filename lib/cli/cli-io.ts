/** Somewhere the CLI writes text: `process.stdout`, or a buffer in tests. */
export interface CliWriter {
  /** Writes a chunk of text. */
  write(chunk: string): unknown;
}

/** The streams `mlsec` writes to. `process` itself fits. */
export interface CliIo {
  /** Findings, reports, listings. */
  readonly stdout: CliWriter;
  /** Problems, summaries, help after a usage error. */
  readonly stderr: CliWriter;
}

/** Exit status: no error-level finding. */
export const EXIT_OK = 0;
/** Exit status: at least one error-level finding. */
export const EXIT_FINDINGS = 1;
/** Exit status: usage error, unreadable or unparsable file, unknown document type. */
export const EXIT_USAGE = 2;

/** A problem the user must fix in how `mlsec` was called (exit status 2). */
export class UsageError extends Error {
  constructor(message: string, public readonly command?: string) {
    super(message);
    this.name = 'UsageError';
    this.stack = `${this.name}: ${message}`;
  }
}
