import { Construct } from 'constructs';
import { MlsecError } from '../core/errors';
import { checkedId, Names } from '../core/names';
import { ComposeService } from '../compose/compose-service';
import { ComposeVolume } from '../compose/compose-volume';
import { Vps } from '../core/vps';
import { VpsFile } from '../core/vps-file';
import { TlsIdentity, TlsIdentityProps } from '../pki/tls-identity';
import { Connections } from './connections';
import { HealthCheck } from './health-check';
import { Image } from './image';
import { FileMount, PortPublication, SecretMount, SecretMountOptions, TlsFiles, VolumeMount, VolumeMountOptions } from './mounts';
import { ISecretConsumer, ISecretSource } from './secret-source';
import { workloadProblems } from './workload-problems';
import { SECRET_FILE_NAME } from '../secrets/credential';
import { SecretSource } from '../secrets/secret-source';
import { SecurityOverride } from './security-override';
import { ResourceLimits, SecurityProfile } from './security-profile';
import { WorkloadGraph } from './workload-graph';
import { Zone } from './zone';
import { renderWorkloadService } from './workload-renderer';

/** Props of a {@link Workload}. */
export interface WorkloadProps {
  /** The security zone the workload belongs to. */
  readonly zone: Zone;
  /** The container image, pinned to an exact version tag (and digest when read from a registry). */
  readonly image: Image;
  /**
   * Command arguments, overriding the image's CMD.
   * @default the image's CMD
   */
  readonly command?: string[];
  /**
   * Entrypoint, overriding the image's ENTRYPOINT.
   * @default the image's ENTRYPOINT
   */
  readonly entrypoint?: string[];
  /**
   * Non-secret environment variables. Names that look like secrets (PASSWORD, TOKEN, SECRET,
   * API_KEY …) are rejected: use `addSecret` and a `*_FILE` variable.
   * @default none
   */
  readonly environment?: Record<string, string>;
  /**
   * TCP ports the container listens on. They are reachable only by declared flows, never
   * published (see `publishPort`).
   * @default none
   */
  readonly ports?: number[];
  /**
   * How compose tells that the workload is healthy. Required: call `noHealthCheck(reason)` to go
   * without one.
   * @default none (a validation error unless `noHealthCheck` is called)
   */
  readonly healthCheck?: HealthCheck;
  /**
   * Resource limits; unspecified fields come from the nearest `SecurityProfile`.
   * @default the SecurityProfile in scope (0.5 CPU, 256 MiB, 128 pids by default)
   */
  readonly resources?: ResourceLimits;
  /**
   * Non-root numeric `uid:gid`. Use `runAsRoot(reason)` for root.
   * @default the SecurityProfile in scope ('10001:10001')
   */
  readonly user?: string;
  /**
   * Container paths that must be writable although the root filesystem is read-only; each becomes
   * a `noexec,nosuid` tmpfs.
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];
  /**
   * Working directory in the container.
   * @default the image's WORKDIR
   */
  readonly workingDir?: string;
  /**
   * Name of the compose service (and its DNS name on the project's networks).
   * @default the construct id, normalized
   */
  readonly serviceName?: string;
}

const WORKLOAD = Symbol.for('mlsec-cdk.Workload');

/**
 * One container, described by intent and hardened by default: read-only root filesystem with tmpfs
 * for declared writable paths, every capability dropped, no-new-privileges, a non-root user,
 * CPU/memory/pids limits, a health check, a bounded restart policy, rotated logs, no host ports
 * and no network but the ones its declared flows need. Each default can be lifted only by an
 * explicit call with a reason, recorded in `securityOverrides` and in the compose file.
 */
export class Workload extends Construct implements ISecretConsumer {
  /** Whether `x` is a Workload. */
  public static isWorkload(x: unknown): x is Workload {
    return x !== null && typeof x === 'object' && WORKLOAD in x;
  }

  /** The zone the workload belongs to. */
  public readonly zone: Zone;
  /** The image it runs. */
  public readonly image: Image;
  /** Ports it listens on. */
  public readonly ports: readonly number[];
  /** The compose L1 service: the escape hatch for anything not modelled (`service.addOverride`). */
  public readonly service: ComposeService;
  /** Declared network flows. */
  public readonly connections: Connections;
  /** Hardened defaults lifted on purpose, with reasons. */
  public readonly securityOverrides: SecurityOverride[] = [];

