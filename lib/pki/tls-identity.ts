import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { checkedId, Names } from '../core/names';
import { checkInteger, collect, describeValue } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { vpsState } from '../core/vps-state';
import { workloadSpiffeId } from './spiffe-id';
import type { Workload } from '../workload/workload';

/**
 * What a certificate is presented for: `server` (EKU serverAuth), `client` (EKU clientAuth, e.g.
 * mTLS to a database) or both.
 */
export type TlsUsage = 'server' | 'client' | 'server-and-client';

/** Props of a {@link TlsIdentity}. */
export interface TlsIdentityProps {
  /** Whether the certificate serves TLS, presents a client certificate, or both. */
  readonly usage: TlsUsage;
  /**
   * Extra DNS subjectAltNames: lower-case DNS names (a single label such as a compose network
   * alias is fine), no wildcards. Inside a {@link Workload} its service name (its DNS name on
   * the compose networks) is always the first SAN; outside one, a server identity needs at
   * least one name here.
   * @default none
   */
  readonly dnsNames?: string[];
  /**
   * Certificate lifetime in hours, within CONTROLS.md Z8-K06: server 24–72, client 12–48,
   * server-and-client 24–48 (both bounds at once).
   * @default the maximum: 72 (server), 48 (client, server-and-client)
   */
  readonly ttlHours?: number;
}

/** TTL bounds in hours per usage (CONTROLS.md Z8-K06). */
export const TLS_TTL_HOURS: Readonly<Record<TlsUsage, { readonly min: number; readonly max: number; readonly default: number }>> = {
  'server': { min: 24, max: 72, default: 72 },
  'client': { min: 12, max: 48, default: 48 },
  'server-and-client': { min: 24, max: 48, default: 48 },
};

/** The usages, in the order error messages list them. */
export const TLS_USAGES: readonly TlsUsage[] = ['server', 'client', 'server-and-client'];

/**
 * A lower-case DNS name: one or more labels of a-z, 0-9 and "-" (not first or last), 1-63
 * characters each, at most 253 in all; the last label is not all digits (that would be an IP
 * address); no wildcard.
 */
