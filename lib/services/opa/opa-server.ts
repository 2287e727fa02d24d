import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { canonicalJson } from '../../core/canonical-json';
import { canonicalYaml } from '../../core/canonical-yaml';
import { describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import { Image } from '../../workload/image';
import type { TlsFiles } from '../../workload/mounts';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { clientTlsFiles } from '../client-tls';
import { GENERATED_POLICY, IOpaPolicy } from './opa-policy-types';
import { renderAuthzPolicy, renderAuthzTests, renderMaskPolicy, renderMaskTests } from './opa-system-policies';
import { packagePath, renderTests } from './rego';

/** The OPA release: keep in sync with tools/install-opa.sh and test/support/real-servers/opa.ts. */
export const OPA_IMAGE_TAG = '1.22.3-static';
/** The HTTPS port (OPA's usual 8181); there is no other listener. */
export const OPA_PORT = 8181;
/** Where the bundle directory and the config are mounted, read-only. */
export const OPA_BUNDLE_DIR = '/etc/opa/bundle';
const CONFIG = '/etc/opa/config.yaml';
/** Where the Vault Agent renders the server certificate (chain) and key, and the mounted lab CA bundle. */
const TLS_CERT = '/run/vault/vault-tls.crt';
const TLS_KEY = '/run/vault/vault-tls.key';
const CA_BUNDLE = '/run/secrets/ca.crt';

/** TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are always AEAD). */
const AEAD_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

/** INV-20, checked on the rendered text of every decision package: fail closed. */
const FAIL_CLOSED = (text: string): string[] => (/^default allow := false$/m.test(text) ? [] : ['the policy does not open with `default allow := false` (CONTROLS.md INV-20)']);

/** Props of an {@link OpaServer}. */
export interface OpaServerProps {
  /** Vault: issues the server certificate (its agent renders and renews it) and the clients' certificates. */
  readonly vault: VaultServer;
  /**
   * The image: OPA's static build (distroless, no shell).
   * @default openpolicyagent/opa:1.22.3-static
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 0.5 CPU, 256 MiB
   */
  readonly resources?: ResourceLimits;
  /**
   * Compose service name (the host name clients use).
   * @default the construct id, normalized
   */
  readonly serviceName?: string;
}

/** Options of {@link OpaServer.grantQuery}. */
export interface OpaQueryOptions {
  /** The packages the client may query (each added with `addPolicy`), e.g. `['z6.inference']`. */
  readonly packages: readonly string[];
}

/** What a client needs to query the server: its base URL and the files of its client certificate. */
export interface OpaQueryGrant {
  /** `https://<service>:8181`; decisions are `POST <url>/v1/data/<package path>/allow`. */
  readonly url: string;
  /** The client's certificate, key and the CA bundle that verifies the server (container paths). */
  readonly tls: TlsFiles;
  /** The identity the server's `system.authz` knows the client by (its certificate's CN). */
  readonly identity: string;
}

/**
 * The policy decision point (Z8, CONTROLS.md Z8-K09, INV-20): OPA serving a read-only bundle of
 * generated policies over HTTPS only, with a Vault-issued certificate, requiring a client
 * certificate from the lab CA (`--authentication=tls`) and answering only the identities granted
 * with `grantQuery`, each only about its packages (`--authorization=basic` and a generated
 * `system.authz`). Decision logs go to the console as JSON, with credentials erased by a
 * generated mask (`system.log`). Next to the bundle it writes `tests/`: unit tests of every
 * package for `opa test` in CI.
 */
export class OpaServer extends Workload {
  /** The URL clients use. */
  public readonly url: string;
  /** The config file (decision logs, authorization decision). */
  public readonly config: VpsFile;
  private readonly vault: VaultServer;
  private readonly policies = new Map<string, IOpaPolicy>();
  private readonly grants = new Map<string, string[]>();
  private readonly requests: { client: Workload; packages: unknown }[] = [];
  private readonly opaProblems: string[] = [];

  constructor(scope: Construct, id: string, props: OpaServerProps) {
    const p = props ?? ({} as OpaServerProps);
    super(scope, id, {
      zone: Zone.Z8_SECURITY,
      image: p.image ?? Image.fromRegistry('openpolicyagent/opa', OPA_IMAGE_TAG),
      ports: [OPA_PORT],
      resources: p.resources ?? { cpus: 0.5, memoryMiB: 256 },
      serviceName: p.serviceName,
      command: [
        'run', '--server',
        `--addr=0.0.0.0:${OPA_PORT}`,
        `--config-file=${CONFIG}`,
        `--tls-cert-file=${TLS_CERT}`,
        `--tls-private-key-file=${TLS_KEY}`,
        `--tls-ca-cert-file=${CA_BUNDLE}`,
        // The agent renews the short-lived certificate on disk; OPA re-reads it.
        '--tls-cert-refresh-period=5m',
        '--min-tls-version=1.2',
        `--tls-cipher-suites=${AEAD_SUITES.join(',')}`,
        '--authentication=tls',
        '--authorization=basic',
        '--log-format=json',
        '--log-level=info',
        // No call home to GitHub from the PDP (Z8 has no internet egress).
        '--skip-version-check',
        '--bundle', OPA_BUNDLE_DIR,
      ],
    });
    this.noHealthCheck('the OPA static image is distroless (no shell or HTTP client to probe with), and every listener requires a granted client certificate');
    this.vault = p.vault;
    this.url = `https://${this.serviceName}:${OPA_PORT}`;
    const tls = p.vault?.enablePki().grantIssue(this, { usage: 'server', ttlHours: 72 });
    const caBundle = this.addSecret(SecretSource.caBundle(Vps.of(this)));
    // The command names these paths before the grants exist; the grants must put the files there.
    if (tls && (tls.certificate !== TLS_CERT || tls.privateKey !== TLS_KEY || caBundle !== CA_BUNDLE)) {
      this.opaProblems.push(`the certificate files are at ${tls.certificate}, ${tls.privateKey} and ${caBundle}, not where the command reads them`);
    }
    const source = this.node.path;
    this.config = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/config.yaml`,
      content: () => canonicalYaml(this.renderConfig(), { header: `OPA configuration of ${source}, generated by mlsec-cdk. Do not edit.` }),
    });
    this.mountFile(this.config, CONFIG);
    this.addBundleFile('Authz', 'system/authz/policy.rego', () => renderAuthzPolicy(source, this.grants), FAIL_CLOSED);
    this.addBundleFile('Mask', 'system/log/policy.rego', () => renderMaskPolicy(source));
    this.addBundleFile('Manifest', '.manifest', () => canonicalJson(this.manifest()));
    new VpsFile(this, 'AuthzTests', { path: `${this.serviceName}/tests/system/authz/policy_test.rego`, content: () => renderAuthzTests(source, this.grants) });
    new VpsFile(this, 'MaskTests', { path: `${this.serviceName}/tests/system/log/policy_test.rego`, content: () => renderMaskTests(source) });
    this.node.addValidation({ validate: () => this.validateServer(p) });
  }

  /** Serves a generated policy package (and writes its unit tests). Package names are unique and never nested in one another. */
  public addPolicy(policy: IOpaPolicy): this {
    const generated = policy !== null && typeof policy === 'object' && GENERATED_POLICY in policy;
    const name = policy?.packageName;
    if (typeof name === 'string' && this.policies.has(name)) {
      this.opaProblems.push(`addPolicy: package ${describeValue(name)} is already served; each package once`);
      return this;
    }
    const key = String(name);
    this.policies.set(key, policy);
    const id = `Policy-${key.replace(/[^a-z0-9_]/g, '-')}`;
    if (typeof name === 'string' && /^[a-z0-9_.]+$/.test(name) && generated) {
      const source = this.node.path;
      this.addBundleFile(id, packagePath(name, 'policy.rego'), () => policy.renderPolicy(source), FAIL_CLOSED);
      new VpsFile(this, `${id}-Tests`, { path: `${this.serviceName}/tests/${packagePath(name, 'policy_test.rego')}`, content: () => renderTests(name, source, policy.testCases()) });
    }
    return this;
  }

  /**
   * Lets `client` query `options.packages`: declares the flow to the HTTPS port, gives the client
   * a Vault-issued client certificate (its agent renders it) and lets exactly that certificate's
   * identity (CN = its service name) query exactly those packages in `system.authz`.
   */
  public grantQuery(client: Workload, options: OpaQueryOptions): OpaQueryGrant {
    this.requests.push({ client, packages: options?.packages });
    client.connections.allowTo(this, { port: OPA_PORT, startsAfter: false });
    const identity = client.serviceName;
    const packages = Array.isArray(options?.packages) ? options.packages.filter((x): x is string => typeof x === 'string') : [];
    this.grants.set(identity, [...new Set([...(this.grants.get(identity) ?? []), ...packages])].sort());
    return { url: this.url, identity, tls: clientTlsFiles(client, this.vault) };
  }

  /** The bundle's `.manifest`: its roots and a revision that is the sha256 of its policies (Z5-K05 `policy_digest`). */
  private manifest(): object {
    const hash = createHash('sha256');
    const names = [...this.policies.keys()].sort();
    for (const name of names) hash.update(`${name}\n${this.policies.get(name)!.renderPolicy(this.node.path)}\n`);
    hash.update(`system.authz\n${renderAuthzPolicy(this.node.path, this.grants)}\nsystem.log\n${renderMaskPolicy(this.node.path)}\n`);
    return { revision: `sha256:${hash.digest('hex')}`, roots: [...names.map((n) => n.split('.').join('/')), 'system/authz', 'system/log'], rego_version: 1 };
  }

  private renderConfig(): object {
    return {
      labels: { service: this.serviceName, zone: this.zone.id },
      default_authorization_decision: '/system/authz/allow',
      decision_logs: { console: true, mask_decision: '/system/log/mask' },
    };
  }

  private addBundleFile(id: string, rel: string, content: () => string, verify?: (text: string) => string[]): void {
    this.mountFile(new VpsFile(this, id, { path: `${this.serviceName}/bundle/${rel}`, content, verify }), `${OPA_BUNDLE_DIR}/${rel}`);
  }

  private validateServer(p: OpaServerProps): string[] {
    const out = [...this.opaProblems];
    if (!p.vault || !Workload.isWorkload(p.vault)) out.push(`prop 'vault' is required (the VaultServer that issues the certificates), got ${describeValue(p.vault)}`);
    if (this.policies.size === 0) out.push('no policy: add at least one with addPolicy(OpaPolicy.…); a PDP without policies denies everything');
    for (const [name, policy] of this.policies) {
      const generated = policy !== null && typeof policy === 'object' && GENERATED_POLICY in policy;
      for (const problem of generated ? policy.problems() : ["prop 'policy' must come from OpaPolicy.routeAllowList, inferenceScope or registryDownload (policies are generated, never hand-written Rego)"]) out.push(`addPolicy(${describeValue(name)}): ${problem}`);
      const parent = [...this.policies.keys()].find((other) => other !== name && name.startsWith(`${other}.`));
      if (parent) out.push(`addPolicy(${describeValue(name)}): prop 'package' must not be nested in package '${parent}' (a grant on '${parent}' would reach it)`);
    }
    for (const { client, packages } of this.requests) {
      const at = `grantQuery(${client?.node?.path})`;
      if (client === (this as Workload)) out.push(`${at}: the server cannot be its own client`);
      if (!Array.isArray(packages) || packages.length === 0) {
        out.push(`${at}: prop 'packages' must list at least one package served by addPolicy (got ${describeValue(packages)})`);
        continue;
      }
      for (const pkg of packages) {
        if (!this.policies.has(pkg)) out.push(`${at}: prop 'packages' names ${describeValue(pkg)}, which is not served; served: ${[...this.policies.keys()].sort().join(', ') || 'none'}`);
      }
    }
    return out;
  }
}
