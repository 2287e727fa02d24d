import { describe, expect, it } from 'vitest';
import { ZONES_PACK } from '../../../lib/posture/packs/zones';

describe('zones pack membership', () => {
  it('holds exactly these rules at these levels', () => {
    expect(ZONES_PACK.rules.map((r) => [r.id, r.level])).toEqual([
      ['ZONE-01', 'error'],
      ['ZONE-02', 'error'],
      ['ZONE-03', 'error'],
      ['ZONE-04', 'error'],
      ['ZONE-05', 'error'],
      ['ZONE-06', 'error'],
      ['ZONE-08', 'error'],
      ['ZONE-10', 'error'],
      ['ZONE-11', 'error'],
      ['ZONE-13', 'error'],
      ['ZONE-14', 'error'],
      ['ZONE-15', 'error'],
      ['ZONE-18', 'error'],
      ['ZONE-30', 'warning'],
    ]);
  });
});
