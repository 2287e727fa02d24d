import { Construct } from 'constructs';
import { checkInteger, checkPattern, checkReason, collect, describeValue } from '../core/prop-rules';
import { Posture } from '../posture/posture';
import type { RouterView } from '../posture/packs/traefik/dynamic-config';
import { RouterPurpose } from '../posture/packs/traefik/router-purpose';
import { HttpMiddleware } from '../traefik/generated/traefik-dynamic';
import { HttpMethod, RouterRule } from '../traefik/router-rule';
import { HttpServersTransport } from '../traefik/servers-transport';
import { TraefikDynamicConfig } from '../traefik/traefik-dynamic-config';
import { Workload } from '../workload/workload';
import { Zone } from '../workload/zone';
import { API_CONTENT_SECURITY_POLICY, CIDR_RANGE, securityHeaders, UI_CONTENT_SECURITY_POLICY } from './gateway-policy';
import { RouteAuth } from './route-auth';
import type { Gateway } from './gateway';

/** Requests per `period` a client may make, and how many above that it may burst. */
export interface RateLimit {
  /** Sustained requests per period (> 0). */
  readonly average: number;
  /** Extra requests allowed at once (> 0). */
  readonly burst: number;
  /**
   * The period, as a Go duration.
   * @default '1s'
   */
  readonly period?: string;
}

/** Options of `Gateway.expose`. */
export interface ExposeOptions {
  /** The public host name, matched exactly (a DNS name, no wildcard). */
  readonly host: string;
  /**
   * Path prefix matched (starts with "/").
   * @default '/'
   */
  readonly pathPrefix?: string;
  /**
   * Methods allowed.
   * @default ['POST'] for Z1 ingestion routes; any method elsewhere
   */
  readonly methods?: HttpMethod[];
  /** How callers authenticate: oidc, jwt, mtls, or none with a reason. */
  readonly auth: RouteAuth;
  /**
   * The workload port to forward to.
   * @default the workload's only port (an error when it has several)
   */
  readonly port?: number;
  /**
   * Per-client limit, applied after authentication (keyed by the authenticated identity).
   * @default 10/s burst 20 for Z1 ingestion, 200/s burst 50 for Z6 serving, 20/s burst 40 for UIs
   */
  readonly rateLimit?: RateLimit;
  /**
   * Coarse per-IP limit applied before authentication.
   * @default 5× the per-client average and burst
   */
  readonly ipRateLimit?: RateLimit;
  /**
   * Largest request body in bytes (larger gets 413).
   * @default 10 MiB for Z1, 512 KiB for Z6, 1 MiB for UIs
   */
  readonly maxBodyBytes?: number;
  /**
   * Requests in flight at once per client IP.
   * @default 50 for Z6, 20 elsewhere
   */
  readonly inFlight?: number;
  /**
   * Source ranges (CIDR) allowed at all. Required for admin UIs (workloads outside Z1 and Z6).
   * @default everyone (doors only)
   */
  readonly allowFrom?: string[];
  /**
   * Content-Security-Policy sent with responses.
   * @default a strict UI policy for `oidc` routes, `default-src 'none'` for APIs
   */
  readonly contentSecurityPolicy?: string;
  /**
   * Forward to the backend over plain HTTP, with the reason (reported as an override of the gateway).
   * @default HTTPS verified with the internal CA, presenting the gateway's client certificate
   */
  readonly plainHttpBackendReason?: string;
  /**
   * Router name (also names its middlewares and file `route-<name>.yml`).
   * @default the workload's service name (numbered from the second route on)
   */
  readonly name?: string;
}

/** What the gateway needs from an identity provider for `RouteAuth.oidc` routes. */
export interface IOidcProxyProvider {
  /**
   * The OIDC proxy that protects `host` for users holding one of `roles`: created on first use
   * (with its IdP client, redirect URI `https://<host>/oauth2/callback`), shared by routes on that host.
   */
  oidcProxyFor(host: string, roles: readonly string[], requestedBy: string): { readonly workload: Workload; readonly port: number };
}

const DURATION = /^[1-9][0-9]*(ms|s|m|h)$/;

/** Props of a {@link GatewayRoute} (made by `Gateway.expose`). */
export interface GatewayRouteProps {
  /** The gateway. */
  readonly gateway: Gateway;
  /** The workload reached. */
  readonly workload: Workload;
  /** Router name. */
  readonly name: string;
  /** What `expose` was given. */
  readonly options: ExposeOptions;
  /**
   * The identity provider's own endpoints (login, token, keys): open outside the two doors.
   * @default false
   */
  readonly identityProvider?: boolean;
}

/**
 * One public route: its own dynamic file `traefik/dynamic/route-<name>.yml` with the router, the
 * middleware chain (security headers, allow-list, per-IP limit, in-flight limit, body limit,
 * authentication, per-client limit, in that order), the service and its backend transport.
 */
