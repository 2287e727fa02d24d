/** Which series a scrape target serves for an alert rule: names, required labels, prefixes. */
import { describe, expect, it } from 'vitest';
import { isServed, SERIES_SPEC } from '../../../lib/services/metrics/metric-sources';
import { ALERT_THRESHOLDS_BANK_DEFAULT } from '../../../lib/services/metrics/alert-thresholds';
import { securityRuleGroups } from '../../../lib/services/metrics/alert-rules-document';

describe('isServed', () => {
  it('matches the same metric when the target sets at least the labels the rule needs', () => {
    expect(isServed('ingest_records_total{source,result}', ['ingest_records_total{source,result}'])).toBe(true);
    expect(isServed('ingest_records_total{source}', ['ingest_records_total{source,result}'])).toBe(true);
    expect(isServed('ingest_records_total', ['ingest_records_total{source,result}'])).toBe(true);
  });

  it('does not match a label the target does not set, or another metric', () => {
    expect(isServed('ingest_records_total{source,result,reason}', ['ingest_records_total{source,result}'])).toBe(false);
    expect(isServed('ingest_records', ['ingest_records_total'])).toBe(false);
    expect(isServed('waf_block_total', [])).toBe(false);
  });

  it('takes a prefix ending in _ for everything a target of that kind serves, and up as always there', () => {
    expect(isServed('traefik_router_requests_total{service,code}', ['traefik_'])).toBe(true);
    expect(isServed('vault_core_unsealed', ['traefik_'])).toBe(false);
    expect(isServed('up', [])).toBe(true);
  });
});

describe('the catalog\'s reads', () => {
  const rules = securityRuleGroups(ALERT_THRESHOLDS_BANK_DEFAULT).flatMap((g) => g.rules);

  it('name, for every rule, series written as name{labels} whose metric its expression reads', () => {
    for (const r of rules) {
      expect(r.reads.length, r.alert).toBeGreaterThan(0);
      for (const read of r.reads) {
        expect(read, r.alert).toMatch(SERIES_SPEC);
        expect(r.expr, `${r.alert} reads ${read}`).toContain(read.split('{')[0]);
      }
    }
  });

  it('name every metric the firing scenario feeds the rule (what promtool proves it fires on)', () => {
    for (const r of rules) {
      for (const s of r.firing.series) {
        const metric = s.series.split('{')[0];
        if (metric === 'up') continue;
        expect(r.reads.map((x) => x.split('{')[0]), `${r.alert}: ${metric}`).toContain(metric);
      }
    }
  });
});
