/** PrometheusServer and AlertmanagerServer: what they render, asserted explicitly, plus snapshots. */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { ALERT_THRESHOLDS_BANK_DEFAULT } from '../../../lib/services/metrics/alert-thresholds';
import { securityRuleGroups } from '../../../lib/services/metrics/alert-rules-document';
import { ALERT_SEVERITIES } from '../../../lib/services/metrics/security-alert-rule';
import { metricsLab } from './metrics-fixture';

function synth(options: Parameters<typeof metricsLab>[0] = {}) {
  const lab = metricsLab(options);
  const assembly = Testing.synth(lab.app);
  const file = (rel: string) => assembly.file(`lab/${rel}`);
  return { lab, assembly, file, yaml: (rel: string) => parse(file(rel)), compose: parse(file('docker-compose.yml')) };
}

describe('PrometheusServer', () => {
  const { lab, file, yaml, compose } = synth();
  const svc = compose.services.prometheus;

  it('runs hardened as nobody with bounded retention and none of the dangerous APIs', () => {
    expect(svc.image).toBe('prom/prometheus:v3.16.0');
    expect(svc.user).toBe('65534:65534');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.ports).toBeUndefined();
    expect(svc.command).toContain('--storage.tsdb.retention.time=15d');
    expect(svc.command).toContain('--storage.tsdb.retention.size=8GB');
    expect(svc.command).toContain('--web.config.file=/etc/prometheus/web.yml');
    for (const flag of ['admin-api', 'lifecycle', 'remote-write-receiver', 'otlp-receiver', 'enable-feature']) {
      expect(svc.command.join(' ')).not.toContain(flag);
    }
    expect(svc.environment ?? {}).toEqual({});
    expect(svc.healthcheck.test).toEqual(['CMD', '/bin/promtool', 'check', 'healthy', '--url=https://127.0.0.1:9090', '--http.config.file=/etc/prometheus/probe.yml']);
  });

  it('serves HTTPS only, TLS 1.2+, requiring a client certificate of an admitted service', () => {
    const web = yaml('prometheus/web.yml');
    expect(web.tls_server_config).toMatchObject({
      cert_file: '/run/vault/vault-tls.crt', key_file: '/run/vault/vault-tls.key', client_ca_file: '/run/secrets/ca.crt',
      client_auth_type: 'RequireAndVerifyClientCert', min_version: 'TLS12', client_allowed_sans: ['grafana', 'prometheus'],
    });
    expect(web.tls_server_config.cipher_suites.every((s: string) => /_GCM_|CHACHA20/.test(s) && s.startsWith('TLS_ECDHE_'))).toBe(true);
    expect(web.basic_auth_users).toBeUndefined();
    expect(web.http_server_config.headers['X-Frame-Options']).toBe('deny');
  });

  it('scrapes every target over verified HTTPS with its client certificate, target labels winning, limits set', () => {
    const config = yaml('prometheus/prometheus.yml');
    const jobs = Object.fromEntries(config.scrape_configs.map((j: any) => [j.job_name, j]));
    expect(Object.keys(jobs)).toEqual(['alertmanager', 'ingest-exporter', 'prometheus', 'vault']);
    for (const j of Object.values<any>(jobs)) {
      expect(j.scheme).toBe('https');
      expect(j.honor_labels).toBe(false);
      expect(j.tls_config).toMatchObject({ ca_file: '/run/secrets/ca.crt', cert_file: '/run/vault/vault-tls.crt', key_file: '/run/vault/vault-tls.key', insecure_skip_verify: false, min_version: 'TLS12' });
      expect(j.sample_limit).toBeGreaterThan(0);
      expect(j.body_size_limit).toBe('16MB');
    }
    expect(jobs['ingest-exporter'].static_configs).toEqual([{ targets: ['ingest-exporter:9443'], labels: { zone: 'z1' } }]);
    expect(jobs['ingest-exporter'].tls_config.server_name).toBe('ingest-exporter');
    expect(jobs.prometheus.static_configs[0].targets).toEqual(['127.0.0.1:9090']);
    expect(jobs.prometheus.tls_config.server_name).toBe('prometheus');
    for (const j of ['alertmanager', 'ingest-exporter', 'prometheus']) expect(jobs[j].authorization).toBeUndefined();
    expect(config.alerting.alertmanagers).toEqual([expect.objectContaining({ scheme: 'https', api_version: 'v2', static_configs: [{ targets: ['alertmanager:9093'] }] })]);
    expect(config.alerting.alertmanagers[0].tls_config.server_name).toBe('alertmanager');
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/security.rules.yml']);
  });

  it('scrapes Vault\'s telemetry with a token of its own whose policy reads sys/metrics and nothing else new', () => {
    const jobs = Object.fromEntries(yaml('prometheus/prometheus.yml').scrape_configs.map((j: any) => [j.job_name, j]));
    expect(jobs.vault).toMatchObject({
      scheme: 'https', metrics_path: '/v1/sys/metrics', params: { format: ['prometheus'] }, scrape_interval: '5s',
      authorization: { type: 'Bearer', credentials_file: '/run/vault/token' },
      static_configs: [{ targets: ['vault:8200'], labels: { component: 'vault', zone: 'z8' } }],
    });
    expect(jobs.vault.tls_config).toMatchObject({ server_name: 'vault', cert_file: '/run/vault/vault-tls.crt', insecure_skip_verify: false });
    // The token is the agent's own, renewed by it; the policy gains one read rule.
    expect(file('vault/agent/prometheus/agent.hcl')).toMatch(/sink "file" \{\s*config \{\s*path = "\/run\/vault\/token"\s*mode = 256/);
    const rules = [...file('vault/policies/prometheus.hcl').matchAll(/path "([^"]+)" \{\s*capabilities = (\[[^\]]*\])/g)].map((m) => [m[1], m[2]]);
    expect(rules).toEqual([['pki_int/issue/prometheus', '["update"]'], ['sys/metrics', '["read"]']]);
    // Vault's listener keeps its metrics behind a token.
    expect(file('vault/vault.hcl')).toMatch(/unauthenticated_metrics_access = false/);
  });

  it('tells the rules its targets can fire from the dormant ones, naming the series nothing serves', () => {
    const dormant = Object.fromEntries(lab.prometheus.dormantRules().map((r) => [r.alert, r.missing]));
    // Served here: Vault (scrapeVault), Alertmanager, the exporter's object-lock gauge.
    for (const live of ['VaultSealed', 'AlertNotificationsFailing', 'ObjectLockDisabled', 'ScrapeTargetDown']) expect(dormant[live], live).toBeUndefined();
    expect(dormant.OpaDenyBurst).toEqual(['opa_denies_total{policy}']);
    expect(dormant.ErrorBudgetBurnFast).toEqual(['traefik_service_requests_total{service,code}']);
    expect(dormant.IngestUnauthorizedClients).toEqual(['ingest_records_total{source,result,reason}']);
    expect(dormant.IngestMalwareDetected).toEqual(['av_scans_total{client,result}']); // the scan service is not scraped here
    // Nothing of this is rendered: prometheus.yml is what Prometheus reads.
    expect(file('prometheus/prometheus.yml')).not.toMatch(/provides|s3_object_lock/);
  });

  it('alerts on a sealed Vault by the failed scrape of component="vault", not only by the gauge', () => {
    const rules = yaml('prometheus/rules/security.rules.yml').groups.flatMap((g: any) => g.rules);
    const sealed = rules.find((r: any) => r.alert === 'VaultSealed');
    expect(sealed.expr).toBe('min by (instance) (vault_core_unsealed{cluster!=""}) == 0 or max by (instance) (up{component="vault"}) == 0');
    const t = yaml('prometheus/rules/security.rules.test.yml');
    const quiet = t.tests.find((c: any) => c.name === 'VaultSealed stays quiet');
    // Right after an unseal Vault still reports its sealed-time gauge (0, cluster=""): no alert.
    expect(quiet.input_series).toContainEqual({ series: 'vault_core_unsealed{cluster="",instance="vault:8200",job="vault"}', values: '0x15' });
    expect(t.tests.find((c: any) => c.name === 'VaultSealed fires').input_series[0].series).toMatch(/^up\{component="vault"/);
  });

  it('declares the flows it needs and no other: to its targets and Alertmanager, from its admitted clients', () => {
    expect(svc['x-mlsec'].flows).toEqual([{ port: 9093, to: 'alertmanager' }, { port: 9443, to: 'ingest-exporter' }, { port: 8200, to: 'vault' }]);
    expect(compose.services.grafana['x-mlsec'].flows).toContainEqual({ port: 9090, to: 'prometheus' });
  });

  it('gets its certificate from Vault, and nothing secret reaches synth-out', () => {
    expect(file('vault/policies/prometheus.hcl')).toMatch(/path "pki_int\/issue\/prometheus"/);
    expect(file('vault/agent/prometheus/vault-tls.crt.ctmpl')).toMatch(/pkiCert "pki_int\/issue\/prometheus"/);
    for (const rel of ['prometheus/prometheus.yml', 'prometheus/web.yml', 'alertmanager/alertmanager.yml']) {
      expect(file(rel)).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|password|bearer_token:|credentials:/i);
    }
  });

  it('renders one rule per catalog entry, each with its control id, severity and signal', () => {
    const rules = yaml('prometheus/rules/security.rules.yml').groups.flatMap((g: any) => g.rules);
    const catalog = securityRuleGroups(ALERT_THRESHOLDS_BANK_DEFAULT).flatMap((g) => g.rules);
    expect(rules.map((r: any) => r.alert)).toEqual(catalog.map((r) => r.alert));
    expect(rules.length).toBeGreaterThanOrEqual(20);
    for (const r of rules) {
      expect(r.labels.control).toMatch(/^(Z\d-K\d\d|INV-\d\d)$/);
      expect(ALERT_SEVERITIES).toContain(r.labels.severity);
      expect(r.labels.signal).toMatch(/^[a-z-]+$/);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
    }
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
    expect(byName.VaultSealed.labels).toMatchObject({ severity: 'S1', control: 'Z8-K01' });
    expect(byName.OpaDenyBurst.expr).toBe('sum by (policy) (increase(opa_denies_total[10m])) > 100');
    expect(byName.IngestRejectRatioHigh.expr).toMatch(/> 0\.01$/);
    // Refused senders count for IngestUnauthorizedClients only, never as the source's own rejects.
    for (const ratio of [byName.IngestRejectRatioHigh, byName.IngestBatchRejected]) {
      expect(ratio.expr).toContain('rate(ingest_records_total{result="rejected",reason!="UNAUTHORIZED_CLIENT"}');
      expect(ratio.expr).toContain('rate(ingest_records_total{reason!="UNAUTHORIZED_CLIENT"}');
    }
    expect(byName.IngestUnauthorizedClients.expr).toContain('ingest_records_total{result="rejected",reason="UNAUTHORIZED_CLIENT"}');
    expect(byName.AvRejectRatioHigh.expr).toMatch(/\[1h\].*> 0\.005$/);
    expect(byName.ErrorBudgetBurnFast.expr).toContain('(14 * 0.001)');
    expect(byName.ErrorBudgetBurnSlow.expr).toContain('(6 * 0.001)');
    expect(byName.LatencyP95Tabular.expr).toMatch(/service!~"llm-gateway@file".*> 0\.25$/);
    expect(byName.LatencyP95Llm.expr).toMatch(/service=~"llm-gateway@file".*> 0\.8$/);
    expect(byName.OpaBundleStale.expr).toMatch(/> 86400$/);
    expect(byName.CertificateExpiringSoon.expr).toBe('max by (sans) (traefik_tls_certs_not_after{sans=~".*[.].*"}) - time() < 30 * 86400');
    expect(byName.MinioAuthFailures.labels.control).toBe('Z2-K10');
    expect(byName.DatasetStale.expr).toMatch(/> 900$/);
    // 429 and 413 are the gateway middlewares' own answers: counted per router, never per service.
    expect(byName.ApiBurstWithLimitRejects.expr).toContain('increase(traefik_router_requests_total{code=~"429|413"}[10m])');
    expect(byName.ApiBurstWithLimitRejects.expr).not.toContain('traefik_service_requests_total');
  });

  it('ships a promtool test file with a firing and a quiet case per rule', () => {
    const t = yaml('prometheus/rules/security.rules.test.yml');
    const rules = yaml('prometheus/rules/security.rules.yml').groups.flatMap((g: any) => g.rules);
    expect(t.rule_files).toEqual(['security.rules.yml']);
    expect(t.tests).toHaveLength(rules.length * 2);
    for (const r of rules) {
      const fires = t.tests.find((c: any) => c.name === `${r.alert} fires`);
      expect(fires.alert_rule_test[0].exp_alerts[0].exp_labels).toMatchObject(r.labels);
      expect(t.tests.find((c: any) => c.name === `${r.alert} stays quiet`).alert_rule_test[0].exp_alerts).toEqual([]);
    }
  });

  it('follows a thresholds profile', () => {
    const custom = synth({ thresholds: { availability: 0.995, denyBurstPer10m: 50, llmServices: ['chat@file', 'rag.v2@file'] } });
    const rules = custom.yaml('prometheus/rules/security.rules.yml').groups.flatMap((g: any) => g.rules);
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
    expect(byName.ErrorBudgetBurnFast.expr).toContain('(14 * 0.005)');
    expect(byName.WafBlockBurst.expr).toMatch(/> 50$/);
    expect(byName.LatencyP95Llm.expr).toContain('service=~"chat@file|rag\\\\.v2@file"');
  });

  it('is deterministic', () => {
    expect(synth().file('prometheus/prometheus.yml')).toBe(file('prometheus/prometheus.yml'));
    expect(synth().file('prometheus/rules/security.rules.test.yml')).toBe(file('prometheus/rules/security.rules.test.yml'));
  });

  it('matches the snapshots', () => {
    expect(file('prometheus/prometheus.yml')).toMatchSnapshot();
    expect(file('prometheus/web.yml')).toMatchSnapshot();
    expect(file('prometheus/rules/security.rules.yml')).toMatchSnapshot();
  });
});

describe('AlertmanagerServer', () => {
  const { file, yaml, compose } = synth();
  const svc = compose.services.alertmanager;
  const config = yaml('alertmanager/alertmanager.yml');

  it('runs hardened, single node (no gossip listener), HTTPS with client certificates', () => {
    expect(svc.image).toBe('prom/alertmanager:v0.35.0');
    expect(svc.user).toBe('65534:65534');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.command).toContain('--cluster.listen-address=');
    expect(svc.command).toContain('--web.config.file=/etc/alertmanager/web.yml');
    const web = yaml('alertmanager/web.yml');
    expect(web.tls_server_config).toMatchObject({ client_auth_type: 'RequireAndVerifyClientCert', min_version: 'TLS12', client_allowed_sans: ['alertmanager', 'prometheus'] });
  });

  it('routes each severity with its Z9-K09 timing to every receiver that takes it', () => {
    const routes = Object.fromEntries(config.route.routes.map((r: any) => [r.matchers[0], r]));
    expect(Object.keys(routes)).toEqual(['severity="S1"', 'severity="S2"', 'severity="S3"', 'severity="S4"']);
    expect(routes['severity="S1"']).toMatchObject({ group_wait: '10s', repeat_interval: '15m' });
    expect(routes['severity="S1"'].routes).toEqual([{ receiver: 'soar', continue: true }, { receiver: 'oncall' }]);
    expect(routes['severity="S3"']).toMatchObject({ receiver: 'oncall' });
    expect(routes['severity="S3"'].routes).toBeUndefined();
    expect(routes['severity="S4"'].active_time_intervals).toEqual(['business-hours']);
    expect(config.time_intervals[0].time_intervals[0].weekdays).toEqual(['monday:friday']);
  });

  it('inhibits lower severities of the same signal and subject only', () => {
    expect(config.inhibit_rules).toHaveLength(3);
    expect(config.inhibit_rules[0]).toEqual({ source_matchers: ['severity="S1"'], target_matchers: ['severity=~"S2|S3|S4"'], equal: ['signal', 'service', 'source', 'dataset', 'instance'] });
  });

  it('sends webhooks over verified mTLS with a bearer token read from a Vault-rendered file', () => {
    const soar = config.receivers.find((r: any) => r.name === 'soar').webhook_configs[0];
    expect(soar.url).toBe('https://soar:8443/hooks/alertmanager');
    expect(soar.http_config.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/vault/webhook-soar-token' });
    expect(soar.http_config.tls_config).toMatchObject({ server_name: 'soar', insecure_skip_verify: false, cert_file: '/run/vault/vault-tls.crt' });
    expect(soar.http_config.follow_redirects).toBe(false);
    expect(file('vault/agent/alertmanager/webhook-soar-token.ctmpl')).toContain('kv/data/lab/core/alertmanager/webhook-soar');
    // The receiver checks the same token, from its own agent.
    expect(file('vault/agent/soar/alertmanager-webhook-token.ctmpl')).toContain('kv/data/lab/core/alertmanager/webhook-soar');
    expect(compose.services.soar.environment.ALERTMANAGER_WEBHOOK_TOKEN_FILE).toBe('/run/vault/alertmanager-webhook-token');
    expect(file('vault/policies/oncall.hcl')).not.toContain('webhook-soar');
    expect(svc['x-mlsec'].flows).toEqual([{ port: 8443, to: 'soar' }, { port: 8443, to: 'oncall' }]);
  });

  it('matches the snapshot', () => {
    expect(file('alertmanager/alertmanager.yml')).toMatchSnapshot();
  });
});