export const TLS_DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*(?![0-9]+$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Longest leaf name (it is the file name and, outside a workload, the certificate's CN). */
export const TLS_LEAF_NAME_MAX = 64;

const TLS_IDENTITY = Symbol.for('mlsec-cdk.TlsIdentity');
const WORKLOAD = Symbol.for('mlsec-cdk.Workload');
const REGISTRY = Symbol.for('mlsec-cdk.TlsIdentityRegistry');

/**
 * A TLS identity: a certificate and private key that a workload serves or presents. It declares
 * the need only; `PkiBootstrap.run(app)` (the `bootstrap` task) issues the certificate into the
 * operator-only secrets folder, `<secretsDir>/<vps>/pki/leaves/<leafName>.{crt,key}`, from the
 * host's intermediate CA. Synth never reads or writes keys.
 *
 * Subject alternative names: inside a {@link Workload}, its service name (the DNS name on the
 * compose networks) then `dnsNames`; client identities also get the URI SAN
 * `spiffe://<vps>/ns/<zone>/sa/<service>` (Z8-K06; `ns/shared/sa/<leafName>` outside a workload).
 */
export class TlsIdentity extends Construct {
  /** Whether `x` is a TlsIdentity. */
  public static isTlsIdentity(x: unknown): x is TlsIdentity {
    return x !== null && typeof x === 'object' && TLS_IDENTITY in x;
  }

  /** Every TlsIdentity below `scope`, in tree order. */
  public static allIn(scope: IConstruct): TlsIdentity[] {
    return scope.node.findAll().filter(TlsIdentity.isTlsIdentity);
  }

  /** The usage declared. */
  public readonly usage: TlsUsage;
  /** The host whose CA issues the certificate. */
  public readonly vps: Vps;
  /** The workload this identity belongs to (its nearest Workload ancestor), if any. */
  public readonly workload?: Workload;
  /**
   * Stable, collision-checked name of the certificate files: the workload's service name, then
   * the normalized ids from below the workload down to this construct, joined with "." (ids
   * never contain "." after normalization, so the mapping is unambiguous); outside a workload,
   * the normalized ids below the Vps. E.g. `model-server.tls`.
   */
  public readonly leafName: string;

  private readonly props: TlsIdentityProps;
  private extraDnsNames: unknown;

  constructor(scope: Construct, id: string, props: TlsIdentityProps) {
    super(scope, checkedId(scope, id));
    Object.defineProperty(this, TLS_IDENTITY, { value: true });
    this.props = props ?? ({} as TlsIdentityProps);
    this.usage = this.props.usage;
    this.extraDnsNames = Array.isArray(this.props.dnsNames) ? [...this.props.dnsNames] : this.props.dnsNames;
    this.vps = Vps.of(this);
    const segments: string[] = [];
    for (let c: IConstruct | undefined = this; c && c !== this.vps; c = c.node.scope) {
      if (WORKLOAD in c) {
        this.workload = c as unknown as Workload;
        segments.unshift(this.workload.serviceName);
        break;
      }
      segments.unshift(Names.toComposeName(c.node.id));
    }
    this.leafName = segments.join('.');
    registryOf(this.vps).add(this);
    this.node.addValidation({ validate: () => this.problems() });
  }

  /**
   * Adds a DNS subjectAltName after construction (checked like `dnsNames`): for a server whose
   * names are known only as routes are added, such as the gateway's public certificate.
   */
  public addDnsName(name: string): void {
    if (Array.isArray(this.extraDnsNames)) {
      if (!this.extraDnsNames.includes(name)) this.extraDnsNames.push(name);
    } else if (this.extraDnsNames === undefined) {
      this.extraDnsNames = [name];
    }
  }

  /** Lifetime of the certificate in hours (the prop, or the default for the usage). */
  public get ttlHours(): number {
    return this.props.ttlHours ?? TLS_TTL_HOURS[this.usage]?.default ?? NaN;
  }

  /** Whether the certificate carries EKU serverAuth. */
  public get serverAuth(): boolean {
    return this.usage === 'server' || this.usage === 'server-and-client';
  }

  /** Whether the certificate carries EKU clientAuth. */
  public get clientAuth(): boolean {
    return this.usage === 'client' || this.usage === 'server-and-client';
  }

  /** DNS subjectAltNames, in order, without duplicates: the service name, then `dnsNames`. */
  public get dnsNames(): string[] {
    const names = this.workload ? [this.workload.serviceName] : [];
    if (Array.isArray(this.extraDnsNames)) {
      for (const n of this.extraDnsNames) if (typeof n === 'string' && !names.includes(n)) names.push(n);
    }
    return names;
  }

  /** URI subjectAltNames: the SPIFFE id of a client identity (Z8-K06), else none. */
  public get uris(): string[] {
    return this.clientAuth ? [this.spiffeId] : [];
  }

  /** `spiffe://<vps>/ns/<zone id>/sa/<service>`, or `spiffe://<vps>/ns/shared/sa/<leafName>` outside a workload. */
  public get spiffeId(): string {
    const w = this.workload;
    return workloadSpiffeId(this.vps.name, w?.zone?.id, w ? w.serviceName : this.leafName);
  }

  /** The certificate's subject CN: the service name inside a workload, else the leaf name. */
  public get commonName(): string {
    return this.workload ? this.workload.serviceName : this.leafName;
  }

  /** The certificate file, relative to the App's secretsDir (posix separators). */
  public get certFile(): string {
    return path.posix.join(this.vps.name, 'pki', 'leaves', `${this.leafName}.crt`);
  }

  /** The private key file, relative to the App's secretsDir (posix separators); never in synth-out. */
  public get keyFile(): string {
    return path.posix.join(this.vps.name, 'pki', 'leaves', `${this.leafName}.key`);
  }

  /** The CA bundle (intermediate + root) peers verify against, relative to the App's secretsDir. */
  public get caBundleFile(): string {
    return path.posix.join(this.vps.name, 'pki', 'ca-bundle.crt');
  }

  private problems(): string[] {
    const p = this.props;
    const problems = collect(Names.checkId(this.node.id));
    if (!TLS_USAGES.includes(p.usage)) {
      problems.push(`prop 'usage' must be one of ${TLS_USAGES.map((u) => `'${u}'`).join(', ')} (got ${describeValue(p.usage)})`);
    } else if (p.ttlHours !== undefined) {
      const b = TLS_TTL_HOURS[p.usage];
      const problem = checkInteger('ttlHours', p.ttlHours, b.min, b.max);
      if (problem) problems.push(`${problem}: CONTROLS.md Z8-K06 bounds a ${p.usage} certificate to ${b.min}–${b.max} h`);
    }
    problems.push(...this.dnsNameProblems());
    if (this.serverAuth && this.dnsNames.length === 0) {
      problems.push(`prop 'dnsNames' needs at least one DNS name: a server certificate outside a Workload has no service name and Z8-K06 requires a SAN`);
    }
    if (this.leafName.length > TLS_LEAF_NAME_MAX) {
      problems.push(`id: the certificate name '${this.leafName.slice(0, 40)}...' (service name and ids below it) is longer than ${TLS_LEAF_NAME_MAX} characters; use shorter ids`);
    }
    const owner = registryOf(this.vps).ownerOf(this);
    if (owner !== this) {
      problems.push(`id: certificate name '${this.leafName}' collides after normalization with the TlsIdentity '${owner.node.path}'; rename one of '${owner.node.path}' and '${this.node.path}'`);
    }
    return problems;
  }

  private dnsNameProblems(): string[] {
    const names = this.extraDnsNames;
    if (names === undefined) return [];
    if (!Array.isArray(names)) return [`prop 'dnsNames' must be an array of DNS names (got ${describeValue(names)})`];
    const problems: string[] = [];
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (typeof n !== 'string' || !TLS_DNS_NAME.test(n)) {
        problems.push(
          `prop 'dnsNames[${i}]' must be a lower-case DNS name: labels of a-z, 0-9 and "-" (not first or last), 1-63 characters each, at most 253 in all, not ending in an all-digit label, no wildcard (got ${describeValue(n)})`,
        );
      } else if (seen.has(n)) {
        problems.push(`prop 'dnsNames' lists ${describeValue(n)} twice`);
      }
      if (typeof n === 'string') seen.add(n);
    });
    return problems;
  }
}

/** TlsIdentities per Vps, by leaf name: makes the collision check O(1) per identity. */
class LeafNameRegistry {
  private readonly byName = new Map<string, TlsIdentity[]>();

  public add(identity: TlsIdentity): void {
    const list = this.byName.get(identity.leafName) ?? [];
    list.push(identity);
    this.byName.set(identity.leafName, list);
  }

  /** The first identity declared with `identity`'s leaf name (reported once, on the later ones). */
  public ownerOf(identity: TlsIdentity): TlsIdentity {
    return this.byName.get(identity.leafName)?.[0] ?? identity;
  }
}

function registryOf(vps: Vps): LeafNameRegistry {
  return vpsState(vps, REGISTRY, () => new LeafNameRegistry());
}
