import { Finding, PostureModel, RuleCatalog, RulePack, SourceDocument, evaluateRules } from '../../../../lib';
import type { DocumentKind } from '../../../../lib';
import { TRAEFIK_PACK } from '../../../../lib/posture/packs/traefik';

/** One file of a multi-document audit. */
export interface AuditFile {
  /** Document kind. */
  readonly kind: DocumentKind;
  /** File name, used to tell findings apart. */
  readonly file: string;
  /** Its text. */
  readonly text: string;
}

/**
 * Audits several documents together (a static traefik.yml with its dynamic files, or with the
 * compose file), the way a synthesized host is audited.
 */
export async function auditFiles(files: readonly AuditFile[], pack?: RulePack): Promise<Finding[]> {
  const documents = await Promise.all(files.map((f) => SourceDocument.parse(f.kind, f.file, f.text)));
  return evaluateRules(new PostureModel(documents), pack ? pack.rules : RuleCatalog.rules());
}

/** The findings of one rule in one file, as `granularId@line`. */
export function hitsIn(findings: readonly Finding[], ruleId: string, file: string): string[] {
  return findings.filter((f) => f.ruleId === ruleId && f.file === file).map((f) => `${f.granularId}@${f.line}`);
}

/** The documents of one Traefik host: any of the static file, one dynamic file and compose. */
export interface TraefikHost {
  /** `traefik.yml`. */
  readonly static?: string;
  /** `dynamic.yml`. */
  readonly dynamic?: string;
  /** `docker-compose.yml`. */
  readonly compose?: string;
}

/** Audits a host's documents together with one pack. */
export function auditHost(host: TraefikHost, pack: RulePack): Promise<Finding[]> {
  const files: AuditFile[] = [];
  if (host.static !== undefined) files.push({ kind: 'traefik-static', file: 'traefik.yml', text: host.static });
  if (host.dynamic !== undefined) files.push({ kind: 'traefik-dynamic', file: 'dynamic.yml', text: host.dynamic });
  if (host.compose !== undefined) files.push({ kind: 'compose', file: 'docker-compose.yml', text: host.compose });
  return auditFiles(files, pack);
}

/**
 * Every traefik rule except TRF-21, whose ajv compilation of two large schemas would be paid by
 * every test process; TRF-21's own tests and the reference and robustness tests run the full
 * pack.
 */
export const FAST_PACK = new RulePack('traefik-without-schema', TRAEFIK_PACK.rules.filter((r) => r.id !== 'TRF-21'));
