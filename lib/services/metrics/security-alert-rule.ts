/**
 * The shape of one security alert rule of the catalog, with the synthetic series that prove it
 * (a `promtool test rules` case that must fire and one that must stay quiet).
 */

/** Incident severities of CONTROLS.md Z9-K09: S1 (5 min, SRE+SOC), S2 (15 min), S3 (1 h), S4 (next business day). */
export type AlertSeverity = 'S1' | 'S2' | 'S3' | 'S4';

/** All severities, most urgent first. */
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['S1', 'S2', 'S3', 'S4'];

/** One input series of a rule test, in promtool's notation (`series` selector, `values` such as `0+10x60`). */
export interface SyntheticSeries {
  /** The series, e.g. `ingest_records_total{source="transactions",result="rejected"}`. */
  readonly series: string;
  /** Its samples in promtool's expanding notation, one per test interval. */
  readonly values: string;
}

/** Synthetic input and when to evaluate it. */
export interface RuleScenario {
  /** The input series. */
  readonly series: readonly SyntheticSeries[];
  /** Minutes after the start at which the alert is checked. */
  readonly evalMinutes: number;
}

/** One alert rule of the catalog. */
export interface SecurityAlertRule {
  /** Alert name (UpperCamelCase). */
  readonly alert: string;
  /** The CONTROLS.md control or invariant it evidences, e.g. `Z9-K04`; a label of every alert. */
  readonly control: string;
  /** Z9-K09 severity; a label that Alertmanager routes by. */
  readonly severity: AlertSeverity;
  /**
   * What the rule measures (`error-budget`, `latency` …): alerts of a higher severity inhibit
   * lower ones only for the same signal on the same subject.
   */
  readonly signal: string;
  /** PromQL expression; each result series is one alert. */
  readonly expr: string;
  /**
   * The series a deployment must scrape for the rule to be able to fire: metric names, each with
   * the labels the expression needs, e.g. `ingest_records_total{source,result}`; `up` is always
   * there. A rule none of whose sources is scraped is dormant (`PrometheusServer.dormantRules`).
   */
  readonly reads: readonly string[];
  /** How long the expression must hold before the alert fires (Prometheus duration). */
  readonly for: string;
  /** One-line summary (static text: no template expansion). */
  readonly summary: string;
  /** What it means and what to do first (static text). */
  readonly description: string;
  /** Synthetic series on which the alert fires, and the labels the expression gives it. */
  readonly firing: RuleScenario & { readonly labels: Readonly<Record<string, string>> };
  /** Synthetic series on which it stays quiet (just on the good side of the threshold). */
  readonly healthy: RuleScenario;
}

/** A number as PromQL and promtool read it back exactly (no binary-float noise such as 0.0010000000000000009). */
export function num(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** A counter that grows by `perMinute` for `minutes` samples (one per minute). */
export function counter(perMinute: number, minutes: number): string {
  return `0+${num(perMinute)}x${minutes}`;
}

/** A gauge that holds `value` for `minutes` samples. */
export function gauge(value: number, minutes: number): string {
  return `${num(value)}x${minutes}`;
}

/** A series selector `name{k="v",…}` (label values must not need escaping). */
export function sel(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const inner = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  return inner ? `${name}{${inner}}` : name;
}
