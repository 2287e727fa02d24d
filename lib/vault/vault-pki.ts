import { Construct } from 'constructs';
import { canonicalJson } from '../core/canonical-json';
import { checkedId } from '../core/names';
import { describeValue } from '../core/prop-rules';
import { VpsFile } from '../core/vps-file';
import { workloadSpiffeId } from '../pki/spiffe-id';
import { TLS_TTL_HOURS, TlsUsage } from '../pki/tls-identity';
import type { Workload } from '../workload/workload';

/** Options of `VaultPki.grantIssue`. */
export interface PkiIssueOptions {
  /** What the certificate is for: EKU serverAuth, clientAuth or both. */
  readonly usage: TlsUsage;
  /**
   * Certificate lifetime in hours, within CONTROLS.md Z8-K06 (server 24–72, client 12–48).
   * @default the maximum for the usage
   */
  readonly ttlHours?: number;
  /**
   * File names under /run/vault for the certificate (with its CA chain) and the key.
   * @default 'vault-tls.crt' and 'vault-tls.key'
   */
  readonly fileNames?: { readonly certificate: string; readonly privateKey: string };
}

/** One issuing role: a workload may get certificates for its own service name only. */
export interface PkiRole {
  /** Role name (the workload's service name). */
  readonly name: string;
  readonly usage: TlsUsage;
  readonly ttlHours: number;
  /** SPIFFE id put in client certificates. */
  readonly spiffeId: string;
}

/** The files the agent renders for a workload's Vault-issued certificate. */
export interface PkiFiles {
  /** Certificate then CA chain (PEM). */
  readonly certificate: string;
  /** Private key (PEM), written 0400 by the agent. */
  readonly privateKey: string;
}

/**
 * Vault's PKI engine as the issuing intermediate (mount `pki_int`): the bootstrap imports the
 * host's intermediate CA (from the `bootstrap` task's PKI, the root staying offline) and writes
 * one role per workload, limited to that workload's service name (no wildcards, no IP or
 * localhost SANs, EC P-256, TTL per Z8-K06). `grantIssue` gives the workload `update` on
 * `pki_int/issue/<its role>` and has its agent render a short-lived certificate and key, renewed
 * before they expire.
 */
export class VaultPki extends Construct {
  /** The mount path. */
  public readonly mount = 'pki_int';
  private readonly roles = new Map<string, PkiRole>();
  private readonly files = new Map<string, PkiFiles>();
  private readonly problems: string[] = [];

  /** @param server grants policy paths and agent templates (the VaultServer). */
  constructor(scope: Construct, id: string, private readonly server: {
    grantPath(w: Workload, path: string, caps: ['update'], why: string): void;
    agentOf(w: Workload): { addTemplate(t: { fileName: string; template: 'pki-cert'; values: Record<string, string | number> }): string } | undefined;
    mountFile(file: VpsFile, target: string): void;
    readonly vpsName: string;
  }) {
    super(scope, checkedId(scope, id));
    this.node.addValidation({ validate: () => [...this.problems] });
  }

  /** The roles, by name. */
  public get roleList(): PkiRole[] {
    return [...this.roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * The client certificate files of `workload`, issued by Vault: its existing role when that
   * already allows client use, otherwise a new `client` role. For grants that need mTLS.
   */
  public clientFilesOf(workload: Workload): PkiFiles {
    const known = this.files.get(workload.serviceName);
    const role = this.roles.get(workload.serviceName);
    if (known && role && role.usage !== 'server') return known;
    if (known) {
      this.problems.push(`grantIssue(${workload.node.path}): its certificate role is server-only, and a grant needs a client certificate; issue it with usage 'server-and-client'`);
      return known;
    }
    return this.grantIssue(workload, { usage: 'client' });
  }

  /** Lets `workload` obtain certificates for its own service name; returns where its agent writes them. */
  public grantIssue(workload: Workload, options: PkiIssueOptions): PkiFiles {
    const name = workload.serviceName;
    const bounds = TLS_TTL_HOURS[options?.usage];
    const ttlHours = options?.ttlHours ?? bounds?.default;
    if (!bounds) this.problems.push(`grantIssue(${workload.node.path}): prop 'usage' must be 'server', 'client' or 'server-and-client' (got ${describeValue(options?.usage)})`);
    else if (typeof ttlHours !== 'number' || !Number.isInteger(ttlHours) || ttlHours < bounds.min || ttlHours > bounds.max) {
      this.problems.push(`grantIssue(${workload.node.path}): prop 'ttlHours' must be an integer from ${bounds.min} to ${bounds.max} (CONTROLS.md Z8-K06), got ${describeValue(ttlHours)}`);
    }
    if (this.roles.has(name)) {
      this.problems.push(`grantIssue(${workload.node.path}): '${name}' already has a certificate role; one per workload`);
      return { certificate: '/run/vault/vault-tls.crt', privateKey: '/run/vault/vault-tls.key' };
    }
    const role: PkiRole = { name, usage: options?.usage, ttlHours, spiffeId: workloadSpiffeId(this.server.vpsName, workload.zone?.id, name) };
    this.roles.set(name, role);
    const file = new VpsFile(this, `Role-${name}`, { path: `vault/pki/${name}.json`, content: () => canonicalJson(roleDefinition(role)) });
    this.server.mountFile(file, `/etc/mlsec/vault/pki/${name}.json`);
    this.server.grantPath(workload, `${this.mount}/issue/${name}`, ['update'], `certificates of ${name}`);
    const agent = this.server.agentOf(workload);
    const names = options?.fileNames ?? { certificate: 'vault-tls.crt', privateKey: 'vault-tls.key' };
    const keyFile = `/run/vault/${names.privateKey}`;
    const certificate = agent?.addTemplate({ fileName: names.certificate, template: 'pki-cert', values: { path: `${this.mount}/issue/${name}`, commonName: name, uriSans: options?.usage === 'server' ? '' : role.spiffeId, ttl: `${ttlHours}h`, keyFile } }) ?? `/run/vault/${names.certificate}`;
    const files = { certificate, privateKey: keyFile };
    this.files.set(name, files);
    return files;
  }
}

/** The `pki_int/roles/<name>` definition. */
function roleDefinition(r: PkiRole): Record<string, unknown> {
  const server = r.usage === 'server' || r.usage === 'server-and-client';
  const client = r.usage === 'client' || r.usage === 'server-and-client';
  return {
    allowed_domains: [r.name],
    allow_bare_domains: true,
    allow_subdomains: false,
    allow_glob_domains: false,
    allow_wildcard_certificates: false,
    allow_any_name: false,
    allow_localhost: false,
    allow_ip_sans: false,
    enforce_hostnames: true,
    allowed_uri_sans: client ? [r.spiffeId] : [],
    server_flag: server,
    client_flag: client,
    code_signing_flag: false,
    email_protection_flag: false,
    key_type: 'ec',
    key_bits: 256,
    key_usage: ['DigitalSignature'],
    ttl: `${r.ttlHours}h`,
    max_ttl: `${r.ttlHours}h`,
    require_cn: true,
    no_store: false,
  };
}