export class GatewayRoute extends Construct {
  /** Router name. */
  public readonly routeName: string;
  /** The router rule. */
  public readonly rule: RouterRule;
  /** The workload reached. */
  public readonly target: Workload;
  /** How callers authenticate. */
  public readonly auth: RouteAuth;
  /** The route's dynamic file. */
  public readonly config: TraefikDynamicConfig;
  private readonly problems: string[] = [];
  private readonly identityProvider: boolean;

  constructor(scope: Construct, id: string, props: GatewayRouteProps) {
    super(scope, id);
    this.identityProvider = props.identityProvider === true;
    const { gateway, workload, name } = props;
    const o = props.options;
    this.routeName = name;
    this.target = workload;
    this.auth = o.auth;
    const isWorkload = Workload.isWorkload(workload);
    const zone = isWorkload ? workload.zone : undefined;
    const door = zone !== undefined && zone.isDoor;
    const ingestion = zone === Zone.Z1_INGESTION;
    this.rule = RouterRule.hostAndPath(o.host, o.pathPrefix ?? '/', o.methods ?? (ingestion ? ['POST'] : []));
    this.config = new TraefikDynamicConfig(this, 'Config', { name: `route-${name}` });
    gateway.mountDynamic(this.config);
    this.node.addValidation({ validate: () => [...this.problems, ...this.validate(gateway, o, door, ingestion)] });
    if (!isWorkload || !(o.auth instanceof RouteAuth)) {
      this.problems.push(isWorkload ? `prop 'auth' must be a RouteAuth (RouteAuth.oidc/jwt/mtls/none), got ${describeValue(o.auth)}` : `expose() needs a Workload (got ${describeValue(workload)})`);
      return;
    }
    if (typeof o.host === 'string') gateway._publicTls.addDnsName(o.host);

    const port = o.port ?? (workload.ports.length === 1 ? workload.ports[0] : undefined);
    if (port === undefined) {
      this.problems.push(`prop 'port' is required: '${workload.node.path}' listens on ${workload.ports.join(', ') || 'no ports'}`);
      return;
    }
    gateway.workload.connections.allowTo(workload, { port, startsAfter: false });

    const kind = ingestion ? 'ingestion' : door ? 'serving' : 'ui';
    const client = o.rateLimit ?? { average: kind === 'ingestion' ? 10 : kind === 'serving' ? 200 : 20, burst: kind === 'ingestion' ? 20 : kind === 'serving' ? 50 : 40 };
    const perIp = o.ipRateLimit ?? { average: client.average * 5, burst: client.burst * 5, period: client.period };
    const maxBody = o.maxBodyBytes ?? (kind === 'ingestion' ? 10 * 1024 * 1024 : kind === 'serving' ? 512 * 1024 : 1024 * 1024);
    const inFlight = o.inFlight ?? (kind === 'serving' ? 50 : 20);
    const csp = o.contentSecurityPolicy ?? (o.auth.kind === 'oidc' ? UI_CONTENT_SECURITY_POLICY : API_CONTENT_SECURITY_POLICY);

    const chain = frontChain(name, csp, o.allowFrom, perIp, inFlight, { maxRequestBodyBytes: maxBody, memRequestBodyBytes: Math.min(maxBody, 1024 * 1024) });
    let clientHeader: string | undefined;
    let tlsOptions: string | undefined;
    switch (o.auth.kind) {
      case 'oidc': {
        const provider = gateway._oidcProvider;
        if (!provider) {
          this.problems.push(`prop 'auth': RouteAuth.oidc needs an identity provider; call gateway.useIdentityProvider(keycloak) first`);
          break;
        }
        const sso = provider.oidcProxyFor(o.host, o.auth.roles, this.node.path);
        gateway.workload.connections.allowTo(sso.workload, { port: sso.port, startsAfter: false });
        const proxyUrl = `https://${sso.workload.serviceName}:${sso.port}`;
        const signIn = this.signInServiceFor(gateway, sso, o, perIp);
        // 401 from the auth check becomes the proxy's sign-in page (oauth2-proxy's documented Traefik setup).
        chain.push([`${name}-signin`, { errors: { status: ['401'], service: signIn, query: '/oauth2/sign_in?rd={url}' } }]);
        chain.push([`${name}-auth`, { forwardAuth: { address: `${proxyUrl}/oauth2/auth`, trustForwardHeader: false, maxResponseBodySize: 65536, authResponseHeaders: ['X-Auth-Request-User', 'X-Auth-Request-Preferred-Username', 'X-Auth-Request-Email', 'X-Auth-Request-Groups'], tls: authServerTls(gateway) } }]);
        clientHeader = 'X-Auth-Request-User';
        break;
      }
      case 'jwt': {
        const jwt = o.auth.jwt!;
        gateway.workload.connections.allowTo(jwt.verifier, { port: jwt.port, startsAfter: false });
        const headers = jwt.responseHeaders ?? ['X-Client-Id', 'X-Tenant', 'X-Scopes'];
        chain.push([`${name}-auth`, { forwardAuth: { address: `https://${jwt.verifier.serviceName}:${jwt.port}${jwt.path ?? '/verify'}`, trustForwardHeader: false, maxResponseBodySize: 65536, authResponseHeaders: headers, tls: authServerTls(gateway) } }]);
        clientHeader = headers[0];
        break;
      }
      case 'mtls':
        tlsOptions = gateway._mtlsOptionsName();
        // The verified certificate's subject reaches the backend; clients cannot forge the header.
        chain.push([`${name}-client-cert`, { passTLSClientCert: { info: { subject: { commonName: true, organization: true }, sans: true } } }]);
        clientHeader = 'X-Forwarded-Tls-Client-Cert-Info';
        break;
      case 'none':
        Posture.of(this).acknowledge(`ZONE-14[${name}]`, `open route (no authentication at the gateway): ${o.auth.reason}`);
        break;
    }
    if (clientHeader !== undefined) {
      chain.push([`${name}-client-limit`, { rateLimit: { average: client.average, burst: client.burst, period: client.period ?? '1s', sourceCriterion: { requestHeaderName: clientHeader } } }]);
    }
    for (const [mwName, mw] of chain) this.config.addMiddleware(mwName, mw);

    const backendTls = o.plainHttpBackendReason === undefined;
    if (!backendTls) {
      gateway.workload.securityOverrides.push({ control: 'backend-tls', setting: `http://${workload.serviceName}:${port}`, reason: o.plainHttpBackendReason! });
      Posture.of(this).acknowledge(`ZONE-15[${name}]`, `plain-HTTP backend declared on the route: ${o.plainHttpBackendReason}`);
    }
    this.config.addRouter(name, {
      entryPoints: ['websecure'],
      rule: this.rule.render(),
      middlewares: chain.map(([n]) => n),
      service: name,
      tls: tlsOptions ? { options: tlsOptions } : {},
    });
    this.config.addService(name, { loadBalancer: { servers: [{ url: `${backendTls ? 'https' : 'http'}://${workload.serviceName}:${port}` }], passHostHeader: true, ...(backendTls ? { serversTransport: `${name}-backend` } : {}) } });
    if (backendTls) {
      this.config.addServersTransport(`${name}-backend`, {
        ...backendTransport(gateway, workload.serviceName),
        forwardingTimeouts: { dialTimeout: '5s', responseHeaderTimeout: '60s' },
      });
    }
  }

