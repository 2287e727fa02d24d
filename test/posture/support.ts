import { Finding, PostureModel, RuleCatalog, RulePack, SourceDocument, evaluateRules } from '../../lib';
import type { DocumentKind } from '../../lib';

/**
 * Audits one document text with the rules of one pack (or every pack), the way `mlsec check`
 * does: parse (YAML/JSON synchronously, HCL with HashiCorp's parser), evaluate, locate.
 */
export async function audit(kind: DocumentKind, text: string, options: { pack?: RulePack; file?: string } = {}): Promise<Finding[]> {
  const document = await SourceDocument.parse(kind, options.file ?? `fixture.${kind.startsWith('vault') ? 'hcl' : kind === 'keycloak-realm' ? 'json' : 'yml'}`, text);
  const rules = options.pack ? options.pack.rules : RuleCatalog.rules();
  return evaluateRules(new PostureModel([document]), rules);
}

/** The findings of one rule, as `ruleId@line` strings, for compact exact assertions. */
export function hitsOf(findings: readonly Finding[], ruleId: string): string[] {
  return findings.filter((f) => f.ruleId === ruleId).map((f) => `${f.granularId}@${f.line}`);
}
