import { Construct } from 'constructs';
import { canonicalYaml } from '../../core/canonical-yaml';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { DNS_NAME, Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import type { VaultKvSecret } from '../../vault/vault-grants';
import type { VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import type { TlsFiles } from '../../workload/mounts';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { datasourceProvisioning, TlsDatasource } from './grafana-datasources';
import { grafanaSettings, GrafanaRoleMapping } from './grafana-settings';
import { renderIni } from './grafana-ini';
import type { LokiServer } from './loki-server';
import { serverTlsFiles } from './server-tls';

/** The realm client Grafana logs users in with (declare it on the realm; see the report on `KeycloakServer`). */
export interface GrafanaOidcClient {
  /** The IdP workload (token and user-info endpoints are called on the internal network). */
  readonly idp: Workload;
  /** The IdP's HTTPS port. */
  readonly idpPort: number;
  /** The realm's public issuer URL, `https://<auth host>/realms/<realm>`. */
  readonly issuerUrl: string;
  /** The confidential client's id (PKCE S256, redirect URI `https://<host>/login/generic_oauth`). */
  readonly clientId: string;
  /** The KV secret whose `client_secret` field holds the client's secret. */
  readonly clientSecret: VaultKvSecret;
}

/** A Prometheus Grafana queries over mTLS. */
export interface GrafanaPrometheusSource {
  /** The Prometheus workload (it must serve HTTPS with a certificate for its service name). */
  readonly server: Workload;
  /** Its HTTPS port. */
  readonly port: number;
}

/** Props of a {@link GrafanaServer}. */
export interface GrafanaServerProps {
  /** The public host users reach Grafana on (through the gateway), e.g. `grafana.lab.example.com`. */
  readonly host: string;
  /** The OIDC client: the only way to log in. */
  readonly oidc: GrafanaOidcClient;
  /** Vault: issues its certificate, holds the client secret and its own encryption key. */
  readonly vault: VaultServer;
  /** The log store, provisioned as the default data source. */
  readonly loki: LokiServer;
  /**
   * A Prometheus, provisioned as a second data source.
   * @default none
   */
  readonly prometheus?: GrafanaPrometheusSource;
  /**
   * Realm roles mapped to Grafana's organisation roles; a user with none of them cannot log in.
   * @default admin: ['admin'], editor: [], viewer: ['auditor', 'security']
   */
  readonly roles?: GrafanaRoleMapping;
  /**
   * Minutes a browser session may stay idle.
   * @default 60
   */
  readonly sessionIdleMinutes?: number;
  /**
   * The image.
   * @default grafana/grafana:12.3.2
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 1 CPU, 512 MiB
   */
  readonly resources?: ResourceLimits;
}

/** Grafana's HTTPS port. */
export const GRAFANA_PORT = 3000;
const CONFIG = '/etc/grafana/grafana.ini';
const DATASOURCES = '/etc/grafana/provisioning/datasources/mlsec.yaml';
const DATA_DIR = '/var/lib/grafana';
const ROLE = /^[a-z][a-z0-9_-]{0,62}$/;

/**
 * Grafana (Z9): HTTPS with a Vault-issued certificate, login only through the realm's OIDC client
 * (authorization code with PKCE; login form, basic auth, anonymous access and sign-up off; no
 * initial admin user); organisation roles from the token's realm roles, strictly (no match, no
 * login); Secure, SameSite=Lax cookies; no phone-home, gravatar, snapshots or plugin installs.
 * Loki (and optionally Prometheus) are provisioned read-only over mTLS. Client secret and
 * encryption key are `$__file{}` references to files its Vault Agent renders. It has no route of
 * its own: expose it with the gateway behind `RouteAuth.oidc` and an allow-list (Z9-K08).
 */
export class GrafanaServer extends Workload {
  /** The public host. */
  public readonly host: string;
  /** `grafana.ini`. */
  public readonly config: VpsFile;
  /** The data-source provisioning file. */
  public readonly datasources: VpsFile;
  /** Its certificate (also its client certificate towards the data sources), key and the platform CA. */
  public readonly tls: TlsFiles;

  constructor(scope: Construct, id: string, props: GrafanaServerProps) {
    const p = props ?? ({} as GrafanaServerProps);
    super(scope, id, {
      zone: Zone.Z9_OBSERVABILITY,
      image: p.image ?? Image.fromRegistry('grafana/grafana', '12.3.2'),
      ports: [GRAFANA_PORT],
      // The image's grafana user in its own group: its paths belong to uid 472, so the root group adds nothing (CIS 4.1).
      user: '472:472',
      resources: p.resources ?? { cpus: 1, memoryMiB: 512 },
      environment: { GF_PATHS_CONFIG: CONFIG, GF_PATHS_PROVISIONING: '/etc/grafana/provisioning', GF_PATHS_DATA: DATA_DIR },
      // Busybox wget of the Alpine image; the certificate names the service, not 127.0.0.1, so this liveness probe does not verify it.
      healthCheck: HealthCheck.command(['wget', '-q', '--no-check-certificate', '-O', '/dev/null', `https://127.0.0.1:${GRAFANA_PORT}/api/health`]),
    });
    this.host = p.host;
    const vault = p.vault;
    const oidc = p.oidc ?? ({} as GrafanaOidcClient);
    const roles: GrafanaRoleMapping = p.roles ?? { admin: ['admin'], editor: [], viewer: ['auditor', 'security'] };
    const idleMinutes = p.sessionIdleMinutes ?? 60;
    const missing = collect(
      typeof vault?.enablePki === 'function' ? undefined : `prop 'vault' must be the VaultServer issuing its certificate and holding its secrets (got ${describeValue(vault)})`,
      typeof p.loki?.allowClient === 'function' ? undefined : `prop 'loki' must be the LokiServer to provision as a data source (got ${describeValue(p.loki)})`,
      typeof oidc.clientSecret?.grantRead === 'function' ? undefined : `prop 'oidc.clientSecret' must be the VaultKvSecret holding the client's secret (got ${describeValue(oidc.clientSecret)})`,
      Workload.isWorkload(oidc.idp) ? undefined : `prop 'oidc.idp' must be the identity provider's Workload (got ${describeValue(oidc.idp)})`,
    );
    this.addDataVolume('Data', DATA_DIR);
    this.tls = vault && typeof vault.enablePki === 'function' ? serverTlsFiles(this, vault, 'server-and-client') : { certificate: '', privateKey: '', caBundle: '' };
    const files = { clientSecret: '', secretKey: '' };
    if (missing.length === 0) {
      oidc.clientSecret.grantRead(this, { fields: { client_secret: 'MLSEC_GRAFANA_CLIENT_SECRET_FILE' }, fileNames: { client_secret: 'oidc-client-secret' } });
      files.clientSecret = this._environment.MLSEC_GRAFANA_CLIENT_SECRET_FILE;
      // Grafana encrypts data-source secrets and sessions with it: generated once, kept in Vault.
      const key = new Credential(this, 'SecretKey', { name: `${this.serviceName}-secret-key`, description: `encryption key (secret_key) of ${this.node.path}` });
      vault.addKvSecret(`${id}SecretKey`, { path: `${Vps.of(this).name}/core/${this.serviceName}/secret-key`, seed: { secret_key: key } })
        .grantRead(this, { fields: { secret_key: 'MLSEC_GRAFANA_SECRET_KEY_FILE' }, fileNames: { secret_key: 'secret-key' } });
      files.secretKey = this._environment.MLSEC_GRAFANA_SECRET_KEY_FILE;
      this.connections.allowTo(oidc.idp, { port: oidc.idpPort, startsAfter: false });
      p.loki.allowClient(this);
    }
    const sources: TlsDatasource[] = p.loki ? [{ name: 'Loki', type: 'loki', serviceName: p.loki.serviceName, port: p.loki.ports[0], tenant: p.loki.tenant }] : [];
    if (p.prometheus) {
      sources.push({ name: 'Prometheus', type: 'prometheus', serviceName: p.prometheus.server.serviceName, port: p.prometheus.port });
      this.connections.allowTo(p.prometheus.server, { port: p.prometheus.port, startsAfter: false });
    }
    const header = (what: string) => `${what} of ${this.node.path}, generated by mlsec-cdk. Do not edit.`;
    this.config = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/grafana.ini`,
      content: () => renderIni(header('Grafana configuration'), grafanaSettings({
        host: this.host, port: GRAFANA_PORT, dataDir: DATA_DIR, tls: this.tls, files, roles, idleMinutes,
        oidc: { ...oidc, internalBase: `https://${oidc.idp?.serviceName}:${oidc.idpPort}${safePath(oidc.issuerUrl)}/protocol/openid-connect` },
      })),
    });
    this.mountFile(this.config, CONFIG);
    this.datasources = new VpsFile(this, 'Datasources', {
      path: `${this.serviceName}/provisioning/datasources/mlsec.yaml`,
      content: () => canonicalYaml(datasourceProvisioning(sources, this.tls), { header: header('Grafana data sources'), topLevelOrder: ['apiVersion', 'prune', 'datasources'] }),
    });
    this.mountFile(this.datasources, DATASOURCES);
    this.node.addValidation({
      validate: () => [
        ...missing,
        ...collect(
          checkPattern('host', p.host, DNS_NAME, 'a lower-case DNS name such as "grafana.lab.example.com"'),
          checkPattern('oidc.issuerUrl', oidc.issuerUrl, /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?\/realms\/[a-z0-9_-]+$/, 'the realm\'s https issuer URL, "https://<auth host>/realms/<realm>"'),
          checkPattern('oidc.clientId', oidc.clientId, /^[a-z0-9][a-z0-9._-]{0,62}$/, 'a client id of lower-case letters, digits and ".", "_" or "-"'),
          checkInteger('oidc.idpPort', oidc.idpPort, 1, 65535),
          checkInteger('sessionIdleMinutes', idleMinutes, 5, 480),
        ),
        ...roleProblems(roles),
      ],
    });
  }
}

