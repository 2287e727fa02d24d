import { describe, expect, it } from 'vitest';
import { VAULT_PACK } from '../../../lib/posture/packs/vault';

describe('vault pack membership', () => {
  it('holds exactly these rules at these levels', () => {
    expect(VAULT_PACK.rules.map((r) => [r.id, r.level])).toEqual([
      ['VLT-01', 'error'],
      ['VLT-02', 'error'],
      ['VLT-03', 'error'],
      ['VLT-04', 'warning'],
      ['VLT-05', 'error'],
      ['VLT-06', 'error'],
      ['VLT-08', 'error'],
      ['VLT-09', 'warning'],
      ['VLT-10', 'warning'],
      ['VLT-11', 'info'],
      ['VLT-12', 'info'],
      ['VLT-13', 'info'],
      ['VLT-14', 'error'],
      ['VLT-15', 'error'],
      ['VLT-16', 'error'],
      ['VLT-17', 'error'],
      ['VLT-18', 'error'],
      ['VLT-19', 'error'],
      ['VLT-20', 'warning'],
      ['VLT-21', 'info'],
      ['VLT-22', 'info'],
    ]);
  });

  it('keeps RULES.md priorities and severities, and maps every rule to NIST 800-53 and CSA AICM', () => {
    const table = VAULT_PACK.rules.map((r) => `${r.id} ${r.priority} ${r.severity}`);
    expect(table).toEqual([
      'VLT-01 P1 critical',
      'VLT-02 P1 high',
      'VLT-03 P1 high',
      'VLT-04 P2 medium',
      'VLT-05 P1 critical',
      'VLT-06 P1 critical',
      'VLT-08 P1 high',
      'VLT-09 P2 medium',
      'VLT-10 P2 medium',
      'VLT-11 P3 low',
      'VLT-12 P3 low',
      'VLT-13 P3 low',
      'VLT-14 P1 critical',
      'VLT-15 P1 critical',
      'VLT-16 P1 critical',
      'VLT-17 P1 high',
      'VLT-18 P1 critical',
      'VLT-19 P1 high',
      'VLT-20 P2 medium',
      'VLT-21 P3 low',
      'VLT-22 P3 low',
    ]);
    for (const rule of VAULT_PACK.rules) {
      expect(rule.controls['nist-800-53-r5']?.length, rule.id).toBeGreaterThan(0);
      expect(rule.controls['csa-aicm']?.length, rule.id).toBeGreaterThan(0);
      expect(rule.controls['nist-800-53-r5']!.every((c) => /^[A-Z]{2}-\d+$/.test(c)), rule.id).toBe(true);
      expect(rule.controls['csa-aicm']!.every((c) => /^(A&A|AIS|BCR|CCC|CEK|DCS|DSP|GRC|HRS|IAM|IPY|IVS|LOG|SEF|STA|TVM|UEM|MDS)$/.test(c)), rule.id).toBe(true);
    }
  });
});
