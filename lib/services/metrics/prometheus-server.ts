import { Construct } from 'constructs';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { SecretSource } from '../../secrets/secret-source';
import { VAULT_PORT, VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { AlertThresholds, resolveThresholds, thresholdProblems } from './alert-thresholds';
import { catalogProblems, renderRulesFile, renderRulesTestFile, securityRuleGroups } from './alert-rules-document';
import { ALERTMANAGER_PORT, AlertmanagerServer } from './alertmanager-server';
import { isServed, SERIES_SPEC } from './metric-sources';
import { renderPrometheusConfig, ScrapeJob } from './prometheus-config';
import { SecurityAlertRule } from './security-alert-rule';
import { renderProbeConfig, renderWebConfig, TlsPaths } from './web-config';

/** The HTTPS port of Prometheus (its only listener). */
export const PROMETHEUS_PORT = 9090;
/** The pinned image tag. Keep in sync with tools/install-prometheus.sh. */
export const PROMETHEUS_VERSION = 'v3.16.0';
const CONFIG_DIR = '/etc/prometheus';
const RULES_FILE = 'security.rules.yml';
const METRICS_PATH = /^\/[A-Za-z0-9._~\/-]{0,200}$/;

/** Prefixes a prop problem with the call it came from. */
const at = (where: string, problem: string | undefined) => (problem === undefined ? undefined : `${where}: ${problem}`);

/** Props of a {@link PrometheusServer}. */
export interface PrometheusServerProps {
  /** Vault: issues its certificate (server and client). */
  readonly vault: VaultServer;
  /**
   * Where alerts go; Prometheus is admitted as its client and scrapes it.
   * @default none (rules are evaluated, nothing is notified)
   */
  readonly alertmanager?: AlertmanagerServer;
  /**
   * Days of samples kept.
   * @default 15
   */
  readonly retentionDays?: number;
  /**
   * Disk cap of the samples in GiB (the oldest blocks go first).
   * @default 8
   */
  readonly retentionSizeGiB?: number;
  /**
   * Scrape and rule evaluation interval in seconds.
   * @default 30
   */
  readonly intervalSeconds?: number;
  /**
   * Thresholds of the security alert rules, over the CONTROLS.md §5 #8 profile.
   * @default ALERT_THRESHOLDS_BANK_DEFAULT
   */
  readonly alertThresholds?: AlertThresholds;
  /**
   * The image.
   * @default prom/prometheus:v3.16.0
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 1 CPU, 1024 MiB
   */
  readonly resources?: ResourceLimits;
}

/** Options of {@link PrometheusServer.addTarget}. */
export interface ScrapeTargetOptions {
  /** The HTTPS port serving metrics (one of the target's declared ports). */
  readonly port: number;
  /**
   * The metrics path.
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * Scrape interval in seconds.
   * @default the server's interval
   */
  readonly intervalSeconds?: number;
  /**
   * The series it serves that alert rules read, as `name`, `name{label,…}` or a prefix ending in
   * `_` (see {@link PrometheusServer.dormantRules}).
   * @default none
   */
  readonly provides?: string[];
}

/**
 * Prometheus (Z9) with the catalog's security alert rules: HTTPS only with a Vault-issued
 * certificate, client certificates required and only declared clients admitted; no admin,
 * lifecycle, remote-write or OTLP API; bounded retention; every scrape over verified TLS with its
 * own client certificate (`addTarget` declares the flow); alerts to Alertmanager over mTLS. Its
 * rules file ships with a `promtool test rules` file that fires and quiets each rule.
 */
export class PrometheusServer extends Workload {
  /** prometheus.yml. */
  public readonly config: VpsFile;
  /** The HTTPS listener's web config. */
  public readonly webConfig: VpsFile;
  /** The security alert rules. */
  public readonly rules: VpsFile;
  /** Their promtool unit tests (not mounted: for CI and operators). */
  public readonly rulesTest: VpsFile;
  private readonly jobs: ScrapeJob[] = [];
  private readonly alertRules: readonly SecurityAlertRule[];
  private readonly clients = new Set<string>();
  private readonly setupProblems: string[] = [];
  /** @internal */
  public readonly _tls: TlsPaths;

  constructor(scope: Construct, id: string, props: PrometheusServerProps) {
    const p = props ?? ({} as PrometheusServerProps);
    super(scope, id, {
      zone: Zone.Z9_OBSERVABILITY,
      image: p.image ?? Image.fromRegistry('prom/prometheus', PROMETHEUS_VERSION),
      ports: [PROMETHEUS_PORT],
      // The image's nobody user owns /prometheus, where the named volume starts from.
      user: '65534:65534',
      resources: p.resources ?? { cpus: 1, memoryMiB: 1024 },
      command: [
        `--config.file=${CONFIG_DIR}/prometheus.yml`,
        `--web.config.file=${CONFIG_DIR}/web.yml`,
        `--web.listen-address=:${PROMETHEUS_PORT}`,
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${p.retentionDays ?? 15}d`,
        `--storage.tsdb.retention.size=${p.retentionSizeGiB ?? 8}GB`,
        // Off by default and kept off: --web.enable-admin-api (delete series, snapshots),
        // --web.enable-lifecycle (reload/quit over HTTP), --web.enable-remote-write-receiver
        // and --web.enable-otlp-receiver (anyone admitted could write series).
        '--log.format=json',
      ],
      // promtool (in the image) asks /-/healthy over the same mTLS as any client.
      healthCheck: HealthCheck.command(['/bin/promtool', 'check', 'healthy', `--url=https://127.0.0.1:${PROMETHEUS_PORT}`, `--http.config.file=${CONFIG_DIR}/probe.yml`], { startPeriodSeconds: 30 }),
    });
    this.addDataVolume('data', '/prometheus');
    const issued = p.vault?.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 }) ?? { certificate: '/run/vault/vault-tls.crt', privateKey: '/run/vault/vault-tls.key' };
    this._tls = { ...issued, caBundle: this.addSecret(SecretSource.caBundle(Vps.of(this))) };
    this.clients.add(this.serviceName);
    const thresholds = resolveThresholds(thresholdProblems(p.alertThresholds).length === 0 ? p.alertThresholds : undefined);
    const groups = securityRuleGroups(thresholds);
    this.alertRules = groups.flatMap((g) => g.rules);
    const origin = this.node.path;
    const dir = this.serviceName;
    // Itself, over loopback with its own client certificate (its certificate names the service).
    this.jobs.push({ job: this.serviceName, address: `127.0.0.1:${PROMETHEUS_PORT}`, serverName: this.serviceName, path: '/metrics', zone: this.zone.id, provides: ['prometheus_'] });
    if (p.alertmanager !== undefined) {
      p.alertmanager.allowClient(this);
      this.jobs.push({ job: p.alertmanager.serviceName, address: `${p.alertmanager.serviceName}:${ALERTMANAGER_PORT}`, serverName: p.alertmanager.serviceName, path: '/metrics', zone: p.alertmanager.zone.id, provides: ['alertmanager_'] });
    }
    const intervalSeconds = p.intervalSeconds ?? 30;
    this.config = new VpsFile(this, 'Config', {
      path: `${dir}/prometheus.yml`,
      content: () => renderPrometheusConfig({
        intervalSeconds, vps: Vps.of(this).name, tls: this._tls, ruleFiles: [`${CONFIG_DIR}/rules/${RULES_FILE}`], jobs: this.jobs,
        alertmanager: p.alertmanager && { address: `${p.alertmanager.serviceName}:${ALERTMANAGER_PORT}`, serverName: p.alertmanager.serviceName },
      }, origin),
    });
    this.webConfig = new VpsFile(this, 'WebConfig', { path: `${dir}/web.yml`, content: () => renderWebConfig(this._tls, [...this.clients], origin) });
    const probe = new VpsFile(this, 'ProbeConfig', { path: `${dir}/probe.yml`, content: () => renderProbeConfig(this._tls, this.serviceName, origin) });
    this.rules = new VpsFile(this, 'Rules', { path: `${dir}/rules/${RULES_FILE}`, content: () => renderRulesFile(groups, origin) });
    this.rulesTest = new VpsFile(this, 'RulesTest', { path: `${dir}/rules/security.rules.test.yml`, content: () => renderRulesTestFile(groups, RULES_FILE, origin) });
    this.mountFile(this.config, `${CONFIG_DIR}/prometheus.yml`);
    this.mountFile(this.webConfig, `${CONFIG_DIR}/web.yml`);
    this.mountFile(probe, `${CONFIG_DIR}/probe.yml`);
    this.mountFile(this.rules, `${CONFIG_DIR}/rules/${RULES_FILE}`);
    this.node.addValidation({
      validate: () => [
        ...collect(
          p.vault ? undefined : "prop 'vault' is required (a VaultServer: it issues the certificate Prometheus serves and scrapes with)",
          p.retentionDays === undefined ? undefined : checkInteger('retentionDays', p.retentionDays, 1, 3650),
          p.retentionSizeGiB === undefined ? undefined : checkInteger('retentionSizeGiB', p.retentionSizeGiB, 1, 10_000),
          p.intervalSeconds === undefined ? undefined : checkInteger('intervalSeconds', p.intervalSeconds, 5, 300),
          p.alertmanager === undefined || p.alertmanager instanceof AlertmanagerServer ? undefined : `prop 'alertmanager' must be an AlertmanagerServer (got ${describeValue(p.alertmanager)})`,
        ),
        ...thresholdProblems(p.alertThresholds),
        ...catalogProblems(groups),
        ...this.setupProblems,
      ],
    });
  }

  /**
   * Scrapes `target` over HTTPS on `options.port`, verifying its certificate for its service name
   * and presenting Prometheus' client certificate; declares the flow.
   */
  public addTarget(target: Workload, options: ScrapeTargetOptions): void {
    const o = options ?? ({} as ScrapeTargetOptions);
    if (!Workload.isWorkload(target)) {
      this.setupProblems.push(`addTarget: the target must be a Workload (got ${describeValue(target)})`);
      return;
    }
    const where = `addTarget(${target.node.path})`;
    const bad = collect(
      o.path === undefined ? undefined : at(where, checkPattern('path', o.path, METRICS_PATH, 'an absolute URL path of letters, digits and ._~/-')),
      ...this.jobProblems(where, target.serviceName, o.intervalSeconds),
      o.provides === undefined || (Array.isArray(o.provides) && o.provides.every((x) => typeof x === 'string' && SERIES_SPEC.test(x)))
        ? undefined : `${where}: prop 'provides' must list series as \`name\`, \`name{label,…}\` or a prefix ending in \`_\` (got ${describeValue(o.provides)})`,
    );
    if (bad.length > 0) {
      this.setupProblems.push(...bad);
      return;
    }
    this.connections.allowTo(target, { port: o.port, startsAfter: false });
    this.jobs.push({ job: target.serviceName, address: `${target.serviceName}:${o.port}`, serverName: target.serviceName, path: o.path ?? '/metrics', zone: target.zone?.id, intervalSeconds: o.intervalSeconds, provides: o.provides });
  }

  /**
   * Scrapes Vault's own telemetry, `/v1/sys/metrics?format=prometheus` on its API port, over the
   * same verified mTLS and with a Vault token of Prometheus' own (its agent renews it; its policy
   * gains `read` on `sys/metrics` and nothing else for this). The target carries the label
   * `component="vault"`, which the VaultSealed alert reads: Vault answers 503 while sealed, so a
   * sealed Vault shows as a failed scrape of this job, not as a sample.
   */
  public scrapeVault(vault: VaultServer, options: { readonly intervalSeconds?: number } = {}): void {
    if (!(vault instanceof VaultServer)) {
      this.setupProblems.push(`scrapeVault: the target must be a VaultServer (got ${describeValue(vault)})`);
      return;
    }
    const where = `scrapeVault(${vault.node.path})`;
    const bad = this.jobProblems(where, vault.serviceName, options?.intervalSeconds);
    if (bad.length > 0) {
      this.setupProblems.push(...bad);
      return;
    }
    const bearerTokenFile = vault.grantMetricsRead(this);
    this.jobs.push({
      job: vault.serviceName, address: `${vault.serviceName}:${VAULT_PORT}`, serverName: vault.serviceName, path: '/v1/sys/metrics',
      params: { format: ['prometheus'] }, bearerTokenFile, labels: { component: 'vault' }, zone: vault.zone.id, intervalSeconds: options?.intervalSeconds, provides: ['vault_'],
    });
  }

  /** What is wrong with one more scrape job named `job` (every target's checks). */
  private jobProblems(where: string, job: string, intervalSeconds: number | undefined): string[] {
    return collect(
      intervalSeconds === undefined ? undefined : at(where, checkInteger('intervalSeconds', intervalSeconds, 5, 300)),
      this.jobs.some((j) => j.job === job) ? `${where}: '${job}' is already a scrape target` : undefined,
    );
  }

  /**
   * The alert rules that cannot fire here: a series they read is served by no scrape target (a
   * metric nobody emits yet, or a label the emitter does not set), with what is missing.
   */
  public dormantRules(): { readonly alert: string; readonly missing: readonly string[] }[] {
    const served = this.jobs.flatMap((j) => j.provides ?? []);
    return this.alertRules
      .map((r) => ({ alert: r.alert, missing: r.reads.filter((read) => !isServed(read, served)) }))
      .filter((r) => r.missing.length > 0);
  }

  /** Admits `client`'s certificate (its service name) to the query API, e.g. Grafana, and declares its flow here. */
  public allowQueriesFrom(client: Workload): void {
    if (!Workload.isWorkload(client)) {
      this.setupProblems.push(`allowQueriesFrom: the client must be a Workload (got ${describeValue(client)})`);
      return;
    }
    this.clients.add(client.serviceName);
    client.connections.allowTo(this, { port: PROMETHEUS_PORT, startsAfter: false });
  }
}
