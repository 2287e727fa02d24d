import { MlsecError } from '../core/errors';
import { describeValue } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { Gateway, GATEWAY_METRICS_PORT } from '../gateway/gateway';
import { RouteAuth } from '../gateway/route-auth';
import { KeycloakServer } from '../identity/keycloak-server';
import { BenthosService } from '../services/benthos/benthos-service';
import { MalwareScanService, SCAN_SERVICE_PORT } from '../services/clamav/malware-scan-service';
import { AlertmanagerServer, WebhookReceiverOptions } from '../services/metrics/alertmanager-server';
import { PROMETHEUS_PORT, PrometheusServer } from '../services/metrics/prometheus-server';
import { GrafanaServer } from '../services/telemetry/grafana-server';
import { LokiServer } from '../services/telemetry/loki-server';
import { OtelCollector } from '../services/telemetry/otel-collector';
import { VaultServer } from '../vault/vault-server';
import { Workload } from '../workload/workload';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';
import { ZoneControl } from './zone-risk-catalog';
import { ThresholdProfile } from './threshold-profile';

/** An alert receiver of {@link Z9ObservabilityProps.alertReceivers}. */
export interface AlertReceiver extends WebhookReceiverOptions {
  /** The receiver's name (`soar`, `oncall`). */
  readonly name: string;
}

/** Props of {@link Z9Observability}. */
export interface Z9ObservabilityProps {
  /** Vault: every certificate and token of the stack comes from it. */
  readonly vault: VaultServer;
  /** Keycloak: Grafana signs users in with its own client there. */
  readonly keycloak: KeycloakServer;
  /**
   * The thresholds the alert rules compare against.
   * @default ThresholdProfile.bank()
   */
  readonly thresholds?: ThresholdProfile;
  /**
   * Where alerts go (SOAR webhooks, on-call); every severity S1–S4 needs one. Without receivers
   * no Alertmanager runs and alerts are visible in Prometheus and Grafana only.
   * @default none
   */
  readonly alertReceivers?: AlertReceiver[];
  /**
   * Days logs are kept (CONTROLS.md Z9-K06: audit events 12–24 months).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Public host name of Grafana.
   * @default grafana.<the Vps domain>
   */
  readonly grafanaHost?: string;
}

/**
 * Z9, observability and audit (L3; CONTROLS.md Z9): Prometheus with the catalog's security alert
 * rules (thresholds from the lab's profile), scraping Vault's telemetry, and, given receivers,
 * Alertmanager; the log pipeline —
 * an OpenTelemetry collector that drops credential attributes and masks CPF, e-mail and tokens —
 * into Loki; Grafana, whose only sign-in is Keycloak. Every hop is mTLS; nothing is public but
 * Grafana, for the operators, behind OIDC (`exposeUi`). `observe(workload)` lets a workload ship
 * OTLP logs to the collector.
 */
export class Z9Observability extends SecurityZone {
  /** Metrics and alert rules. */
  public readonly prometheus: PrometheusServer;
  /** Alert routing, when receivers are given. */
  public readonly alertmanager?: AlertmanagerServer;
  /** Log storage. */
  public readonly loki: LokiServer;
  /** The OTLP entry of the log pipeline, which redacts before storing. */
  public readonly collector: OtelCollector;
  /** Dashboards. */
  public readonly grafana: GrafanaServer;
  /** What is scraped besides Vault and the Benthos-based services, for the Z9-K02 text. */
  private readonly scrapedParts: string[] = [];
  private readonly scrapedServices: string[] = [];

  constructor(scope: Vps, id: string, props: Z9ObservabilityProps) {
    super(scope, id, Zone.Z9_OBSERVABILITY);
    const p = props ?? ({} as Z9ObservabilityProps);
    const t = (p.thresholds ?? ThresholdProfile.bank()).values;
    const host = p.grafanaHost ?? `grafana.${Vps.of(this).domain}`;
    if ((p.alertReceivers ?? []).length > 0) {
      this.alertmanager = new AlertmanagerServer(this, 'alertmanager', { vault: p.vault });
      for (const { name, ...receiver } of p.alertReceivers!) this.alertmanager.addWebhookReceiver(name, receiver);
    }
    this.prometheus = new PrometheusServer(this, 'prometheus', {
      vault: p.vault, alertmanager: this.alertmanager,
      alertThresholds: { availability: 1 - t.maxErrorRatio, p95TabularSeconds: t.p95Ms.tabular / 1000, p95LlmSeconds: t.p95Ms.llm / 1000, ingestRejectRatio: t.maxIngestRejectRatio },
    });
    this.loki = new LokiServer(this, 'loki', { vault: p.vault, retentionDays: p.logRetentionDays });
    this.collector = new OtelCollector(this, 'otel-collector', { loki: this.loki, vault: p.vault });
    const keycloak = p.keycloak;
    const { client, secret } = keycloak.addWebClient('Grafana', {
      clientId: 'grafana', redirectUris: [`https://${host}/login/generic_oauth`], webOrigins: [`https://${host}`],
      roles: ['admin', 'auditor', 'security'], description: 'Grafana (Z9): signs users in itself, roles from the realm',
    });
    this.grafana = new GrafanaServer(this, 'grafana', {
      host, vault: p.vault, loki: this.loki, prometheus: { server: this.prometheus, port: PROMETHEUS_PORT },
      oidc: { idp: keycloak, idpPort: 8443, issuerUrl: keycloak.issuerUrl, clientId: client.clientId, clientSecret: secret },
    });
    this.prometheus.allowQueriesFrom(this.grafana);
    // Vault's telemetry, so VaultSealed (S1) has something to read (a missing vault is already
    // Prometheus' own error).
    if (p.vault) this.prometheus.scrapeVault(p.vault);
    this.addControl({ id: 'Z9-K04', title: 'security alerts as configuration (rules with their control ids, S1–S4)', builtBy: `PrometheusServer (the catalog's alert rules, each unit-tested by promtool; thresholds: ${(p.thresholds ?? ThresholdProfile.bank()).name})` });
    this.addControl({ id: 'Z9-K01', title: 'telemetry never carries credentials or personal data', builtBy: 'OtelCollector (credential attributes dropped, CPF, e-mail and tokens masked before Loki)' });
    this.addControl({
      id: 'Z9-K09', title: 'alerts routed by severity to on-call and SOAR',
      ...(this.alertmanager ? { builtBy: 'AlertmanagerServer (one route per severity, mTLS webhooks with Vault-held tokens)' } : { gap: 'no alert receiver is configured: alerts are visible in Prometheus and Grafana only' }),
    });
    this.addControl({ id: 'Z9-K02', title: 'every workload ships its telemetry to the collector', gap: this.telemetryGap() });
  }

