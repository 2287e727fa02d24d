/**
 * Pins the keycloak pack's membership (as cdk-nag pins its packs): every RULES.md §2.4 rule, in id
 * order, with its level; plus the priority, severity and control mapping each one must carry.
 */
import { describe, expect, it } from 'vitest';
import { KEYCLOAK_PACK } from '../../../lib/posture/packs/keycloak';

describe('keycloak pack membership', () => {
  it('lists KC-01…KC-26 with their levels, exactly', () => {
    expect(KEYCLOAK_PACK.name).toBe('keycloak');
    expect(KEYCLOAK_PACK.rules.map((r) => [r.id, r.level])).toEqual([
      ['KC-01', 'error'],
      ['KC-02', 'error'],
      ['KC-03', 'warning'],
      ['KC-04', 'error'],
      ['KC-05', 'info'],
      ['KC-06', 'warning'],
      ['KC-07', 'error'],
      ['KC-08', 'error'],
      ['KC-09', 'error'],
      ['KC-10', 'info'],
      ['KC-11', 'warning'],
      ['KC-12', 'error'],
      ['KC-13', 'warning'],
      ['KC-14', 'warning'],
      ['KC-15', 'info'],
      ['KC-16', 'info'],
      ['KC-17', 'error'],
      ['KC-18', 'error'],
      ['KC-19', 'warning'],
      ['KC-20', 'error'],
      ['KC-21', 'error'],
      ['KC-22', 'error'],
      ['KC-23', 'error'],
      ['KC-24', 'error'],
      ['KC-25', 'warning'],
      ['KC-26', 'warning'],
    ]);
  });

  it('carries the priority and severity of RULES.md §2.4', () => {
    expect(KEYCLOAK_PACK.rules.map((r) => `${r.id} ${r.priority} ${r.severity}`)).toEqual([
      'KC-01 P1 critical',
      'KC-02 P1 critical',
      'KC-03 P2 medium',
      'KC-04 P1 high',
      'KC-05 P3 low',
      'KC-06 P2 medium',
      'KC-07 P1 high',
      'KC-08 P1 high',
      'KC-09 P1 high',
      'KC-10 P2 low',
      'KC-11 P2 medium',
      'KC-12 P1 high',
      'KC-13 P2 medium',
      'KC-14 P2 medium',
      'KC-15 P2 low',
      'KC-16 P2 low',
      'KC-17 P1 high',
      'KC-18 P1 high',
      'KC-19 P2 medium',
      'KC-20 P1 high',
      'KC-21 P1 critical',
      'KC-22 P1 high',
      'KC-23 P2 high',
      'KC-24 P2 high',
      'KC-25 P2 medium',
      'KC-26 P3 medium',
    ]);
  });

  it('derives each level from the severity, reads only keycloak-realm documents, and only KC-21 is unsuppressible', () => {
    const levelOf = { critical: 'error', high: 'error', medium: 'warning', low: 'info', info: 'info' } as const;
    for (const rule of KEYCLOAK_PACK.rules) {
      expect(rule.level, rule.id).toBe(levelOf[rule.severity]);
      expect(rule.kinds, rule.id).toEqual(['keycloak-realm']);
      expect(rule.title.length, rule.id).toBeGreaterThan(5);
      expect(rule.rationale.length, rule.id).toBeGreaterThan(60);
      expect(rule.remediation.length, rule.id).toBeGreaterThan(20);
    }
    expect(KEYCLOAK_PACK.rules.filter((r) => r.unsuppressible).map((r) => r.id)).toEqual(['KC-21']);
  });

  it('maps every rule to NIST 800-53 r5 controls and CSA AICM domains, with well-formed ids', () => {
    const aicm = new Set(['A&A', 'AIS', 'BCR', 'CCC', 'CEK', 'DCS', 'DSP', 'GRC', 'HRS', 'IAM', 'IPY', 'IVS', 'LOG', 'MDS', 'SEF', 'STA', 'TVM', 'UEM']);
    for (const rule of KEYCLOAK_PACK.rules) {
      const nist = rule.controls['nist-800-53-r5'] ?? [];
      const csa = rule.controls['csa-aicm'] ?? [];
      expect(nist.length, rule.id).toBeGreaterThan(0);
      expect(csa.length, rule.id).toBeGreaterThan(0);
      for (const id of nist) expect(id, rule.id).toMatch(/^[A-Z]{2}-\d+$/);
      for (const id of csa) expect(aicm.has(id), `${rule.id} ${id}`).toBe(true);
      for (const id of rule.controls['owasp-llm-2025'] ?? []) expect(id, rule.id).toMatch(/^LLM(0[1-9]|10)$/);
      for (const id of rule.controls['cis-docker-1.6'] ?? []) expect(id, rule.id).toMatch(/^\d+\.\d+$/);
    }
  });
});
