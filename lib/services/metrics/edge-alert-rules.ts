import type { AlertThresholds } from './alert-thresholds';
import { counter, num, SecurityAlertRule, sel } from './security-alert-rule';

/**
 * The records of admitted senders: a refused sender's requests (reason UNAUTHORIZED_CLIENT) are
 * IngestUnauthorizedClients' to count, not a sign that the source's own sender is broken.
 */
const ADMITTED = 'reason!="UNAUTHORIZED_CLIENT"';
/** The SPIFFE ID of the scan service's client in the rules' tests. */
const SCAN_CLIENT = 'spiffe://lab/ns/z1/sa/ingest-transactions';

/**
 * Alert rules on the two doors' traffic (CONTROLS.md Z1, Z9-K04): what the gateway, the WAF, the
 * AV scanner and the ingestion connectors count. Metric contract: Traefik v3's
 * `traefik_service_requests_total{service,code}` and `traefik_service_request_duration_seconds`
 * (what reached a backend), `traefik_router_requests_total{router,service,code}` (also what the
 * middlewares refused: 429, 413);
 * `ingest_records_total{source,result,reason}` (result accepted|quarantined|rejected, reason from
 * the Z1-K13 enum); the scan service's `av_scans_total{client,result}` (client: the caller's
 * SPIFFE ID; result clean|infected|suspicious|error); `waf_block_total`.
 */