  /** Routes Grafana through the gateway for `allowFrom`, behind the OIDC proxy (Z9-K08). */
  public exposeUi(gateway: Gateway, options: { readonly allowFrom: string[]; readonly roles?: string[] }): void {
    gateway.expose(this.grafana, { host: this.grafana.host, auth: RouteAuth.oidc({ roles: options?.roles ?? ['admin', 'security', 'auditor'] }), allowFrom: options?.allowFrom });
  }

  /**
   * Scrapes `service`'s metrics (a Benthos-based service built with metrics on, such as an
   * ingestion connector) over HTTPS with Prometheus' client certificate.
   */
  public scrape(service: BenthosService): void {
    if (service?.metricsPort === undefined) throw new MlsecError(`[${this.node.path}] scrape(${service?.node?.path}): the service serves no metrics`);
    this.prometheus.addTarget(service, { port: service.metricsPort, provides: [...service.providedMetrics] });
    this.scrapedServices.push(service.serviceName);
  }

  /**
   * Scrapes the gateway's own metrics (its internal mTLS entry point): the request counts and
   * durations per service that the edge alert rules read (error budget burn, latency, bursts
   * with 429/413), and the expiry of the certificates it serves (CertificateExpiringSoon).
   */
  public scrapeGateway(gateway: Gateway): void {
    if (!(gateway instanceof Gateway)) throw new MlsecError(`[${this.node.path}] scrapeGateway: the target must be a Gateway (got ${describeValue(gateway)})`);
    this.prometheus.addTarget(gateway.workload, { port: GATEWAY_METRICS_PORT, provides: ['traefik_'] });
    this.scrapedParts.push('the gateway');
  }

  /** The zone's controls; Z9-K02's text is read at synth, once every target is declared. */
  public override get controls(): readonly ZoneControl[] {
    return super.controls.map((c) => (c.id === 'Z9-K02' ? { ...c, gap: this.telemetryGap() } : c));
  }

  /**
   * Scrapes the Z1 malware scan service's `GET /metrics` (`av_scans_total` by client and result,
   * for the malware and AV reject-ratio alerts): Prometheus' certificate becomes its only metrics
   * reader.
   */
  public scrapeMalwareScan(service: MalwareScanService): void {
    if (!(service instanceof MalwareScanService)) throw new MlsecError(`[${this.node.path}] scrapeMalwareScan: the target must be a MalwareScanService (got ${describeValue(service)})`);
    service.allowMetricsFrom(this.prometheus);
    this.prometheus.addTarget(service, { port: SCAN_SERVICE_PORT, path: '/metrics', provides: [...service.providedMetrics] });
    this.scrapedParts.push('the malware scan service');
  }

  /** What Z9-K02 still lacks: what is scraped, and the alert rules that no scraped series can fire. */
  private telemetryGap(): string {
    const parts = ['Vault', ...this.scrapedParts, ...(this.scrapedServices.length > 0 ? [`the Benthos-based services ${this.scrapedServices.join(', ')}`] : [])];
    const scraped = parts.length === 1 ? 'Vault is' : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]} are`;
    const dormant = this.prometheus.dormantRules().map((r) => `${r.alert} (${r.missing.join(', ')})`);
    return `${scraped} scraped; other workloads ship OTLP logs only when passed to observe(), and the other platform images emit no metrics the rules read`
      + (dormant.length === 0 ? '' : `; ${dormant.length} alert rules cannot fire here, no scraped target serves what they read: ${dormant.join('; ')}`);
  }

  /** Lets `workload` ship OTLP logs to the collector (flow, client certificate, OTEL_EXPORTER_OTLP_* variables). */
  public observe(workload: Workload): void {
    this.collector.acceptFrom(workload);
  }
}
