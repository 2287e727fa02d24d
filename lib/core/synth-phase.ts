import { IConstruct } from 'constructs';
import { RenderedDocument } from './document';

/** What a synth phase sees: the tree and every verified document. */
export interface SynthPhaseContext {
  /** The root of the tree (the App). */
  readonly root: IConstruct;
  /** Every rendered, schema-verified document. Read-only: a phase must not change them. */
  readonly documents: readonly RenderedDocument[];
}

/**
 * A step that runs after verification and before writing (the posture check is one). It may add
 * documents (reports) or throw an `MlsecError` to fail the synth.
 */
export interface ISynthPhase {
  /** Name, for messages. */
  readonly name: string;
  /** Runs the phase; returns the documents it adds. */
  run(context: SynthPhaseContext): RenderedDocument[];
}

const PHASES: ISynthPhase[] = [];

/**
 * The registry of post-verification phases. Higher layers register themselves when the package
 * entry point loads them, so the core never imports upward.
 */
export class SynthPhases {
  /** Registers a phase once (by name). */
  public static register(phase: ISynthPhase): void {
    if (!PHASES.some((p) => p.name === phase.name)) PHASES.push(phase);
  }

  /** Registered phases, in registration order. */
  public static all(): readonly ISynthPhase[] {
    return PHASES;
  }
}
