import type { Finding } from '../../../../lib';
import { COMPOSE_PACK } from '../../../../lib/posture/packs/compose';
import { audit, hitsOf } from '../../support';

/** Audits a compose text with the compose pack only. */
export function auditCompose(text: string): Promise<Finding[]> {
  return audit('compose', text, { pack: COMPOSE_PACK });
}

/** The `ID[granular]@line` hits of one rule on a compose text. */
export async function hits(text: string, ruleId: string): Promise<string[]> {
  return hitsOf(await auditCompose(text), ruleId);
}

/** The findings of one rule on a compose text. */
export async function findingsOf(text: string, ruleId: string): Promise<Finding[]> {
  return (await auditCompose(text)).filter((f) => f.ruleId === ruleId);
}
