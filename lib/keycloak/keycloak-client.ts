import { Construct } from 'constructs';
import { checkedId } from '../core/names';
import { describeValue } from '../core/prop-rules';
import { Posture } from '../posture/posture';
import { AUDIENCE, CLIENT_ID, ROLE_NAME, SCOPE_NAME, checkDescription, checkList, checkName, matches, redirectUriProblem, webOriginProblem } from './keycloak-checks';
import type { ClientRepresentation, UserRepresentation } from './realm-document';
import { BASE_SCOPES, USER_SCOPES, audienceMapper } from './realm-scopes';

/** Options of a confidential client that logs users in (an OIDC proxy, a UI). */
export interface KeycloakWebClientOptions {
  /** The OAuth client id: lower-case letters, digits and `-`, `_` or `.`. */
  readonly clientId: string;
  /** Exact https callback URLs (no wildcard, no query); Keycloak compares them character for character. */
  readonly redirectUris: string[];
  /** Exact https origins allowed to call Keycloak's endpoints with CORS (may be empty). */
  readonly webOrigins: string[];
  /**
   * Exact https URLs Keycloak may send the browser to after logout.
   * @default the redirect URIs (Keycloak's `+`)
   */
  readonly postLogoutRedirectUris?: string[];
  /**
   * Realm roles its tokens may carry (its scope mappings: full scope is off).
   * @default none: its tokens carry no realm roles
   */
  readonly roles?: string[];
  /**
   * API scopes (from `addClientScope`) it may request; each adds its one audience when requested.
   * @default none
   */
  readonly scopes?: string[];
  /**
   * What the client is, for the admin console.
   * @default none
   */
  readonly description?: string;
}

/** Options of a machine-to-machine client: client credentials only, no user flow. */
export interface KeycloakServiceAccountClientOptions {
  /** The OAuth client id: lower-case letters, digits and `-`, `_` or `.`. */
  readonly clientId: string;
  /** Audiences every token of this client carries (resource-server names such as `inference-gw`). */
  readonly audiences: string[];
  /**
   * Realm roles granted to its service account and visible in its tokens.
   * @default none
   */
  readonly roles?: string[];
  /**
   * API scopes (from `addClientScope`) it may request.
   * @default none
   */
  readonly scopes?: string[];
  /**
   * What the client is, for the admin console.
   * @default none
   */
  readonly description?: string;
}

/** Props of a {@link KeycloakClient}: which kind, and its options. */
export type KeycloakClientProps =
  | ({ readonly kind: 'web' } & KeycloakWebClientOptions)
  | ({ readonly kind: 'service-account' } & KeycloakServiceAccountClientOptions);

/** Prefix of the environment variables that carry client secrets into the import. */
export const CLIENT_SECRET_VARIABLE_PREFIX = 'MLSEC_KC_CLIENT_SECRET_';

