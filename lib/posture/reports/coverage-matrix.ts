import { Framework, FRAMEWORKS } from '../controls';
import { Finding } from '../finding';
import { PostureModel } from '../posture-model';
import { Rule } from '../rule';
import { compareControlIds, FRAMEWORK_CONTROLS } from './framework-controls';

/** What one rule found on this host. */
export type RuleStatus = 'failing' | 'acknowledged' | 'passing' | 'not evaluated';

/**
 * What this host shows for one control: `failing` (an evidencing rule has an unacknowledged
 * finding), `acknowledged` (its findings are all acknowledged), `passing` (evidencing rules ran
 * on documents of their kinds and found nothing), `not evaluated` (evidencing rules exist but no
 * document of their kinds was present), `not checkable at synth time` (no rule evidences it).
 */
export type ControlStatus = RuleStatus | 'not checkable at synth time';

/** Every control status, worst first (the order of report columns). */
export const CONTROL_STATUSES: readonly ControlStatus[] = ['failing', 'acknowledged', 'passing', 'not evaluated', 'not checkable at synth time'];

/** One rule's result on this host. */
export interface RuleCoverage {
  /** Rule id. */
  readonly id: string;
  /** Its status. */
  readonly status: RuleStatus;
  /** Unacknowledged findings. */
  readonly open: number;
  /** Acknowledged findings. */
  readonly acknowledged: number;
}

/** One control of one framework. */
export interface ControlCoverage {
  /** Normalized control id. */
  readonly id: string;
  /** Its title, when the control catalog lists it. */
  readonly title?: string;
  /** False for an id a rule cites that is not in the framework control catalog. */
  readonly catalogued: boolean;
  /** Its status on this host. */
  readonly status: ControlStatus;
  /** The rules that evidence it, with their status. */
  readonly rules: readonly { readonly id: string; readonly status: RuleStatus }[];
}

/** One framework's controls. */
export interface FrameworkCoverage {
  /** Framework id (`cis-docker-1.6`, …). */
  readonly id: Framework;
  /** Display title. */
  readonly title: string;
  /** Count of controls per status. */
  readonly summary: Readonly<Record<ControlStatus, number>>;
  /** Its controls: catalogued ones in catalog order, then uncatalogued ones rules cite. */
  readonly controls: readonly ControlCoverage[];
}

/** The framework coverage matrix of one host. */
export interface CoverageMatrix {
  /** Per framework. */
  readonly frameworks: readonly FrameworkCoverage[];
  /** Per rule, in catalog order. */
  readonly rules: readonly RuleCoverage[];
}

/** What the matrix is computed from. */
export interface CoverageInput {
  /** The rules of the catalog, in catalog order. */
  readonly rules: readonly Rule[];
  /** The documents that were audited. */
  readonly model: PostureModel;
  /** Every finding, acknowledged or not. */
  readonly findings: readonly Finding[];
}

/** Computes, for each framework and control, the rules that evidence it and their status. */
export function coverageMatrix(input: CoverageInput): CoverageMatrix {
  const kinds = new Set(input.model.documents.map((d) => d.kind));
  const counts = new Map<string, { open: number; acknowledged: number }>();
  for (const f of input.findings) {
    const entry = counts.get(f.ruleId) ?? { open: 0, acknowledged: 0 };
    if (f.acknowledged) entry.acknowledged++;
    else entry.open++;
    counts.set(f.ruleId, entry);
  }
  const rules: RuleCoverage[] = input.rules.map((rule) => {
    const { open, acknowledged } = counts.get(rule.id) ?? { open: 0, acknowledged: 0 };
    const ran = rule.kinds.some((k) => kinds.has(k));
    const status: RuleStatus = open > 0 ? 'failing' : acknowledged > 0 ? 'acknowledged' : ran ? 'passing' : 'not evaluated';
    return { id: rule.id, status, open, acknowledged };
  });
  const statusOf = new Map(rules.map((r) => [r.id, r.status]));

  const frameworks = FRAMEWORKS.map(({ id: framework, title }): FrameworkCoverage => {
    const evidence = new Map<string, string[]>();
    for (const rule of input.rules) {
      const cited = rule.controls[framework];
      if (!Array.isArray(cited)) continue;
      for (const control of new Set(cited)) {
        if (typeof control !== 'string') continue;
        const list = evidence.get(control) ?? [];
        if (!list.includes(rule.id)) list.push(rule.id);
        evidence.set(control, list);
      }
    }
    const catalog = FRAMEWORK_CONTROLS[framework];
    const known = new Set(catalog.map((ctl) => ctl.id));
    const extra = [...evidence.keys()].filter((id) => !known.has(id)).sort(compareControlIds);
    const rows = [...catalog.map((ctl) => ({ id: ctl.id, title: ctl.title as string | undefined, catalogued: true })), ...extra.map((id) => ({ id, title: undefined, catalogued: false }))];
    const controls = rows.map((row): ControlCoverage => {
      const ruleRows = (evidence.get(row.id) ?? []).map((id) => ({ id, status: statusOf.get(id)! }));
      return { ...row, status: controlStatus(ruleRows.map((r) => r.status)), rules: ruleRows };
    });
    const summary = Object.fromEntries(CONTROL_STATUSES.map((s) => [s, controls.filter((ctl) => ctl.status === s).length])) as Record<ControlStatus, number>;
    return { id: framework, title, summary, controls };
  });
  return { frameworks, rules };
}

/** A control's status from the statuses of the rules that evidence it. */
export function controlStatus(ruleStatuses: readonly RuleStatus[]): ControlStatus {
  if (ruleStatuses.length === 0) return 'not checkable at synth time';
  if (ruleStatuses.includes('failing')) return 'failing';
  if (ruleStatuses.includes('acknowledged')) return 'acknowledged';
  if (ruleStatuses.includes('passing')) return 'passing';
  return 'not evaluated';
}
