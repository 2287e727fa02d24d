import { checkReason, collect, describeValue } from '../core/prop-rules';
import type { Workload } from '../workload/workload';

/** Options of {@link RouteAuth.oidc}. */
export interface OidcAuthOptions {
  /** Realm roles of which the user must hold at least one (checked by the OIDC proxy). */
  readonly roles: string[];
}

/** Options of {@link RouteAuth.jwt}. */
export interface JwtAuthOptions {
  /** The workload that verifies bearer tokens (an auth adapter or OPA): Traefik's forwardAuth target. */
  readonly verifier: Workload;
  /** Its TLS port. */
  readonly port: number;
  /**
   * Path it answers on: 2xx allows, anything else is returned to the client.
   * @default '/verify'
   */
  readonly path?: string;
  /**
   * Headers it returns that Traefik copies into the request (overwriting any client copy).
   * @default ['X-Client-Id', 'X-Tenant', 'X-Scopes']
   */
  readonly responseHeaders?: string[];
}

/** How a route authenticates its callers. */
export type RouteAuthKind = 'oidc' | 'jwt' | 'mtls' | 'none';

/**
 * How a public route authenticates callers: `oidc` (humans, through the OIDC proxy and the
 * IdP, with roles), `jwt` (machines with bearer tokens, verified by a forwardAuth target),
 * `mtls` (machines with a client certificate from the internal CA) or `none` with a reason.
 */
export class RouteAuth {
  /** Humans: forwardAuth to an OIDC proxy (oauth2-proxy) in front of the IdP; at least one of `roles`. */
  public static oidc(options: OidcAuthOptions): RouteAuth {
    return new RouteAuth('oidc', { roles: Array.isArray(options?.roles) ? [...options.roles] : options?.roles });
  }

  /** Machines with bearer tokens: forwardAuth to `verifier`, which checks signature, iss, aud, exp. */
  public static jwt(options: JwtAuthOptions): RouteAuth {
    return new RouteAuth('jwt', { jwt: options });
  }

  /** Machines with client certificates issued by the internal CA (TLS option RequireAndVerifyClientCert). */
  public static mtls(): RouteAuth {
    return new RouteAuth('mtls', {});
  }

  /** No authentication at the gateway: only with the reason why the route must be open. */
  public static none(reason: string): RouteAuth {
    return new RouteAuth('none', { reason });
  }

  private constructor(
    /** The kind of authentication. */
    public readonly kind: RouteAuthKind,
    private readonly details: { readonly roles?: string[]; readonly jwt?: JwtAuthOptions; readonly reason?: string },
  ) {}

  /** Roles of an `oidc` route. */
  public get roles(): readonly string[] {
    return this.details.roles ?? [];
  }

  /** The verifier of a `jwt` route. */
  public get jwt(): JwtAuthOptions | undefined {
    return this.details.jwt;
  }

  /** Why a `none` route is open. */
  public get reason(): string | undefined {
    return this.details.reason;
  }

  /** Problems, naming the props. */
  public validate(): string[] {
    switch (this.kind) {
      case 'oidc':
        return Array.isArray(this.details.roles) && this.details.roles.length > 0 && this.details.roles.every((r) => typeof r === 'string' && /^[a-z][a-z0-9_-]{0,62}$/.test(r))
          ? []
          : [`prop 'auth' RouteAuth.oidc needs 'roles': a non-empty list of realm role names (got ${describeValue(this.details.roles)})`];
      case 'jwt': {
        const j = this.details.jwt;
        return collect(
          j?.verifier && typeof j.verifier === 'object' ? undefined : `prop 'auth' RouteAuth.jwt needs 'verifier': a Workload (got ${describeValue(j?.verifier)})`,
          j?.path === undefined || (typeof j.path === 'string' && /^\/[A-Za-z0-9._~/-]*$/.test(j.path)) ? undefined : `prop 'auth' RouteAuth.jwt 'path' must start with "/" (got ${describeValue(j?.path)})`,
        );
      }
      case 'none':
        return collect(checkReason('auth', this.details.reason));
      default:
        return [];
    }
  }
}