export function edgeAlertRules(t: Required<AlertThresholds>): SecurityAlertRule[] {
  const scans = (result: string) => sel('av_scans_total', { client: SCAN_CLIENT, result });
  const ingest = (result: string, reason?: string) => sel('ingest_records_total', { source: 'transactions', result, ...(reason ? { reason } : {}) });
  const ratio = (bad: string, all: string, window: string, by: string) =>
    `sum by (${by}) (rate(${bad}[${window}])) / sum by (${by}) (rate(${all}[${window}]))`;
  // Ratio scenarios: 10 000 records a minute, twice the threshold bad (firing) or half of it (healthy).
  const ratioSeries = (r: number, badSel: string, goodSel: string, minutes: number) => {
    const bad = Math.min(10_000, 10_000 * r);
    return [{ series: badSel, values: counter(bad, minutes) }, { series: goodSel, values: counter(10_000 - bad, minutes) }];
  };
  const svc = 'route-infer@file';
  // Router metrics count what the middlewares answer themselves (429 rate limit, 413 body limit);
  // service metrics count only what reached the backend.
  const routed = (code: string, service = svc) => sel('traefik_router_requests_total', { router: service, service, code });
  const llm = t.llmServices.map((s) => s.replace(/[.]/g, '\\\\.')).join('|');
  const latency = (name: string, q: number, limit: number, matcher: string, service: string, severityText: string): SecurityAlertRule => ({
    alert: name, control: 'Z9-K04', severity: 'S3', signal: 'latency', for: '10m',
    reads: ['traefik_service_request_duration_seconds_bucket{service,le}'],
    expr: `histogram_quantile(${q}, sum by (service, le) (rate(traefik_service_request_duration_seconds_bucket{${matcher}}[5m]))) > ${num(limit)}`,
    summary: `${severityText} latency above ${num(limit * 1000)} ms`,
    description: `The ${severityText} request latency of a route stayed above the profile limit for 10 minutes (CONTROLS.md §5 #8). Check the backend, the model's load and recent releases; a sudden rise with more 429s can be abuse.`,
    firing: { evalMinutes: 30, labels: { service }, series: histogram(service, limit, 0.9, 30) },
    // Fast enough for this limit; for the tabular rules an LLM route, slow as it may be, stays out.
    healthy: { evalMinutes: 30, series: [...histogram(service, limit, 0.999, 30), ...(matcher.includes('!~') ? histogram(t.llmServices[0], limit, 0.5, 30) : [])] },
  });
  return [
    {
      alert: 'IngestRejectRatioHigh', control: 'Z9-K04', severity: 'S3', signal: 'ingest-rejects', for: '15m',
      reads: ['ingest_records_total{source,result}'],
      expr: `${ratio(`ingest_records_total{result="rejected",${ADMITTED}}`, `ingest_records_total{${ADMITTED}}`, '15m', 'source')} > ${num(t.ingestRejectRatio)}`,
      summary: `More than ${num(t.ingestRejectRatio * 100)}% of a source's records are rejected`,
      description: 'A source sends records its contract rejects above the Z9-K04 budget. Contact the source owner; look for a contract change, a broken sender or probing (the reasons say which).',
      firing: { evalMinutes: 45, labels: { source: 'transactions' }, series: ratioSeries(2 * t.ingestRejectRatio, ingest('rejected', 'INVALID_SCHEMA'), ingest('accepted'), 60) },
      healthy: { evalMinutes: 45, series: ratioSeries(t.ingestRejectRatio / 2, ingest('rejected', 'INVALID_SCHEMA'), ingest('accepted'), 60) },
    },
    {
      alert: 'IngestBatchRejected', control: 'Z1-K10', severity: 'S2', signal: 'ingest-rejects', for: '1m',
      reads: ['ingest_records_total{source,result}'],
      expr: `${ratio(`ingest_records_total{result="rejected",${ADMITTED}}`, `ingest_records_total{${ADMITTED}}`, '5m', 'source')} >= 0.8`,
      summary: 'At least 80% of a source\'s records are rejected',
      description: 'Z1-K10: at 80% invalid records the batch is rejected. The sender is broken or someone is feeding the door garbage; stop the source and inform its owner.',
      firing: { evalMinutes: 20, labels: { source: 'transactions' }, series: ratioSeries(0.9, ingest('rejected', 'INVALID_SCHEMA'), ingest('accepted'), 30) },
      // A flood of refused senders is not the source's own batch failing.
      healthy: { evalMinutes: 20, series: [...ratioSeries(0.1, ingest('rejected', 'INVALID_SCHEMA'), ingest('accepted'), 30), { series: ingest('rejected', 'UNAUTHORIZED_CLIENT'), values: counter(50_000, 30) }] },
    },
    {
      alert: 'IngestMalwareDetected', control: 'Z1-K09', severity: 'S2', signal: 'malware', for: '0m',
      reads: ['av_scans_total{client,result}'],
      // One infected upload is an incident, whatever the ratio (AvRejectRatioHigh); `suspicious`
      // (limits hit, heuristics) counts there only.
      expr: 'sum by (client) (increase(av_scans_total{result="infected"}[10m])) > 0',
      summary: 'An upload was found infected',
      description: 'The AV scan found malware in a body sent by this client (Z1-K09: the ingestion endpoint of a source, by its SPIFFE ID); it never reached raw. Check the sender identity behind that source and the quarantined object; repeated hits from one source are an attack.',
      firing: { evalMinutes: 15, labels: { client: SCAN_CLIENT }, series: [{ series: scans('infected'), values: '0x10 1x20' }, { series: scans('clean'), values: counter(50, 30) }] },
      healthy: { evalMinutes: 15, series: [{ series: scans('infected'), values: '0x30' }, { series: scans('suspicious'), values: counter(5, 30) }] },
    },
    {
      alert: 'IngestUnauthorizedClients', control: 'Z1-K05', severity: 'S2', signal: 'unauthorized-clients', for: '0m',
      reads: ['ingest_records_total{source,result,reason}'],
      expr: `sum by (source) (increase(ingest_records_total{result="rejected",reason="UNAUTHORIZED_CLIENT"}[10m])) > ${num(t.unauthorizedClientsPer10m)}`,
      summary: `More than ${num(t.unauthorizedClientsPer10m)} unauthorized-client rejections in 10 minutes`,
      description: 'Clients with a certificate of the partner CA that is not this source\'s sender were refused (403) by its connector (Z1-K05/K06): a partner probing another source\'s path, or a leaked certificate. Check the gateway\'s access log for this path by client certificate and source IP, and revoke the certificate if it is not the partner\'s doing.',
      firing: { evalMinutes: 20, labels: { source: 'transactions' }, series: [{ series: ingest('rejected', 'UNAUTHORIZED_CLIENT'), values: counter(t.unauthorizedClientsPer10m / 5, 30) }] },
      healthy: { evalMinutes: 20, series: [{ series: ingest('rejected', 'UNAUTHORIZED_CLIENT'), values: counter(t.unauthorizedClientsPer10m / 20, 30) }] },
    },
    {
      alert: 'AvRejectRatioHigh', control: 'Z1-K09', severity: 'S2', signal: 'av-rejects', for: '5m',
      reads: ['av_scans_total{result}'],
      expr: `sum(rate(av_scans_total{result=~"infected|suspicious"}[1h])) / sum(rate(av_scans_total[1h])) > ${num(t.avRejectRatio)}`,
      summary: `More than ${num(t.avRejectRatio * 100)}% of scanned files rejected in the last hour`,
      description: 'Z9-K04: AV/CDR rejects above the hourly budget. A campaign against the upload door or a signature problem (false positives): compare engines and recent signature updates.',
      firing: { evalMinutes: 90, labels: {}, series: ratioSeries(2 * t.avRejectRatio, scans('infected'), scans('clean'), 120) },
      healthy: { evalMinutes: 90, series: ratioSeries(t.avRejectRatio / 2, scans('infected'), scans('clean'), 120) },
    },
    {
      alert: 'ApiBurstWithLimitRejects', control: 'Z9-K04', severity: 'S1', signal: 'api-burst', for: '2m',
      reads: ['traefik_router_requests_total{service,code}'],
      expr: [
        '(sum by (service) (rate(traefik_router_requests_total[10m])) > 5 * sum by (service) (rate(traefik_router_requests_total[1h] offset 10m)))',
        'and on (service)',
        '(sum by (service) (increase(traefik_router_requests_total{code=~"429|413"}[10m])) > 0)',
      ].join('\n'),
      summary: 'Request burst (×5 in 10 minutes) with 429/413 rejections',
      description: 'Z9-K04: a route gets five times its previous hour\'s traffic and the limits are rejecting requests. Likely abuse or a runaway client: find the client ids and source IPs, tighten the limit or block.',
      firing: { evalMinutes: 75, labels: { service: svc }, series: [{ series: routed('200'), values: '0+10x60 610+200x20' }, { series: routed('429'), values: '0x60 0+5x20' }] },
      healthy: { evalMinutes: 75, series: [{ series: routed('200'), values: counter(10, 80) }, { series: routed('429'), values: counter(1, 80) }] },
    },
    {
      alert: 'WafBlockBurst', control: 'Z1-K08', severity: 'S2', signal: 'waf-blocks', for: '0m',
      reads: ['waf_block_total'],
      expr: `sum(increase(waf_block_total[10m])) > ${num(t.denyBurstPer10m)}`,
      summary: `More than ${num(t.denyBurstPer10m)} WAF blocks in 10 minutes`,
      description: 'Z9-K04: the OWASP CRS hop blocks a burst of requests. An active scan or injection attempt: read the matched rule ids, block the sources at the gateway allow-list.',
      firing: { evalMinutes: 20, labels: {}, series: [{ series: sel('waf_block_total', { rule: '941100' }), values: counter(t.denyBurstPer10m / 5, 30) }] },
      healthy: { evalMinutes: 20, series: [{ series: sel('waf_block_total', { rule: '941100' }), values: counter(t.denyBurstPer10m / 20, 30) }] },
    },
    {
      alert: 'ErrorBudgetBurnFast', control: 'Z9-K04', severity: 'S1', signal: 'error-budget', for: '2m',
      reads: ['traefik_service_requests_total{service,code}'],
      expr: burn('2h', '10m', 14, t.availability),
      summary: 'Error budget burning 14× too fast (2 h window)',
      description: `Z9-K04: 5xx over the ${num(t.availability * 100)}% availability objective at 14× the sustainable rate, confirmed on 10 minutes: the month's budget is gone in about two days. Roll back or fail over now.`,
      firing: { evalMinutes: 30, labels: { service: svc }, series: errorSeries(svc, (1 + 14 * budget(t.availability)) / 2, 40) },
      healthy: { evalMinutes: 30, series: errorSeries(svc, budget(t.availability) / 2, 40) },
    },
    {
      alert: 'ErrorBudgetBurnSlow', control: 'Z9-K04', severity: 'S2', signal: 'error-budget', for: '15m',
      reads: ['traefik_service_requests_total{service,code}'],
      expr: burn('1d', '2h', 6, t.availability),
      summary: 'Error budget burning 6× too fast (24 h window)',
      description: `Z9-K04: 5xx over the ${num(t.availability * 100)}% availability objective at 6× the sustainable rate, confirmed on 2 hours. Find the failing dependency before the budget runs out.`,
      firing: { evalMinutes: 150, labels: { service: svc }, series: errorSeries(svc, 10 * budget(t.availability), 180) },
      healthy: { evalMinutes: 150, series: errorSeries(svc, budget(t.availability) / 2, 180) },
    },
    latency('LatencyP95Tabular', 0.95, t.p95TabularSeconds, `service!~"${llm}"`, svc, 'p95'),
    latency('LatencyP99Tabular', 0.99, t.p99TabularSeconds, `service!~"${llm}"`, svc, 'p99'),
    latency('LatencyP95Llm', 0.95, t.p95LlmSeconds, `service=~"${llm}"`, t.llmServices[0], 'LLM p95'),
  ];
}

