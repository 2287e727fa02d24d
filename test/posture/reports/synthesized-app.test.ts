import { describe, expect, it } from 'vitest';
import { App, controlStatus, HealthCheck, Image, Posture, PostureReport, RuleCatalog, Testing, Vps, Workload, Zone } from '../../../lib';
import type { Assembly } from '../../../lib';
import { postureMatchers } from '../../../lib/testing/posture-matchers';
import { sarifErrors } from './sarif-schema';

expect.extend(postureMatchers);

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** One z6 workload that lifts read_only with a reason (CMP-13, acknowledged by the override); pinned by digest unless `unpinned`. */
function scorerApp(options: { unpinned?: boolean } = {}): Assembly {
  const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const scorer = new Workload(vps, 'scorer', {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('ghcr.io/example/scorer', '1.4.2', options.unpinned ? {} : { digest: DIGEST }),
    ports: [8080],
    healthCheck: HealthCheck.command(['/app/healthcheck']),
  });
  scorer.allowWritableRootFilesystem('the scorer unpacks its model bundle into /opt/model at start');
  return Testing.synth(app);
}

function reportOf(assembly: Assembly): PostureReport {
  return JSON.parse(assembly.file('lab/posture/report.json'));
}

describe('posture reports of a synthesized app', () => {
  const assembly = scorerApp();
  const report = reportOf(assembly);

  it('writes report.json, report.md, report.sarif and coverage.md into <vps>/posture/', () => {
    expect(assembly.paths().filter((p) => p.startsWith('lab/posture/'))).toEqual(['lab/posture/coverage.md', 'lab/posture/report.json', 'lab/posture/report.md', 'lab/posture/report.sarif']);
    expect(sarifErrors(JSON.parse(assembly.file('lab/posture/report.sarif')))).toEqual([]);
    expect(scorerApp().allFiles()).toEqual(assembly.allFiles());
  });

  it('reports the override as an acknowledgement with its reason and where it was made', () => {
    expect(report.acknowledgements).toEqual([
      expect.objectContaining({
        selector: 'CMP-13',
        reason: 'the scorer unpacks its model bundle into /opt/model at start',
        by: 'lab/docker-compose.yml: services.scorer.x-mlsec.overrides',
      }),
    ]);
    expect(report.findings.find((f) => f.ruleId === 'CMP-13')).toMatchObject({ zone: 'z6', constructPath: 'lab/scorer', path: 'services.scorer.read_only' });
  });

  it('gives the coverage statuses: acknowledged, passing, not evaluated, not checkable', () => {
    const rules = new Map(report.coverage.rules.map((r) => [r.id, r.status]));
    expect(rules.get('CMP-13')).toBe('acknowledged');
    expect(rules.get('CMP-01')).toBe('passing');
    // Only a compose file was synthesized: the Vault, Keycloak and Traefik rules did not run.
    for (const rule of RuleCatalog.rules().filter((r) => !r.kinds.includes('compose'))) expect(rules.get(rule.id), rule.id).toBe('not evaluated');

    const cis = report.coverage.frameworks.find((f) => f.id === 'cis-docker-1.6')!;
    const status = (id: string) => cis.controls.find((c) => c.id === id)?.status;
    expect(status('5.5')).toBe('passing'); // no privileged container
    expect(status('5.1')).toBe('not checkable at synth time'); // swarm mode is a host setting
    expect(status('5.23')).toBe('not checkable at synth time'); // docker exec is a runtime action
    expect(report.coverage.frameworks.find((f) => f.id === 'nist-ai-rmf')!.controls.every((c) => c.status === 'not checkable at synth time')).toBe(true);

    // Every control's status follows from its rules' statuses, and each rule's from its findings.
    for (const framework of report.coverage.frameworks) {
      for (const c of framework.controls) expect(c.status, `${framework.id}/${c.id}`).toBe(controlStatus(c.rules.map((r) => r.status)));
    }
    const notEvaluated = report.coverage.frameworks.flatMap((f) => f.controls).filter((c) => c.status === 'not evaluated');
    expect(notEvaluated.length).toBeGreaterThan(0);
  });

  it('supports Posture.fromAssembly assertions', () => {
    const posture = Posture.fromAssembly(assembly);
    posture.hasNoFindings();
    posture.hasFinding('CMP-13');
    posture.hasFinding('CMP-13[scorer]', 'lab/scorer');
    posture.acknowledged('CMP-13', 'lab/scorer');
    expect(posture.findings().map((f) => [f.vps, f.granularId])).toEqual([['lab', 'CMP-13[scorer]']]);
    expect(() => posture.hasFinding('CMP-01')).toThrow(/No posture finding CMP-01; findings present: CMP-13\[scorer\]/);
    expect(() => posture.hasFinding('CMP-13', 'lab/other')).toThrow(/No posture finding CMP-13 on construct 'lab\/other'; findings of that rule:\n {2}- CMP-13\[scorer\] \[lab\/scorer\] lab\/docker-compose.yml:\d+:5 warning\/medium/);
  });

  it('names the blocking findings when an assertion fails', () => {
    const unpinned = Posture.fromAssembly(scorerApp({ unpinned: true }));
    unpinned.hasNoFindings({ level: 'error' });
    unpinned.hasFinding('CMP-23', 'lab/scorer');
    expect(() => unpinned.hasNoFindings()).toThrow(/^Expected no unacknowledged posture findings, found 1:\n {2}- CMP-23\[scorer\] \[lab\/scorer\] lab\/docker-compose.yml:\d+:\d+ warning\/medium: /);
    expect(() => unpinned.hasNoFindings({ level: 'warning' })).toThrow(/at level warning or above, found 1/);
    expect(() => unpinned.acknowledged('CMP-23', 'lab/scorer')).toThrow(/Posture finding CMP-23 on construct 'lab\/scorer' is not acknowledged/);
  });

  it('provides expect(assembly).toHavePostureClean()', () => {
    expect(assembly).toHavePostureClean();
    const unpinned = scorerApp({ unpinned: true });
    expect(unpinned).toHavePostureClean({ level: 'error' });
    expect(unpinned).not.toHavePostureClean();
    expect(() => expect(unpinned).toHavePostureClean()).toThrow(/expected no unacknowledged posture findings, found 1:\n {2}- CMP-23\[scorer\] \[lab\/scorer\] lab\/docker-compose.yml:\d+:\d+/);
    expect(() => expect('not an assembly').toHavePostureClean()).toThrow(/expected an Assembly/);
  });
});
