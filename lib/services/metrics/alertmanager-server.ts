import { Construct } from 'constructs';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { renderAlertmanagerConfig, WebhookReceiverSpec } from './alertmanager-config';
import { AlertSeverity, ALERT_SEVERITIES } from './security-alert-rule';
import { renderProbeConfig, renderWebConfig, TlsPaths } from './web-config';

/** The HTTPS port of Alertmanager's API (its only listener: clustering is off). */
export const ALERTMANAGER_PORT = 9093;
/** The pinned image tag. Keep in sync with tools/install-prometheus.sh. */
export const ALERTMANAGER_VERSION = 'v0.35.0';
const CONFIG_DIR = '/etc/alertmanager';
const RECEIVER_NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const URL_PATH = /^\/[A-Za-z0-9._~\/-]{0,200}$/;

/** Prefixes a prop problem with the call it came from. */
const at = (where: string, problem: string | undefined) => (problem === undefined ? undefined : `${where}: ${problem}`);

/** Props of an {@link AlertmanagerServer}. */
export interface AlertmanagerServerProps {
  /** Vault: issues its certificate and holds the webhook tokens. */
  readonly vault: VaultServer;
  /**
   * How long silences and notification state are kept, in hours.
   * @default 120
   */
  readonly retentionHours?: number;
  /**
   * The image.
   * @default prom/alertmanager:v0.35.0
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 0.25 CPU, 128 MiB
   */
  readonly resources?: ResourceLimits;
}

/** Options of {@link AlertmanagerServer.addWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The workload that receives the webhooks (e.g. the SOAR runner, CONTROLS.md §5 #21); it must serve HTTPS. */
  readonly target: Workload;
  /** Its HTTPS port (one of its declared ports). */
  readonly port: number;
  /** The URL path, e.g. `/hooks/alertmanager`. */
  readonly path: string;
  /** Severities it is notified of; across all receivers S1–S4 must each have one. */
  readonly severities: readonly AlertSeverity[];
  /**
   * The `*_FILE` variable that points the receiver at the bearer token it must check.
   * @default 'ALERTMANAGER_WEBHOOK_TOKEN_FILE'
   */
  readonly tokenEnvVar?: string;
  /**
   * Whether resolved alerts are sent too.
   * @default true
   */
  readonly sendResolved?: boolean;
}

/**
 * Alertmanager (Z9) for the security alerts: HTTPS only with a Vault-issued certificate, client
 * certificates from the internal CA required and only the declared clients admitted (Prometheus,
 * its own health check); single node (no gossip port); routes by Z9-K09 severity with inhibition;
 * every receiver a webhook over verified mTLS with a bearer token that Vault holds and both sides'
 * agents render into files — never in the config or the environment.
 */
export class AlertmanagerServer extends Workload {
  /** Its configuration file. */
  public readonly config: VpsFile;
  /** Its HTTPS listener's web config. */
  public readonly webConfig: VpsFile;
  private readonly receivers: WebhookReceiverSpec[] = [];
  private readonly clients = new Set<string>();
  private readonly setupProblems: string[] = [];
  private readonly vault: VaultServer;
  /** @internal */
  public readonly _tls: TlsPaths;

