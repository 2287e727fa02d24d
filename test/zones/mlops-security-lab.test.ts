/**
 * MlopsSecurityLab with its defaults: the whole platform from three props, safe with nothing
 * else — no source means no connector, no LLM options means no egress network at all.
 */
import { describe, expect, it } from 'vitest';
import { ComposeTemplate, Match, MlopsSecurityLab, MlopsSecurityLabProps, Testing, ThresholdProfile } from '../../lib';

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

describe('Z1 malware scan (Z1-K09)', () => {
  const SOURCE = {
    name: 'transactions', owner: 'payments-data@bank.example', classification: 'confidential' as const, purpose: 'card transactions from partner banks, for fraud scoring',
    identity: 'partner-a', contract: { fields: { id: { type: 'string' as const } } },
  };
  const build = (props: Partial<MlopsSecurityLabProps> = {}) => {
    const app = Testing.app();
    const lab = new MlopsSecurityLab(app, 'scan', { domain: 'scan.example.com', publicAddress: '192.0.2.10', operators: ['198.51.100.0/28'], sources: [SOURCE], ...props });
    const assembly = Testing.synth(app);
    const k09 = JSON.parse(assembly.file('scan/posture/report.json')).zones.flatMap((z: { controls: object[] }) => z.controls).find((c: { id: string }) => c.id === 'Z1-K09');
    return { lab, assembly, compose: ComposeTemplate.fromAssembly(assembly, 'scan').toJSON() as any, k09 };
  };

  it('is on by default: clamd and the scan service in Z1, every promote job their client, the control built in', () => {
    const { lab, assembly, compose, k09 } = build();
    expect(lab.ingestion.malwareScan?.scanner.node.path).toBe('scan/Z1/clamav');
    expect(compose.services['scan-service']['x-mlsec'].flows).toEqual([{ to: 'clamav', port: 3310 }]);
    expect(compose.services['promote-transactions']['x-mlsec'].flows).toContainEqual({ to: 'scan-service', port: 8443 });
    expect(JSON.parse(assembly.file('scan/scan-service/scan-service.json')).allowedClients).toEqual(['spiffe://scan/ns/z1/sa/promote-transactions']);
    expect(assembly.file('scan/promote-transactions/benthos.yaml')).toContain('url: https://scan-service:8443/scan');
    expect(k09).toMatchObject({ status: 'built-in' });
    expect(k09.builtBy).toMatch(/^MalwareScanService in front of ClamavScanner \(limits: depth 3, 200 MiB, 1000 files, 30 s\)/);
  });

  it('is off only with a reason, which the report prints as the gap; the promote job then checks the hash alone', () => {
    const reason = 'sources are JSON records from partner banks only (exempt per Z1-2.5); clamd memory reserved for model serving';
    const { lab, assembly, compose, k09 } = build({ malwareScan: { enabled: false, reason } });
    expect(lab.ingestion.malwareScan).toBeUndefined();
    expect(compose.services.clamav).toBeUndefined();
    expect(compose.services['scan-service']).toBeUndefined();
    expect(assembly.file('scan/promote-transactions/benthos.yaml')).not.toContain('scan-service');
    expect(k09).toMatchObject({ status: 'gap', gap: `turned off: ${reason}` });
    expect(assembly.file('scan/posture/report.md')).toContain(`turned off: ${reason}`);
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

describe('Z9 telemetry (Z9-K02)', () => {
  it('scrapes Vault and the gateway, and names the alert rules no scraped series can fire', () => {
    const app = Testing.app();
    const lab = new MlopsSecurityLab(app, 'tel', { domain: 'tel.example.com', publicAddress: '192.0.2.10', operators: ['198.51.100.0/28'] });
    const report = JSON.parse(Testing.synth(app).file('tel/posture/report.json'));
    const k02 = report.zones.flatMap((z: { controls: { id: string }[] }) => z.controls).find((c: { id: string }) => c.id === 'Z9-K02');
    expect(k02.status).toBe('gap');
    expect(k02.gap).toMatch(/^Vault and the gateway are scraped;/); // no source: no connector to scrape
    const dormant = lab.observability.prometheus.dormantRules().map((r) => r.alert);
    for (const live of ['VaultSealed', 'ErrorBudgetBurnFast', 'ApiBurstWithLimitRejects', 'LatencyP95Tabular', 'CertificateExpiringSoon', 'ScrapeTargetDown']) {
      expect(dormant, live).not.toContain(live);
      expect(k02.gap).not.toContain(`${live} (`);
    }
    expect(k02.gap).toContain(`${dormant.length} alert rules cannot fire here`);
    expect(k02.gap).toContain('OpaDenyBurst (opa_denies_total{policy})'); // no scored API scraped here
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
