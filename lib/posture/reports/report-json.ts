import { canonicalJson, compareCodePoints } from '../../core/canonical-json';
import { Vps } from '../../core/vps';
import { Acknowledgement, Finding } from '../finding';
import { PostureModel } from '../posture-model';
import { CATALOG_VERSION } from '../rule-catalog';
import { RulePack } from '../rule-pack';
import { Severity, SEVERITIES } from '../severity';
import type { DocumentKind } from '../source-document';
import { coverageMatrix, CoverageMatrix } from './coverage-matrix';
import { findingZones } from './finding-zones';
import type { ZoneProfile, ZoneProfileControl } from '../zone-profile';

/** Everything a report needs about one host. */
export interface PostureReportInput {
  /** The host. */
  readonly vps: Vps;
  /** The documents audited. */
  readonly model: PostureModel;
  /** Every finding, acknowledged or not, in stable order. */
  readonly findings: readonly Finding[];
  /** The packs that ran. */
  readonly rules: readonly RulePack[];
  /**
   * The App's posture opt-out (`postureReportOnly`): errors are reported but do not fail the synth.
   * @default enforced
   */
  readonly reportOnly?: { readonly reason: string };
  /**
   * The zones built on the host (L3 zone constructs), with their risks and controls.
   * @default none
   */
  readonly zones?: readonly ZoneProfile[];
}

/** A zone control with its state in this synth. */
export interface ReportZoneControl extends ZoneProfileControl {
  /**
   * `checked`: its rules ran with no open finding; `warned`: one has an open warning or info
   * finding; `failing`: one has an open error; `built-in`: a construct builds it; `gap`: not
   * covered (see `gap`).
   */
  readonly status: 'checked' | 'warned' | 'failing' | 'built-in' | 'gap';
}

/** A zone as the report prints it. */
export interface ReportZone extends Omit<ZoneProfile, 'controls'> {
  /** Its controls and their state. */
  readonly controls: readonly ReportZoneControl[];
}

/** A finding as the report prints it: the engine's finding plus the zone of its service. */
export interface ReportFinding extends Finding {
  /** Zone of the compose service the finding is on (`z3`), if any. */
  readonly zone?: string;
}

/** One acknowledgement and the findings it accepted. */
export interface ReportAcknowledgement extends Acknowledgement {
  /** The findings it accepted, in report order. */
  readonly findings: readonly { readonly granularId: string; readonly file: string; readonly line: number; readonly column: number; readonly path: string }[];
}

/** Counts for one severity. */
export interface SeverityCount {
  /** The severity. */
  readonly severity: Severity;
  /** Unacknowledged findings. */
  readonly open: number;
  /** Acknowledged findings. */
  readonly acknowledged: number;
}

/** Counts for one zone. */
export interface ZoneCount {
  /** The zone, or undefined for findings on nothing zoned (routers, policies, realms …). */
  readonly zone?: string;
  /** Unacknowledged findings per severity. */
  readonly open: Readonly<Record<Severity, number>>;
  /** Unacknowledged findings in all. */
  readonly openTotal: number;
  /** Acknowledged findings in all. */
  readonly acknowledged: number;
}

/** `<vps>/posture/report.json`: the whole posture result of one host. */
export interface PostureReport {
  /** Format version of this file. */
  readonly reportVersion: 1;
  /** Version of the rule catalog that produced it. */
  readonly catalogVersion: string;
  /** The host. */
  readonly vps: string;
  /** Whether unacknowledged errors fail the synth (`enforced`) or are only reported, and why. */
  readonly enforcement: { readonly mode: 'enforced' | 'report-only'; readonly reason?: string };
  /** The packs that ran and how many rules each has. */
  readonly packs: readonly { readonly name: string; readonly rules: number }[];
  /** The documents audited (paths relative to the output directory). */
  readonly documents: readonly { readonly file: string; readonly kind: DocumentKind }[];
  /** Totals. */
  readonly summary: {
    /** Every finding. */
    readonly findings: number;
    /** Unacknowledged findings. */
    readonly open: number;
    /** Acknowledged findings. */
    readonly acknowledged: number;
    /** Unacknowledged error-level findings (they fail the synth). */
    readonly blocking: number;
    /** Per severity, worst first. */
    readonly bySeverity: readonly SeverityCount[];
    /** Per zone (z0…z9, then findings with no zone). */
    readonly byZone: readonly ZoneCount[];
  };
  /** Every finding, acknowledged or not, in stable order (file, line, column, rule). */
  readonly findings: readonly ReportFinding[];
  /** Every acknowledgement that accepted a finding: reason, who/where, and what it accepted. */
  readonly acknowledgements: readonly ReportAcknowledgement[];
  /** The framework coverage matrix. */
  readonly coverage: CoverageMatrix;
  /** The zones on the host: risks, and how each control is covered in this synth. */
  readonly zones: readonly ReportZone[];
}

