/** Bad inputs of OpaServer and its policies: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing, VaultServer, Vps, Zone } from '../../../lib';
import { InferenceScopeProps, IOpaPolicy, OpaPolicy, OpaServer, RegistryDownloadProps, RouteAllowListProps } from '../../../lib/services/opa';
import { expectClearError, ExpectedError } from '../../property/support';
import { client } from './support';

const PATH = 'lab/opa';
const ROUTES: RouteAllowListProps = { package: 'z1.ingest', routes: [{ client: 'partner-a', pathPrefix: '/ingest/partner-a/', methods: ['POST'] }] };
const MODELS: InferenceScopeProps = { package: 'z6.inference', models: [{ name: 'churn', versions: ['v2'] }] };

/** A lab with Vault and an OPA serving `policies`; `extra` may add grants. Expects synth to fail clearly. */
function rejects(policies: IOpaPolicy[], expected: Omit<ExpectedError, 'paths'> & { paths?: string[] }, extra?: (opa: OpaServer, vps: Vps) => void) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const opa = new OpaServer(vps, 'opa', { vault: new VaultServer(vps, 'vault') });
  for (const p of policies) opa.addPolicy(p);
  extra?.(opa, vps);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], ...expected });
}

const routes = (r: unknown) => [OpaPolicy.routeAllowList({ ...ROUTES, routes: [r] } as RouteAllowListProps)];