/** The environment variable that carries a client's secret: `MLSEC_KC_CLIENT_SECRET_<CLIENT_ID>`. */
export function clientSecretVariable(clientId: string): string {
  return CLIENT_SECRET_VARIABLE_PREFIX + String(clientId).toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

const SECRET_REASONS: Readonly<Record<KeycloakClientProps['kind'], string>> = {
  'web': 'the web clients here (oauth2-proxy per protected host, Grafana) authenticate to the token endpoint with a client secret; it is generated into Vault, injected at import from Vault-rendered files and never written to the realm file',
  'service-account': 'machine clients authenticate with a client secret delivered by Vault at import time, never written to the realm file; private_key_jwt is not wired yet',
};

/**
 * One OIDC client of a {@link KeycloakRealm} (L1). Create it with `realm.addWebClient` or
 * `realm.addServiceAccountClient`. It is confidential, has exactly one flow family (authorization
 * code with PKCE S256, or client credentials), full scope off, and a secret that exists only as the
 * `${MLSEC_KC_CLIENT_SECRET_<ID>}` placeholder Keycloak resolves from its environment at import.
 */
export class KeycloakClient extends Construct {
  /** The OAuth client id. */
  public readonly clientId: string;
  /** Which flows it has: `web` (authorization code + PKCE) or `service-account` (client credentials). */
  public readonly kind: KeycloakClientProps['kind'];
  /** Exact redirect URIs (empty for a service-account client). */
  public readonly redirectUris: readonly string[];
  /** Exact web origins (empty for a service-account client). */
  public readonly webOrigins: readonly string[];
  /** Realm roles its tokens may carry. */
  public readonly roles: readonly string[];
  /** API scopes it may request. */
  public readonly scopes: readonly string[];
  /** Audiences its tokens always carry (its own client id for a web client). */
  public readonly audiences: readonly string[];
  /**
   * Name of the environment variable whose value Keycloak substitutes for the client secret at
   * import; the realm file carries only `${<secretVariable>}`.
   */
  public readonly secretVariable: string;
  private readonly props: KeycloakClientProps;

  constructor(scope: Construct, id: string, props: KeycloakClientProps) {
    super(scope, checkedId(scope, id));
    this.props = props;
    this.kind = props?.kind;
    this.clientId = props?.clientId;
    this.redirectUris = props?.kind === 'web' && Array.isArray(props.redirectUris) ? [...props.redirectUris] : [];
    this.webOrigins = props?.kind === 'web' && Array.isArray(props.webOrigins) ? [...props.webOrigins] : [];
    this.roles = Array.isArray(props?.roles) ? [...props.roles] : [];
    this.scopes = Array.isArray(props?.scopes) ? [...props.scopes] : [];
    this.audiences = props?.kind === 'service-account' ? (Array.isArray(props.audiences) ? [...props.audiences] : []) : [this.clientId];
    this.secretVariable = clientSecretVariable(this.clientId);
    this.node.addValidation({ validate: () => this.problems() });
    if (typeof this.clientId === 'string' && CLIENT_ID.test(this.clientId) && SECRET_REASONS[this.kind]) {
      // Findings in the realm file are attributed to the realm (the file's producer), so the
      // acknowledgement sits on the realm, naming this client only.
      Posture.of(scope).acknowledge(`KC-10[${this.clientId}]`, SECRET_REASONS[this.kind]);
    }
  }

  private problems(): string[] {
    const p = this.props;
    if (p?.kind !== 'web' && p?.kind !== 'service-account') return [`prop 'kind' must be 'web' or 'service-account' (got ${describeValue((p as { kind?: unknown } | undefined)?.kind)})`];
    const out = [
      ...checkName('clientId', p.clientId, CLIENT_ID, 'lower-case letters, digits and "-", "_" or "." (at most 64, starting and ending with a letter or digit)'),
      ...checkDescription('description', p.description),
      ...(p.roles === undefined ? [] : checkList('roles', p.roles, 0, matches(ROLE_NAME, 'a realm role name'))),
      ...(p.scopes === undefined ? [] : checkList('scopes', p.scopes, 0, matches(SCOPE_NAME, 'a client scope name'))),
    ];
    if (p.kind === 'web') {
      out.push(
        ...checkList('redirectUris', p.redirectUris, 1, redirectUriProblem),
        ...checkList('webOrigins', p.webOrigins, 0, webOriginProblem),
        ...(p.postLogoutRedirectUris === undefined ? [] : checkList('postLogoutRedirectUris', p.postLogoutRedirectUris, 1, redirectUriProblem)),
      );
    } else {
      out.push(...checkList('audiences', p.audiences, 1, matches(AUDIENCE, 'a resource-server name (lower-case, digits, ":._-") or an https URL')));
    }
    return out;
  }

  /**
   * The client as Keycloak imports it.
   * @internal
   */
  public _representation(description: string | undefined = this.props.description): ClientRepresentation {
    const common: ClientRepresentation = {
      clientId: this.clientId,
      name: this.clientId,
      ...(description === undefined ? {} : { description }),
      enabled: true,
      protocol: 'openid-connect',
      publicClient: false,
      bearerOnly: false,
      clientAuthenticatorType: 'client-secret',
      secret: `\${${this.secretVariable}}`,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      consentRequired: false,
      fullScopeAllowed: false,
      optionalClientScopes: [...this.scopes].sort(),
    };
    const off = { 'oauth2.device.authorization.grant.enabled': 'false', 'oidc.ciba.grant.enabled': 'false' };
    if (this.kind === 'service-account') {
      return {
        ...common,
        standardFlowEnabled: false,
        serviceAccountsEnabled: true,
        frontchannelLogout: false,
        redirectUris: [],
        webOrigins: [],
        attributes: { ...off, 'use.refresh.tokens': 'false', 'client_credentials.use_refresh_token': 'false' },
        defaultClientScopes: [...BASE_SCOPES],
        protocolMappers: [...this.audiences].sort().map((a) => audienceMapper(a, 'custom')),
      };
    }
    const postLogout = this.props.kind === 'web' ? this.props.postLogoutRedirectUris : undefined;
    return {
      ...common,
      standardFlowEnabled: true,
      serviceAccountsEnabled: false,
      frontchannelLogout: true,
      redirectUris: [...this.redirectUris],
      webOrigins: [...this.webOrigins],
      attributes: {
        ...off,
        'pkce.code.challenge.method': 'S256',
        'post.logout.redirect.uris': postLogout === undefined ? '+' : postLogout.join('##'),
        'use.refresh.tokens': 'true',
        'client_credentials.use_refresh_token': 'false',
      },
      defaultClientScopes: [...BASE_SCOPES, ...USER_SCOPES],
      // oauth2-proxy (and most relying parties) expect their own client id in the access token's aud.
      protocolMappers: [audienceMapper(this.clientId, 'client')],
    };
  }

  /**
   * The service-account user of a service-account client (its roles), or undefined.
   * @internal
   */
  public _serviceAccountUser(): UserRepresentation | undefined {
    if (this.kind !== 'service-account') return undefined;
    return { username: `service-account-${this.clientId}`, enabled: true, serviceAccountClientId: this.clientId, realmRoles: [...this.roles].sort() };
  }
}