/** The issuer URL's path (`/realms/<realm>`), or '' when it is not a URL (reported by validation). */
function safePath(issuerUrl: unknown): string {
  try {
    return new URL(String(issuerUrl)).pathname.replace(/\/$/, '');
  } catch {
    return '';
  }
}

function roleProblems(roles: GrafanaRoleMapping): string[] {
  const problems: string[] = [];
  const all: string[] = [];
  for (const level of ['admin', 'editor', 'viewer'] as const) {
    const list = roles?.[level];
    if (!Array.isArray(list)) {
      problems.push(`prop 'roles.${level}' must be a list of realm role names (got ${describeValue(list)})`);
      continue;
    }
    for (const r of list) {
      const bad = checkPattern(`roles.${level}`, r, ROLE, 'realm role names of lower-case letters, digits, "_" and "-", starting with a letter');
      if (bad) problems.push(bad);
      all.push(r);
    }
  }
  if (problems.length === 0 && all.length === 0) problems.push("prop 'roles' must map at least one realm role (nobody could log in)");
  const twice = all.filter((r, i) => all.indexOf(r) !== i);
  if (twice.length > 0) problems.push(`prop 'roles' maps ${describeValue([...new Set(twice)])} to more than one Grafana role; give each realm role one level`);
  return problems;
}
