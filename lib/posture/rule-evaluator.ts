import { compareCodePoints } from '../core/canonical-json';
import { MlsecError } from '../core/errors';
import { Acknowledgement, Finding } from './finding';
import { PostureModel } from './posture-model';
import { Rule } from './rule';

/** Decides whether a finding is accepted, and by which acknowledgement. */
export type AcknowledgeFunction = (finding: Finding, rule: Rule) => Acknowledgement | undefined;

/**
 * Runs rules read-only over a model: the documents' data is deep-frozen (see SourceDocument), so
 * a rule that writes to one throws, and that is reported as a bug of the rule, by name. Findings
 * are located (file, line, column, dotted path, construct) and returned in a stable order.
 */
export function evaluateRules(model: PostureModel, rules: readonly Rule[], acknowledge: AcknowledgeFunction = () => undefined): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const applicable = model.documents.some((d) => rule.kinds.includes(d.kind));
    if (!applicable) continue;
    let hits;
    try {
      hits = rule.check(model);
    } catch (err) {
      throw new MlsecError(`posture rule ${rule.id} failed: ${(err as Error)?.message ?? String(err)}`);
    }
    for (const hit of hits) {
      const location = hit.document.locate(hit.path);
      const finding: Finding = {
        ruleId: rule.id,
        granularId: hit.granular !== undefined ? `${rule.id}[${hit.granular}]` : rule.id,
        severity: hit.severity ?? rule.severity,
        level: rule.level,
        file: hit.document.file,
        line: location.line,
        column: location.column,
        path: hit.path.map(String).join('.'),
        message: hit.message,
        constructPath: hit.document.constructPathAt(hit.path),
      };
      const acknowledged = acknowledge(finding, rule);
      findings.push(acknowledged ? { ...finding, acknowledged } : finding);
    }
  }
  return findings.sort(compareFindings);
}

/** Stable order: file, line, column, rule id, granular id, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareCodePoints(a.file, b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    compareCodePoints(a.ruleId, b.ruleId) ||
    compareCodePoints(a.granularId, b.granularId) ||
    compareCodePoints(a.message, b.message)
  );
}
