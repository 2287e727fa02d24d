import { Construct } from 'constructs';
import { checkedId } from '../core/names';
import { checkPattern, collect, describeValue } from '../core/prop-rules';
import { TraefikDynamicConfig } from '../traefik/traefik-dynamic-config';
import { TraefikStaticConfig } from '../traefik/traefik-static-config';
import { StaticHTTPConfig, TraefikStaticConfiguration } from '../traefik/generated/traefik-static';
import type { VaultServer } from '../vault/vault-server';
import { clientTlsFiles } from '../services/client-tls';
import { HealthCheck } from '../workload/health-check';
import { Image } from '../workload/image';
import { TlsIdentity } from '../pki/tls-identity';
import { TlsFiles } from '../workload/mounts';
import { Workload } from '../workload/workload';
import { WorkloadGraph } from '../workload/workload-graph';
import { Zone } from '../workload/zone';
import { CIDR_RANGE, defaultTlsOptions, mtlsTlsOptions } from './gateway-policy';
import { ExposeOptions, GatewayRoute, IOidcProxyProvider } from './gateway-route';

/** Props of a {@link Gateway}. */
export interface GatewayProps {
  /** The host's public address (IPv4 or IPv6) that 443 and 80 are published on; never 0.0.0.0 or ::. */
  readonly publicAddress: string;
  /**
   * Source ranges (CIDR) of proxies in front of the gateway whose X-Forwarded-* headers are
   * trusted (a load balancer or CDN). Everyone else's are overwritten.
   * @default none: no forwarded header is trusted
   */
  readonly trustedProxies?: string[];
  /**
   * The Traefik image.
   * @default traefik:v3.7.15
   */
  readonly image?: Image;
  /**
   * Vault, for the client certificate the gateway presents to backends (short-lived, agent-rendered).
   * @default none: the bootstrap PKI issues it
   */
  readonly vault?: VaultServer;
}

/** Container ports (non-root cannot bind below 1024): 8443 is published as 443, 8080 as 80. */
export const GATEWAY_HTTPS_PORT = 8443;
export const GATEWAY_HTTP_PORT = 8080;
/** Internal ping entry point for the health check; never published. */
export const GATEWAY_PING_PORT = 8082;
/** Internal entry point of the gateway's own metrics (Prometheus format, mTLS only); never published. */
export const GATEWAY_METRICS_PORT = 9100;
/** Request-duration buckets (s): around the latency objectives of CONTROLS.md Z9-K04 (250 ms, 300 ms, 800 ms). */
const DURATION_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 0.8, 1, 2.5, 5, 10];
const STATIC_FILE = '/etc/traefik/traefik.yml';
const DYNAMIC_DIR = '/etc/traefik/dynamic';
const ADDRESS = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$|^[0-9a-f:]*:[0-9a-f:]*$/i;

/**
 * The edge gateway (Z1): the only workload that publishes host ports (443, and 80 which only
 * redirects), Traefik with the file provider only (no Docker socket), no dashboard, a JSON access
 * log without credentials, backend TLS verified with the internal CA, its own metrics on an
 * internal mTLS entry point (never published). `expose` is the one way a
 * workload becomes reachable from outside: it writes the router, its middleware chain, the
 * service, the backend transport and the network flow.
 */
