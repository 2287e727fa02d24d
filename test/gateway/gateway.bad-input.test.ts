/** Bad inputs of Gateway.expose and the Gateway: each is a clear error naming the construct and the prop. */
import { describe, it } from 'vitest';
import { App, ExposeOptions, Gateway, RouteAuth, Testing, TraefikDynamicConfig, Vps, Zone } from '../../lib';
import { expectClearError, ExpectedError } from '../property/support';
import { backend, fakeIdentityProvider } from './support';

const OK: ExposeOptions = { host: 'infer.lab.example.com', pathPrefix: '/v2/', auth: RouteAuth.mtls() };

function rejectsExpose(options: Partial<ExposeOptions>, expected: Omit<ExpectedError, 'paths'>, zone: Zone = Zone.Z6_SERVING): void {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
  gateway.useIdentityProvider(fakeIdentityProvider(vps));
  gateway.expose(backend(vps, 'api', zone), { ...OK, ...options } as ExposeOptions);
  expectClearError(() => Testing.synth(app), { paths: ['lab/gateway/Route-api'], ...expected });
}

describe('Gateway.expose bad input', () => {
  it.each([['Infer.lab.example.com'], ['*.lab.example.com'], ['infer'], ['infer.lab.example.com:443'], ['in fer.example.com'], ['infer.lab.example.com`) || Host(`x']])('refuses the host %j', (host) => {
    rejectsExpose({ host }, { prop: "prop 'host'", allowed: /DNS name/ });
  });

  it.each([['v2/'], [''], ['/v2`) || PathPrefix(`/'], ['/a b']])('refuses the path prefix %j', (pathPrefix) => {
    rejectsExpose({ pathPrefix }, { prop: "prop 'pathPrefix'", allowed: /starting with "\/"/ });
  });

  it.each([[{ average: 0, burst: 5 }, 'rateLimit.average'], [{ average: 5, burst: -1 }, 'rateLimit.burst'], [{ average: 1.5, burst: 2 }, 'rateLimit.average'], [{ average: 5, burst: 5, period: 'soon' }, 'rateLimit.period']])('refuses the rate limit %j', (rateLimit, prop) => {
    rejectsExpose({ rateLimit: rateLimit as never }, { prop: `prop '${prop}'` });
  });

  it('refuses a per-IP limit, body limit or in-flight limit of zero', () => {
    rejectsExpose({ ipRateLimit: { average: 0, burst: 1 } }, { prop: "prop 'ipRateLimit.average'" });
    rejectsExpose({ maxBodyBytes: 0 }, { prop: "prop 'maxBodyBytes'" });
    rejectsExpose({ inFlight: 0 }, { prop: "prop 'inFlight'" });
  });

  it('refuses an open route without a reason', () => {
    rejectsExpose({ auth: RouteAuth.none('') }, { prop: "prop 'auth'", allowed: /reason/ });
    rejectsExpose({ auth: RouteAuth.none(undefined as never) }, { prop: "prop 'auth'", allowed: /reason/ });
  });

  it('refuses a missing or foreign auth', () => {
    rejectsExpose({ auth: undefined }, { prop: "prop 'auth'", allowed: /RouteAuth/ });
    rejectsExpose({ auth: 'oidc' as never }, { prop: "prop 'auth'", allowed: /RouteAuth/ });
  });

  it('refuses an OIDC route without roles', () => {
    rejectsExpose({ auth: RouteAuth.oidc({ roles: [] }) }, { prop: "prop 'auth'", allowed: /realm role/ });
  });

  it('refuses an admin UI without OIDC or without an allow-list', () => {
    rejectsExpose({ auth: RouteAuth.mtls(), allowFrom: ['198.51.100.0/24'] }, { prop: /outside the two doors/, allowed: /RouteAuth\.oidc/ }, Zone.Z5_REGISTRY);
    rejectsExpose({ auth: RouteAuth.oidc({ roles: ['admin'] }) }, { prop: "prop 'allowFrom'", allowed: /source ranges/ }, Zone.Z8_SECURITY);
  });

  it.each([[['0.0.0.0/0']], [['::/0']], [['198.51.100.0']], [[]]])('refuses the allow-list %j', (allowFrom) => {
    rejectsExpose({ allowFrom }, { prop: /prop 'allowFrom/ });
  });

  it('refuses an ingestion route that accepts more than POST', () => {
    rejectsExpose({ methods: ['GET', 'POST'] }, { prop: "prop 'methods'", allowed: /POST/ }, Zone.Z1_INGESTION);
    rejectsExpose({ methods: ['FETCH' as never] }, { prop: "prop 'methods'", allowed: /HTTP methods/ });
  });

  it('refuses a plain-HTTP backend without a reason', () => {
    rejectsExpose({ plainHttpBackendReason: 'fast' }, { prop: "prop 'plainHttpBackendReason'", allowed: /reason/ });
  });

  it('refuses two routes on one host and path', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
    gateway.expose(backend(vps, 'a', Zone.Z6_SERVING), OK);
    gateway.expose(backend(vps, 'b', Zone.Z6_SERVING), OK);
    expectClearError(() => Testing.synth(app), { paths: ['lab/gateway/Route-b'], prop: /host 'infer\.lab\.example\.com' with path prefix '\/v2\/'/, allowed: /already routed by 'lab\/gateway\/Route-a'/ });
  });

  it('refuses an OIDC route without an identity provider, and a port the workload does not name', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
    gateway.expose(backend(vps, 'ui', Zone.Z6_SERVING), { ...OK, auth: RouteAuth.oidc({ roles: ['admin'] }) });
    expectClearError(() => Testing.synth(app), { paths: ['lab/gateway/Route-ui'], prop: "prop 'auth'", allowed: /useIdentityProvider/ });
    const app2 = Testing.app();
    const vps2 = new Vps(app2, 'lab', { domain: 'lab.example.com' });
    new Gateway(vps2, 'gateway', { publicAddress: '203.0.113.10' }).expose(backend(vps2, 'api', Zone.Z6_SERVING, [8443, 9443]), OK);
    expectClearError(() => Testing.synth(app2), { paths: ['lab/gateway/Route-api'], prop: "prop 'port'", allowed: /8443, 9443/ });
  });
});

