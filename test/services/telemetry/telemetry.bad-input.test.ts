/** Bad inputs of the Z9 constructs: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { OtelCollector } from '../../../lib/services/telemetry/otel-collector';
import { expectClearError } from '../../property/support';
import { telemetryLab, TelemetryLabOptions } from './support';

function rejects(options: TelemetryLabOptions, path: string, prop: string | RegExp, allowed?: string | RegExp) {
  return expectClearError(() => Testing.synth(telemetryLab(options).app), { paths: [path], prop, allowed });
}

describe('Z9 telemetry bad input', () => {
  it('accepts the valid baselines (so each case below fails for its own reason)', () => {
    expect(() => Testing.synth(telemetryLab().app)).not.toThrow();
    expect(() => Testing.synth(telemetryLab({ grafana: true }).app)).not.toThrow();
  });

  it.each([[30], [364], [1096], [365.5], ['365']])('LokiServer refuses retentionDays %j (Z9-K06: 12 to 36 months)', (retentionDays) => {
    rejects({ loki: { retentionDays: retentionDays as number } }, 'lab/loki', "prop 'retentionDays'", /from 365 to 1095/);
  });

  it.each([['Platform'], ['a b'], ['-x'], [''], ['x'.repeat(41)], ['t"}'], [7]])('LokiServer refuses the tenant %j', (tenant) => {
    rejects({ loki: { tenant: tenant as string } }, 'lab/loki', "prop 'tenant'", /lower-case letters, digits/);
  });

  it.each([[0], [65], [2.5]])('LokiServer refuses ingestionRateMiB %j', (ingestionRateMiB) => {
    rejects({ loki: { ingestionRateMiB } }, 'lab/loki', "prop 'ingestionRateMiB'", /from 1 to 64/);
  });

  it.each([[0], [65], [1.5]])('OtelCollector refuses maxRequestMiB %j', (maxRequestMiB) => {
    rejects({ collector: { maxRequestMiB } }, 'lab/otel-collector', "prop 'maxRequestMiB'", /from 1 to 64/);
  });

  it('OtelCollector refuses a missing or wrong loki', () => {
    const lab = telemetryLab();
    new OtelCollector(lab.vps, 'second', { loki: 'loki' as never });
    expectClearError(() => Testing.synth(lab.app), { paths: ['lab/second'], prop: "prop 'loki'", allowed: /LokiServer/ });
  });

  it('acceptFrom refuses an unknown protocol', () => {
    rejects({ protocol: 'udp' as never }, 'lab/otel-collector', "prop 'protocol'", /'grpc' or 'http\/protobuf'/);
  });

  it.each([['Grafana.lab.example.com'], ['grafana lab'], ['https://grafana.lab.example.com'], [''], [undefined]])('GrafanaServer refuses the host %j', (host) => {
    rejects({ grafana: true, grafanaProps: { host: host as string } }, 'lab/grafana', "prop 'host'", /DNS name/);
  });

  it.each([[{ admin: [], editor: [], viewer: [] }], [{ admin: ['Admin'], editor: [], viewer: [] }], [{ admin: ["x') || 'Admin"], editor: [], viewer: [] }], [{ admin: 'admin', editor: [], viewer: [] }]])('GrafanaServer refuses the role mapping %j', (roles) => {
    rejects({ grafana: true, grafanaProps: { roles: roles as never } }, 'lab/grafana', /prop 'roles/, /realm role/);
  });

  it('GrafanaServer refuses a realm role mapped to two Grafana roles', () => {
    rejects({ grafana: true, grafanaProps: { roles: { admin: ['admin'], editor: [], viewer: ['admin'] } } }, 'lab/grafana', "prop 'roles'", /one level/);
  });

  it.each([[0], [4], [481]])('GrafanaServer refuses sessionIdleMinutes %j', (sessionIdleMinutes) => {
    rejects({ grafana: true, grafanaProps: { sessionIdleMinutes } }, 'lab/grafana', "prop 'sessionIdleMinutes'", /from 5 to 480/);
  });

  it.each([['http://auth.lab.example.com/realms/lab'], ['https://auth.lab.example.com/admin'], ['auth.lab.example.com/realms/lab'], [undefined]])('GrafanaServer refuses the issuer URL %j', (issuerUrl) => {
    rejects({ grafana: true, oidc: { issuerUrl: issuerUrl as string } }, 'lab/grafana', "prop 'oidc.issuerUrl'", /https issuer URL/);
  });

  it.each([['Grafana'], ['graf ana'], [''], [undefined]])('GrafanaServer refuses the client id %j', (clientId) => {
    rejects({ grafana: true, oidc: { clientId: clientId as string } }, 'lab/grafana', "prop 'oidc.clientId'", /client id/);
  });

  it('GrafanaServer refuses a missing vault, loki or client secret', () => {
    for (const [prop, value] of [['vault', undefined], ['loki', undefined]] as const) {
      rejects({ grafana: true, grafanaProps: { [prop]: value } as never }, 'lab/grafana', `prop '${prop}'`);
    }
    rejects({ grafana: true, oidc: { clientSecret: 'secret' as never } }, 'lab/grafana', "prop 'oidc.clientSecret'", /VaultKvSecret/);
    rejects({ grafana: true, oidc: { idp: undefined as never } }, 'lab/grafana', "prop 'oidc.idp'", /Workload/);
  });
});

