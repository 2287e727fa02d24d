import { describe, expect, it } from 'vitest';
import { COMPOSE_PACK } from '../../../lib/posture/packs/compose';

describe('compose pack membership', () => {
  it('lists CMP-01 … CMP-30 in order with their levels', () => {
    expect(COMPOSE_PACK.name).toBe('compose');
    expect(COMPOSE_PACK.rules.map((r) => [r.id, r.level])).toEqual([
      ['CMP-01', 'error'],
      ['CMP-02', 'error'],
      ['CMP-03', 'error'],
      ['CMP-04', 'error'],
      ['CMP-05', 'error'],
      ['CMP-06', 'warning'],
      ['CMP-07', 'error'],
      ['CMP-08', 'error'],
      ['CMP-09', 'error'],
      ['CMP-10', 'error'],
      ['CMP-11', 'error'],
      ['CMP-12', 'warning'],
      ['CMP-13', 'warning'],
      ['CMP-14', 'error'],
      ['CMP-15', 'warning'],
      ['CMP-16', 'info'],
      ['CMP-17', 'warning'],
      ['CMP-18', 'info'],
      ['CMP-19', 'warning'],
      ['CMP-20', 'info'],
      ['CMP-21', 'info'],
      ['CMP-22', 'error'],
      ['CMP-23', 'warning'],
      ['CMP-24', 'error'],
      ['CMP-25', 'warning'],
      ['CMP-26', 'warning'],
      ['CMP-27', 'warning'],
      ['CMP-28', 'warning'],
      ['CMP-29', 'warning'],
      ['CMP-30', 'info'],
    ]);
  });

  it('pins priority and severity as RULES.md §2.1 gives them', () => {
    expect(COMPOSE_PACK.rules.map((r) => `${r.id} ${r.priority} ${r.severity}`)).toEqual([
      'CMP-01 P1 critical', 'CMP-02 P1 critical', 'CMP-03 P1 high', 'CMP-04 P1 high', 'CMP-05 P1 high',
      'CMP-06 P2 medium', 'CMP-07 P1 high', 'CMP-08 P1 high', 'CMP-09 P1 high', 'CMP-10 P1 high',
      'CMP-11 P1 high', 'CMP-12 P2 medium', 'CMP-13 P2 medium', 'CMP-14 P1 high', 'CMP-15 P2 medium',
      'CMP-16 P3 low', 'CMP-17 P2 medium', 'CMP-18 P3 low', 'CMP-19 P2 medium', 'CMP-20 P3 low',
      'CMP-21 P3 info', 'CMP-22 P1 high', 'CMP-23 P2 medium', 'CMP-24 P1 critical', 'CMP-25 P2 medium',
      'CMP-26 P2 medium', 'CMP-27 P2 medium', 'CMP-28 P2 medium', 'CMP-29 P2 medium', 'CMP-30 P3 info',
    ]);
  });

  it('derives each level from the severity, reads only compose documents, and maps every rule to NIST 800-53 and a CSA AICM domain', () => {
    const levelOf = { critical: 'error', high: 'error', medium: 'warning', low: 'info', info: 'info' } as const;
    for (const rule of COMPOSE_PACK.rules) {
      expect(rule.level, rule.id).toBe(levelOf[rule.severity]);
      expect(rule.kinds, rule.id).toEqual(['compose']);
      expect(rule.controls['nist-800-53-r5']?.length, rule.id).toBeGreaterThan(0);
      expect(rule.controls['csa-aicm']?.length, rule.id).toBeGreaterThan(0);
      for (const id of rule.controls['nist-800-53-r5'] ?? []) expect(id, rule.id).toMatch(/^[A-Z]{2}-\d+$/);
      for (const id of rule.controls['csa-aicm'] ?? []) expect(['IAM', 'DSP', 'CEK', 'IVS', 'LOG', 'AIS', 'TVM', 'STA', 'BCR', 'GRC', 'SEF'], rule.id).toContain(id);
      for (const id of rule.controls['cis-docker-1.6'] ?? []) expect(id, rule.id).toMatch(/^[45]\.\d+$/);
      expect(rule.title.length > 0 && rule.rationale.length > 0 && rule.remediation.length > 0, rule.id).toBe(true);
    }
  });

  it('marks privileged mode, the runtime socket and literal secrets unsuppressible, and nothing else', () => {
    expect(COMPOSE_PACK.rules.filter((r) => r.unsuppressible).map((r) => r.id)).toEqual(['CMP-01', 'CMP-02', 'CMP-24']);
  });
});
