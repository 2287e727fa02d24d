/** Bad inputs of PrometheusServer and AlertmanagerServer: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { AlertmanagerServer, AlertmanagerServerProps, WebhookReceiverOptions } from '../../../lib/services/metrics/alertmanager-server';
import { PrometheusServer, PrometheusServerProps, ScrapeTargetOptions } from '../../../lib/services/metrics/prometheus-server';
import { expectClearError, ExpectedError } from '../../property/support';
import { httpsWorkload } from './metrics-fixture';

interface Lab {
  readonly vps: Vps;
  readonly vault: VaultServer;
  readonly soar: Workload;
  readonly target: Workload;
}

/**
 * A valid lab (Vault, Alertmanager with an S1–S4 receiver, Prometheus scraping one target) whose
 * parts `change` may alter; synth must fail clearly, naming `paths`.
 */
function rejects(
  change: {
    prometheus?: (l: Lab) => Record<string, unknown>;
    alertmanager?: (l: Lab) => Record<string, unknown>;
    receiver?: (l: Lab) => Record<string, unknown>;
    target?: (l: Lab) => Record<string, unknown>;
    extra?: (l: Lab, am: AlertmanagerServer, prom: PrometheusServer) => void;
  },
  expected: Omit<ExpectedError, 'paths'> & { paths: string[] },
) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const lab: Lab = { vps, vault, soar: httpsWorkload(vps, vault, 'soar', Zone.Z8_SECURITY, 8443), target: httpsWorkload(vps, vault, 'exporter', Zone.Z1_INGESTION, 9443) };
  const am = new AlertmanagerServer(vps, 'alertmanager', { vault, ...change.alertmanager?.(lab) } as AlertmanagerServerProps);
  am.addWebhookReceiver('soar', { target: lab.soar, port: 8443, path: '/hooks', severities: ['S1', 'S2', 'S3', 'S4'], ...change.receiver?.(lab) } as WebhookReceiverOptions);
  const prom = new PrometheusServer(vps, 'prometheus', { vault, alertmanager: am, ...change.prometheus?.(lab) } as PrometheusServerProps);
  prom.addTarget(lab.target, { port: 9443, ...change.target?.(lab) } as ScrapeTargetOptions);
  change.extra?.(lab, am, prom);
  return expectClearError(() => Testing.synth(app), expected);
}

const PROM = ['lab/prometheus'];
const AM = ['lab/alertmanager'];

