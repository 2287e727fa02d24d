/** Bad inputs of CrsWaf: each ends in a clear MlsecError naming the construct path, the prop and what is allowed. */
import { describe, expect, it } from 'vitest';
import { Gateway, HealthCheck, Image, RouteAuth, Testing, Vps, Workload, Zone } from '../../../lib';
import { CrsWaf, CrsWafProps, WafProtectOptions } from '../../../lib/services/waf';
import { expectClearError } from '../../property/support';

function lab(props: Record<string, unknown>, protect: (waf: CrsWaf, backend: Workload) => void = (w, b) => w.protect(b, { port: 8443, pathPrefix: '/ingest/a' })) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const backend = new Workload(vps, 'backend', { zone: Zone.Z1_INGESTION, image: Image.fromRegistry('jeffail/benthos', '4.27.0'), ports: [8443], healthCheck: HealthCheck.command(['/benthos', '--version']) });
  backend.addTlsIdentity({ usage: 'server' });
  protect(new CrsWaf(vps, 'waf', props as CrsWafProps), backend);
  return app;
}

const rejects = (props: Record<string, unknown>, prop: string | RegExp, allowed: RegExp, protect?: (waf: CrsWaf, backend: Workload) => void) =>
  expectClearError(() => Testing.synth(lab(props, protect)), { paths: ['lab/waf'], prop, allowed });

describe('CrsWaf bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    expect(() => Testing.synth(lab({}))).not.toThrow();
    expect(() => Testing.synth(lab({ zone: Zone.Z6_SERVING }))).not.toThrow();
    expect(() => Testing.synth(lab({ mode: 'block', paranoiaLevel: 4, inboundAnomalyThreshold: 1, requestBodyLimitBytes: 1024, crsVersion: '4.0.0' }))).not.toThrow();
  });

  it.each([[Zone.Z3_CURATED], [Zone.Z8_SECURITY], ['z1']])('refuses a zone that is not a door (%#)', (zone) => {
    rejects({ zone }, "prop 'zone'", /Zone\.Z1_INGESTION or Zone\.Z6_SERVING/);
  });

  it.each([['blocking'], ['On'], ['DetectionOnly'], [''], [true]])('refuses the mode %j', (mode) => {
    rejects({ mode }, "prop 'mode'", /'detect' or 'block'/);
  });

  it.each([[0], [5], [1.5], ['2'], [null]])('refuses the paranoia level %j', (paranoiaLevel) => {
    rejects({ paranoiaLevel }, "prop 'paranoiaLevel'", /integer from 1 to 4/);
  });

  it.each([[[]], [['application/*']], [['Application/JSON']], [['application/json; charset=utf-8']], ['application/json']])('refuses the content-type allow-list %j', (allowedContentTypes) => {
    rejects({ allowedContentTypes } as any, "prop 'allowedContentTypes'", /lower-case media types/);
  });

  it.each([['inboundAnomalyThreshold'], ['outboundAnomalyThreshold']])('refuses a zero or fractional %s', (prop) => {
    rejects({ [prop]: 0 }, `prop '${prop}'`, /integer from 1 to 10000/);
    rejects({ [prop]: 2.5 }, `prop '${prop}'`, /integer from 1 to 10000/);
  });

  it.each([[0], [100], [2 * 1024 * 1024 * 1024], [-1], ['10m']])('refuses the request body limit %j', (requestBodyLimitBytes) => {
    rejects({ requestBodyLimitBytes }, "prop 'requestBodyLimitBytes'", /integer from 1024 to 1073741824/);
  });

  it.each([['latest'], ['4'], ['4.18'], ['v4.18.0']])('refuses the CRS version %j', (crsVersion) => {
    rejects({ crsVersion }, "prop 'crsVersion'", /major\.minor\.patch/);
  });

  it.each([['ingest'], ['/in gest'], ['/a;b'], ['/a{b}'], ['/a"b'], [''], [undefined]])('refuses the protected path prefix %j', (pathPrefix) => {
    rejects({}, "prop 'pathPrefix'", /starting with "\/"/, (w, b) => w.protect(b, { port: 8443, pathPrefix } as WafProtectOptions));
  });

  it('refuses two backends on one prefix', () => {
    rejects({}, "prop 'pathPrefix'", /already routes to 'lab\/backend'/, (w, b) => {
      w.protect(b, { port: 8443, pathPrefix: '/ingest/a' });
      w.protect(b, { port: 8443, pathPrefix: '/ingest/a' });
    });
  });

  it('refuses a port the backend does not listen on (naming both ends)', () => {
    const err = expectClearError(() => Testing.synth(lab({}, (w, b) => w.protect(b, { port: 9000, pathPrefix: '/x' }))), { paths: ['lab/waf'], prop: "prop 'port'", allowed: /listens on \(8443\)/ });
    expect(err.message).toContain('lab/backend');
  });

  it('refuses a protected backend that the gateway also exposes directly (a WAF bypass)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const backend = new Workload(vps, 'backend', { zone: Zone.Z1_INGESTION, image: Image.fromRegistry('jeffail/benthos', '4.27.0'), ports: [8443], healthCheck: HealthCheck.command(['/benthos', '--version']) });
    const waf = new CrsWaf(vps, 'waf');
    const route = waf.protect(backend, { port: 8443, pathPrefix: '/ingest/a' });
    const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
    gateway.expose(route.workload, { host: 'ingest.lab.example.com', pathPrefix: '/ingest/a', port: route.port, auth: RouteAuth.mtls() });
    gateway.expose(backend, { host: 'ingest.lab.example.com', pathPrefix: '/ingest/b', auth: RouteAuth.mtls() });
    expectClearError(() => Testing.synth(app), { paths: ['lab/waf'], prop: /protect\(lab\/backend\)/, allowed: /expose the WAF instead/ });
  });

  it('refuses protecting something that is not a workload', () => {
    rejects({}, /needs a Workload/, /Workload/, (w) => w.protect({} as Workload, { port: 8443, pathPrefix: '/x' }));
  });
});

describe('CrsWaf bad input: CRS off and the request-field allow-list', () => {
  const off = { enabled: false, reason: 'the hop only checks request fields' };

  it('accepts CRS off with a field allow-list in block mode', () => {
    expect(() => Testing.synth(lab({ mode: 'block', coreRuleSet: off, allowedJsonFields: ['model'] }))).not.toThrow();
  });

  it.each([[{ enabled: false }], [{ enabled: false, reason: 'short' }], [{ enabled: true, reason: 'why would one say this' }], [false], ['off']])('refuses coreRuleSet %j (off only with a reason)', (coreRuleSet) => {
    rejects({ mode: 'block', coreRuleSet, allowedJsonFields: ['model'] }, "prop 'coreRuleSet'", /\{ enabled: false, reason/);
  });

  it('refuses CRS off without a field allow-list: the hop would check nothing', () => {
    rejects({ mode: 'block', coreRuleSet: off }, "prop 'coreRuleSet'", /checks nothing/);
  });

  it.each([[[]], [['Model']], [['prompt-id']], [['model', 'model']], ['model'], [[1]]])('refuses the field allow-list %j', (allowedJsonFields) => {
    rejects({ mode: 'block', allowedJsonFields } as any, "prop 'allowedJsonFields'", /distinct field names of lower-case letters, digits and "_"/);
  });

  it('refuses a field allow-list that would only log (detect mode)', () => {
    rejects({ allowedJsonFields: ['model'] }, "prop 'allowedJsonFields'", /needs mode 'block'/);
  });
});
