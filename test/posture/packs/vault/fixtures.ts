import { Finding, PostureModel, SourceDocument, evaluateRules } from '../../../../lib';
import type { DocumentKind } from '../../../../lib';
import { VAULT_PACK } from '../../../../lib/posture/packs/vault';
import { audit } from '../../support';

/**
 * A fixture text: drops the first line break and the common indentation, so line 1 of the
 * fixture is its first written line (YAML needs the dedent; HCL does not mind).
 */
export function text(body: string): string {
  const lines = body.replace(/^\r?\n/, '').replace(/\n\s*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Audits one document with the vault pack. */
export function auditVault(kind: DocumentKind, body: string, file?: string): Promise<Finding[]> {
  return audit(kind, text(body), { pack: VAULT_PACK, file });
}

/** Audits several documents together (config + compose + Traefik) with the vault pack. */
export async function auditModel(docs: readonly [DocumentKind, string, string][]): Promise<Finding[]> {
  const parsed = await Promise.all(docs.map(([kind, file, body]) => SourceDocument.parse(kind, file, text(body))));
  return evaluateRules(new PostureModel(parsed), VAULT_PACK.rules);
}