/** The error budget of an availability objective, without float noise. */
function budget(availability: number): number {
  return Number((1 - availability).toPrecision(10));
}

/** Multi-window burn-rate condition on 5xx ratio (Google SRE workbook): long window and a short confirmation window. */
function burn(long: string, short: string, factor: number, availability: number): string {
  const ratio = (w: string) => `sum by (service) (rate(traefik_service_requests_total{code=~"5.."}[${w}])) / sum by (service) (rate(traefik_service_requests_total[${w}]))`;
  const limit = `(${factor} * ${num(budget(availability))})`;
  return `(${ratio(long)} > ${limit})\nand on (service)\n(${ratio(short)} > ${limit})`;
}

/** 10 000 requests a minute on `service`, a share `errorRatio` of them 5xx. */
function errorSeries(service: string, errorRatio: number, minutes: number) {
  const bad = 10_000 * Math.min(1, errorRatio);
  return [
    { series: sel('traefik_service_requests_total', { service, code: '500' }), values: counter(bad, minutes) },
    { series: sel('traefik_service_requests_total', { service, code: '200' }), values: counter(10_000 - bad, minutes) },
  ];
}

/**
 * A latency histogram around `limit`: a share `fast` of 1000 requests a minute take at most
 * limit/4, the rest at most 4×limit. With fast = 0.9 both p95 and p99 land far above the limit;
 * with fast = 0.999 both stay below it.
 */
function histogram(service: string, limit: number, fast: number, minutes: number) {
  const b = (le: string, perMinute: number) => ({ series: sel('traefik_service_request_duration_seconds_bucket', { service, le }), values: counter(perMinute, minutes) });
  return [b(num(limit / 4), 1000 * fast), b(num(limit * 4), 1000), b('+Inf', 1000)];
}
