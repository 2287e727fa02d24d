import { Construct } from 'constructs';
import { MlsecError } from '../core/errors';
import { checkPattern, collect, describeValue } from '../core/prop-rules';
import { DNS_NAME, Vps } from '../core/vps';
import type { Gateway } from '../gateway/gateway';
import type { IOidcProxyProvider } from '../gateway/gateway-route';
import { RouteAuth } from '../gateway/route-auth';
import type { KeycloakClient, KeycloakServiceAccountClientOptions, KeycloakWebClientOptions } from '../keycloak/keycloak-client';
import { KeycloakRealm, KeycloakRealmProps } from '../keycloak/keycloak-realm';
import { Posture } from '../posture/posture';
import { Credential } from '../secrets/credential';
import { SecretSource } from '../secrets/secret-source';
import type { PostgresServer } from '../services/postgres/postgres-server';
import type { VaultKvSecret } from '../vault/vault-grants';
import type { VaultServer } from '../vault/vault-server';
import { HealthCheck } from '../workload/health-check';
import { Image } from '../workload/image';
import { SecurityProfile } from '../workload/security-profile';
import { Workload } from '../workload/workload';
import { Zone } from '../workload/zone';
import { OIDC_PROXY_PORT, OidcProxy } from './oidc-proxy';

/** Props of a {@link KeycloakServer}. */
export interface KeycloakServerProps {
  /** The public host users reach the IdP on, e.g. `auth.lab.example.com`. */
  readonly hostname: string;
  /** The realm the platform's users and clients live in (its file is imported at first start). */
  readonly realm: Omit<KeycloakRealmProps, 'frontendUrl'>;
  /** Postgres server holding Keycloak's database (a `keycloak` database and role are added; certificate login, no password). */
  readonly database: PostgresServer;
  /** Vault: issues Keycloak's certificates and holds the client secrets and the bootstrap admin password. */
  readonly vault: VaultServer;
  /**
   * The Keycloak image.
   * @default quay.io/keycloak/keycloak:26.7.3
   */
  readonly image?: Image;
}

/** Keycloak's HTTPS port. */
export const KEYCLOAK_PORT = 8443;
/** Management interface (health), plain HTTP on the container's loopback only; never a flow target. */
const MANAGEMENT_PORT = 9000;
const DATABASE = 'keycloak';
const IMPORT_DIR = '/opt/keycloak/data/import';

/**
 * The identity provider (Z8): Keycloak with its realm, on the lab's Postgres, serving HTTPS with
 * a Vault-issued certificate. The realm file carries `${…}` placeholders only; the container's
 * entrypoint exports each client secret and the bootstrap admin password from its Vault-Agent
 * files just before `kc.sh start --import-realm`, so no value is in synth-out, compose or argv.
 * It is the gateway's identity provider: each host protected with `RouteAuth.oidc` gets its own
 * OIDC proxy and confidential client (`oidcProxyFor`).
 */
export class KeycloakServer extends Workload implements IOidcProxyProvider {
  /** The realm. */
  public readonly realm: KeycloakRealm;
  /** Public host name. */
  public readonly hostname: string;
  private readonly kcProps: KeycloakServerProps;
  private readonly proxies = new Map<string, { proxy: OidcProxy; roles: string }>();
  private readonly clientSecrets: { variable: string; secret: VaultKvSecret }[] = [];
  private readonly kcProblems: string[] = [];
  private readonly command: string[];

