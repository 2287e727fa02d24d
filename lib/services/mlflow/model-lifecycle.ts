/**
 * The model lifecycle as the registry records it (CONTROLS.md §5 #10, Z5-K02). MLflow's built-in
 * stages (None/Staging/Production/Archived) are deprecated since 2.9 and cannot hold the
 * platform's states, so a model version carries its state in the tag `lifecycle_state` and is
 * served through aliases. MLflow cannot block a transition: the registry gate that fronts every
 * registry write checks transitions against {@link LIFECYCLE_TRANSITIONS}.
 */

/** The version tag that holds the lifecycle state. */
export const LIFECYCLE_STATE_TAG = 'lifecycle_state';

/** A model version's lifecycle state. */
export type LifecycleState = 'Candidate' | 'Staging' | 'Approved' | 'Revoked' | 'Quarantined';

/** Every state, in lifecycle order. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = ['Candidate', 'Staging', 'Approved', 'Revoked', 'Quarantined'];

/**
 * The allowed transitions (Z5-K02): forward only; leaving Revoked is forbidden, and so is
 * Approved → Staging. Quarantine holds a version for investigation and either releases it back
 * to Candidate or ends in Revoked.
 */
export const LIFECYCLE_TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  Candidate: ['Staging', 'Revoked', 'Quarantined'],
  Staging: ['Approved', 'Revoked', 'Quarantined'],
  Approved: ['Revoked', 'Quarantined'],
  Quarantined: ['Candidate', 'Revoked'],
  Revoked: [],
};

/** A serving alias of a registered model. */
export type ServingAlias = 'production' | 'staging' | 'canary' | 'shadow';

/** Every serving alias. */
export const SERVING_ALIASES: readonly ServingAlias[] = ['production', 'staging', 'canary', 'shadow'];

/**
 * The states a version must be in to hold an alias (CONTROLS.md §5 #9: `production` ⇒ Approved
 * only; Staging only outside production or in shadow).
 */
export const ALIAS_REQUIRES: Readonly<Record<ServingAlias, readonly LifecycleState[]>> = {
  production: ['Approved'],
  canary: ['Approved'],
  shadow: ['Staging', 'Approved'],
  staging: ['Staging', 'Approved'],
};

/**
 * The version tags of CONTROLS.md Z5-K01 a model version must carry, each non-empty, before the
 * registry gate lets it into the lifecycle or along it (Candidate, Staging, Approved; never in the
 * way of Revoked or Quarantined), and before an alias may point at it. Three items of the catalog's
 * list are not tags here: the model name and the run id are MLflow's own fields, and the stage is
 * `lifecycle_state`; the version is MLflow's number (the release record carries the semver).
 */
export const REQUIRED_VERSION_TAGS: readonly string[] = [
  'artifact_digest', 'git_sha', 'container_digest', 'dataset_snapshot', 'sbom_ref', 'cosign_sig', 'attestation_ref',
  'security_decision', 'model_card_url', 'scdr_id', 'adr_id', 'policy_digest', 'created_by', 'privacidade.finalidade', 'legal_basis',
];

/**
 * What Approved needs besides the required tags: the security decision `PASS` (Z5-K03) and an
 * approver who is not the version's creator (Z5-K04, separation of duties).
 */
export const APPROVAL_TAGS = { decision: 'security_decision', pass: 'PASS', approver: 'approved_by', creator: 'created_by' } as const;

/** Whether the gate may move a version from `from` to `to`. */
export function isAllowedTransition(from: LifecycleState, to: LifecycleState): boolean {
  return (LIFECYCLE_TRANSITIONS[from] ?? []).includes(to);
}

/** Whether a version in `state` may hold `alias`. */
export function mayHoldAlias(state: LifecycleState, alias: ServingAlias): boolean {
  return (ALIAS_REQUIRES[alias] ?? []).includes(state);
}