  /** @internal */ public readonly _props: WorkloadProps;
  /** @internal */ public readonly _environment: Record<string, string>;
  /** @internal */ public readonly _volumes: VolumeMount[] = [];
  /** @internal */ public readonly _files: FileMount[] = [];
  /** @internal */ public readonly _secrets: SecretMount[] = [];
  /** @internal */ public readonly _tlsFiles = new Map<TlsIdentity, TlsFiles>();
  /** @internal */ public readonly _capabilities: string[] = [];
  /** @internal */ public readonly _publications: PortPublication[] = [];
  /** @internal Start-order dependencies that are not flows: one-shot jobs, sidecars. */
  public readonly _startsAfter = new Map<Workload, 'service_healthy' | 'service_completed_successfully'>();
  /** @internal */ public _readOnlyRoot = true;
  /** @internal */ public _rootUser = false;
  /** @internal */ public _withoutHealthCheck = false;
  /** @internal What the workload is for the zone invariants (`x-mlsec.role`, e.g. `edge-gateway`): set by the L2 that owns it. */
  public _role?: string;

  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, checkedId(scope, id));
    Object.defineProperty(this, WORKLOAD, { value: true });
    this._props = props ?? ({} as WorkloadProps);
    this.zone = this._props.zone;
    this.image = this._props.image;
    this.ports = Array.isArray(this._props.ports) ? [...this._props.ports] : [];
    this._environment = { ...(this._props.environment ?? {}) };
    this.connections = new Connections(this);
    WorkloadGraph.of(this);
    this.service = new ComposeService(this, 'Service', {
      name: this._props.serviceName === undefined ? Names.of(this) : Names.toComposeName(this._props.serviceName),
      spec: () => renderWorkloadService(this, WorkloadGraph.of(this)),
    });
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The compose service name (its DNS name on the project's networks). */
  public get serviceName(): string {
    return this.service.name;
  }

  /** The resource limits and other defaults in force (props over the SecurityProfile in scope). */
  public get defaults() {
    const resolved = SecurityProfile.of(this).resolve();
    const own = this._props.resources ?? {};
    return {
      ...resolved,
      user: this._props.user ?? resolved.user,
      resources: {
        cpus: own.cpus ?? resolved.resources.cpus,
        memoryMiB: own.memoryMiB ?? resolved.resources.memoryMiB,
        pids: own.pids ?? resolved.resources.pids,
      },
    };
  }

  /** The numeric `uid:gid` the container runs as (owner of the secret files delivered to it). */
  public get runAsUser(): string {
    return this._rootUser ? '0:0' : this.defaults.user;
  }

  /** Adds a non-secret environment variable. */
  public addEnvironment(name: string, value: string): void {
    this._environment[name] = value;
  }

  /**
   * Mounts a secret file at `/run/secrets/<name>` and, when `options.envVar` (a `*_FILE` name) is
   * given, points that variable at it. Returns the path in the container.
   */
  public addSecret(source: ISecretSource, options: SecretMountOptions = {}): string {
    const name = source?.secretName;
    const path = `/run/secrets/${name}`;
    const key = (x: ISecretSource) => (x as { identityKey?: string }).identityKey;
    const existing = this._secrets.find((s) => s.source === source || (key(source) !== undefined && key(s.source) === key(source)));
    if (existing !== undefined && (options?.envVar === undefined || options.envVar === existing.envVar)) return path;
    const composeName = typeof name === 'string' && SECRET_FILE_NAME.test(name) ? source.bind(this) : String(name);
    this._secrets.push({ source, envVar: options?.envVar, composeName });
    return path;
  }

  /** Mounts a named data volume. */
  public mountVolume(volume: ComposeVolume, target: string, options: VolumeMountOptions = {}): void {
    this._volumes.push({ volume, target, readOnly: options?.readOnly ?? false });
  }

  /** Creates a named data volume (a child of this workload) and mounts it read-write. */
  public addDataVolume(id: string, target: string): ComposeVolume {
    checkedId(this, id);
    const volume = new ComposeVolume(this, id, { name: `${this.serviceName}-${Names.toComposeName(id)}` });
    this.mountVolume(volume, target);
    return volume;
  }

  /** Mounts a synthesized file read-only. */
  public mountFile(file: VpsFile, target: string): void {
    this._files.push({ file, target });
  }

  /**
   * Declares that this workload serves or presents TLS: the `bootstrap` task issues its
   * certificate and delivers certificate, key and CA bundle as secret files (see `tlsFilesOf`).
   */
  public addTlsIdentity(props: TlsIdentityProps, id = 'Tls'): TlsIdentity {
    const identity = new TlsIdentity(this, id, props);
    const base = Names.toComposeName(id);
    this._tlsFiles.set(identity, {
      certificate: this.addSecret(SecretSource.tlsCertificate(identity, `${base}.crt`)),
      privateKey: this.addSecret(SecretSource.tlsPrivateKey(identity, `${base}.key`)),
      caBundle: this.addSecret(this.caBundleSource()),
    });
    return identity;
  }

  /** Container paths of an identity's certificate, key and CA bundle (from `addTlsIdentity`). */
  public tlsFilesOf(identity: TlsIdentity): TlsFiles {
    const files = this._tlsFiles.get(identity);
    if (!files) throw new MlsecError(`[${this.node.path}] TlsIdentity '${identity?.node?.path}' was not added with addTlsIdentity() on this workload`);
    return files;
  }

  /** The first identity that may present a client certificate, created (id `ClientTls`) if none. */
  public clientTlsIdentity(): TlsIdentity {
    for (const identity of this._tlsFiles.keys()) if (identity.clientAuth) return identity;
    return this.addTlsIdentity({ usage: 'client' }, 'ClientTls');
  }

  /** The first identity that serves TLS, or undefined. */
  public serverTlsIdentity(): TlsIdentity | undefined {
    for (const identity of this._tlsFiles.keys()) if (identity.serverAuth) return identity;
    return undefined;
  }

  private caBundleSource(): ISecretSource {
    const found = this._secrets.find((s) => s.source.secretName === 'ca.crt');
    return found?.source ?? SecretSource.caBundle(Vps.of(this));
  }

  /**
   * Starts this workload only after the one-shot `job` has exited successfully (compose
   * `service_completed_successfully`), e.g. a job that prepares a volume.
   */
  public startsAfterCompletionOf(job: Workload): void {
    this._startsAfter.set(job, 'service_completed_successfully');
  }

  /** Starts this workload only after `sidecar` is healthy (e.g. its Vault Agent has rendered its files). */
  public startsAfterHealthyOf(sidecar: Workload): void {
    this._startsAfter.set(sidecar, 'service_healthy');
  }

  /** Lifts the read-only root filesystem. */
  public allowWritableRootFilesystem(reason: string): void {
    this._readOnlyRoot = false;
    this.securityOverrides.push({ control: 'read_only', setting: 'false', reason });
  }

  /** Adds back one Linux capability (all are dropped by default). */
  public addCapability(capability: string, reason: string): void {
    this._capabilities.push(capability);
    this.securityOverrides.push({ control: 'cap_add', setting: String(capability), reason });
  }

  /** Runs the container as root (uid 0). */
  public runAsRoot(reason: string): void {
    this._rootUser = true;
    this.securityOverrides.push({ control: 'user', setting: '0:0', reason });
  }

  /** Goes without a health check (dependants then wait only for the container to start). */
  public noHealthCheck(reason: string): void {
    this._withoutHealthCheck = true;
    this.securityOverrides.push({ control: 'healthcheck', setting: 'none', reason });
  }

  /** Publishes a container port on a specific host address: the only way a host port opens. */
  public publishPort(publication: PortPublication): void {
    this._publications.push(publication);
    const p = publication ?? ({} as PortPublication);
    this.securityOverrides.push({ control: 'ports', setting: `${p.hostIp}:${p.hostPort}->${p.containerPort}/tcp`, reason: p.reason });
  }

  /** Whether the workload has a health check (so dependants wait for `service_healthy`). */
  public get hasHealthCheck(): boolean {
    return this._props.healthCheck instanceof HealthCheck && !this._withoutHealthCheck;
  }

  private problems(): string[] {
    return workloadProblems(this);
  }
}