/** Builds the report data of one host (pure, deterministic). */
export function buildPostureReport(input: PostureReportInput): PostureReport {
  const zones = findingZones(input.model, input.findings);
  const findings: ReportFinding[] = input.findings.map((f, i) => (zones[i] !== undefined ? { ...f, zone: zones[i] } : { ...f }));
  const open = findings.filter((f) => !f.acknowledged);
  return {
    reportVersion: 1,
    catalogVersion: CATALOG_VERSION,
    vps: input.vps.name,
    enforcement: input.reportOnly ? { mode: 'report-only', reason: input.reportOnly.reason } : { mode: 'enforced' },
    packs: input.rules.map((p) => ({ name: p.name, rules: p.rules.length })),
    documents: input.model.documents.map((d) => ({ file: d.file, kind: d.kind })),
    summary: {
      findings: findings.length,
      open: open.length,
      acknowledged: findings.length - open.length,
      blocking: open.filter((f) => f.level === 'error').length,
      bySeverity: severityCounts(findings),
      byZone: zoneCounts(findings),
    },
    findings,
    acknowledgements: acknowledgementsOf(findings),
    coverage: coverageMatrix({ rules: input.rules.flatMap((p) => p.rules), model: input.model, findings }),
    zones: zonesOf(input.zones ?? [], open),
  };
}

function zonesOf(zones: readonly ZoneProfile[], open: readonly Finding[]): ReportZone[] {
  const failing = new Set(open.filter((f) => f.level === 'error').map((f) => f.ruleId));
  const warned = new Set(open.map((f) => f.ruleId));
  const status = (c: ZoneProfileControl): ReportZoneControl['status'] => {
    if (!c.rules || c.rules.length === 0) return c.builtBy ? 'built-in' : 'gap';
    return c.rules.some((r) => failing.has(r)) ? 'failing' : c.rules.some((r) => warned.has(r)) ? 'warned' : 'checked';
  };
  return zones.map((z) => ({ ...z, controls: z.controls.map((c) => ({ ...c, status: status(c) })) }));
}

/** The canonical JSON text of a report. */
export function renderReportJson(report: PostureReport): string {
  return canonicalJson(report);
}

function severityCounts(findings: readonly Finding[]): SeverityCount[] {
  const open = new Map<Severity, number>();
  const acknowledged = new Map<Severity, number>();
  for (const f of findings) {
    const counts = f.acknowledged ? acknowledged : open;
    counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  }
  return SEVERITIES.map((severity) => ({ severity, open: open.get(severity) ?? 0, acknowledged: acknowledged.get(severity) ?? 0 }));
}

function zoneCounts(findings: readonly ReportFinding[]): ZoneCount[] {
  const byZone = new Map<string | undefined, { open: Record<Severity, number>; openTotal: number; acknowledged: number }>();
  for (const f of findings) {
    let entry = byZone.get(f.zone);
    if (!entry) byZone.set(f.zone, (entry = { open: { critical: 0, high: 0, medium: 0, low: 0, info: 0 }, openTotal: 0, acknowledged: 0 }));
    if (f.acknowledged) {
      entry.acknowledged++;
    } else {
      entry.open[f.severity]++;
      entry.openTotal++;
    }
  }
  const zones = [...byZone.keys()].sort((a, b) => (a === undefined ? 1 : b === undefined ? -1 : compareCodePoints(a, b)));
  return zones.map((zone) => ({ zone, ...byZone.get(zone)! }));
}

function acknowledgementsOf(findings: readonly Finding[]): ReportAcknowledgement[] {
  const groups = new Map<string, { ack: Acknowledgement; findings: ReportAcknowledgement['findings'][number][] }>();
  for (const f of findings) {
    if (!f.acknowledged) continue;
    const { selector, reason, by } = f.acknowledged;
    const key = `${by}\u0000${selector}\u0000${reason}`;
    const group = groups.get(key) ?? groups.set(key, { ack: { selector, reason, by }, findings: [] }).get(key)!;
    group.findings.push({ granularId: f.granularId, file: f.file, line: f.line, column: f.column, path: f.path });
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([, g]) => ({ ...g.ack, findings: g.findings }));
}