export class Gateway extends Construct {
  /** The Traefik workload. */
  public readonly workload: Workload;
  /** `traefik/traefik.yml`. */
  public readonly staticConfig: TraefikStaticConfig;
  /** `traefik/dynamic/tls.yml`: TLS options and the public certificate. */
  public readonly tlsConfig: TraefikDynamicConfig;
  /** `traefik/dynamic/metrics.yml`: the metrics entry point's router (internal-CA client certificates only). */
  public readonly metricsConfig: TraefikDynamicConfig;
  /** The routes, in the order they were exposed. */
  public readonly routes: GatewayRoute[] = [];
  /** @internal The public certificate (its SANs grow with the routes). */
  public readonly _publicTls: TlsIdentity;
  /** @internal */ public _oidcProvider?: IOidcProxyProvider;
  /** @internal The sign-in (`/oauth2/`) service of each OIDC-protected host. */
  public readonly _signInServices = new Map<string, string>();
  /** @internal Client certificate presented to backends. */
  public readonly _backendClientTls: TlsFiles;
  /** @internal CA bundle (verifies backends and client certificates). */
  public readonly _caBundle: string;
  private readonly props: GatewayProps;
  private mtlsDeclared = false;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, checkedId(scope, id));
    this.props = props ?? ({} as GatewayProps);
    this.workload = new Workload(this, 'Traefik', {
      zone: Zone.Z1_INGESTION,
      serviceName: 'gateway',
      image: this.props.image ?? Image.fromRegistry('traefik', 'v3.7.15'),
      ports: [GATEWAY_HTTPS_PORT, GATEWAY_HTTP_PORT, GATEWAY_PING_PORT, GATEWAY_METRICS_PORT],
      command: [`--configFile=${STATIC_FILE}`],
      resources: { cpus: 1, memoryMiB: 256, pids: 256 },
      healthCheck: HealthCheck.command(['traefik', 'healthcheck', `--configFile=${STATIC_FILE}`]),
    });
    WorkloadGraph.of(this.workload).addEdgeMember(this.workload);
    // Declared by the gateway itself, not inferred from the network: another workload put on the
    // edge network must still be flagged (ZONE-08), not taken for the gateway.
    this.workload._role = 'edge-gateway';
    this._publicTls = this.workload.addTlsIdentity({ usage: 'server' }, 'PublicTls');
    const publicTls = this.workload.tlsFilesOf(this._publicTls);
    this._caBundle = publicTls.caBundle;
    // One internal identity for both directions: the client certificate backends verify, and the
    // server certificate of the metrics entry point (its service name, from the internal CA).
    this._backendClientTls = this.props.vault
      ? (this.props.vault.enablePki().grantIssue(this.workload, { usage: 'server-and-client' }), clientTlsFiles(this.workload, this.props.vault))
      : this.workload.tlsFilesOf(this.workload.addTlsIdentity({ usage: 'server-and-client' }, 'InternalTls'));
    const address = this.props.publicAddress;
    for (const [host, container] of [[443, GATEWAY_HTTPS_PORT], [80, GATEWAY_HTTP_PORT]]) {
      this.workload.publishPort({ hostIp: address, hostPort: host, containerPort: container, reason: host === 443 ? 'the gateway is the single public door (HTTPS)' : 'port 80 only redirects to HTTPS' });
    }
    this.staticConfig = new TraefikStaticConfig(this, 'Static', { config: () => this.renderStatic() });
    this.workload.mountFile(this.staticConfig.file, STATIC_FILE);
    this.tlsConfig = new TraefikDynamicConfig(this, 'Tls', { name: 'tls' });
    this.tlsConfig.addTlsOptions('default', defaultTlsOptions());
    this.tlsConfig.addCertificate(publicTls.certificate, publicTls.privateKey);
    this.mountDynamic(this.tlsConfig);
    this.metricsConfig = this.metricsRoute();
    this.node.addValidation({
      validate: () => collect(
        checkPattern('publicAddress', address, ADDRESS, 'the public IPv4 or IPv6 address of the host')
          ?? (address === '0.0.0.0' || /^[0:]*$/.test(address) ? `prop 'publicAddress' must be the host's specific public address, not the wildcard ${describeValue(address)}` : undefined),
        ...(this.props.trustedProxies ?? []).map((c, i) => checkPattern(`trustedProxies[${i}]`, c, CIDR_RANGE, 'a CIDR range such as "10.0.0.0/24"')),
        ...(this.props.trustedProxies ?? []).filter((c) => c === '0.0.0.0/0' || c === '::/0').map((c) => `prop 'trustedProxies' must not trust everyone (${c})`),
      ),
    });
  }

  /**
   * Makes `workload` reachable from outside on `options.host` + `options.pathPrefix`: a router on
   * the HTTPS entry point with the full middleware chain, its service and backend transport, and
   * the flow from the gateway to the workload. Workloads outside the two doors (Z1 ingestion, Z6
   * serving) are admin UIs: they need `RouteAuth.oidc` and an `allowFrom` list.
   */
  public expose(workload: Workload, options: ExposeOptions): GatewayRoute {
    return this.addRoute(workload, options ?? ({} as ExposeOptions), false);
  }

  /** @internal The identity provider's own open endpoints (KeycloakServer.exposeVia). */
  public _exposeIdentityEndpoints(workload: Workload, options: ExposeOptions): GatewayRoute {
    return this.addRoute(workload, options, true);
  }

  private addRoute(workload: Workload, options: ExposeOptions, identityProvider: boolean): GatewayRoute {
    const name = options.name ?? this.routeName(workload);
    const route = new GatewayRoute(this, `Route-${name}`, { gateway: this, workload, name, options, identityProvider });
    this.routes.push(route);
    return route;
  }

  /** Uses `provider` (the identity provider) for every `RouteAuth.oidc` route. */
  public useIdentityProvider(provider: IOidcProxyProvider): void {
    this._oidcProvider = provider;
  }

  /** @internal The name of the mTLS TLS options (declared on first use). */
  public _mtlsOptionsName(): string {
    if (!this.mtlsDeclared) {
      this.tlsConfig.addTlsOptions('mtls-clients', mtlsTlsOptions(this._caBundle));
      this.mtlsDeclared = true;
    }
    return 'mtls-clients';
  }

  /** @internal Mounts a dynamic file into the provider directory. */
  public mountDynamic(config: TraefikDynamicConfig): void {
    this.workload.mountFile(config.file, `${DYNAMIC_DIR}/${config.file.path.split('/').pop()}`);
  }

  /**
   * The gateway's own metrics (request counts and durations per service and entry point, which
   * the edge alert rules read) on an internal entry point: TLS under its service name, a client
   * certificate from the internal CA required, `/metrics` only. Never published; scraped with
   * `PrometheusServer.addTarget(gateway.workload, { port: GATEWAY_METRICS_PORT })`.
   */
  private metricsRoute(): TraefikDynamicConfig {
    const config = new TraefikDynamicConfig(this, 'Metrics', { name: 'metrics' });
    const name = this.workload.serviceName;
    config.addRouter('metrics', {
      entryPoints: ['metrics'], rule: `Host(\`${name}\`) && Path(\`/metrics\`)`, service: 'prometheus@internal',
      tls: { options: this._mtlsOptionsName() },
    });
    this.tlsConfig.addCertificate(this._backendClientTls.certificate, this._backendClientTls.privateKey);
    this.mountDynamic(config);
    return config;
  }

  private routeName(workload: Workload): string {
    const base = Workload.isWorkload(workload) ? workload.serviceName : 'route';
    let name = base;
    for (let n = 2; this.routes.some((r) => r.routeName === name); n++) name = `${base}-${n}`;
    return name;
  }

  private renderStatic(): TraefikStaticConfiguration {
    const trusted = this.props.trustedProxies ?? [];
    const forwarded = trusted.length > 0 ? { forwardedHeaders: { trustedIPs: [...trusted] } } : {};
    return {
      global: { checkNewVersion: false, sendAnonymousUsage: false },
      entryPoints: {
        web: {
          address: `:${GATEWAY_HTTP_PORT}`,
          // ':443' (the published port), not the entry point: its container port would leak into Location.
          http: { redirections: { entryPoint: { to: ':443', scheme: 'https', permanent: true } } },
          ...forwarded,
        },
        websecure: {
          address: `:${GATEWAY_HTTPS_PORT}`,
          // Clients must not smuggle `X_Client_Id` next to the verified `X-Client-Id`: aliases are dropped
          // (a Traefik 3.6+ option the SchemaStore types do not list yet).
          http: { tls: {}, aliasHeadersStrategy: 'delete' } as StaticHTTPConfig,
          transport: { respondingTimeouts: { readTimeout: '30s', writeTimeout: '60s', idleTimeout: '90s' } },
          ...forwarded,
        },
        ping: { address: `:${GATEWAY_PING_PORT}` },
        metrics: { address: `:${GATEWAY_METRICS_PORT}`, http: { tls: {} } },
      },
      ping: { entryPoint: 'ping' },
      // Served only through the mTLS router of metrics.yml (manualRouting), never on its own.
      metrics: { prometheus: { entryPoint: 'metrics', manualRouting: true, addEntryPointsLabels: true, addServicesLabels: true, addRoutersLabels: true, buckets: [...DURATION_BUCKETS] } },
      providers: { file: { directory: DYNAMIC_DIR, watch: false } },
      log: { level: 'INFO', format: 'json' },
      accessLog: {
        format: 'json',
        fields: {
          defaultMode: 'keep',
          headers: { defaultMode: 'drop', names: { 'Authorization': 'drop', 'Cookie': 'drop', 'Set-Cookie': 'drop', 'Proxy-Authorization': 'drop', 'User-Agent': 'keep', 'X-Request-Id': 'keep', 'Content-Type': 'keep' } },
        },
      },
      serversTransport: { insecureSkipVerify: false, rootCAs: [this._caBundle] },
    };
  }
}
