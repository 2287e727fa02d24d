import { IConstruct } from 'constructs';
import { checkInteger, checkNumber, checkPattern, collect, describeValue } from '../core/prop-rules';

/** Resource limits of one container. */
export interface ResourceLimits {
  /**
   * CPU limit in cores (0.01 to 64).
   * @default 0.5
   */
  readonly cpus?: number;
  /**
   * Memory limit in MiB (6 to 1048576).
   * @default 256
   */
  readonly memoryMiB?: number;
  /**
   * Maximum number of processes/threads (1 to 32768): stops fork bombs.
   * @default 128
   */
  readonly pids?: number;
}

/** Defaults a {@link SecurityProfile} sets for the workloads below a scope. */
export interface WorkloadDefaults {
  /**
   * Resource limits.
   * @default { cpus: 0.5, memoryMiB: 256, pids: 128 }
   */
  readonly resources?: ResourceLimits;
  /**
   * Non-root `uid:gid` the container runs as.
   * @default '10001:10001'
   */
  readonly user?: string;
  /**
   * Size of each tmpfs mount in MiB.
   * @default 64
   */
  readonly tmpfsSizeMiB?: number;
  /**
   * json-file log rotation: size of one file in MiB (a single VPS must not fill its disk).
   * @default 10
   */
  readonly logMaxSizeMiB?: number;
  /**
   * json-file log rotation: number of files kept.
   * @default 3
   */
  readonly logMaxFiles?: number;
  /**
   * Restart attempts after a failure (`on-failure:N`): bounded, never `always`.
   * @default 5
   */
  readonly restartMaxRetries?: number;
}

/** The resolved defaults a workload renders with. */
export type ResolvedDefaults = Required<Omit<WorkloadDefaults, 'resources'>> & { readonly resources: Required<ResourceLimits> };

/** The library's hardened defaults, sized for a small VPS. */
export const HARDENED_DEFAULTS: ResolvedDefaults = {
  resources: { cpus: 0.5, memoryMiB: 256, pids: 128 },
  user: '10001:10001',
  tmpfsSizeMiB: 64,
  logMaxSizeMiB: 10,
  logMaxFiles: 3,
  restartMaxRetries: 5,
};

/** A non-root numeric `uid:gid`. */
export const NON_ROOT_USER = /^[1-9][0-9]{0,9}:[0-9]{1,10}$/;

/** A non-root `uid:gid` whose ids runc accepts (at most 2147483647). */
export function checkUser(prop: string, value: unknown): string | undefined {
  const problem = checkPattern(prop, value, NON_ROOT_USER, 'a numeric non-root "uid:gid" such as "10001:10001" (use runAsRoot(reason) for root)');
  if (problem) return problem;
  const ids = (value as string).split(':').map(Number);
  return ids.every((id) => id <= 2147483647) ? undefined : `prop '${prop}' must be a "uid:gid" whose ids are at most 2147483647 (got ${describeValue(value)})`;
}

const PROFILES = new WeakMap<IConstruct, WorkloadDefaults>();

/**
 * Scoped workload defaults: set on any construct (an App, a Vps, a zone) and inherited by every
 * workload below it; the nearest scope wins per field. Use it to size a lab for a smaller host,
 * e.g. `SecurityProfile.of(vps).apply({ resources: { memoryMiB: 128 } })`. A profile tunes sizing
 * and rotation; it cannot lift a hardening control (those need a per-workload reason).
 */
export class SecurityProfile {
  /** The profile handle of a scope. */
  public static of(scope: IConstruct): SecurityProfile {
    return new SecurityProfile(scope);
  }

  /** Defaults for a 4 GB VPS: a quarter core and 128 MiB per container. */
  public static readonly SMALL_VPS: WorkloadDefaults = { resources: { cpus: 0.25, memoryMiB: 128, pids: 64 } };

  private constructor(private readonly scope: IConstruct) {}

  /** Sets defaults on this scope (merged with earlier calls on the same scope). */
  public apply(defaults: WorkloadDefaults): void {
    defaults = defaults ?? {};
    const previous = PROFILES.get(this.scope) ?? {};
    PROFILES.set(this.scope, {
      ...previous,
      ...defaults,
      resources: { ...previous.resources, ...defaults.resources },
    });
  }

  /** The defaults in force at this scope: library defaults, then each ancestor's, nearest last. */
  public resolve(): ResolvedDefaults {
    let resolved: ResolvedDefaults = HARDENED_DEFAULTS;
    for (const scope of this.scope.node.scopes) {
      const own = PROFILES.get(scope);
      if (!own) continue;
      resolved = { ...resolved, ...definedOnly(own), resources: { ...resolved.resources, ...definedOnly(own.resources ?? {}) } } as ResolvedDefaults;
    }
    return resolved;
  }

  /** Problems with the profile set on exactly this scope (checked by the workloads below it). */
  public static validate(defaults: ResolvedDefaults, prop: string): string[] {
    return collect(
      checkNumber(`${prop}resources.cpus`, defaults.resources.cpus, 0.01, 64),
      checkInteger(`${prop}resources.memoryMiB`, defaults.resources.memoryMiB, 6, 1048576),
      checkInteger(`${prop}resources.pids`, defaults.resources.pids, 1, 32768),
      checkUser(`${prop}user`, defaults.user),
      checkInteger(`${prop}tmpfsSizeMiB`, defaults.tmpfsSizeMiB, 1, 65536),
      checkInteger(`${prop}logMaxSizeMiB`, defaults.logMaxSizeMiB, 1, 1024),
      checkInteger(`${prop}logMaxFiles`, defaults.logMaxFiles, 1, 100),
      checkInteger(`${prop}restartMaxRetries`, defaults.restartMaxRetries, 0, 100),
    );
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
