import { Construct } from 'constructs';
import { MlsecError } from '../core/errors';
import { checkedId, Names } from '../core/names';
import { checkContainerPath, checkInteger, checkPattern, checkReason, collect, describeValue } from '../core/prop-rules';
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
import { SECRET_FILE_NAME } from '../secrets/credential';
import { SecretSource } from '../secrets/secret-source';
import { FORBIDDEN_CAPABILITIES, KNOWN_CAPABILITIES, SecurityOverride } from './security-override';
import { checkUser, ResourceLimits, SecurityProfile } from './security-profile';
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
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names RULES.md CMP-24 treats as secrets: *PASSWORD*, *SECRET*, *TOKEN*, *_KEY, credentials. */
const SECRET_LIKE_NAME = /(PASS(WD|WORD)?|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|_KEY$|^KEY$|CREDENTIAL)/i;
const FILE_VAR = /^[A-Z_][A-Z0-9_]*FILE$/;
/** The intent method behind each override, for error messages. */
const OVERRIDE_METHODS: Record<string, string> = {
  read_only: 'allowWritableRootFilesystem(reason)',
  cap_add: 'addCapability(capability, reason)',
  user: 'runAsRoot(reason)',
  healthcheck: 'noHealthCheck(reason)',
  ports: 'publishPort({ reason })',
};
const SPECIFIC_IP = /^(?!0\.0\.0\.0$)(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

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
  /** @internal */ public readonly _completions: Workload[] = [];
  /** @internal */ public _readOnlyRoot = true;
  /** @internal */ public _rootUser = false;
  /** @internal */ public _withoutHealthCheck = false;

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
    this._completions.push(job);
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
    const p = this._props;
    const problems = collect(
      Names.checkId(this.node.id),
      p.serviceName === undefined ? undefined : Names.checkId(p.serviceName, "prop 'serviceName'"),
      p.serviceName === undefined || Names.toComposeName(p.serviceName) === p.serviceName
        ? undefined
        : `prop 'serviceName' must be in normalized form (lower case, "-" for "_" and "."): use '${Names.toComposeName(p.serviceName)}'`,
      Zone.isZone(p.zone) ? undefined : `prop 'zone' must be one of Zone.Z0_SOURCES … Zone.Z9_OBSERVABILITY (got ${describeValue(p.zone)})`,
      p.workingDir === undefined ? undefined : checkContainerPath('workingDir', p.workingDir),
      p.healthCheck === undefined && !this._withoutHealthCheck
        ? "prop 'healthCheck' is required: pass HealthCheck.command([...]) or call noHealthCheck(reason)"
        : undefined,
      p.user === undefined ? undefined : checkUser('user', p.user),
    );
    if (p.image instanceof Image) problems.push(...p.image.validate());
    else problems.push(`prop 'image' must be an Image, e.g. Image.fromRegistry('postgres', '15.8') (got ${describeValue(p.image)})`);
    if (p.healthCheck instanceof HealthCheck) problems.push(...p.healthCheck.validate());
    else if (p.healthCheck !== undefined) {
      problems.push(`prop 'healthCheck' must be a HealthCheck, e.g. HealthCheck.command(['pg_isready']) (got ${describeValue(p.healthCheck)})`);
    }
    problems.push(...this.argvProblems('command', p.command), ...this.argvProblems('entrypoint', p.entrypoint));
    problems.push(...this.environmentProblems(), ...this.portProblems(), ...this.mountProblems(), ...this.overrideProblems());
    problems.push(...SecurityProfile.validate(this.defaults, ''));
    problems.push(...this.connections._problems);
    return problems;
  }

  private argvProblems(prop: string, argv: unknown): string[] {
    if (argv === undefined) return [];
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && !a.includes('\0'))) {
      return [`prop '${prop}' must be a non-empty array of strings without NUL characters (got ${describeValue(argv)})`];
    }
    return [];
  }

  private environmentProblems(): string[] {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(this._environment)) {
      if (!ENV_NAME.test(name)) problems.push(`prop 'environment': variable name ${describeValue(name)} must match ${ENV_NAME}`);
      else if (SECRET_LIKE_NAME.test(name) && !name.endsWith('_FILE')) {
        problems.push(`prop 'environment.${name}' looks like a secret; secrets never go into environment values: use addSecret(source, { envVar: '${name}_FILE' })`);
      }
      if (typeof value !== 'string' || value.includes('\0') || /[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
        problems.push(`prop 'environment.${name}' must be a string without NUL or unpaired surrogate characters (got ${describeValue(value)})`);
      }
    }
    for (const secret of this._secrets) {
      if (secret.envVar === undefined) continue;
      const problem = checkPattern('addSecret.envVar', secret.envVar, FILE_VAR, 'an upper-case variable name ending in FILE, such as DB_PASSWORD_FILE or PGPASSFILE');
      if (problem) problems.push(problem);
      if (secret.envVar in this._environment) problems.push(`prop 'addSecret.envVar' ${secret.envVar} is also set in 'environment'`);
    }
    for (const secret of this._secrets) {
      const nameProblem = checkPattern('addSecret.source.secretName', secret.source?.secretName, SECRET_FILE_NAME, 'a lower-case file name of letters, digits, "-" and "." (not "..", not only digits), such as "db-password" (it is the file name under /run/secrets/)');
      if (nameProblem) problems.push(nameProblem);
    }
    return problems;
  }

  private portProblems(): string[] {
    const problems: string[] = [];
    if (this._props.ports !== undefined && !Array.isArray(this._props.ports)) return [`prop 'ports' must be an array of port numbers (got ${describeValue(this._props.ports)})`];
    const seen = new Set<number>();
    for (const port of this.ports) {
      const problem = checkInteger('ports[]', port, 1, 65535);
      if (problem) problems.push(problem);
      else if (seen.has(port)) problems.push(`prop 'ports' lists ${port} twice`);
      seen.add(port);
    }
    for (const pub of this._publications) {
      problems.push(
        ...collect(
          checkPattern('publishPort.hostIp', pub?.hostIp, SPECIFIC_IP, 'a specific IPv4 host address such as "127.0.0.1" (never 0.0.0.0)'),
          checkInteger('publishPort.hostPort', pub?.hostPort, 1, 65535),
          this.ports.includes(pub?.containerPort) ? undefined : `prop 'publishPort.containerPort' must be one of 'ports' (${this.ports.join(', ') || 'none'}), got ${describeValue(pub?.containerPort)}`,
        ),
      );
    }
    return problems;
  }

  private mountProblems(): string[] {
    const problems: string[] = [];
    const targets = new Map<string, string>();
    const claim = (prop: string, target: unknown) => {
      const problem = checkContainerPath(prop, target);
      if (problem) return problems.push(problem);
      const previous = targets.get(target as string);
      if (previous) problems.push(`prop '${prop}' mounts ${target} which '${previous}' already mounts`);
      targets.set(target as string, prop);
      return 0;
    };
    const writable = this._props.writablePaths ?? ['/tmp'];
    if (!Array.isArray(writable)) problems.push(`prop 'writablePaths' must be an array of container paths (got ${describeValue(writable)})`);
    else writable.forEach((w) => claim('writablePaths[]', w));
    this._volumes.forEach((v) => claim('mountVolume.target', v.target));
    for (const v of this._volumes) {
      if (!(v.volume instanceof ComposeVolume)) problems.push(`prop 'mountVolume.volume' must be a ComposeVolume (got ${describeValue(v.volume)})`);
      else if (Vps.of(v.volume) !== Vps.of(this)) problems.push(`prop 'mountVolume.volume' '${v.volume.node.path}' belongs to another Vps; a volume is local to its host`);
    }
    for (const f of this._files) {
      if (!(f.file instanceof VpsFile)) problems.push(`prop 'mountFile.file' must be a VpsFile (got ${describeValue(f.file)})`);
      else if (Vps.of(f.file) !== Vps.of(this)) problems.push(`prop 'mountFile.file' '${f.file.node.path}' belongs to another Vps`);
    }
    this._files.forEach((f) => claim('mountFile.target', f.target));
    this._secrets.forEach((s) => claim('addSecret', `/run/secrets/${s.source?.secretName}`));
    return problems;
  }

  private overrideProblems(): string[] {
    const problems: string[] = [];
    for (const o of this.securityOverrides) {
      const problem = checkReason(`${OVERRIDE_METHODS[o.control] ?? o.control} reason`, o.reason);
      if (problem) problems.push(problem);
    }
    for (const cap of this._capabilities) {
      if (!KNOWN_CAPABILITIES.includes(cap)) problems.push(`prop 'addCapability' ${describeValue(cap)} is not a Linux capability name (e.g. NET_BIND_SERVICE, without CAP_)`);
      else if (FORBIDDEN_CAPABILITIES.includes(cap)) problems.push(`prop 'addCapability' ${cap} is equivalent to privileged mode and is never allowed`);
    }
    return problems;
  }
}
