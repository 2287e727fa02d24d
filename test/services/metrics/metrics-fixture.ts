import { App, HealthCheck, Image, Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { AlertmanagerServer } from '../../../lib/services/metrics/alertmanager-server';
import { AlertThresholds } from '../../../lib/services/metrics/alert-thresholds';
import { PrometheusServer } from '../../../lib/services/metrics/prometheus-server';

/** The pieces of the metrics lab. */
export interface MetricsLab {
  readonly app: App;
  readonly vps: Vps;
  readonly vault: VaultServer;
  readonly alertmanager: AlertmanagerServer;
  readonly prometheus: PrometheusServer;
  /** The SOAR runner (Z8) that takes S1 and S2 webhooks. */
  readonly soar: Workload;
  /** The on-call notifier (Z9) that takes every severity. */
  readonly oncall: Workload;
  /** A scraped workload (Z1) serving /metrics over HTTPS on 9443. */
  readonly exporter: Workload;
  /** A Grafana-like client admitted to the query API. */
  readonly grafana: Workload;
}

/** An HTTPS workload of the platform, with a Vault-issued certificate (what a scrape target or webhook receiver is). */
export function httpsWorkload(vps: Vps, vault: VaultServer, id: string, zone: Zone, port: number): Workload {
  const w = new Workload(vps, id, {
    zone, image: Image.fromRegistry('ghcr.io/acme/' + id, '1.0.0'), ports: [port],
    healthCheck: HealthCheck.command(['/app/healthcheck']),
  });
  vault.enablePki().grantIssue(w, { usage: 'server-and-client', ttlHours: 48 });
  return w;
}

/**
 * Vault, Alertmanager with two webhook receivers (SOAR for S1–S2, on-call for S1–S4),
 * Prometheus sending to it, scraping an exporter and queried by a Grafana-like client.
 */
export function metricsLab(options: { app?: App; thresholds?: AlertThresholds } = {}): MetricsLab {
  const app = options.app ?? Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const alertmanager = new AlertmanagerServer(vps, 'alertmanager', { vault });
  const soar = httpsWorkload(vps, vault, 'soar', Zone.Z8_SECURITY, 8443);
  const oncall = httpsWorkload(vps, vault, 'oncall', Zone.Z9_OBSERVABILITY, 8443);
  alertmanager.addWebhookReceiver('soar', { target: soar, port: 8443, path: '/hooks/alertmanager', severities: ['S1', 'S2'] });
  alertmanager.addWebhookReceiver('oncall', { target: oncall, port: 8443, path: '/notify', severities: ['S1', 'S2', 'S3', 'S4'] });
  const prometheus = new PrometheusServer(vps, 'prometheus', { vault, alertmanager, ...(options.thresholds ? { alertThresholds: options.thresholds } : {}) });
  const exporter = httpsWorkload(vps, vault, 'ingest-exporter', Zone.Z1_INGESTION, 9443);
  prometheus.addTarget(exporter, { port: 9443, provides: ['s3_object_lock_enabled{bucket}'] });
  prometheus.scrapeVault(vault, { intervalSeconds: 5 });
  const grafana = httpsWorkload(vps, vault, 'grafana', Zone.Z9_OBSERVABILITY, 3000);
  prometheus.allowQueriesFrom(grafana);
  return { app, vps, vault, alertmanager, prometheus, soar, oncall, exporter, grafana };
}