describe('Traefik L1 verification', () => {
  it('refuses to write a dynamic file the SchemaStore schema rejects, naming the construct and the key', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const config = new TraefikDynamicConfig(vps, 'Extra', { name: 'extra' });
    config.addMiddleware('bad', { rateLimitt: { average: 5 } } as never);
    expectClearError(() => Testing.synth(app), { paths: ['lab/Extra/File'], prop: /lab\/traefik\/dynamic\/extra\.yml/, allowed: /SchemaStore Traefik schema/ });
  });

  it('refuses a name defined twice across files (Traefik would drop both)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    new TraefikDynamicConfig(vps, 'A', { name: 'a' }).addMiddleware('same', { inFlightReq: { amount: 1 } });
    new TraefikDynamicConfig(vps, 'B', { name: 'b' }).addMiddleware('same', { inFlightReq: { amount: 1 } });
    expectClearError(() => Testing.synth(app), { paths: ['lab/B'], prop: /middlewares 'same'/, allowed: /already defined by 'lab\/A'/ });
  });
});

describe('Gateway bad input', () => {
  function rejectsGateway(props: object, expected: Omit<ExpectedError, 'paths'>): void {
    const app: App = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10', ...props });
    expectClearError(() => Testing.synth(app), { paths: ['lab/gateway'], ...expected });
  }

  it.each([['0.0.0.0'], ['::'], ['example.com'], ['']])('refuses the public address %j', (publicAddress) => {
    rejectsGateway({ publicAddress }, { prop: "prop 'publicAddress'" });
  });

  it('refuses trusting forwarded headers from everyone or from a non-CIDR', () => {
    rejectsGateway({ trustedProxies: ['0.0.0.0/0'] }, { prop: "prop 'trustedProxies'", allowed: /everyone/ });
    rejectsGateway({ trustedProxies: ['10.0.0.1'] }, { prop: "prop 'trustedProxies[0]'", allowed: /CIDR/ });
  });
});
