import { parse } from 'yaml';
import { App, Assembly, HealthCheck, Image, KeycloakServer, PostgresServer, Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { GrafanaOidcClient, GrafanaServer, GrafanaServerProps } from '../../../lib/services/telemetry/grafana-server';
import { LokiServer, LokiServerProps } from '../../../lib/services/telemetry/loki-server';
import { OtelCollector, OtelCollectorProps } from '../../../lib/services/telemetry/otel-collector';
import { RENDERING_ONLY } from '../../support/fixtures';

/** A Z9 stack on Vps `lab`: Loki, the collector, an API sending telemetry, and (with `grafana`) Keycloak and Grafana. */
export interface TelemetryLab {
  readonly app: App;
  readonly vps: Vps;
  readonly vault?: VaultServer;
  readonly loki: LokiServer;
  readonly collector: OtelCollector;
  readonly api: Workload;
  readonly grafana?: GrafanaServer;
}

export interface TelemetryLabOptions {
  /** Use Vault for certificates (Grafana needs it). */
  readonly vault?: boolean;
  /** Add Keycloak and Grafana. */
  readonly grafana?: boolean;
  readonly loki?: LokiServerProps;
  readonly collector?: Partial<OtelCollectorProps>;
  readonly grafanaProps?: Partial<GrafanaServerProps>;
  /** Overrides of Grafana's OIDC client settings. */
  readonly oidc?: Partial<GrafanaOidcClient>;
  /** Run the posture rules as a default app does (fail on findings) instead of rendering only. */
  readonly posture?: boolean;
  /** The api's OTLP protocol. */
  readonly protocol?: 'grpc' | 'http/protobuf';
}

/** Builds the lab (not synthesized). */
export function telemetryLab(options: TelemetryLabOptions = {}): TelemetryLab {
  const app = options.posture ? Testing.app() : Testing.app({ postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = options.vault || options.grafana ? new VaultServer(vps, 'vault') : undefined;
  const loki = new LokiServer(vps, 'loki', { vault, ...options.loki });
  const collector = new OtelCollector(vps, 'otel-collector', { loki, vault, ...options.collector });
  const api = new Workload(vps, 'features-api', {
    zone: Zone.Z6_SERVING, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), ports: [8443],
    healthCheck: HealthCheck.command(['python', '-c', 'pass']),
  });
  collector.acceptFrom(api, options.protocol ? { protocol: options.protocol } : {});
  let grafana: GrafanaServer | undefined;
  if (options.grafana && vault) {
    const db = new PostgresServer(vps, 'idp-db', { zone: Zone.Z8_SECURITY, vault });
    const keycloak = new KeycloakServer(vps, 'keycloak', {
      hostname: 'auth.lab.example.com', database: db, vault,
      realm: { realmName: 'lab' },
    });
    const clientSecret = vault.addKvSecret('GrafanaClient', { path: 'lab/core/grafana/client' });
    grafana = new GrafanaServer(vps, 'grafana', {
      host: 'grafana.lab.example.com', vault, loki,
      oidc: { idp: keycloak, idpPort: 8443, issuerUrl: keycloak.issuerUrl, clientId: 'grafana', clientSecret, ...options.oidc },
      ...options.grafanaProps,
    });
  }
  return { app, vps, vault, loki, collector, api, grafana };
}

/** Synthesizes a lab and gives its files. */
export function synthLab(lab: TelemetryLab) {
  const assembly: Assembly = Testing.synth(lab.app);
  const file = (rel: string) => assembly.file(`lab/${rel}`);
  return { assembly, file, compose: parse(file('docker-compose.yml')) as any };
}
