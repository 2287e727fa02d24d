import { describe, expect, it } from 'vitest';
import { buildPostureReport, renderReportMarkdown } from '../../../lib';
import { reportInput } from './fixtures';

describe('report.md', () => {
  const md = renderReportMarkdown(buildPostureReport(reportInput()));

  it('matches the reviewed snapshot', async () => {
    await expect(md).toMatchFileSnapshot('__snapshots__/report.md');
  });

  it('puts the summary by severity and zone first, then findings, then acknowledgements', () => {
    const order = ['# Posture report: lab', '## Summary by severity', '## Summary by zone', '## Findings', '## Acknowledgements'].map((h) => md.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('shows each open finding with its location, zone and construct, and each acknowledgement with reason and who', () => {
    expect(md).toContain('| critical | error | `CMP-01[api]` | `lab/docker-compose.yml:5:5` `services.api.privileged` | z6 | `lab/api` | service \'api\' sets privileged: true |');
    expect(md).toContain('| `CMP-13` | `CMP-13[worker]` at `lab/docker-compose.yml:11:5` | the legacy worker writes its cache under /var/cache | `lab/docker-compose.yml: services.worker.x-mlsec.overrides` |');
    expect(md).toContain('| z3 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |');
    expect(md).toContain('| z6 | 1 | 0 | 0 | 0 | 0 | 1 | 0 |');
    // Acknowledged findings are not repeated among the open ones.
    expect(md.slice(md.indexOf('## Findings'), md.indexOf('## Acknowledgements'))).not.toContain('CMP-13');
  });

  it('states a report-only opt-out and its reason at the top', () => {
    const optedOut = renderReportMarkdown(buildPostureReport(reportInput({ reportOnly: { reason: 'rendering tests only | not a lab' } })));
    expect(optedOut.split('\n')[2]).toBe('> **Report only**: posture enforcement is off for this synth, so unacknowledged errors did not fail it. Reason given: rendering tests only \\| not a lab');
  });
});
