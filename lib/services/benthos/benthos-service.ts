import { Construct } from 'constructs';
import { canonicalYaml } from '../../core/canonical-yaml';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';

/** Props every Benthos-based service shares. */
export interface BenthosServiceProps {
  /**
   * Vault: the certificate is Vault-issued and every grant's secrets are agent-rendered.
   * @default none (bootstrap PKI and delivered files)
   */
  readonly vault?: VaultServer;
  /**
   * The image: Benthos 4.27 (MIT), a stream processor configured entirely by one YAML file.
   * @default jeffail/benthos:4.27.0
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 0.5 CPU, 256 MiB
   */
  readonly resources?: ResourceLimits;
}

/** What a subclass decides about its workload. */
export interface BenthosServiceShape {
  /** The zone. */
  readonly zone: Zone;
  /** The ports it listens on (none for a job). */
  readonly ports: number[];
  /** What its certificate is for: `server` for an API, `client` for a job that calls TLS services. */
  readonly tlsUsage: 'server' | 'client' | 'server-and-client';
  /** Top-level keys of the config, in the order written. */
  readonly topLevelOrder?: string[];
  /**
   * Whether Benthos serves its Prometheus metrics (and the counters the config's `metric`
   * processors emit) over HTTPS on {@link BENTHOS_METRICS_PORT}, for a scrape by Z9.
   * @default false (a one-shot job exits before any scrape)
   */
  readonly metrics?: boolean;
}

/** What a JSON API listener of a Benthos service serves (see {@link httpsApiInput}). */
export interface HttpsApiListener {
  /** Port. */
  readonly port: number;
  /** The gorilla/mux route (route variables become metadata). */
  readonly path: string;
  /** The methods served; others answer 405. */
  readonly verbs: string[];
  /** Request timeout, e.g. `5s`. */
  readonly timeout: string;
  /**
   * Label of a `rate_limit_resources` entry.
   * @default none
   */
  readonly rateLimit?: string;
  /** The interpolation that sets the answer's status, e.g. `${! meta("http_status") }`. */
  readonly status: string;
  /**
   * The answer's content type (an interpolation is allowed).
   * @default application/json
   */
  readonly contentType?: string;
}

/**
 * The `http_server` input of a synchronous JSON API over TLS with `tls`: no WebSocket, answers
 * that are never cached or content-sniffed.
 */
export function httpsApiInput(l: HttpsApiListener, tls: BenthosTlsFiles): Record<string, unknown> {
  return {
    http_server: {
      address: `0.0.0.0:${l.port}`,
      path: l.path,
      ws_path: '',
      allowed_verbs: l.verbs,
      timeout: l.timeout,
      ...(l.rateLimit === undefined ? {} : { rate_limit: l.rateLimit }),
      cert_file: tls.certificate,
      key_file: tls.privateKey,
      sync_response: {
        status: l.status,
        headers: { 'Content-Type': l.contentType ?? 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
      },
    },
  };
}

/** Container paths of a Benthos service's certificate and key. */
export interface BenthosTlsFiles {
  /** The certificate (with chain). */
  readonly certificate: string;
  /** The private key. */
  readonly privateKey: string;
}

const CONFIG = '/etc/benthos/benthos.yaml';
/** Benthos' own HTTPS server, which then serves `/metrics` (and `/ping`, `/ready`) only. */
export const BENTHOS_METRICS_PORT = 4195;

/**
 * A workload whose whole behaviour is one Benthos configuration (`<service>/benthos.yaml`), which
 * the subclass renders in `renderConfig` once the construct tree is complete. Benthos' own HTTP
 * server is off, or with `metrics` serves only `/metrics` over TLS on {@link BENTHOS_METRICS_PORT};
 * the service trusts the internal CA (`SSL_CERT_FILE`)
 * and holds one certificate — Vault-issued when `vault` is given. Secrets a config needs inline
 * (a Redis password in a URL) come from `addEnvFile`, a dotenv file the Vault Agent renders and
 * Benthos reads with `--env-file`, so neither the config nor the compose file carries them.
 */
export abstract class BenthosService extends Workload {
  /** Its configuration file. */
  public readonly config: VpsFile;
  /** Its certificate and key. */
  public readonly tls: BenthosTlsFiles;
  /** The port Prometheus scrapes, when the service serves metrics. */
  public readonly metricsPort?: number;
  /**
   * The series of its own that alert rules read (`name{label,…}`); Benthos' built-in metrics are
   * not listed. Subclasses that count something name it here.
   */
  public get providedMetrics(): readonly string[] {
    return [];
  }
  /** Vault, when the service's secrets come from it. */
  protected readonly vault?: VaultServer;
  /** The argv, read at synth: `addEnvFile` puts its flags in front of `-c`. */
  private readonly argv: string[];

  protected constructor(scope: Construct, id: string, props: BenthosServiceProps, shape: BenthosServiceShape) {
    const p = props ?? {};
    const argv = ['-c', CONFIG];
    super(scope, id, {
      zone: shape.zone,
      image: p.image ?? Image.fromRegistry('jeffail/benthos', '4.27.0'),
      ports: shape.metrics ? [...shape.ports, BENTHOS_METRICS_PORT] : shape.ports,
      command: argv,
      resources: p.resources ?? { cpus: 0.5, memoryMiB: 256 },
    });
    this.argv = argv;
    this.metricsPort = shape.metrics ? BENTHOS_METRICS_PORT : undefined;
    this.vault = p.vault;
    this.tls = p.vault
      ? p.vault.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 })
      : this.tlsFilesOf(this.addTlsIdentity({ usage: shape.tlsUsage }));
    this.addEnvironment('SSL_CERT_FILE', this.addSecret(SecretSource.caBundle(Vps.of(this))));
    this.config = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/benthos.yaml`,
      content: () => canonicalYaml({ ...this.serverConfig(), ...this.renderConfig(), logger: { level: 'INFO', format: 'json', add_timestamp: true } }, {
        header: `Benthos configuration of ${this.node.path}, generated by mlsec-cdk. Do not edit.`,
        topLevelOrder: shape.topLevelOrder ?? ['http', 'input', 'pipeline', 'output', 'metrics'],
      }),
    });
    this.mountFile(this.config, CONFIG);
  }

  /**
   * Adds a dotenv file (container path) Benthos reads at start, for `${VAR}` in the config that
   * must stay out of synth-out and the compose file.
   */
  protected addEnvFile(containerPath: string): void {
    if (!this.argv.includes(containerPath)) this.argv.splice(this.argv.length - 2, 0, '--env-file', containerPath);
  }

  /**
   * Benthos' own server: off, or HTTPS for metrics only (no debug endpoints; the stream's own
   * listener, if any, is separate). Only the flows Z9 declares reach it.
   */
  private serverConfig(): Record<string, unknown> {
    if (this.metricsPort === undefined) return { http: { enabled: false }, metrics: { none: {} } };
    return {
      http: { enabled: true, address: `0.0.0.0:${this.metricsPort}`, debug_endpoints: false, cert_file: this.tls.certificate, key_file: this.tls.privateKey },
      metrics: { prometheus: {} },
    };
  }

  /** The configuration (without `http`, `metrics` and `logger`, which every service shares). */
  protected abstract renderConfig(): Record<string, unknown>;
}