  /**
   * `https://<host>/oauth2/…` to the OIDC proxy (its sign-in, start and callback endpoints): one
   * router per host, written by the first OIDC route on it. Returns the sign-in service name.
   */
  private signInServiceFor(gateway: Gateway, sso: { workload: Workload; port: number }, o: ExposeOptions, perIp: RateLimit): string {
    const known = gateway._signInServices.get(o.host);
    if (known) return known;
    const base = `signin-${o.host.split('.')[0]}`;
    let name = base;
    for (let n = 2; [...gateway._signInServices.values()].includes(name); n++) name = `${base}-${n}`;
    gateway._signInServices.set(o.host, name);
    const chain = frontChain(name, UI_CONTENT_SECURITY_POLICY, o.allowFrom, perIp, 20, { maxRequestBodyBytes: 64 * 1024 });
    for (const [mwName, mw] of chain) this.config.addMiddleware(mwName, mw);
    const router = { entryPoints: ['websecure'], rule: RouterRule.hostAndPath(o.host, '/oauth2/').render(), middlewares: chain.map(([n]) => n), service: name, tls: {} };
    this.config.addRouter(name, router);
    this.config.addService(name, { loadBalancer: { servers: [{ url: `https://${sso.workload.serviceName}:${sso.port}` }], passHostHeader: true, serversTransport: `${name}-backend` } });
    this.config.addServersTransport(`${name}-backend`, backendTransport(gateway, sso.workload.serviceName));
    // The authentication step itself cannot sit behind authentication: say so in the report.
    const why = 'the OIDC proxy\'s own sign-in and callback endpoints: they are the authentication step itself, behind the same allow-list and limits';
    Posture.of(this).acknowledge(`ZONE-14[${name}]`, why);
    Posture.of(this).acknowledge(`ZONE-01[${name}]`, why);
    if (RouterPurpose.adminSurface({ name, service: name, rule: router.rule } as RouterView) !== undefined) Posture.of(this).acknowledge(`TRF-08[${name}]`, why);
    return name;
  }

