import { describe, expect, it } from 'vitest';
import { buildPostureReport, CATALOG_VERSION, renderPostureReports, renderReportJson } from '../../../lib';
import { reportInput } from './fixtures';

describe('report.json', () => {
  const report = buildPostureReport(reportInput());

  it('names the host, the catalog version, the packs and the documents', () => {
    expect(report).toMatchObject({
      reportVersion: 1,
      catalogVersion: CATALOG_VERSION,
      vps: 'lab',
      enforcement: { mode: 'enforced' },
      packs: [{ name: 'compose', rules: 3 }, { name: 'vault', rules: 1 }, { name: 'keycloak', rules: 1 }],
      documents: [{ file: 'lab/docker-compose.yml', kind: 'compose' }],
    });
  });

  it('lists every finding, acknowledged or not, with its zone and construct', () => {
    expect(report.findings.map((f) => [f.granularId, `${f.file}:${f.line}:${f.column}`, f.path, f.zone, f.constructPath, f.acknowledged?.by])).toEqual([
      ['CMP-01[api]', 'lab/docker-compose.yml:5:5', 'services.api.privileged', 'z6', 'lab/api', undefined],
      ['CMP-13[worker]', 'lab/docker-compose.yml:11:5', 'services.worker.read_only', 'z3', 'lab/worker', 'lab/docker-compose.yml: services.worker.x-mlsec.overrides'],
    ]);
  });

  it('summarizes by severity and by zone', () => {
    expect(report.summary).toMatchObject({ findings: 2, open: 1, acknowledged: 1, blocking: 1 });
    expect(report.summary.bySeverity).toEqual([
      { severity: 'critical', open: 1, acknowledged: 0 },
      { severity: 'high', open: 0, acknowledged: 0 },
      { severity: 'medium', open: 0, acknowledged: 1 },
      { severity: 'low', open: 0, acknowledged: 0 },
      { severity: 'info', open: 0, acknowledged: 0 },
    ]);
    expect(report.summary.byZone).toEqual([
      { zone: 'z3', open: { critical: 0, high: 0, medium: 0, low: 0, info: 0 }, openTotal: 0, acknowledged: 1 },
      { zone: 'z6', open: { critical: 1, high: 0, medium: 0, low: 0, info: 0 }, openTotal: 1, acknowledged: 0 },
    ]);
  });

  it('lists acknowledgements with their reason, who/where, and what they accepted', () => {
    expect(report.acknowledgements).toEqual([
      {
        selector: 'CMP-13',
        reason: 'the legacy worker writes its cache under /var/cache',
        by: 'lab/docker-compose.yml: services.worker.x-mlsec.overrides',
        findings: [{ granularId: 'CMP-13[worker]', file: 'lab/docker-compose.yml', line: 11, column: 5, path: 'services.worker.read_only' }],
      },
    ]);
  });

  it('records a report-only opt-out and its reason', () => {
    const optedOut = buildPostureReport(reportInput({ reportOnly: { reason: 'rendering tests only, posture is asserted elsewhere' } }));
    expect(optedOut.enforcement).toEqual({ mode: 'report-only', reason: 'rendering tests only, posture is asserted elsewhere' });
  });

  it('is canonical JSON: sorted keys, trailing newline, byte-identical on every render', () => {
    const text = renderReportJson(report);
    expect(text.endsWith('}\n')).toBe(true);
    expect(renderReportJson(buildPostureReport(reportInput()))).toBe(text);
    expect(Object.keys(JSON.parse(text))).toEqual([...Object.keys(JSON.parse(text))].sort());
  });

  it('writes four files into <vps>/posture/, with no timestamps and no absolute paths', () => {
    const files = renderPostureReports(reportInput());
    expect(files.map((f) => f.path)).toEqual(['lab/posture/coverage.md', 'lab/posture/report.json', 'lab/posture/report.md', 'lab/posture/report.sarif']);
    for (const f of files) {
      expect(f.producer).toBe('lab');
      expect(f.content, f.path).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
      expect(f.content, f.path).not.toContain(process.cwd());
      expect(f.content, f.path).not.toMatch(/(?:^|["'\s(])\/(?:tmp|home|root|work|Users)\//m);
    }
    const again = renderPostureReports(reportInput());
    expect(again).toEqual(files);
  });
});

describe('finding zones', () => {
  it('resolves service names that contain dots by the longest matching prefix', async () => {
    const { findingZones, PostureModel, SourceDocument } = await import('../../../lib');
    const doc = SourceDocument.parseYaml('compose', 'c.yml', 'services:\n  api:\n    x-mlsec: { zone: z1 }\n  api.v2:\n    labels: ["mlsec.zone=z6"]\n');
    const at = (path: string) => ({ ruleId: 'CMP-01', granularId: 'CMP-01', severity: 'high' as const, level: 'error' as const, file: 'c.yml', line: 1, column: 1, path, message: 'm' });
    expect(findingZones(new PostureModel([doc]), [at('services.api.v2.ports'), at('services.api.ports'), at('services.api'), at('networks.x'), { ...at('services.api'), file: 'other.yml' }])).toEqual(['z6', 'z1', 'z1', undefined, undefined]);
  });
});