  constructor(scope: Construct, id: string, props: AlertmanagerServerProps) {
    const p = props ?? ({} as AlertmanagerServerProps);
    super(scope, id, {
      zone: Zone.Z9_OBSERVABILITY,
      image: p.image ?? Image.fromRegistry('prom/alertmanager', ALERTMANAGER_VERSION),
      ports: [ALERTMANAGER_PORT],
      // The image's nobody user owns /alertmanager, where the named volume starts from.
      user: '65534:65534',
      resources: p.resources ?? { cpus: 0.25, memoryMiB: 128 },
      command: [
        `--config.file=${CONFIG_DIR}/alertmanager.yml`,
        `--web.config.file=${CONFIG_DIR}/web.yml`,
        `--web.listen-address=:${ALERTMANAGER_PORT}`,
        '--storage.path=/alertmanager',
        `--data.retention=${p.retentionHours ?? 120}h`,
        // Single node: no gossip listener (it would be plain, unauthenticated TCP/UDP on 9094).
        '--cluster.listen-address=',
        '--log.format=json',
      ],
      // amtool (in the image) asks the API for its status over the same mTLS as any client.
      healthCheck: HealthCheck.command(['/bin/amtool', `--alertmanager.url=https://127.0.0.1:${ALERTMANAGER_PORT}`, `--http.config.file=${CONFIG_DIR}/probe.yml`, 'config', 'show'], { startPeriodSeconds: 30 }),
    });
    this.vault = p.vault;
    this.addDataVolume('data', '/alertmanager');
    const issued = p.vault?.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 }) ?? { certificate: '/run/vault/vault-tls.crt', privateKey: '/run/vault/vault-tls.key' };
    this._tls = { ...issued, caBundle: this.addSecret(SecretSource.caBundle(Vps.of(this))) };
    this.clients.add(this.serviceName);
    const origin = this.node.path;
    this.config = new VpsFile(this, 'Config', { path: `${this.serviceName}/alertmanager.yml`, content: () => renderAlertmanagerConfig(this.receivers, this._tls, origin) });
    this.webConfig = new VpsFile(this, 'WebConfig', { path: `${this.serviceName}/web.yml`, content: () => renderWebConfig(this._tls, [...this.clients], origin) });
    const probe = new VpsFile(this, 'ProbeConfig', { path: `${this.serviceName}/probe.yml`, content: () => renderProbeConfig(this._tls, this.serviceName, origin) });
    this.mountFile(this.config, `${CONFIG_DIR}/alertmanager.yml`);
    this.mountFile(this.webConfig, `${CONFIG_DIR}/web.yml`);
    this.mountFile(probe, `${CONFIG_DIR}/probe.yml`);
    this.node.addValidation({
      validate: () => [
        ...collect(
          p.vault ? undefined : "prop 'vault' is required (a VaultServer: it issues the certificate and holds the webhook tokens)",
          p.retentionHours === undefined ? undefined : checkInteger('retentionHours', p.retentionHours, 1, 8760),
        ),
        ...this.setupProblems,
        ...this.coverageProblems(),
      ],
    });
  }

  /** The names of the receivers. */
  public get receiverNames(): string[] {
    return this.receivers.map((r) => r.name);
  }

  /**
   * Sends alerts of `options.severities` to a webhook on `options.target` over verified mTLS,
   * with a bearer token Vault generates, holds and renders for both sides (the target gets it
   * through `options.tokenEnvVar`). Declares the flow to the target.
   */
  public addWebhookReceiver(name: string, options: WebhookReceiverOptions): void {
    const o = options ?? ({} as WebhookReceiverOptions);
    const where = `addWebhookReceiver(${describeValue(name)})`;
    const bad = collect(
      at(where, checkPattern('name', name, RECEIVER_NAME, 'lower-case letters, digits and "-", starting with a letter')),
      Workload.isWorkload(o.target) ? undefined : `${where}: prop 'target' must be a Workload (got ${describeValue(o.target)})`,
      at(where, checkPattern('path', o.path, URL_PATH, 'an absolute URL path of letters, digits and ._~/-')),
      Array.isArray(o.severities) && o.severities.length > 0 && o.severities.every((s) => ALERT_SEVERITIES.includes(s)) && new Set(o.severities).size === o.severities.length ? undefined
        : `${where}: prop 'severities' must be a non-empty list of distinct severities from ${ALERT_SEVERITIES.join(', ')} (got ${describeValue(o.severities)})`,
      o.tokenEnvVar === undefined ? undefined : at(where, checkPattern('tokenEnvVar', o.tokenEnvVar, /^[A-Z_][A-Z0-9_]*_FILE$/, 'an upper-case variable name ending in _FILE')),
      this.receivers.some((r) => r.name === name) ? `${where}: a receiver named '${name}' already exists` : undefined,
    );
    if (bad.length > 0) {
      this.setupProblems.push(...bad);
      return;
    }
    // Without Vault there is nowhere to keep the token: the constructor's validation reports it.
    if (!this.vault) return;
    const target = o.target;
    this.connections.allowTo(target, { port: o.port, startsAfter: false });
    // Vault generates the token once; both agents render it (the receiver checks what Alertmanager presents).
    const token = new Credential(this, `WebhookToken-${name}`, { name: `${this.serviceName}-webhook-${name}`, description: `bearer token of ${this.serviceName}'s webhook receiver ${name}` });
    const secret = this.vault.addKvSecret(`${this.node.id}Webhook-${name}`, { path: `${Vps.of(this).name}/core/${this.serviceName}/webhook-${name}`, seed: { token } });
    const fileName = `webhook-${name}-token`;
    secret.grantRead(this, { fields: { token: `MLSEC_WEBHOOK_${name.toUpperCase().replace(/-/g, '_')}_TOKEN_FILE` }, fileNames: { token: fileName } });
    secret.grantRead(target, { fields: { token: o.tokenEnvVar ?? 'ALERTMANAGER_WEBHOOK_TOKEN_FILE' }, fileNames: { token: 'alertmanager-webhook-token' } });
    this.receivers.push({
      name, url: `https://${target.serviceName}:${o.port}${o.path}`, serverName: target.serviceName,
      tokenFile: `/run/vault/${fileName}`, severities: [...o.severities], sendResolved: o.sendResolved ?? true,
    });
  }

  /** Admits `client`'s certificate (its service name) to the API and declares its flow here. */
  public allowClient(client: Workload): void {
    if (!Workload.isWorkload(client)) {
      this.setupProblems.push(`allowClient: the client must be a Workload (got ${describeValue(client)})`);
      return;
    }
    this.clients.add(client.serviceName);
    client.connections.allowTo(this, { port: ALERTMANAGER_PORT, startsAfter: false });
  }

  private coverageProblems(): string[] {
    const missing = ALERT_SEVERITIES.filter((s) => !this.receivers.some((r) => r.severities.includes(s)));
    if (missing.length === 0) return [];
    return [`no receiver takes severities ${missing.join(', ')}: every severity S1–S4 needs one (addWebhookReceiver with 'severities'), or its alerts would be dropped`];
  }
}
