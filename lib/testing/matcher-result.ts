/** One mismatch found while matching a value against a pattern. */
export interface MatchFailure {
  /** Keys and array indices from the value under test down to the mismatch. */
  readonly path: readonly string[];
  /** What was expected and what was found, e.g. `expected true, got false`. */
  readonly message: string;
}

/**
 * Receives a captured value once a whole match succeeded. Implemented by `Capture`; an interface
 * here so that results do not import the capture module (no import cycles, ARCHITECTURE §6).
 */
export interface ICaptureSink {
  /** Stores one captured value; called by {@link MatchResult.finished}, not by user code. */
  _captureValue(value: unknown): void;
}

/**
 * The outcome of testing one value against a matcher: every mismatch with its path, and the
 * values captured along the way. Captures are handed to their `Capture` only by `finished()` and
 * only when nothing failed, so a half-matching candidate never leaves stray captures behind.
 */
export class MatchResult {
  /** The value that was tested. */
  public readonly target: unknown;
  private readonly failureList: MatchFailure[] = [];
  private readonly captureList: { readonly sink: ICaptureSink; readonly value: unknown }[] = [];
  private finalized = false;

  /** An empty (successful) result for `target`; matchers then record what fails. */
  constructor(target: unknown) {
    this.target = target;
  }

  /** Records a mismatch at `path` (relative to the tested value; the value itself when omitted). */
  public recordFailure(failure: { readonly path?: readonly string[]; readonly message: string }): this {
    this.failureList.push({ path: [...(failure.path ?? [])], message: failure.message });
    return this;
  }

  /** Records a value for `sink`, delivered by `finished()` if the whole match succeeds. */
  public recordCapture(sink: ICaptureSink, value: unknown): this {
    this.captureList.push({ sink, value });
    return this;
  }

  /**
   * Adds the failures and captures of a nested result, its paths prefixed with `path` (a key or
   * index, or several; empty when the nested matcher tested this very value).
   */
  public compose(path: string | readonly string[], inner: MatchResult): this {
    const prefix = typeof path === 'string' ? [path] : [...path];
    for (const f of inner.failureList) this.failureList.push({ path: [...prefix, ...f.path], message: f.message });
    this.captureList.push(...inner.captureList);
    return this;
  }

  /** Every mismatch, in the order found. */
  public get failures(): readonly MatchFailure[] {
    return this.failureList;
  }

  /** How many mismatches were found (the distance used to pick the closest candidate). */
  public get failCount(): number {
    return this.failureList.length;
  }

  /** Whether the value matched. */
  public get isSuccess(): boolean {
    return this.failureList.length === 0;
  }

  /** Whether the value did not match. */
  public hasFailed(): boolean {
    return this.failureList.length > 0;
  }

  /** Delivers the captured values to their captures if the match succeeded; idempotent. */
  public finished(): this {
    if (this.finalized) return this;
    this.finalized = true;
    if (this.isSuccess) for (const { sink, value } of this.captureList) sink._captureValue(value);
    return this;
  }

  /**
   * One line per mismatch, `<JSON pointer>: <message>`, the pointer prefixed with `basePath`
   * (e.g. `['services', 'api']` gives `/services/api/read_only: expected true, got false`).
   */
  public mismatchLines(basePath: readonly string[] = []): string[] {
    return this.failureList.map((f) => `${jsonPointer([...basePath, ...f.path])}: ${f.message}`);
  }
}

/** An RFC 6901 JSON pointer (`~` and `/` in keys escaped), `/` for the root. */
export function jsonPointer(segments: readonly string[]): string {
  if (segments.length === 0) return '/';
  return segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
