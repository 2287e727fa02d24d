/**
 * MlopsSecurityLab with its defaults: the whole platform from three props, safe with nothing
 * else — no source means no connector, no LLM options means no egress network at all.
 */
import { describe, expect, it } from 'vitest';
import { ComposeTemplate, Match, MlopsSecurityLab, Testing, ThresholdProfile } from '../../lib';

describe('MlopsSecurityLab defaults', () => {
  const app = Testing.app();
  const lab = new MlopsSecurityLab(app, 'mini', { domain: 'mini.example.com', publicAddress: '192.0.2.7', operators: ['198.51.100.0/28'] });
  const assembly = Testing.synth(app);
  const compose = ComposeTemplate.fromAssembly(assembly, 'mini');

  it('builds every zone but the optional parts, with no open error', () => {
    const report = JSON.parse(assembly.file('mini/posture/report.json'));
    expect(report.summary.blocking).toBe(0);
    expect(report.zones.map((z: { zone: string }) => z.zone)).toEqual(['z0', 'z1', 'z2', 'z3', 'z4', 'z5', 'z6', 'z7', 'z8', 'z9']);
    expect(lab.thresholds.name).toBe('bank-default');
    expect(lab.thresholds.values).toEqual(ThresholdProfile.bank().values);
    expect(lab.serving.llmGateway).toBeUndefined();
    expect(lab.ingestion.waf, 'no source, no WAF to run idle').toBeUndefined();
    expect(report.zones.find((z: { zone: string }) => z.zone === 'z1').controls.find((c: { id: string }) => c.id === 'Z1-K08')).toMatchObject({ status: 'gap' });
  });

  it('has no egress network without an LLM gateway, and only the gateway on the edge', () => {
    const networks = compose.toJSON().networks as Record<string, { internal: boolean }>;
    expect(Object.entries(networks).filter(([, n]) => !n.internal).map(([name]) => name)).toEqual(['edge']);
    expect(Object.keys(compose.findServices(Match.objectLike({ ports: Match.anyValue() })))).toEqual(['gateway']);
  });

  it('routes its UIs for the operators only, behind sign-in', () => {
    const route = assembly.file('mini/traefik/dynamic/route-mlflow.yml');
    expect(route).toContain('Host(`mlflow.mini.example.com`)');
    expect(route).toContain('198.51.100.0/28');
    expect(route).toMatch(/forwardAuth:/);
  });

  it('draws the architecture by default', () => {
    expect(assembly.file('mini/architecture.svg')).toContain('<svg');
  });
});

describe('Z8 policy decision point', () => {
  it('is a stated gap until added, then built in with fail-closed packages', async () => {
    const { OpaPolicy } = await import('../../lib');
    const app = Testing.app();
    const lab = new MlopsSecurityLab(app, 'pdp', { domain: 'pdp.example.com', publicAddress: '192.0.2.8', operators: ['198.51.100.0/28'] });
    const before = JSON.parse(Testing.synth(app).file('pdp/posture/report.json'));
    const k09 = (r: { zones: { controls: { id: string }[] }[] }) => r.zones.flatMap((z) => z.controls).filter((c) => c.id === 'Z8-K09');
    expect(k09(before)).toEqual([expect.objectContaining({ status: 'gap' })]);
    const opa = lab.security.addPolicyDecisionPoint(OpaPolicy.registryDownload({ package: 'z5.registry.download' }));
    opa.grantQuery(lab.factory.mlflow, { packages: ['z5.registry.download'] });
    const after = Testing.synth(app);
    expect(k09(JSON.parse(after.file('pdp/posture/report.json')))).toEqual([expect.objectContaining({ status: 'built-in' })]);
    expect(after.file('pdp/opa/bundle/z5/registry/download/policy.rego')).toMatch(/^default allow := false$/m);
  });
});

describe('Z9 observe()', () => {
  it('gives a workload the flow to the collector, a client certificate and the OTLP variables', () => {
    const app = Testing.app();
    const lab = new MlopsSecurityLab(app, 'obs', { domain: 'obs.example.com', publicAddress: '192.0.2.9', operators: ['198.51.100.0/28'] });
    lab.observability.observe(lab.factory.mlflow);
    const compose = ComposeTemplate.fromAssembly(Testing.synth(app), 'obs');
    const mlflow = compose.service('mlflow');
    expect(mlflow['x-mlsec'].flows).toContainEqual({ to: 'otel-collector', port: 4318 });
    expect(mlflow.environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('https://otel-collector:4318');
  });
});
