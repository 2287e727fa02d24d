import { describe, expect, it } from 'vitest';
import { TRAEFIK_PACK } from '../../../lib/posture/packs/traefik';

describe('traefik pack membership', () => {
  it('holds exactly these rules at these levels', () => {
    expect(TRAEFIK_PACK.rules.map((r) => [r.id, r.level])).toEqual([
      ['TRF-01', 'error'],
      ['TRF-02', 'error'],
      ['TRF-03', 'error'],
      ['TRF-04', 'error'],
      ['TRF-05', 'error'],
      ['TRF-06', 'error'],
      ['TRF-07', 'warning'],
      ['TRF-08', 'warning'],
      ['TRF-09', 'warning'],
      ['TRF-10', 'error'],
      ['TRF-11', 'warning'],
      ['TRF-12', 'info'],
      ['TRF-13', 'warning'],
      ['TRF-14', 'error'],
      ['TRF-15', 'error'],
      ['TRF-16', 'error'],
      ['TRF-17', 'error'],
      ['TRF-18', 'error'],
      ['TRF-19', 'info'],
      ['TRF-20', 'info'],
      ['TRF-21', 'warning'],
      ['TRF-22', 'info'],
    ]);
  });

  it('rates each rule as RULES.md §2.2 does, and maps it to NIST 800-53 r5 and a CSA AICM domain', () => {
    expect(TRAEFIK_PACK.rules.map((r) => `${r.id} ${r.priority} ${r.severity}`)).toEqual([
      'TRF-01 P1 critical', 'TRF-02 P1 high', 'TRF-03 P1 high', 'TRF-04 P1 high', 'TRF-05 P1 high', 'TRF-06 P1 high',
      'TRF-07 P2 medium', 'TRF-08 P2 medium', 'TRF-09 P2 medium', 'TRF-10 P1 high', 'TRF-11 P2 medium', 'TRF-12 P3 low',
      'TRF-13 P2 medium', 'TRF-14 P1 high', 'TRF-15 P1 high', 'TRF-16 P1 high', 'TRF-17 P1 high', 'TRF-18 P1 high',
      'TRF-19 P3 low', 'TRF-20 P3 low', 'TRF-21 P2 medium', 'TRF-22 P3 info',
    ]);
    for (const rule of TRAEFIK_PACK.rules) {
      expect(rule.controls['nist-800-53-r5']?.length, rule.id).toBeGreaterThan(0);
      expect(rule.controls['csa-aicm']?.length, rule.id).toBeGreaterThan(0);
    }
  });
});
