import { Assembly } from '../core/assembly';
import { compareCodePoints } from '../core/canonical-json';
import type { ReportFinding } from './reports/report-json';
import { Level } from './severity';

/** A finding read back from a synthesized report, with the host it is on. */
export interface HostFinding extends ReportFinding {
  /** The Vps (folder) whose report lists it. */
  readonly vps: string;
}

/** Options of {@link PostureAssertions.hasNoFindings}. */
export interface NoFindingsOptions {
  /**
   * Only findings at this level or above count (`error` > `warning` > `info`).
   * @default 'info' (every unacknowledged finding counts)
   */
  readonly level?: Level;
}

const LEVEL_RANK: Readonly<Record<Level, number>> = { error: 0, warning: 1, info: 2 };
const REPORT = /^([^/]+)\/posture\/report\.json$/;

/**
 * Assertions on the posture reports of a synthesized assembly (every `<vps>/posture/report.json`),
 * in the style of aws-cdk's `Template`: each method throws an Error that lists what was found.
 * Get one with `Posture.fromAssembly(Testing.synth(app))`.
 */
export class PostureAssertions {
  /** Reads every host's `posture/report.json` from an assembly. */
  public static fromAssembly(assembly: Assembly): PostureAssertions {
    const findings: HostFinding[] = [];
    let reports = 0;
    for (const path of assembly.paths()) {
      const match = REPORT.exec(path);
      if (!match) continue;
      reports++;
      const report = JSON.parse(assembly.file(path)) as { findings?: ReportFinding[] };
      for (const f of report.findings ?? []) findings.push({ ...f, vps: match[1] });
    }
    if (reports === 0) throw new Error(`No posture report in the assembly (expected <vps>/posture/report.json; is the posture layer loaded and is there a Vps?); it has: ${assembly.paths().join(', ') || 'no files'}`);
    return new PostureAssertions(findings);
  }

  private constructor(private readonly all: readonly HostFinding[]) {}

  /** Every finding of every host, acknowledged or not (copies). */
  public findings(): HostFinding[] {
    return this.all.map((f) => ({ ...f }));
  }

  /** The unacknowledged findings at `level` or above. */
  public blocking(options: NoFindingsOptions = {}): HostFinding[] {
    const threshold = LEVEL_RANK[options.level ?? 'info'];
    return this.findings().filter((f) => !f.acknowledged && LEVEL_RANK[f.level] <= threshold);
  }

  /** Asserts there is no unacknowledged finding at `level` or above (default: any level). */
  public hasNoFindings(options: NoFindingsOptions = {}): void {
    const blocking = this.blocking(options);
    if (blocking.length === 0) return;
    const scope = options.level && options.level !== 'info' ? ` at level ${options.level} or above` : '';
    throw new Error(`Expected no unacknowledged posture findings${scope}, found ${blocking.length}:\n${blocking.map((f) => `  - ${describeFinding(f)}`).join('\n')}`);
  }

  /**
   * Asserts that rule `ruleId` (or granular id `RULE-ID[detail]`) has a finding, acknowledged or
   * not, optionally on the construct at `constructPath`.
   */
  public hasFinding(ruleId: string, constructPath?: string): void {
    if (this.matching(ruleId, constructPath).length > 0) return;
    throw new Error(`No posture finding ${ruleId}${constructPath !== undefined ? ` on construct '${constructPath}'` : ''}; ${this.nearby(ruleId)}`);
  }

  /** Asserts that rule `ruleId` (or a granular id) has a finding on `constructPath` and that it was acknowledged. */
  public acknowledged(ruleId: string, constructPath: string): void {
    const found = this.matching(ruleId, constructPath);
    if (found.length === 0) throw new Error(`No posture finding ${ruleId} on construct '${constructPath}', so nothing is acknowledged; ${this.nearby(ruleId)}`);
    const open = found.filter((f) => !f.acknowledged);
    if (open.length === 0) return;
    throw new Error(`Posture finding ${ruleId} on construct '${constructPath}' is not acknowledged:\n${open.map((f) => `  - ${describeFinding(f)}`).join('\n')}`);
  }

  private matching(ruleId: string, constructPath?: string): HostFinding[] {
    return this.all.filter((f) => (f.ruleId === ruleId || f.granularId === ruleId) && (constructPath === undefined || f.constructPath === constructPath));
  }

  private nearby(ruleId: string): string {
    const same = this.all.filter((f) => f.ruleId === ruleId || f.granularId === ruleId || f.ruleId === ruleId.replace(/\[.*$/, ''));
    if (same.length > 0) return `findings of that rule:\n${same.map((f) => `  - ${describeFinding(f)}`).join('\n')}`;
    const ids = [...new Set(this.all.map((f) => f.granularId))].sort(compareCodePoints);
    return ids.length > 0 ? `findings present: ${ids.join(', ')}` : 'there are no posture findings at all';
  }
}

/** One line for a finding in an assertion message: id, construct, file:line:col, level, message. */
export function describeFinding(f: ReportFinding): string {
  const where = f.constructPath ? `[${f.constructPath}] ` : '';
  const ack = f.acknowledged ? ` (acknowledged by ${f.acknowledged.by}: ${f.acknowledged.reason})` : '';
  return `${f.granularId} ${where}${f.file}:${f.line}:${f.column} ${f.level}/${f.severity}: ${f.message}${ack}`;
}