describe('metrics servers bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    const am = new AlertmanagerServer(vps, 'alertmanager', { vault });
    am.addWebhookReceiver('soar', { target: httpsWorkload(vps, vault, 'soar', Zone.Z8_SECURITY, 8443), port: 8443, path: '/hooks', severities: ['S1', 'S2', 'S3', 'S4'] });
    new PrometheusServer(vps, 'prometheus', { vault, alertmanager: am }).addTarget(httpsWorkload(vps, vault, 'exporter', Zone.Z1_INGESTION, 9443), { port: 9443 });
    expect(() => Testing.synth(app)).not.toThrow();
  });

  it('refuses a Prometheus without Vault', () => {
    rejects({ prometheus: () => ({ vault: undefined }) }, { paths: PROM, prop: "prop 'vault' is required" });
  });

  it('refuses an Alertmanager without Vault', () => {
    rejects({ alertmanager: () => ({ vault: undefined }) }, { paths: AM, prop: "prop 'vault' is required" });
  });

  it.each([[0], [1.5], [4000], ['15d'], [-1]])('refuses retentionDays %j', (retentionDays) => {
    rejects({ prometheus: () => ({ retentionDays }) }, { paths: PROM, prop: "prop 'retentionDays'", allowed: 'an integer from 1 to 3650' });
  });

  it.each([[0], ['8GB'], [20_000]])('refuses retentionSizeGiB %j', (retentionSizeGiB) => {
    rejects({ prometheus: () => ({ retentionSizeGiB }) }, { paths: PROM, prop: "prop 'retentionSizeGiB'", allowed: 'an integer from 1 to 10000' });
  });

  it.each([[1], [600], ['30s']])('refuses intervalSeconds %j', (intervalSeconds) => {
    rejects({ prometheus: () => ({ intervalSeconds }) }, { paths: PROM, prop: "prop 'intervalSeconds'", allowed: 'an integer from 5 to 300' });
  });

  it.each([[0], [1], [1.2], [0.5], ['99.9%']])('refuses the availability objective %j', (availability) => {
    rejects({ prometheus: () => ({ alertThresholds: { availability } }) }, { paths: PROM, prop: "prop 'alertThresholds.availability'", allowed: 'a number from 0.95 to 0.99999' });
  });

  it.each([[[]], [['bad name']], [['a@b@c']], ['llm'], [[42]]])('refuses llmServices %j', (llmServices) => {
    rejects({ prometheus: () => ({ alertThresholds: { llmServices } }) }, { paths: PROM, prop: "prop 'alertThresholds.llmServices'", allowed: /Traefik service names/ });
  });

  it.each<[string, unknown]>([['denyBurstPer10m', 0], ['ingestRejectRatio', 0.9], ['certificateExpiryDays', 0], ['opaBundleMaxAgeSeconds', 30 * 86400], ['p95LlmSeconds', -1]])('refuses alertThresholds.%s = %j', (field, value) => {
    rejects({ prometheus: () => ({ alertThresholds: { [field]: value } }) }, { paths: PROM, prop: `prop 'alertThresholds.${field}'`, allowed: /a number from/ });
  });

  it('refuses an unknown threshold', () => {
    rejects({ prometheus: () => ({ alertThresholds: { p50Seconds: 1 } }) }, { paths: PROM, prop: "prop 'alertThresholds' has no field 'p50Seconds'", allowed: /known: availability/ });
  });

  it.each([['metrics'], ['/metrics?x=1'], ['/../admin'.replace('/..', '/..%2f')], ['']])('refuses the metrics path %j', (path) => {
    rejects({ target: () => ({ path }) }, { paths: PROM, prop: /addTarget\(lab\/exporter\): prop 'path'/, allowed: 'an absolute URL path' });
  });

  it('refuses a scrape port the target does not listen on', () => {
    rejects({ target: () => ({ port: 9100 }) }, { paths: ['lab/prometheus', 'lab/exporter'], prop: "prop 'port'", allowed: /listens on \(9443\)/ });
  });

  it('refuses the same target twice', () => {
    rejects({ extra: (l, _am, prom) => prom.addTarget(l.target, { port: 9443 }) }, { paths: PROM, prop: /'exporter' is already a scrape target/ });
  });

  it('refuses a target that is not a workload', () => {
    rejects({ extra: (_l, _am, prom) => prom.addTarget('exporter:9443' as unknown as Workload, { port: 9443 }) }, { paths: PROM, prop: /addTarget: the target must be a Workload/ });
  });

  it.each([[0], [10_000], ['120h']])('refuses Alertmanager retentionHours %j', (retentionHours) => {
    rejects({ alertmanager: () => ({ retentionHours }) }, { paths: AM, prop: "prop 'retentionHours'", allowed: 'an integer from 1 to 8760' });
  });

  it.each([[[]], [['S5']], [['S1', 'S1']], ['S1'], [['critical']]])('refuses receiver severities %j', (severities) => {
    rejects({ receiver: () => ({ severities }) }, { paths: AM, prop: /addWebhookReceiver\("soar"\): prop 'severities'/, allowed: /S1, S2, S3, S4/ });
  });

  it.each([['hooks'], ['/hooks?token=x'], ['/a b'], [undefined]])('refuses the webhook path %j', (path) => {
    rejects({ receiver: () => ({ path }) }, { paths: AM, prop: /addWebhookReceiver\("soar"\): prop 'path'/, allowed: 'an absolute URL path' });
  });

  it.each([['TOKEN'], ['token_file'], ['MY TOKEN_FILE']])('refuses the token variable %j', (tokenEnvVar) => {
    rejects({ receiver: () => ({ tokenEnvVar }) }, { paths: AM, prop: /prop 'tokenEnvVar'/, allowed: /ending in _FILE/ });
  });

  it('refuses a webhook port the receiver does not listen on', () => {
    rejects({ receiver: () => ({ port: 443 }) }, { paths: ['lab/alertmanager', 'lab/soar'], prop: "prop 'port'", allowed: /listens on \(8443\)/ });
  });

  it.each([['SOAR'], ['soar hook'], ['1soar'], ['soar\nx']])('refuses the receiver name %j', (name) => {
    rejects({ extra: (l, am) => am.addWebhookReceiver(name, { target: l.target, port: 9443, path: '/x', severities: ['S1'] }) }, { paths: AM, prop: /prop 'name'/, allowed: /lower-case letters/ });
  });

  it('refuses a receiver name twice', () => {
    rejects({ extra: (l, am) => am.addWebhookReceiver('soar', { target: l.target, port: 9443, path: '/x', severities: ['S1'] }) }, { paths: AM, prop: /a receiver named 'soar' already exists/ });
  });

  it.each([[['traefik_*']], [['ingest_records_total{Source}']], ['ingest_records_total']])('refuses provides %j (a list of name, name{label,…} or prefix_)', (provides) => {
    rejects({ target: () => ({ provides }) }, { paths: PROM, prop: /addTarget\(lab\/exporter\): prop 'provides'/, allowed: /name\{label/ });
  });

  it('refuses scrapeVault on something that is not a VaultServer', () => {
    rejects({ extra: (l, _am, prom) => prom.scrapeVault(l.target as unknown as VaultServer) }, { paths: PROM, prop: /scrapeVault: the target must be a VaultServer/ });
  });

  it('refuses scraping Vault twice', () => {
    rejects({ extra: (l, _am, prom) => { prom.scrapeVault(l.vault); prom.scrapeVault(l.vault); } }, { paths: PROM, prop: /scrapeVault\(lab\/vault\): 'vault' is already a scrape target/ });
  });

  it('refuses a Vault scrape interval outside 5-300 s', () => {
    rejects({ extra: (l, _am, prom) => prom.scrapeVault(l.vault, { intervalSeconds: 1 }) }, { paths: PROM, prop: /scrapeVault\(lab\/vault\): prop 'intervalSeconds'/, allowed: /5/ });
  });

  it('refuses a severity no receiver takes (its alerts would be dropped)', () => {
    rejects({ receiver: () => ({ severities: ['S1', 'S2'] }) }, { paths: AM, prop: /no receiver takes severities S3, S4/ });
  });
});
