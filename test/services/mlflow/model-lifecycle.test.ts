/** The registry lifecycle constants (CONTROLS.md §5 #10, Z5-K02) the registry gate will enforce. */
import { describe, expect, it } from 'vitest';
import { ALIAS_REQUIRES, isAllowedTransition, LIFECYCLE_STATE_TAG, LIFECYCLE_STATES, LIFECYCLE_TRANSITIONS, mayHoldAlias, SERVING_ALIASES } from '../../../lib/services/mlflow';

describe('model lifecycle', () => {
  it('keeps the state in the tag lifecycle_state, with the four serving aliases', () => {
    expect(LIFECYCLE_STATE_TAG).toBe('lifecycle_state');
    expect(LIFECYCLE_STATES).toEqual(['Candidate', 'Staging', 'Approved', 'Revoked', 'Quarantined']);
    expect(SERVING_ALIASES).toEqual(['production', 'staging', 'canary', 'shadow']);
  });

  it('forbids leaving Revoked and Approved → Staging (Z5-K02), and every self-transition', () => {
    for (const to of LIFECYCLE_STATES) expect(isAllowedTransition('Revoked', to)).toBe(false);
    expect(isAllowedTransition('Approved', 'Staging')).toBe(false);
    expect(isAllowedTransition('Approved', 'Candidate')).toBe(false);
    for (const s of LIFECYCLE_STATES) expect(isAllowedTransition(s, s)).toBe(false);
    expect(isAllowedTransition('Candidate', 'Staging')).toBe(true);
    expect(isAllowedTransition('Staging', 'Approved')).toBe(true);
    expect(isAllowedTransition('Approved', 'Revoked')).toBe(true);
    // Every state can be revoked except Revoked itself; every target is a known state.
    for (const s of LIFECYCLE_STATES.filter((x) => x !== 'Revoked')) expect(LIFECYCLE_TRANSITIONS[s]).toContain('Revoked');
    for (const targets of Object.values(LIFECYCLE_TRANSITIONS)) for (const t of targets) expect(LIFECYCLE_STATES).toContain(t);
  });

  it('lets only Approved versions hold production and canary (§5 #9)', () => {
    for (const s of LIFECYCLE_STATES) expect(mayHoldAlias(s, 'production')).toBe(s === 'Approved');
    expect(mayHoldAlias('Staging', 'shadow')).toBe(true);
    expect(mayHoldAlias('Candidate', 'staging')).toBe(false);
    expect(mayHoldAlias('Revoked', 'shadow')).toBe(false);
    expect(Object.keys(ALIAS_REQUIRES).sort()).toEqual([...SERVING_ALIASES].sort());
  });
});