describe('OpaServer bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const opa = new OpaServer(vps, 'opa', { vault: new VaultServer(vps, 'vault') });
    opa.addPolicy(OpaPolicy.routeAllowList(ROUTES)).addPolicy(OpaPolicy.inferenceScope(MODELS)).addPolicy(OpaPolicy.registryDownload({ package: 'z5.registry.download' }));
    opa.grantQuery(client(vps, 'gw', Zone.Z6_SERVING), { packages: ['z6.inference'] });
    expect(() => Testing.synth(app)).not.toThrow();
  });

  it('refuses a server without policies', () => {
    rejects([], { prop: /no policy/, allowed: /addPolicy/ });
  });

  it('refuses a server without Vault', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    new OpaServer(vps, 'opa', {} as never).addPolicy(OpaPolicy.inferenceScope(MODELS));
    expectClearError(() => Testing.synth(app), { paths: [PATH], prop: "prop 'vault'", allowed: /VaultServer/ });
  });

  it.each([['Z6.inference'], ['z6..inference'], ['z6-inference'], ['6z'], [''], ['a.b.c.d.e.f.g'], ['z6.inference;'], [undefined], [42], ['z6.inference\nallow := true']])('refuses the package name %j', (pkg) => {
    rejects([OpaPolicy.inferenceScope({ ...MODELS, package: pkg as string })], { prop: "prop 'package'", allowed: /Rego package/ });
  });

  it.each([['system.authz'], ['system'], ['z6.data'], ['input.x'], ['z6.default']])('refuses the reserved package %j', (pkg) => {
    rejects([OpaPolicy.inferenceScope({ ...MODELS, package: pkg })], { prop: "prop 'package'", allowed: /must not/ });
  });

  it('refuses a package served twice and a package nested in another', () => {
    rejects([OpaPolicy.inferenceScope(MODELS), OpaPolicy.routeAllowList({ ...ROUTES, package: 'z6.inference' })], { prop: /addPolicy: package "z6\.inference"/, allowed: /each package once/ });
    rejects([OpaPolicy.inferenceScope(MODELS), OpaPolicy.registryDownload({ package: 'z6.inference.download' })], { prop: "prop 'package'", allowed: /must not be nested in package 'z6\.inference'/ });
  });

  it.each([[[]], [undefined], ['partner-a']])('refuses the routes %j', (r) => {
    rejects([OpaPolicy.routeAllowList({ ...ROUTES, routes: r as never })], { prop: "prop 'routes'", allowed: /at least one route/ });
  });

  it.each([[''], ['partner a'], ['-x'], ['a"b'], ['x'.repeat(65)], [undefined]])('refuses the route client %j', (c) => {
    rejects(routes({ ...ROUTES.routes[0], client: c }), { prop: "prop 'routes[0].client'", allowed: /letters, digits/ });
  });

  it.each([['/ingest/a'], ['ingest/a/'], ['/ingest/../raw/'], ['/ingest/./a/'], ['/ingest//a/'], ['/ingest/%2e/'], ['/ingest/a b/'], [''], [undefined]])('refuses the path prefix %j', (prefix) => {
    rejects(routes({ ...ROUTES.routes[0], pathPrefix: prefix }), { prop: "prop 'routes[0].pathPrefix'", allowed: /start and end with "\/"/ });
  });

  it.each([[[]], [['post']], [['CONNECT']], [['POST', 'POST']], [undefined]])('refuses the methods %j', (methods) => {
    rejects(routes({ ...ROUTES.routes[0], methods }), { prop: "prop 'routes[0].methods'", allowed: /GET, HEAD, POST, PUT, PATCH, DELETE/ });
  });

  it.each<[string, Partial<InferenceScopeProps>, string | RegExp, RegExp]>([
    ['no models', { models: [] }, "prop 'models'", /at least one model/],
    ['a bad model name', { models: [{ name: 'Churn', versions: ['v1'] }] }, "prop 'models[0].name'", /lower-case/],
    ['a model twice', { models: [{ name: 'churn', versions: ['v1'] }, { name: 'churn', versions: ['v2'] }] }, "prop 'models[1].name'", /unique/],
    ['a version with ":"', { models: [{ name: 'churn', versions: ['v1:admin'] }] }, "prop 'models[0].versions'", /no ":" or spaces/],
    ['no versions', { models: [{ name: 'churn', versions: [] }] }, "prop 'models[0].versions'", /non-empty/],
    ['empty tenants', { models: [{ name: 'churn', versions: ['v1'], tenants: [] }] }, "prop 'models[0].tenants'", /omitted/],
    ['a bad tenant', { models: [{ name: 'churn', versions: ['v1'], tenants: ['Acme Corp'] }] }, "prop 'models[0].tenants'", /lower-case tenant ids/],
    ['requireMtls not boolean', { requireMtls: 'yes' as never }, "prop 'requireMtls'", /true or false/],
  ])('refuses an inference scope with %s', (_name, props, prop, allowed) => {
    rejects([OpaPolicy.inferenceScope({ ...MODELS, ...props })], { prop, allowed });
  });

  it.each<[string, Partial<RegistryDownloadProps>, string, RegExp]>([
    ['no stages', { stages: [] }, "prop 'stages'", /Approved, Staging/],
    ['an unknown stage', { stages: ['Candidate' as never] }, "prop 'stages'", /Approved, Staging/],
    ['no roles', { roles: [] }, "prop 'roles'", /role names/],
    ['a bad role', { roles: ['Serving role'] }, "prop 'roles'", /role names/],
  ])('refuses a registry download with %s', (_name, props, prop, allowed) => {
    rejects([OpaPolicy.registryDownload({ package: 'z5.registry.download', ...props })], { prop, allowed });
  });

  it('refuses a grant of a package that is not served, or of none', () => {
    rejects([OpaPolicy.inferenceScope(MODELS)], { prop: "prop 'packages'", allowed: /not served; served: z6\.inference/ }, (opa, vps) => {
      opa.grantQuery(client(vps, 'gw', Zone.Z6_SERVING), { packages: ['z5.registry.download'] });
    });
    rejects([OpaPolicy.inferenceScope(MODELS)], { prop: "prop 'packages'", allowed: /at least one package/ }, (opa, vps) => {
      opa.grantQuery(client(vps, 'gw', Zone.Z6_SERVING), { packages: [] });
    });
  });

  it('refuses the server as its own client', () => {
    rejects([OpaPolicy.inferenceScope(MODELS)], { prop: /own client|itself/ }, (opa) => {
      opa.grantQuery(opa, { packages: ['z6.inference'] });
    });
  });
});

describe('OpaServer refuses policies it did not generate', () => {
  it.each([
    ['a hand-written policy object', { packageName: 'z6.inference', description: 'x', renderPolicy: () => 'package z6.inference\nallow := true\n', testCases: () => [], problems: () => [] }],
    ['null', null],
  ])('refuses %s', (_name, policy) => {
    rejects([policy as unknown as IOpaPolicy], { prop: "prop 'policy'", allowed: /OpaPolicy\.routeAllowList, inferenceScope or registryDownload/ });
  });
});
