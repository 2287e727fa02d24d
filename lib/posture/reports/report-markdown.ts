import { SEVERITIES } from '../severity';
import { cell, code, table } from './markdown-table';
import { PostureReport, ReportFinding, ReportZone } from './report-json';

/**
 * `<vps>/posture/report.md`: a summary by severity and by zone, then the open findings, then the
 * acknowledgements with their reasons and who made them. Deterministic: no dates, no absolute paths.
 */
export function renderReportMarkdown(report: PostureReport): string {
  const { summary } = report;
  const out: string[] = [];
  out.push(`# Posture report: ${report.vps}`, '');
  if (report.enforcement.mode === 'report-only') {
    out.push(`> **Report only**: posture enforcement is off for this synth, so unacknowledged errors did not fail it. Reason given: ${cell(report.enforcement.reason ?? '')}`, '');
  }
  const ruleCount = report.packs.reduce((n, p) => n + p.rules, 0);
  out.push(`- Rule catalog: ${report.catalogVersion}, ${ruleCount} rules (${report.packs.map((p) => `${p.name} ${p.rules}`).join(', ')})`);
  out.push(`- Documents audited: ${report.documents.length === 0 ? 'none' : report.documents.map((d) => `${code(d.file)} (${d.kind})`).join(', ')}`);
  out.push(`- Findings: ${summary.open} open, ${summary.acknowledged} acknowledged; ${blockingNote(report)}`);
  out.push('- Framework coverage: [coverage.md](coverage.md)', '');

  out.push('## Summary by severity', '');
  out.push(
    table(
      ['Severity', 'Open', 'Acknowledged'],
      [...summary.bySeverity.map((s) => [s.severity, s.open, s.acknowledged]), ['**total**', summary.open, summary.acknowledged]],
      'lrr',
    ),
    '',
  );

  out.push('## Summary by zone', '');
  if (summary.byZone.length === 0) {
    out.push('No findings.', '');
  } else {
    out.push(
      table(
        ['Zone', ...SEVERITIES, 'Open', 'Acknowledged'],
        summary.byZone.map((z) => [z.zone ?? '(no zone)', ...SEVERITIES.map((s) => z.open[s]), z.openTotal, z.acknowledged]),
        'lrrrrrrr',
      ),
      '',
    );
  }

  out.push(...zoneSections(report.zones));

  const open = report.findings.filter((f) => !f.acknowledged);
  out.push('## Findings', '');
  if (open.length === 0) {
    out.push('No open findings.', '');
  } else {
    out.push(
      table(
        ['Severity', 'Level', 'Rule', 'Location', 'Zone', 'Construct', 'Message'],
        open.map((f) => [f.severity, f.level, code(f.granularId), location(f), f.zone ?? '', f.constructPath ? code(f.constructPath) : '', cell(f.message)]),
      ),
      '',
    );
  }

  out.push('## Acknowledgements', '');
  if (report.acknowledgements.length === 0) {
    out.push('None.', '');
  } else {
    out.push(
      table(
        ['Selector', 'Findings', 'Reason', 'By'],
        report.acknowledgements.map((a) => [
          code(a.selector),
          a.findings.map((f) => `${code(f.granularId)} at ${code(`${f.file}:${f.line}:${f.column}`)}`).join('<br>'),
          cell(a.reason),
          code(a.by),
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}

/** Per zone: its risks, then each control and how it is covered (rules, construct, or the gap). */
function zoneSections(zones: readonly ReportZone[]): string[] {
  if (zones.length === 0) return [];
  const out = ['## Zones: risks and controls', ''];
  for (const z of zones) {
    out.push(`### ${z.zone.toUpperCase()} ${z.title} (${code(z.construct)})`, '');
    out.push(`Risks: ${z.risks.map((r) => `${code(r.id)} ${cell(r.title)}`).join('; ')}.`, '');
    out.push(
      table(
        ['Control', 'Asserts', 'Status', 'Covered by'],
        z.controls.map((c) => [code(c.id), cell(c.title), c.status, c.rules ? c.rules.map(code).join(', ') : cell(c.builtBy ?? c.gap ?? '')]),
      ),
      '',
    );
  }
  return out;
}

function blockingNote(report: PostureReport): string {
  const n = report.summary.blocking;
  if (n === 0) return 'no unacknowledged error-level finding';
  const what = `${n} unacknowledged error-level finding${n === 1 ? '' : 's'}`;
  return report.enforcement.mode === 'report-only' ? `${what} (reported only: enforcement is off)` : `${what} (${n === 1 ? 'it fails' : 'they fail'} the synth)`;
}

function location(f: ReportFinding): string {
  return `${code(`${f.file}:${f.line}:${f.column}`)} ${code(f.path)}`;
}