  private validate(gateway: Gateway, o: ExposeOptions, door: boolean, ingestion: boolean): string[] {
    const problems = [...this.rule.validate(), ...(this.auth instanceof RouteAuth ? this.auth.validate() : [])];
    const limit = (prop: string, l: RateLimit | undefined) => l === undefined ? [] : collect(
      checkInteger(`${prop}.average`, l?.average, 1, 1_000_000),
      checkInteger(`${prop}.burst`, l?.burst, 1, 1_000_000),
      l?.period === undefined ? undefined : checkPattern(`${prop}.period`, l.period, DURATION, 'a Go duration such as "1s" or "1m"'),
    );
    problems.push(...limit('rateLimit', o.rateLimit), ...limit('ipRateLimit', o.ipRateLimit));
    problems.push(...collect(
      o.maxBodyBytes === undefined ? undefined : checkInteger('maxBodyBytes', o.maxBodyBytes, 1, 1024 * 1024 * 1024),
      o.inFlight === undefined ? undefined : checkInteger('inFlight', o.inFlight, 1, 100_000),
    ));
    if (o.allowFrom !== undefined) {
      if (!Array.isArray(o.allowFrom) || o.allowFrom.length === 0) problems.push(`prop 'allowFrom' must be a non-empty list of CIDR ranges (got ${describeValue(o.allowFrom)})`);
      else o.allowFrom.forEach((c, i) => {
        const bad = checkPattern(`allowFrom[${i}]`, c, CIDR_RANGE, 'a CIDR range such as "198.51.100.0/24"');
        if (bad) problems.push(bad);
        else if (/^0\.0\.0\.0\/0$|^::\/0$/.test(c)) problems.push(`prop 'allowFrom[${i}]' must not allow everyone (${c})`);
      });
    }
    if (!door && !this.identityProvider && this.auth instanceof RouteAuth) {
      if (this.auth.kind !== 'oidc') problems.push(`'${this.target?.node?.path}' is in ${this.target?.zone?.id ?? 'no zone'}, outside the two doors (Z1 ingestion, Z6 serving): only an admin UI may be exposed, with auth RouteAuth.oidc (got '${this.auth.kind}')`);
      if (o.allowFrom === undefined) problems.push(`prop 'allowFrom' is required: '${this.target?.node?.path}' is an admin UI outside the two doors (Z1, Z6) and must be limited to the operators' source ranges`);
    }
    if (ingestion && !(this.rule.methods.length === 1 && this.rule.methods[0] === 'POST')) {
      problems.push(`prop 'methods' must be ['POST'] for a Z1 ingestion route (got ${describeValue(this.rule.methods)})`);
    }
    if (o.plainHttpBackendReason !== undefined) {
      const bad = checkReason('plainHttpBackendReason', o.plainHttpBackendReason);
      if (bad) problems.push(bad);
    }
    const twin = gateway.routes.find((r) => r !== this && gateway.routes.indexOf(r) < gateway.routes.indexOf(this) && r.rule.overlaps(this.rule));
    if (twin) problems.push(`host '${this.rule.host}' with path prefix '${this.rule.pathPrefix}' is already routed by '${twin.node.path}'; two routers on one host and path would race`);
    return problems;
  }
}

/**
 * The middlewares every public router starts with: security headers first (so the refusals of
 * the later ones, 403, 429 and 413, carry them too), the allow-list, the per-IP limit before
 * authentication, the in-flight limit and the body limit.
 */
function frontChain(name: string, csp: string, allowFrom: string[] | undefined, perIp: RateLimit, inFlight: number, buffering: { maxRequestBodyBytes: number; memRequestBodyBytes?: number }): [string, HttpMiddleware][] {
  const chain: [string, HttpMiddleware][] = [[`${name}-headers`, { headers: securityHeaders(csp) }]];
  if (allowFrom !== undefined) chain.push([`${name}-allow`, { ipAllowList: { sourceRange: [...allowFrom] } }]);
  chain.push([`${name}-ip-limit`, { rateLimit: { average: perIp.average, burst: perIp.burst, period: perIp.period ?? '1s' } }]);
  chain.push([`${name}-inflight`, { inFlightReq: { amount: inFlight } }]);
  chain.push([`${name}-body`, { buffering }]);
  return chain;
}

/** How the gateway reaches `serverName`: its certificate verified with the internal CA, the gateway's client certificate presented. */
function backendTransport(gateway: Gateway, serverName: string): HttpServersTransport {
  return {
    serverName,
    rootCAs: [gateway._caBundle],
    certificates: [{ certFile: gateway._backendClientTls.certificate, keyFile: gateway._backendClientTls.privateKey }],
  };
}

/** The same TLS towards a forwardAuth server. */
function authServerTls(gateway: Gateway): { ca: string; cert: string; key: string } {
  return { ca: gateway._caBundle, cert: gateway._backendClientTls.certificate, key: gateway._backendClientTls.privateKey };
}