  constructor(scope: Construct, id: string, props: KeycloakServerProps) {
    const p = props ?? ({} as KeycloakServerProps);
    // Nothing sensible can be built without them (its certificates, secrets and database come from these two).
    const missing = collect(
      typeof p.database?.grantConnect === 'function' ? undefined : `prop 'database' must be the PostgresServer holding Keycloak's database (got ${describeValue(p.database)})`,
      typeof p.vault?.enablePki === 'function' ? undefined : `prop 'vault' must be the VaultServer issuing its certificates and holding its secrets (got ${describeValue(p.vault)})`,
    );
    if (missing.length > 0) throw new MlsecError(`[${scope?.node?.path || '<app>'}/${id}] ${missing.join('; ')}`);
    const command: string[] = [];
    super(scope, id, {
      zone: Zone.Z8_SECURITY,
      image: p.image ?? Image.fromRegistry('quay.io/keycloak/keycloak', '26.7.3'),
      ports: [KEYCLOAK_PORT],
      resources: { cpus: 1, memoryMiB: 1536, pids: 512 },
      user: '1000:1000', // the image's keycloak user (its files are owned by 1000)
      entrypoint: ['/bin/bash', '-ec'],
      command, // the start script, rewritten as client secrets are added
      // Non-optimized start re-augments Quarkus into lib/quarkus (db and health are build options).
      writablePaths: ['/tmp', '/opt/keycloak/data', '/opt/keycloak/lib/quarkus'],
      healthCheck: HealthCheck.command(['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${MANAGEMENT_PORT} && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '"UP"' <&3`]),
    });
    this.kcProps = p;
    this.hostname = p.hostname;
    SecurityProfile.of(this).apply({ tmpfsSizeMiB: 256 });
    this.realm = new KeycloakRealm(this, 'Realm', { ...p.realm, frontendUrl: `https://${p.hostname}` });
    this.mountFile(this.realm.file, `${IMPORT_DIR}/${this.realm.file.path.split('/').pop()}`);

    const tls = p.vault.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 });
    p.database.addDatabase(DATABASE, { schemas: [DATABASE] });
    p.database.grantConnect(this, { database: DATABASE, privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'CREATE'], authentication: 'cert', envPrefix: 'KC_PG' });
    const env = this._environment;
    // pgjdbc reads a PEM key only as PKCS#8 and as RSA unless told the algorithm (Vault issues EC P-256).
    const jdbc = `jdbc:postgresql://${env.KC_PGHOST}:${env.KC_PGPORT}/${DATABASE}?sslmode=verify-full&sslrootcert=${env.KC_PGSSLROOTCERT}&sslcert=${env.KC_PGSSLCERT}&sslkey=${env.KC_PGSSLKEY}&pemKeyAlgorithm=EC`;
    const settings: Record<string, string> = {
      KC_DB: 'postgres',
      KC_DB_URL: jdbc,
      KC_DB_USERNAME: env.KC_PGUSER,
      KC_DB_SCHEMA: DATABASE,
      KC_HOSTNAME: `https://${p.hostname}`,
      // Internal callers (the OIDC proxies) use https://<service>:8443; tokens keep the public issuer.
      KC_HOSTNAME_BACKCHANNEL_DYNAMIC: 'true',
      KC_PROXY_HEADERS: 'xforwarded',
      KC_HTTP_ENABLED: 'false',
      KC_HTTPS_PORT: String(KEYCLOAK_PORT),
      KC_HTTPS_CERTIFICATE_FILE: tls.certificate,
      KC_HTTPS_CERTIFICATE_KEY_FILE: tls.privateKey,
      KC_HTTPS_PROTOCOLS: 'TLSv1.3,TLSv1.2',
      KC_HTTP_MANAGEMENT_PORT: String(MANAGEMENT_PORT),
      // Otherwise it inherits the main interface's host (0.0.0.0): every container on its networks could reach it.
      KC_HTTP_MANAGEMENT_HOST: '127.0.0.1',
      KC_HTTP_MANAGEMENT_SCHEME: 'http',
      KC_HEALTH_ENABLED: 'true',
      // One node: no cluster (its default opens JGroups ports 7800/57800 to the container's networks).
      KC_CACHE: 'local',
      KC_TRUSTSTORE_PATHS: this.addSecret(SecretSource.caBundle(Vps.of(this))),
      KC_LOG_CONSOLE_OUTPUT: 'json',
      KC_BOOTSTRAP_ADMIN_USERNAME: 'bootstrap-admin',
    };
    for (const [k, v] of Object.entries(settings)) this.addEnvironment(k, v);
    // The temporary master-realm admin of the first start; replace it with a realm admin and delete it.
    const admin = new Credential(this, 'BootstrapAdmin', { name: `${this.serviceName}-bootstrap-admin`, description: `temporary master-realm admin password of ${this.node.path}` });
    p.vault.addKvSecret(`${id}BootstrapAdmin`, { path: `${Vps.of(this).name}/core/${this.serviceName}/bootstrap-admin`, seed: { password: admin } })
      .grantRead(this, { fields: { password: 'KC_BOOTSTRAP_ADMIN_PASSWORD_FILE' }, fileNames: { password: 'bootstrap-admin-password' } });
    this.command = command;
    this.command.push(this.startScript());
    this.node.addValidation({
      validate: () => [
        ...this.kcProblems,
        // A client added to the realm directly would have no Vault-held secret: its placeholder would import as literal text.
        ...this.realm.secretVariables.filter((v) => !this.clientSecrets.some((c) => c.variable === v))
          .map((v) => `the realm has a confidential client whose secret (${v}) no Vault secret provides: add service-account clients with addServiceAccountClient() on this KeycloakServer, not on its realm`),
        ...collect(checkPattern('hostname', p.hostname, DNS_NAME, 'a lower-case DNS name such as "auth.lab.example.com"')),
      ],
    });
  }

  /** The public issuer URL of the realm. */
  public get issuerUrl(): string {
    return `https://${this.hostname}/realms/${this.realm.realmName}`;
  }

  /**
   * Routes the IdP through `gateway`: the realm's login, token and key endpoints and the theme
   * resources (open: they are the authentication step; limited to `allowFrom` and rate-limited
   * against password guessing), and the admin console behind the OIDC proxy with role `admin`.
   */
  public exposeVia(gateway: Gateway, options: { readonly allowFrom: string[] }): void {
    gateway.useIdentityProvider(this);
    const open = (name: string, pathPrefix: string, average: number, burst: number, what: string) => {
      const route = gateway._exposeIdentityEndpoints(this, {
        name, host: this.hostname, pathPrefix, allowFrom: options?.allowFrom, auth: RouteAuth.none(`the identity provider's ${what}: they are where users authenticate`),
        rateLimit: { average, burst }, ipRateLimit: { average, burst }, maxBodyBytes: 64 * 1024, inFlight: 20,
        contentSecurityPolicy: "default-src 'self'; frame-ancestors 'self'; object-src 'none'",
      });
      Posture.of(route).acknowledge(`ZONE-01[${name}]`, `the identity provider's ${what} must be reachable by the users it authenticates; ${pathPrefix} only (the master realm is behind the OIDC proxy), from the operators' allow-list`);
    };
    open(`${this.serviceName}-login`, `/realms/${this.realm.realmName}/`, 5, 20, 'login, token and key endpoints of its realm');
    open(`${this.serviceName}-resources`, '/resources/', 50, 100, 'theme resources (scripts, styles) of its login pages');
    for (const [name, pathPrefix] of [[`${this.serviceName}-admin`, '/admin/'], [`${this.serviceName}-master`, '/realms/master/']]) {
      gateway.expose(this, { name, host: this.hostname, pathPrefix, auth: RouteAuth.oidc({ roles: ['admin'] }), allowFrom: options?.allowFrom });
    }
  }

  /** The OIDC proxy protecting `host` (one per host, with its own client and secrets). */
  public oidcProxyFor(host: string, roles: readonly string[], requestedBy: string): { readonly workload: Workload; readonly port: number } {
    const key = [...roles].sort().join(',');
    const known = this.proxies.get(host);
    if (known) {
      if (known.roles !== key) this.kcProblems.push(`[${requestedBy}] host '${host}' is already protected for roles ${known.roles}; one OIDC proxy per host, so every route on it must ask for the same roles (got ${describeValue([...roles])})`);
      return { workload: known.proxy, port: OIDC_PROXY_PORT };
    }
    const label = typeof host === 'string' ? host.split('.')[0] : 'host';
    const serviceName = `sso-${label}`;
    const client = this.realm.addWebClient(`Client-${label}`, {
      clientId: serviceName,
      redirectUris: [`https://${host}/oauth2/callback`],
      webOrigins: [`https://${host}`],
      postLogoutRedirectUris: [`https://${host}/`],
      roles: [...roles],
      description: `OIDC proxy of ${host}`,
    });
    const secret = this.clientSecretOf(client.clientId, client.secretVariable);
    const proxy = new OidcProxy(Vps.of(this), `Sso-${label}`, {
      host, roles, idp: this, idpPort: KEYCLOAK_PORT, issuerUrl: this.issuerUrl,
      clientId: client.clientId, clientSecret: secret, vault: this.kcProps.vault, serviceName,
    });
    this.proxies.set(host, { proxy, roles: key });
    return { workload: proxy, port: OIDC_PROXY_PORT };
  }

  /**
   * Adds a confidential web client (authorization code + PKCE S256) for an application that signs
   * users in itself (Grafana); its secret is generated into Vault KV like every client secret.
   */
  public addWebClient(id: string, options: KeycloakWebClientOptions): { readonly client: KeycloakClient; readonly secret: VaultKvSecret } {
    const client = this.realm.addWebClient(id, options);
    return { client, secret: this.clientSecretOf(client.clientId, client.secretVariable) };
  }

  /**
   * Adds a service-account client (an M2M caller: client credentials only) whose secret the
   * bootstrap generates into Vault KV (`<vps>/core/<clientId>/client`); Keycloak imports it from
   * its agent's file and the caller's operator reads it from Vault, never from a file in synth-out.
   */
  public addServiceAccountClient(id: string, options: KeycloakServiceAccountClientOptions): { readonly client: KeycloakClient; readonly secret: VaultKvSecret } {
    const client = this.realm.addServiceAccountClient(id, options);
    return { client, secret: this.clientSecretOf(client.clientId, client.secretVariable) };
  }

  /** A client's secret: generated by the bootstrap into KV, read by Keycloak (for the import) and the client. */
  private clientSecretOf(clientId: string, variable: string): VaultKvSecret {
    const credential = new Credential(this, `ClientSecret-${clientId}`, { name: `${this.serviceName}-client-${clientId}`, description: `secret of the Keycloak client '${clientId}'` });
    const secret = this.kcProps.vault.addKvSecret(`${this.node.id}Client-${clientId}`, { path: `${Vps.of(this).name}/core/${clientId}/client`, seed: { client_secret: credential } });
    secret.grantRead(this, { fields: { client_secret: `${variable}_FILE` }, fileNames: { client_secret: `client-${clientId}` } });
    this.clientSecrets.push({ variable, secret });
    this.command.splice(0, this.command.length, this.startScript());
    return secret;
  }

  /**
   * The entrypoint script: exports the placeholders' values from the agent's files (never in
   * compose or argv), then starts Keycloak, importing the realm when it does not exist yet.
   */
  private startScript(): string {
    // An unset placeholder would stay in the realm as the literal text `${VAR}` and become a
    // publicly known client secret: refuse to start instead.
    const load = (variable: string) => `${variable}="$(cat "$${variable}_FILE")"; [ -n "$${variable}" ] || { echo "keycloak: $${variable}_FILE is empty" >&2; exit 1; }; export ${variable}`;
    return [load('KC_BOOTSTRAP_ADMIN_PASSWORD'), ...this.clientSecrets.map((c) => load(c.variable)), 'exec /opt/keycloak/bin/kc.sh start --import-realm'].join('\n');
  }

}
