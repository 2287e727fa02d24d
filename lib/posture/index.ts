import { SynthPhases } from '../core/synth-phase';
import { PosturePhase } from './posture-phase';

export * from './severity';
export * from './controls';
export * from './finding';
export * from './rule';
export * from './rule-pack';
export * from './rule-catalog';
export * from './source-document';
export * from './service-graph';
export * from './posture-model';
export * from './rule-evaluator';
export * from './posture';
export * from './acknowledgement-resolver';
export * from './posture-error';
export * from './posture-phase';
export * from './posture-assertions';
export * from './reports';
export * from './zone-profile';

// Loading the posture layer puts its check into every synth (the core never imports upward).
SynthPhases.register(new PosturePhase());
