import { ControlRefs } from './controls';
import type { PostureModel } from './posture-model';
import { Level, Severity } from './severity';
import type { DocumentKind, DocumentPath, SourceDocument } from './source-document';

/** One thing a rule found, before the engine turns it into a located {@link Finding}. */
export interface RuleHit {
  /** The document it is in. */
  readonly document: SourceDocument;
  /** Where in the document's data, e.g. `['services', 'api', 'privileged']`. */
  readonly path: DocumentPath;
  /** What is wrong here, in one sentence naming the offending value. */
  readonly message: string;
  /**
   * Narrows the rule id for acknowledgements and reports: the finding's granular id becomes
   * `RULE-ID[granular]`, e.g. `VLT-20[kv/data/*]`.
   * @default none
   */
  readonly granular?: string;
  /**
   * Severity of this hit when it differs from the rule's (e.g. CMP-03 read-only mounts: medium).
   * @default the rule's severity
   */
  readonly severity?: Severity;
}

/**
 * A posture rule: data plus a pure check over the rendered documents and the service graph.
 * Rules never mutate the model (the engine verifies that).
 */
export interface Rule {
  /** Stable id from RULES.md (`CMP-01`, `TRF-06`, `VLT-14`, `KC-08`) or `ZONE-nn` for CONTROLS.md invariants. */
  readonly id: string;
  /** Short title. */
  readonly title: string;
  /** Default severity of a hit. */
  readonly severity: Severity;
  /** Whether a hit fails synth (`error`) or is reported (`warning`, `info`). */
  readonly level: Level;
  /** Priority in RULES.md. */
  readonly priority: 'P1' | 'P2' | 'P3';
  /** Why it matters. */
  readonly rationale: string;
  /** How to fix it. */
  readonly remediation: string;
  /** Framework controls this rule evidences. */
  readonly controls: ControlRefs;
  /** Document kinds the rule reads. */
  readonly kinds: readonly DocumentKind[];
  /**
   * Whether an acknowledgement can silence it (literal secrets, privileged mode, the runtime
   * socket … cannot).
   * @default false
   */
  readonly unsuppressible?: boolean;
  /** Reports every hit in the model. */
  check(model: PostureModel): RuleHit[];
}
