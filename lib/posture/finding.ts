import { Level, Severity } from './severity';

/** An acknowledgement that accepted a finding. */
export interface Acknowledgement {
  /** The selector acknowledged: a rule id or a granular id. */
  readonly selector: string;
  /** Why it is accepted (at least 10 characters). */
  readonly reason: string;
  /** Where it was made: a construct path, or `x-mlsec.overrides` of the document itself. */
  readonly by: string;
}

/** One located finding of one rule. */
export interface Finding {
  /** The rule id. */
  readonly ruleId: string;
  /** `RULE-ID[detail]` when the rule narrowed it, else the rule id. */
  readonly granularId: string;
  /** Severity of this finding. */
  readonly severity: Severity;
  /** Level of the rule. */
  readonly level: Level;
  /** File, relative to the output directory (synth) or as given (CLI). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Dotted path into the document, e.g. `services.api.cap_add`. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** Construct that produced the offending value, when synthesized. */
  readonly constructPath?: string;
  /** The acknowledgement that accepted it, if any. */
  readonly acknowledged?: Acknowledgement;
}
