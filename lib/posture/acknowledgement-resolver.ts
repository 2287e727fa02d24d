import { Acknowledgement, Finding } from './finding';
import { ConstructAcknowledgement } from './posture';
import { PostureModel } from './posture-model';
import { Rule } from './rule';

/**
 * Which rules a workload's own override (`x-mlsec.overrides` in the compose file) answers for:
 * lifting a control with a reason is the acknowledgement of the finding it causes, and the report
 * shows that reason.
 */
export const OVERRIDE_RULES: Readonly<Record<string, readonly string[]>> = {
  read_only: ['CMP-13'],
  cap_add: ['CMP-09'],
  user: ['CMP-11', 'CMP-12'],
  healthcheck: ['CMP-20'],
  // Not ZONE-02: a published port on anything but the gateway breaks the two-doors invariant and
  // needs an explicit Posture acknowledgement, not just the override's reason.
  ports: ['CMP-14', 'CMP-15', 'CMP-16'],
};

/**
 * Resolves acknowledgements for findings: the nearest construct acknowledgement whose selector
 * matches the rule or granular id, else an override recorded in the document. Tracks which
 * construct acknowledgements were used and which tried to silence an unsuppressible rule.
 */
export class AcknowledgementResolver {
  private readonly used = new Set<ConstructAcknowledgement>();
  private readonly refused: { ack: ConstructAcknowledgement; finding: Finding }[] = [];

  constructor(private readonly acks: readonly ConstructAcknowledgement[]) {}

  /** The acknowledgement for a finding (undefined for unsuppressible rules). */
  public resolve(finding: Finding, rule: Rule, model: PostureModel, fallbackScope?: string): Acknowledgement | undefined {
    const scope = finding.constructPath ?? fallbackScope;
    const matching = this.acks
      .filter((a) => (a.selector === finding.ruleId || a.selector === finding.granularId) && scope !== undefined && within(scope, a.scope))
      .sort((a, b) => b.scope.length - a.scope.length);
    if (rule.unsuppressible) {
      for (const ack of matching) this.refused.push({ ack, finding });
      return undefined;
    }
    if (matching.length > 0) {
      this.used.add(matching[0]);
      return { selector: matching[0].selector, reason: matching[0].reason, by: matching[0].scope };
    }
    return documentAcknowledgement(finding, model);
  }

  /** Problems to fail the synth with: unused and refused acknowledgements. */
  public problems(): { path: string; message: string }[] {
    const out = this.refused.map(({ ack, finding }) => ({
      path: ack.scope,
      message: `acknowledgement '${ack.selector}' targets ${finding.ruleId}, which cannot be acknowledged: fix ${finding.file}:${finding.line} instead`,
    }));
    for (const ack of this.acks) {
      if (!this.used.has(ack) && !this.refused.some((r) => r.ack === ack)) {
        out.push({ path: ack.scope, message: `acknowledgement '${ack.selector}' matches no finding at or below this construct; remove it` });
      }
    }
    return out;
  }
}

/** An override in the compose document that answers for this finding, if any. */
export function documentAcknowledgement(finding: Finding, model: PostureModel): Acknowledgement | undefined {
  const [section, name] = finding.path.split('.');
  if (section !== 'services' || !name) return undefined;
  const document = model.documents.find((d) => d.file === finding.file && d.kind === 'compose');
  const overrides = document?.data?.services?.[name]?.['x-mlsec']?.overrides;
  if (!Array.isArray(overrides)) return undefined;
  for (const o of overrides) {
    if (typeof o?.reason === 'string' && o.reason.trim().length >= 10 && (OVERRIDE_RULES[o.control] ?? []).includes(finding.ruleId)) {
      return { selector: finding.ruleId, reason: o.reason, by: `${finding.file}: services.${name}.x-mlsec.overrides` };
    }
  }
  return undefined;
}

function within(path: string, scope: string): boolean {
  return path === scope || path.startsWith(`${scope}/`) || scope === '<app>';
}
