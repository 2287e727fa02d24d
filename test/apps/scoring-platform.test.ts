/**
 * The second example app (apps/scoring-platform.ts): a platform composed from individual zones.
 * Its security posture is pinned twice: explicit assertions of the controls that matter, and a
 * readable snapshot of the posture summary per zone (markdown, not JS objects).
 */
import { describe, expect, it } from 'vitest';
import { createScoringPlatform } from '../../apps/scoring-platform';
import { ComposeTemplate, Match, Testing } from '../../lib';

const assembly = Testing.synth(createScoringPlatform(Testing.app()).node.root as never);
const report = JSON.parse(assembly.file('scoring/posture/report.json'));
const compose = ComposeTemplate.fromAssembly(assembly, 'scoring');

describe('the scoring platform (zones picked one by one)', () => {
  it('synthesizes with no open error and only the zones it picked', () => {
    expect(report.summary.blocking).toBe(0);
    expect(report.zones.map((z: { zone: string; construct: string }) => `${z.zone} ${z.construct}`)).toEqual([
      'z0 scoring/Sources', 'z1 scoring/Ingestion', 'z2 scoring/Lake', 'z3 scoring/Curated', 'z5 scoring/Registry', 'z6 scoring/Serving', 'z7 scoring/Consumers', 'z8 scoring/Security',
    ]);
    expect(Object.keys(compose.findServices(Match.objectLike({ labels: Match.objectLike({ 'mlsec.zone': 'z4' }) })))).toEqual([]);
  });

  it('publishes only the gateway, and routes each feed through the WAF (detect mode) with client certificates', () => {
    const published = Object.entries(compose.findServices(Match.anyValue()) as Record<string, { ports?: string[] }>).filter(([, s]) => s.ports).map(([n, s]) => [n, s.ports]);
    expect(published).toEqual([['gateway', ['192.0.2.40:443:8443/tcp', '192.0.2.40:80:8080/tcp']]]);
    const route = assembly.file('scoring/traefik/dynamic/route-ingest-card-authorizations.yml') + assembly.file('scoring/traefik/dynamic/route-ingest-chargebacks.yml');
    expect(route).toMatch(/PathPrefix\(`\/ingest\/card-authorizations`\)/);
    expect(route).toMatch(/PathPrefix\(`\/ingest\/chargebacks`\)/);
    expect(route).toContain('options: mtls-clients');
    expect(assembly.file('scoring/waf/modsecurity.conf')).toMatch(/^SecRuleEngine DetectionOnly$/m);
    const catalog = JSON.parse(assembly.file('scoring/sources/catalog.json'));
    expect(catalog.sources.map((s: { name: string; ingestion: { routes: { path: string }[] } }) => [s.name, s.ingestion.routes[0].path])).toEqual([
      ['card-authorizations', '/ingest/card-authorizations'], ['chargebacks', '/ingest/chargebacks'],
    ]);
  });

  it('keeps its datasets and consumers as catalogued data, with personal data only in restricted datasets', () => {
    expect(JSON.parse(assembly.file('scoring/datasets/catalog.json')).datasets).toEqual([expect.objectContaining({ name: 'cards_authorizations_v1', classification: 'restricted', piiColumns: ['pan_token'] })]);
    expect(JSON.parse(assembly.file('scoring/consumers/catalog.json')).consumers).toEqual([{ clientId: 'card-authorizer', tenant: 'default', purpose: 'fraud_prevention', scopes: ['predict:online'] }]);
  });

  it('holds the data-access invariants: connectors write staging only, nothing reads quarantine', () => {
    const policy = (svc: string) => JSON.parse(assembly.file(`scoring/lake/policies/${svc}.json`));
    for (const svc of ['ingest-card-authorizations', 'ingest-chargebacks']) {
      const resources = policy(svc).Statement.flatMap((s: { Resource: string[] }) => s.Resource);
      expect(resources.every((r: string) => /^arn:aws:s3:::(staging|quarantine)\/[a-z-]+\/\*$/.test(r)), svc).toBe(true);
    }
    const open = report.findings.filter((f: { acknowledged?: object; ruleId: string }) => !f.acknowledged && /^ZONE-(0[1-58]|1\d)$/.test(f.ruleId));
    expect(open).toEqual([]);
  });

  it('pins its posture per zone (snapshot: the zone summary of the report and the state of each control)', () => {
    const md = assembly.file('scoring/posture/report.md');
    const controls = report.zones.flatMap((z: { zone: string; controls: { id: string; status: string }[] }) => z.controls.map((c) => `${z.zone} ${c.id} ${c.status}`));
    expect([md.slice(md.indexOf('## Summary by zone'), md.indexOf('## Zones')).trim(), ...controls].join('\n')).toMatchSnapshot();
  });
});
