/**
 * The zones' risks and controls as data, and what the posture report makes of them: every rule
 * a control names exists, every control says how it is covered, and the lab's report prints each
 * zone with the state of its controls in that synth.
 */
import { describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { RuleCatalog, Testing, Zone, ZONE_CATALOG } from '../../lib';

describe('the zone catalog', () => {
  it('has risks and controls for all ten zones, each control covered by rules, a construct or a stated gap', () => {
    expect(ZONE_CATALOG).toHaveLength(Zone.all().length);
    for (const [i, entry] of ZONE_CATALOG.entries()) {
      expect(entry.risks.length, `Z${i} risks`).toBeGreaterThan(0);
      for (const c of entry.controls) {
        expect(c.id, c.id).toMatch(new RegExp(`^(Z${i}-K\\d\\d|INV-\\d\\d)$`));
        expect([c.rules, c.builtBy, c.gap].filter((x) => x !== undefined), c.id).toHaveLength(1);
      }
    }
  });

  it('names only rules the catalog has', () => {
    const names = ZONE_CATALOG.flatMap((e) => e.controls.flatMap((c) => c.rules ?? []));
    expect(names.length).toBeGreaterThan(20);
    for (const id of names) expect(RuleCatalog.rule(id), id).toBeDefined();
  });
});

describe('the posture report of the lab, per zone', () => {
  const assembly = Testing.synth(createLab(Testing.app()).node.root as never);
  const report = JSON.parse(assembly.file('lab/posture/report.json'));

  it('lists every zone the lab builds, with its construct, risks and controls', () => {
    expect(report.zones.map((z: { zone: string }) => z.zone)).toEqual(['z0', 'z1', 'z2', 'z3', 'z4', 'z5', 'z6', 'z7', 'z8', 'z9']);
    const z2 = report.zones.find((z: { zone: string }) => z.zone === 'z2');
    expect(z2.construct).toBe('lab/Z2');
    expect(z2.risks.map((r: { id: string }) => r.id)).toContain('Z2-T1');
  });

  it('marks rule-checked controls checked (no open finding), construct-built ones built-in, and keeps the gaps visible', () => {
    const controls = report.zones.flatMap((z: { controls: object[] }) => z.controls);
    const byId = (id: string) => controls.find((c: { id: string }) => c.id === id);
    expect(byId('INV-04')).toMatchObject({ status: 'checked', rules: ['ZONE-04'] });
    expect(byId('Z3-K01')).toMatchObject({ status: 'built-in' });
    expect(byId('INV-06')).toMatchObject({ status: 'built-in' });
    expect(byId('Z5-K02')).toMatchObject({ status: 'built-in' }); // the registry gate enforces the lifecycle
    expect(byId('Z5-K01')).toMatchObject({ status: 'built-in' }); // the registry gate checks the version tags
    expect(byId('Z5-K01').builtBy).toMatch(/artifact_digest, git_sha, .*legal_basis; Approved also needs security_decision = PASS and approved_by ≠ created_by/);
    expect(byId('Z2-K08')).toMatchObject({ status: 'built-in' }); // the promote job checks the hash
    expect(byId('Z4-K04')).toMatchObject({ status: 'built-in' }); // the access broker
    expect(byId('Z1-K09')).toMatchObject({ status: 'built-in' }); // every promote job scans through the scan service
    expect(controls.filter((c: { status: string }) => c.status === 'failing')).toEqual([]);
    expect(byId('Z3-K07')).toMatchObject({ status: 'warned' }); // ZONE-30: the Vault agents share the z8 network (an open warning)
    const md = assembly.file('lab/posture/report.md');
    expect(md).toContain('## Zones: risks and controls');
    expect(md).toMatch(/### Z2 Raw data lake \(`lab\/Z2`\)/);
    expect(md).toMatch(/\| `INV-18` \| only security identities read quarantine \| checked \| `ZONE-18` \|/);
  });
});
