import { Construct } from 'constructs';
import { Vps } from '../core/vps';
import { Credential } from '../secrets/credential';
import { SecretSource } from '../secrets/secret-source';
import type { VaultKvSecret } from '../vault/vault-grants';
import type { VaultServer } from '../vault/vault-server';
import { HealthCheck } from '../workload/health-check';
import { Image } from '../workload/image';
import { Workload } from '../workload/workload';
import { Zone } from '../workload/zone';

/** The HTTPS port oauth2-proxy serves the gateway on (its only listener: with TLS configured it opens no plain one). */
export const OIDC_PROXY_PORT = 4443;

/** Props of an {@link OidcProxy}. */
export interface OidcProxyProps {
  /** The public host it protects (its redirect URI is `https://<host>/oauth2/callback`). */
  readonly host: string;
  /** Realm roles of which a user must hold one. */
  readonly roles: readonly string[];
  /** The IdP workload (token and key endpoints are called on the internal network). */
  readonly idp: Workload;
  /** The IdP's HTTPS port. */
  readonly idpPort: number;
  /** The realm's public issuer URL, `https://<auth host>/realms/<realm>`. */
  readonly issuerUrl: string;
  /** Its IdP client id (a confidential client with PKCE S256 and this host's exact redirect URI). */
  readonly clientId: string;
  /** The KV secret whose `client_secret` field holds the client's secret. */
  readonly clientSecret: VaultKvSecret;
  /** Vault: holds the client and cookie secrets and issues its certificate. */
  readonly vault: VaultServer;
  /** Compose service name. */
  readonly serviceName: string;
  /**
   * The oauth2-proxy image.
   * @default quay.io/oauth2-proxy/oauth2-proxy:v7.15.6-alpine (the Alpine build: it has wget for the health check)
   */
  readonly image?: Image;
}

/**
 * oauth2-proxy in front of one protected host: Traefik's forwardAuth target (`/oauth2/auth`
 * answers 202 or 401) and the sign-in/callback endpoints. Authorization code flow with PKCE
 * S256 against the realm, at least one of `roles`, a `__Host-` cookie (Secure, HttpOnly,
 * SameSite=Lax, 8 h, refreshed every 4 min against the IdP). Client and cookie secrets are
 * read from files its Vault Agent renders; it serves HTTPS with a Vault-issued certificate.
 */
export class OidcProxy extends Workload {
  constructor(scope: Construct, id: string, props: OidcProxyProps) {
    const realmPath = new URL(props.issuerUrl).pathname;
    const internal = `https://${props.idp.serviceName}:${props.idpPort}${realmPath}/protocol/openid-connect`;
    super(scope, id, {
      zone: Zone.Z8_SECURITY,
      serviceName: props.serviceName,
      image: props.image ?? Image.fromRegistry('quay.io/oauth2-proxy/oauth2-proxy', 'v7.15.6-alpine'),
      ports: [OIDC_PROXY_PORT],
      resources: { cpus: 0.25, memoryMiB: 128 },
      // /ping on the HTTPS listener: with a TLS certificate configured through flags, oauth2-proxy
      // runs only the HTTPS server (no plain 127.0.0.1:4180). Busybox wget; the certificate names
      // the service, not 127.0.0.1, so this liveness probe does not verify it.
      healthCheck: HealthCheck.command(['wget', '-q', '--no-check-certificate', '-O', '/dev/null', `https://127.0.0.1:${OIDC_PROXY_PORT}/ping`]),
      command: [
        '--provider=keycloak-oidc',
        `--client-id=${props.clientId}`,
        `--oidc-issuer-url=${props.issuerUrl}`,
        // The browser goes to the public login URL; code redemption and keys stay on the internal network.
        '--skip-oidc-discovery=true',
        `--login-url=${props.issuerUrl}/protocol/openid-connect/auth`,
        `--redeem-url=${internal}/token`,
        `--oidc-jwks-url=${internal}/certs`,
        `--redirect-url=https://${props.host}/oauth2/callback`,
        `--whitelist-domain=${props.host}`,
        '--code-challenge-method=S256',
        // Roles, groups and the ABAC claims come with the realm's default scopes.
        '--scope=openid email profile',
        ...props.roles.map((r) => `--allowed-role=${r}`),
        '--email-domain=*',
        `--cookie-name=__Host-${props.serviceName}`,
        '--cookie-secure=true',
        '--cookie-httponly=true',
        '--cookie-samesite=lax',
        '--cookie-expire=8h',
        '--cookie-refresh=4m',
        '--session-store-type=cookie',
        '--reverse-proxy=true',
        '--set-xauthrequest=true',
        '--upstream=static://202',
        `--https-address=:${OIDC_PROXY_PORT}`,
        '--tls-min-version=TLS1.2',
        '--silence-ping-logging=true',
      ],
    });
    const tls = props.vault.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 });
    this.addEnvironment('OAUTH2_PROXY_TLS_CERT_FILE', tls.certificate);
    this.addEnvironment('OAUTH2_PROXY_TLS_KEY_FILE', tls.privateKey);
    this.addEnvironment('OAUTH2_PROXY_PROVIDER_CA_FILES', this.addSecret(SecretSource.caBundle(Vps.of(this))));
    props.clientSecret.grantRead(this, { fields: { client_secret: 'OAUTH2_PROXY_CLIENT_SECRET_FILE' }, fileNames: { client_secret: 'client-secret' } });
    // oauth2-proxy decodes a 43-character base64url value into the 32-byte AES key it needs.
    const cookie = new Credential(this, 'CookieSecret', { name: `${props.serviceName}-cookie-secret`, description: `cookie encryption key of ${props.serviceName}` });
    props.vault.addKvSecret(`${id}Cookie`, { path: `${Vps.of(this).name}/core/${props.serviceName}/cookie`, seed: { cookie_secret: cookie } })
      .grantRead(this, { fields: { cookie_secret: 'OAUTH2_PROXY_COOKIE_SECRET_FILE' }, fileNames: { cookie_secret: 'cookie-secret' } });
    this.connections.allowTo(props.idp, { port: props.idpPort, startsAfter: false });
  }
}
