import { describe, expect, it } from 'vitest';
import { artifactUri, buildPostureReport, CATALOG_VERSION, findingFingerprint, renderPostureReports, renderSarif, RuleCatalog, SECURITY_SEVERITY } from '../../../lib';
import { reportInput, TEST_PACKS } from './fixtures';
import { sarifErrors } from './sarif-schema';

function sarifOf(): any {
  const file = renderPostureReports(reportInput()).find((f) => f.path === 'lab/posture/report.sarif')!;
  return JSON.parse(file.content);
}

describe('report.sarif', () => {
  it('validates against the SARIF 2.1.0 schema', () => {
    expect(sarifErrors(sarifOf())).toEqual([]);
  });

  it('has a validator that really rejects broken logs', () => {
    const log = sarifOf();
    log.runs[0].results[0].level = 'fatal';
    delete log.runs[0].tool.driver.name;
    expect(sarifErrors(log).length).toBeGreaterThanOrEqual(2);
  });

  it('validates for the whole real catalog too', () => {
    const input = reportInput();
    const log = JSON.parse(renderSarif({ rules: RuleCatalog.rules(), findings: input.findings }));
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].tool.driver.rules.map((r: any) => r.id)).toEqual(RuleCatalog.rules().map((r) => r.id));
  });

  it('describes the tool and every rule: texts, level, control tags, security-severity', () => {
    const { tool } = sarifOf().runs[0];
    expect(tool.driver.name).toBe('mlsec-cdk');
    expect(tool.driver.version).toBe(CATALOG_VERSION);
    expect(tool.driver.informationUri).toBeUndefined();
    expect(tool.driver.rules.map((r: any) => r.id)).toEqual(['CMP-01', 'CMP-04', 'CMP-13', 'VLT-14', 'KC-07']);
    expect(tool.driver.rules[0]).toEqual({
      id: 'CMP-01',
      name: 'ServiceSetsPrivilegedTrue',
      shortDescription: { text: 'Service sets privileged: true' },
      fullDescription: { text: 'A service with privileged: true weakens isolation.' },
      help: { text: 'Remove privileged from the service.' },
      defaultConfiguration: { level: 'error' },
      properties: {
        tags: ['security', 'cis-docker-1.6/5.5', 'nist-800-53-r5/AC-6', 'nist-800-53-r5/CM-2', 'csa-aicm/IVS'],
        'security-severity': '9.5',
        severity: 'critical',
        priority: 'P1',
        kinds: ['compose'],
        unsuppressible: true,
      },
    });
    expect(tool.driver.rules[2].defaultConfiguration.level).toBe('warning');
    expect(SECURITY_SEVERITY).toEqual({ critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' });
  });

  it('gives each result its rule, location, fingerprint, and a suppression when acknowledged', () => {
    const run = sarifOf().runs[0];
    expect(run.automationDetails).toEqual({ id: 'mlsec-cdk/lab/' });
    expect(run.originalUriBaseIds.OUTDIR.description.text).toMatch(/synth output directory/);
    expect(run.results).toEqual([
      {
        ruleId: 'CMP-01',
        ruleIndex: 0,
        level: 'error',
        message: { text: "service 'api' sets privileged: true" },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'lab/docker-compose.yml', uriBaseId: 'OUTDIR' }, region: { startLine: 5, startColumn: 5 } } }],
        partialFingerprints: { 'mlsecFindingHash/v1': findingFingerprint({ ruleId: 'CMP-01', file: 'lab/docker-compose.yml', path: 'services.api.privileged' }) },
        properties: { granularId: 'CMP-01[api]', severity: 'critical', path: 'services.api.privileged', constructPath: 'lab/api', zone: 'z6' },
      },
      expect.objectContaining({
        ruleId: 'CMP-13',
        ruleIndex: 2,
        level: 'warning',
        suppressions: [
          {
            kind: 'external',
            status: 'accepted',
            justification: 'the legacy worker writes its cache under /var/cache',
            properties: { selector: 'CMP-13', by: 'lab/docker-compose.yml: services.worker.x-mlsec.overrides' },
          },
        ],
      }),
    ]);
  });

  it('keeps fingerprints stable when lines move, and distinct per rule, file and path', () => {
    const a = findingFingerprint({ ruleId: 'CMP-01', file: 'lab/docker-compose.yml', path: 'services.api.privileged' });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(findingFingerprint({ ruleId: 'CMP-01', file: 'lab/docker-compose.yml', path: 'services.api.privileged' })).toBe(a);
    expect(findingFingerprint({ ruleId: 'CMP-04', file: 'lab/docker-compose.yml', path: 'services.api.privileged' })).not.toBe(a);
    expect(findingFingerprint({ ruleId: 'CMP-01', file: 'lab/docker-compose.yml', path: 'services.web.privileged' })).not.toBe(a);
  });

  it('writes relative URIs for relative paths and file: URIs for absolute ones', () => {
    expect(artifactUri('./deploy/docker compose.yml')).toBe('deploy/docker%20compose.yml');
    expect(artifactUri('a\\b.yml')).toBe('a/b.yml');
    expect(artifactUri('/srv/lab/compose.yml')).toBe('file:///srv/lab/compose.yml');
  });

  it('maps info-level rules to SARIF note', () => {
    const rule = { ...TEST_PACKS[0].rules[0], id: 'CMP-21', level: 'info' as const, severity: 'info' as const };
    const log = JSON.parse(renderSarif({ rules: [rule], findings: [] }));
    expect(log.runs[0].tool.driver.rules[0].defaultConfiguration.level).toBe('note');
    expect(log.runs[0].tool.driver.rules[0].properties['security-severity']).toBe('0.0');
    expect(sarifErrors(log)).toEqual([]);
  });

  it('keeps the report deterministic', () => {
    expect(buildPostureReport(reportInput())).toEqual(buildPostureReport(reportInput()));
  });
});
