import { FRAMEWORKS } from '../controls';
import { Rule } from '../rule';
import { CATALOG_VERSION } from '../rule-catalog';
import { RulePack } from '../rule-pack';
import { cell, code, table } from './markdown-table';

/** Where the generated catalog lives in the project. */
export const RULES_DOC_PATH = 'docs/RULES.md';

/**
 * The text of `docs/RULES.md`, generated from rule metadata (never hand-maintained): per pack an
 * overview table, then each rule's priority, severity, level, title, rationale, remediation and
 * framework controls; unsuppressible rules are marked.
 */
export function renderRulesDoc(packs: readonly RulePack[]): string {
  const rules = packs.flatMap((p) => p.rules);
  const out: string[] = [];
  out.push('# Posture rule catalog', '');
  out.push('<!-- Generated from the rule metadata in lib/posture/packs/ by `npx projen gen:rules` (tools/generate-rules-doc.ts). Do not edit: a test fails when this file is stale. -->', '');
  out.push(
    `Catalog version ${CATALOG_VERSION}: ${rules.length} rules in ${packs.length} packs. A finding of an **error** rule fails the synth ` +
      '(and makes `mlsec check` exit 1) unless it is acknowledged with a reason; **warning** and **info** findings are reported. ' +
      'Rules marked **unsuppressible** cannot be acknowledged: the configuration must be fixed.',
    '',
  );
  out.push(
    table(
      ['Pack', 'Rules', 'error', 'warning', 'info', 'P1'],
      packs.map((p) => [
        `[${p.name}](#${p.name}-pack)`,
        p.rules.length,
        p.rules.filter((r) => r.level === 'error').length,
        p.rules.filter((r) => r.level === 'warning').length,
        p.rules.filter((r) => r.level === 'info').length,
        p.rules.filter((r) => r.priority === 'P1').length,
      ]),
      'lrrrrr',
    ),
    '',
  );
  for (const pack of packs) {
    out.push(`## ${pack.name} pack`, '');
    if (pack.rules.length === 0) {
      out.push('No rules yet.', '');
      continue;
    }
    out.push(
      table(
        ['Id', 'Priority', 'Severity', 'Level', 'Title'],
        pack.rules.map((r) => [`[${r.id}](#${anchor(r)})`, r.priority, r.severity, r.level + (r.unsuppressible ? ' (unsuppressible)' : ''), cell(r.title)]),
      ),
      '',
    );
    for (const rule of pack.rules) out.push(...ruleSection(rule));
  }
  return out.join('\n');
}

function ruleSection(rule: Rule): string[] {
  const controls = FRAMEWORKS.filter((f) => (rule.controls[f.id] ?? []).length > 0).map((f) => `${f.title}: ${(rule.controls[f.id] ?? []).join(', ')}`);
  return [
    `### ${rule.id}: ${rule.title}`,
    '',
    `- Priority ${rule.priority}, severity ${rule.severity}, level ${rule.level}${rule.unsuppressible ? ', **unsuppressible**' : ''}`,
    `- Reads: ${rule.kinds.map((k) => code(k)).join(', ')}`,
    `- Rationale: ${oneLine(rule.rationale)}`,
    `- Remediation: ${oneLine(rule.remediation)}`,
    `- Controls: ${controls.length > 0 ? controls.join('; ') : 'none'}`,
    '',
  ];
}

/** GitHub's heading anchor for `### <id>: <title>`. */
function anchor(rule: Rule): string {
  return `${rule.id}: ${rule.title}`
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}
