/** How bad a finding is, as the rule catalog rates it. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** What a finding does: an `error` fails synth (unless acknowledged), a `warning` or `info` is reported. */
export type Level = 'error' | 'warning' | 'info';

/** Severities from worst to mildest. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Rank of a severity: 0 for critical, 4 for info. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Whether `severity` is at least as bad as `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}
