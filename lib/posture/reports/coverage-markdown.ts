import { CONTROL_STATUSES } from './coverage-matrix';
import { cell, code, table } from './markdown-table';
import { PostureReport } from './report-json';

const LEGEND: readonly [string, string][] = [
  ['failing', 'an evidencing rule has an unacknowledged finding on this host'],
  ['acknowledged', 'evidencing rules found something, and every finding was acknowledged with a reason'],
  ['passing', 'evidencing rules ran on documents of their kinds and found nothing'],
  ['not evaluated', 'rules evidence it, but this host has no document of their kinds'],
  ['not checkable at synth time', 'no rule evidences it: it needs runtime, process or organisational evidence'],
];

/**
 * `<vps>/posture/coverage.md`: the framework coverage matrix — for each framework and control id,
 * the rules that evidence it and the control's status on this host.
 */
export function renderCoverageMarkdown(report: PostureReport): string {
  const { frameworks } = report.coverage;
  const out: string[] = [];
  out.push(`# Framework coverage: ${report.vps}`, '');
  out.push(`Rule catalog ${report.catalogVersion}. Status of each control on this host:`, '');
  for (const [status, meaning] of LEGEND) out.push(`- **${status}**: ${meaning}.`);
  out.push('');
  out.push(
    table(
      ['Framework', ...CONTROL_STATUSES],
      frameworks.map((f) => [cell(f.title), ...CONTROL_STATUSES.map((s) => f.summary[s])]),
      'lrrrrr',
    ),
    '',
  );
  for (const f of frameworks) {
    out.push(`## ${cell(f.title)} (${code(f.id)})`, '');
    out.push(
      table(
        ['Control', 'Title', 'Status', 'Evidencing rules'],
        f.controls.map((ctl) => [
          code(ctl.id),
          ctl.title !== undefined ? cell(ctl.title) : '(not in the control catalog)',
          ctl.status,
          ctl.rules.length === 0 ? '—' : ctl.rules.map((r) => `${r.id} (${r.status})`).join(', '),
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}
