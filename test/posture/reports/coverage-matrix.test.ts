import { describe, expect, it } from 'vitest';
import { buildPostureReport, CONTROL_STATUSES, controlStatus, FRAMEWORK_CONTROLS, FRAMEWORKS, renderCoverageMarkdown } from '../../../lib';
import type { ControlCoverage, PostureReport } from '../../../lib';
import { reportInput } from './fixtures';

function control(report: PostureReport, framework: string, id: string): ControlCoverage {
  const found = report.coverage.frameworks.find((f) => f.id === framework)?.controls.find((c) => c.id === id);
  if (!found) throw new Error(`no control ${framework}/${id}`);
  return found;
}

describe('framework coverage matrix', () => {
  const report = buildPostureReport(reportInput());

  it('gives each rule its status on this host', () => {
    expect(report.coverage.rules).toEqual([
      { id: 'CMP-01', status: 'failing', open: 1, acknowledged: 0 },
      { id: 'CMP-04', status: 'passing', open: 0, acknowledged: 0 },
      { id: 'CMP-13', status: 'acknowledged', open: 0, acknowledged: 1 },
      { id: 'VLT-14', status: 'not evaluated', open: 0, acknowledged: 0 },
      { id: 'KC-07', status: 'not evaluated', open: 0, acknowledged: 0 },
    ]);
  });

  it('derives each control status from the rules that evidence it', () => {
    expect(control(report, 'cis-docker-1.6', '5.5')).toEqual({ id: '5.5', title: 'Privileged containers are not used', catalogued: true, status: 'failing', rules: [{ id: 'CMP-01', status: 'failing' }] });
    expect(control(report, 'cis-docker-1.6', '5.13')).toMatchObject({ status: 'acknowledged', rules: [{ id: 'CMP-13', status: 'acknowledged' }] });
    expect(control(report, 'cis-docker-1.6', '5.10')).toMatchObject({ status: 'passing', rules: [{ id: 'CMP-04', status: 'passing' }] });
    expect(control(report, 'nist-800-53-r5', 'IA-2')).toMatchObject({ status: 'not evaluated', rules: [{ id: 'KC-07', status: 'not evaluated' }] });
    expect(control(report, 'cis-docker-1.6', '5.1')).toMatchObject({ status: 'not checkable at synth time', rules: [] });
    expect(control(report, 'nist-ai-rmf', 'GOVERN')).toMatchObject({ status: 'not checkable at synth time', rules: [] });
  });

  it('takes the worst rule status: failing, then acknowledged, then passing, then not evaluated', () => {
    // AC-6: CMP-01 (failing) and VLT-14 (not evaluated); AC-3: VLT-14 only; IVS: failing + passing + acknowledged.
    expect(control(report, 'nist-800-53-r5', 'AC-6').status).toBe('failing');
    expect(control(report, 'nist-800-53-r5', 'AC-3').status).toBe('not evaluated');
    expect(control(report, 'csa-aicm', 'IVS')).toMatchObject({ status: 'failing', rules: [{ id: 'CMP-01' }, { id: 'CMP-04' }, { id: 'CMP-13' }] });
    expect(controlStatus(['not evaluated', 'passing'])).toBe('passing');
    expect(controlStatus(['passing', 'acknowledged'])).toBe('acknowledged');
    expect(controlStatus(['acknowledged', 'failing', 'passing'])).toBe('failing');
    expect(controlStatus(['not evaluated'])).toBe('not evaluated');
    expect(controlStatus([])).toBe('not checkable at synth time');
  });

  it('lists every catalogued control of every framework, then ids rules cite outside the catalog', () => {
    expect(report.coverage.frameworks.map((f) => f.id)).toEqual(FRAMEWORKS.map((f) => f.id));
    for (const f of report.coverage.frameworks) {
      const catalogued = f.controls.filter((c) => c.catalogued).map((c) => c.id);
      expect(catalogued).toEqual(FRAMEWORK_CONTROLS[f.id].map((c) => c.id));
      expect(Object.values(f.summary).reduce((a, b) => a + b, 0)).toBe(f.controls.length);
    }
    const nist = report.coverage.frameworks.find((f) => f.id === 'nist-800-53-r5')!;
    expect(nist.controls.filter((c) => !c.catalogued)).toEqual([{ id: 'CM-2', catalogued: false, status: 'failing', rules: [{ id: 'CMP-01', status: 'failing' }] }]);
  });

  it('catalogs the normalized ids of CONTROLS.md §3.2 and RULES.md §3', () => {
    const ids = (f: keyof typeof FRAMEWORK_CONTROLS) => FRAMEWORK_CONTROLS[f].map((c) => c.id);
    expect(ids('owasp-llm-2025')).toEqual(['LLM01', 'LLM02', 'LLM03', 'LLM04', 'LLM05', 'LLM06', 'LLM07', 'LLM08', 'LLM09', 'LLM10']);
    expect(ids('owasp-ml-2023')).toEqual(['ML01', 'ML02', 'ML03', 'ML04', 'ML05', 'ML06', 'ML07', 'ML08', 'ML09', 'ML10']);
    expect(ids('cis-docker-1.6').filter((id) => id.startsWith('5.'))).toEqual(Array.from({ length: 32 }, (_, i) => `5.${i + 1}`));
    expect(ids('csa-aicm')).toEqual(['A&A', 'AIS', 'BCR', 'CEK', 'DSP', 'GRC', 'IAM', 'IPY', 'IVS', 'LOG', 'MDS', 'SEF', 'STA', 'TVM', 'UEM']);
    expect(ids('nist-ai-rmf')).toEqual(['GOVERN', 'MAP', 'MEASURE', 'MANAGE']);
    expect(ids('nist-800-53-r5').every((id) => /^[A-Z]{2}-\d{1,2}$/.test(id))).toBe(true);
    expect(ids('nist-800-53-r5')).toEqual(expect.arrayContaining(['AC-4', 'AC-6', 'AU-2', 'AU-12', 'CM-6', 'CM-7', 'IA-5', 'SC-7', 'SC-8', 'SC-28', 'SI-7']));
    expect(ids('nist-800-53-r5')).not.toContain('AR-1');
  });

  it('renders coverage.md: a summary per framework, then each control with its rules', () => {
    const md = renderCoverageMarkdown(report);
    expect(md.startsWith('# Framework coverage: lab\n')).toBe(true);
    expect(md).toContain(`| Framework | ${CONTROL_STATUSES.join(' | ')} |`);
    expect(md).toContain('| `5.5` | Privileged containers are not used | failing | CMP-01 (failing) |');
    expect(md).toContain('| `5.13` | The root filesystem is mounted read-only | acknowledged | CMP-13 (acknowledged) |');
    expect(md).toContain('| `5.1` | Swarm mode is off unless needed | not checkable at synth time | — |');
    expect(md).toContain('| `CM-2` | (not in the control catalog) | failing | CMP-01 (failing) |');
    expect(md).toContain('| `A&A` | Audit & Assurance | not checkable at synth time | — |');
    expect(md.endsWith('\n')).toBe(true);
  });
});
