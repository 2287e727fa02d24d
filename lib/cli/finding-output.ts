import { FRAMEWORKS } from '../posture/controls';
import { Finding } from '../posture/finding';
import { renderSarif } from '../posture/reports/report-sarif';
import { RuleCatalog, CATALOG_VERSION } from '../posture/rule-catalog';
import { CheckFormat, RulesFormat } from './cli-args';

/** One finding in `mlsec check --format json`: exactly these keys, in this order. */
export interface JsonFinding {
  readonly ruleId: string;
  readonly severity: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

/**
 * The stdout of `mlsec check`: `text` prints one `file:line:col severity ruleId message` line per
 * open finding; `json` prints `{"findings":[…]}` with the keys of {@link JsonFinding}; `sarif`
 * prints a SARIF 2.1.0 log where acknowledged findings are suppressed results.
 */
export function formatFindings(format: CheckFormat, findings: readonly Finding[]): string {
  const open = findings.filter((f) => !f.acknowledged);
  switch (format) {
    case 'text':
      return open.map((f) => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${oneLine(f.message)}\n`).join('');
    case 'json':
      return `${JSON.stringify({ findings: open.map(jsonFinding) }, null, 2)}\n`;
    case 'sarif':
      return renderSarif({ rules: RuleCatalog.rules(), findings });
  }
}

/** The JSON form of one finding. */
export function jsonFinding(f: Finding): JsonFinding {
  return { ruleId: f.ruleId, severity: f.severity, file: f.file, line: f.line, column: f.column, path: f.path, message: f.message };
}

/** The stdout of `mlsec rules`: one line per rule (text), or `{"catalogVersion","rules":[…]}` (json). */
export function formatRules(format: RulesFormat): string {
  const packs = RuleCatalog.packs();
  if (format === 'json') {
    const rules = packs.flatMap((p) =>
      p.rules.map((r) => ({
        id: r.id,
        pack: p.name,
        title: r.title,
        severity: r.severity,
        level: r.level,
        priority: r.priority,
        unsuppressible: r.unsuppressible === true,
        controls: Object.fromEntries(FRAMEWORKS.filter((f) => (r.controls[f.id] ?? []).length > 0).map((f) => [f.id, [...(r.controls[f.id] ?? [])]])),
      })),
    );
    return `${JSON.stringify({ catalogVersion: CATALOG_VERSION, rules }, null, 2)}\n`;
  }
  const rules = packs.flatMap((p) => p.rules);
  const idWidth = Math.max(2, ...rules.map((r) => r.id.length));
  const lines = [`mlsec-cdk rule catalog ${CATALOG_VERSION}: ${rules.length} rules`];
  for (const pack of packs) {
    lines.push('', `${pack.name} (${pack.rules.length})`);
    for (const r of pack.rules) {
      const controls = FRAMEWORKS.flatMap((f) => (r.controls[f.id] ?? []).map((c) => `${f.id}/${c}`)).join(' ');
      lines.push(`  ${r.id.padEnd(idWidth)}  ${r.severity.padEnd(8)}  ${r.level.padEnd(7)}  ${oneLine(r.title)}${r.unsuppressible ? ' [unsuppressible]' : ''}${controls ? `  (${controls})` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}
