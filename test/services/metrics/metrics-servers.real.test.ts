/**
 * The generated metrics stack on the real tools, built from source: promtool and amtool check the
 * generated files and run the generated rule unit tests; then a real OpenBao runs the generated
 * Vault bootstrap, the generated agents render each workload's certificate and webhook token, and
 * a real Prometheus v3.16.0 and Alertmanager v0.35.0 start with the generated command lines and
 * configs. Overridden only what a test host must: listen addresses and the peers' addresses (free
 * loopback ports; every tls_config keeps verifying the peer's service name through server_name),
 * and container paths (/run/vault, /run/secrets, /etc/<tool>, the data directories), each listed
 * in `overrides`. Stand-ins only for what is outside the product under test: an exporter (the
 * scraped workload) and the SOAR / on-call webhook runners, each a Node HTTPS server that
 * requires a client certificate from the lab CA.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { freePorts } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { stopAll } from '../../support/real-servers/process-registry';
import { ClientTls, httpsRequest } from '../../support/real-servers/https-request';
import { amtool, MtlsStandIn, prometheusBinaries, promtool, RunningMetricsServer, startMetricsServer, startMtlsStandIn } from '../../support/real-servers/prometheus';
import { metricsLab } from './metrics-fixture';

let work: string;
let host: GeneratedHost;
let vault: GeneratedVault | undefined;
const rendered: Record<string, string> = {};
const ports: Record<string, number> = {};
let prometheus: RunningMetricsServer;
let alertmanager: RunningMetricsServer;
let exporter: MtlsStandIn;
const webhooks: Record<string, MtlsStandIn> = {};
const overrides: string[] = [];

/** The lab CA bundle every container trusts. */
const ca = () => fs.readFileSync(deliveredPath(host, 'prometheus', 'ca.crt'));
/** The Vault-issued identity of `service`, as its agent rendered it. */
const identity = (service: string): ClientTls & { cert: Buffer; key: Buffer } => ({
  ca: ca(), cert: fs.readFileSync(path.join(rendered[service], 'vault-tls.crt')), key: fs.readFileSync(path.join(rendered[service], 'vault-tls.key')),
});

/** Replaces `from` by `to` in `text` (it must occur), recording the change. */
function swap(text: string, from: string, to: string, where: string): string {
  if (!text.includes(from)) throw new Error(`${where} does not contain ${from}`);
  overrides.push(`${where}: ${from} → ${to}`);
  return text.split(from).join(to);
}

/**
 * Writes `service`'s generated files (below `<service>/`) into a config dir with container paths
 * re-rooted and `addresses` (generated → loopback) swapped; returns the dir.
 */
function configDir(service: string, addresses: Record<string, string>): string {
  const dir = path.join(work, `${service}-config`);
  for (const [rel, text] of Object.entries(host.files).filter(([rel]) => rel.startsWith(`${service}/`))) {
    let out = text;
    if (out.includes('/run/vault/')) out = swap(out, '/run/vault/', `${rendered[service]}/`, rel);
    if (out.includes('/run/secrets/')) out = swap(out, '/run/secrets/', `${path.dirname(deliveredPath(host, service, 'x'))}/`, rel);
    if (out.includes(`/etc/${service}/`)) out = swap(out, `/etc/${service}/`, `${dir}/`, rel);
    for (const [from, to] of Object.entries(addresses)) if (out.includes(from)) out = swap(out, from, to, rel);
    const target = path.join(dir, rel.slice(service.length + 1));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, out);
  }
  return dir;
}

/** The compose command of `service`, re-rooted. */
function command(service: string, configRoot: string, dir: string, swaps: Record<string, string>): string[] {
  const argv: string[] = parse(host.files['docker-compose.yml']).services[service].command;
  return argv.map((a) => {
    let out = a.split(`${configRoot}/`).join(`${dir}/`);
    for (const [from, to] of Object.entries(swaps)) if (out === from) out = to;
    if (out !== a) overrides.push(`${service} command: ${a} → ${out}`);
    return out;
  });
}

beforeAll(async () => {
  const bin = prometheusBinaries(); // throws, naming tools/install-prometheus.sh, when missing
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-metrics-real-'));
  fs.chmodSync(work, 0o755);
  const lab = metricsLab({ app: Testing.app({ outdir: path.join(work, 'synth-out'), secretsDir: path.join(work, 'secrets') }) });
  const assembly = Testing.synth(lab.app); // posture enforced
  SecretsBootstrap.run(lab.app, { secretsDir: path.join(work, 'secrets'), chown: false });
  host = { files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir: path.join(work, 'secrets'), vps: 'lab' };
  vault = await startGeneratedVault(host, 'vault');
  for (const service of ['prometheus', 'alertmanager', 'soar', 'oncall', 'ingest-exporter', 'grafana']) rendered[service] = await renderAgentFiles(host, vault, service);

  exporter = await startMtlsStandIn(identity('ingest-exporter'), (p) => (p === '/metrics'
    ? { status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: '# TYPE s3_object_lock_enabled gauge\ns3_object_lock_enabled{bucket="raw"} 0\ns3_object_lock_enabled{bucket="evidence"} 1\n' }
    : { status: 404, type: 'text/plain', body: 'not found' }));
  for (const service of ['soar', 'oncall']) webhooks[service] = await startMtlsStandIn(identity(service));
  [ports.prometheus, ports.alertmanager] = await freePorts(2);

  const amDir = configDir('alertmanager', { 'https://soar:8443/': `https://127.0.0.1:${webhooks.soar.port}/`, 'https://oncall:8443/': `https://127.0.0.1:${webhooks.oncall.port}/` });
  fs.mkdirSync(path.join(work, 'am-data'));
  alertmanager = await startMetricsServer('alertmanager', command('alertmanager', '/etc/alertmanager', amDir, {
    [`--web.listen-address=:9093`]: `--web.listen-address=127.0.0.1:${ports.alertmanager}`, '--storage.path=/alertmanager': `--storage.path=${work}/am-data`,
  }), ports.alertmanager, 'alertmanager', identity('alertmanager'));

  const promDir = configDir('prometheus', {
    'alertmanager:9093': `127.0.0.1:${ports.alertmanager}`, 'ingest-exporter:9443': `127.0.0.1:${exporter.port}`, '127.0.0.1:9090': `127.0.0.1:${ports.prometheus}`,
    'vault:8200': `127.0.0.1:${vault.bao.apiPort}`,
  });
  fs.mkdirSync(path.join(work, 'prom-data'));
  prometheus = await startMetricsServer('prometheus', command('prometheus', '/etc/prometheus', promDir, {
    [`--web.listen-address=:9090`]: `--web.listen-address=127.0.0.1:${ports.prometheus}`, '--storage.tsdb.path=/prometheus': `--storage.tsdb.path=${work}/prom-data`,
  }), ports.prometheus, 'prometheus', identity('prometheus'));
  expect(bin.prometheus).toBeTruthy();
}, 300_000);

afterAll(async () => {
  try {
    await prometheus?.stop();
    await alertmanager?.stop();
    await exporter?.stop();
    for (const w of Object.values(webhooks)) await w.stop();
    await vault?.bao.stop();
    await stopAll();
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

/** Polls `check` every second until it returns a value, or fails after `seconds` with `explain()`. */
async function eventually<T>(seconds: number, check: () => Promise<T | undefined>, explain: () => string): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${seconds} s: ${explain()}\n--- overrides ---\n${overrides.join('\n')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A plain-HTTP GET to a loopback port. */
const plainGet = (port: number, urlPath: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 10_000 }, (res) => {
    let text = '';
    res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
  }).once('error', reject);
});

const api = async (who: string, urlPath: string, method = 'GET', body?: string) => httpsRequest(ports.prometheus, 'prometheus', urlPath, identity(who), method, body);

describe('the generated files on promtool and amtool', () => {
  it('promtool accepts prometheus.yml (syntax as generated, and fully once re-rooted), the rules and the web config', () => {
    const raw = path.join(work, 'raw-prometheus.yml');
    fs.writeFileSync(raw, host.files['prometheus/prometheus.yml']);
    const syntax = promtool(['check', 'config', '--syntax-only', raw], work);
    expect(syntax.status, syntax.stdout + syntax.stderr).toBe(0);
    const dir = path.join(work, 'prometheus-config');
    const full = promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(full.status, full.stdout + full.stderr).toBe(0);
    expect(full.stdout).toMatch(/SUCCESS: 23 rules found/);
    const web = promtool(['check', 'web-config', 'web.yml'], dir);
    expect(web.status, web.stdout + web.stderr).toBe(0);
  });

  it('promtool test rules: every rule fires on its synthetic series and stays quiet on healthy ones', () => {
    const r = promtool(['test', 'rules', 'security.rules.test.yml'], path.join(work, 'prometheus-config', 'rules'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  }, 180_000);

  it('promtool test rules passes for another thresholds profile too (the tests follow the profile)', () => {
    const custom = metricsLab({ app: Testing.app(), thresholds: { availability: 0.95, ingestRejectRatio: 0.2, avRejectRatio: 0.0001, denyBurstPer10m: 7, opaBundleMaxAgeSeconds: 3600, certificateExpiryDays: 7, datasetFreshnessSeconds: 60, p95TabularSeconds: 0.05, llmServices: ['chat@file', 'rag.v2@file'] } });
    const a = Testing.synth(custom.app);
    const dir = fs.mkdtempSync(path.join(work, 'custom-rules-'));
    fs.writeFileSync(path.join(dir, 'security.rules.yml'), a.file('lab/prometheus/rules/security.rules.yml'));
    fs.writeFileSync(path.join(dir, 'security.rules.test.yml'), a.file('lab/prometheus/rules/security.rules.test.yml'));
    const r = promtool(['test', 'rules', 'security.rules.test.yml'], dir);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 180_000);

  it('amtool accepts alertmanager.yml as generated', () => {
    const raw = path.join(work, 'raw-alertmanager.yml');
    fs.writeFileSync(raw, host.files['alertmanager/alertmanager.yml']);
    const r = amtool(['check-config', raw], work);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
    expect(r.stdout).toMatch(/2 receivers/);
  });

  it('amtool resolves each severity to its receivers (S1/S2 → SOAR and on-call, S3/S4 → on-call only)', () => {
    const raw = path.join(work, 'raw-alertmanager.yml');
    fs.writeFileSync(raw, host.files['alertmanager/alertmanager.yml']);
    for (const [severity, receivers] of [['S1', 'soar,oncall'], ['S2', 'soar,oncall'], ['S3', 'oncall'], ['S4', 'oncall']]) {
      const r = amtool(['config', 'routes', 'test', `--config.file=${raw}`, `--verify.receivers=${receivers}`, `severity=${severity}`, 'alertname=Probe'], work);
      expect(r.status, `${severity}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const wrong = amtool(['config', 'routes', 'test', `--config.file=${raw}`, '--verify.receivers=soar', 'severity=S3'], work);
    expect(wrong.status).not.toBe(0);
  });
});

describe('Prometheus on the generated config', () => {
  it('refuses plain HTTP', async () => {
    const reply = await plainGet(ports.prometheus, '/api/v1/rules');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/HTTP request to an HTTPS server/);
  });

  it('refuses a client without a certificate, and one whose certificate is not admitted', async () => {
    await expect(httpsRequest(ports.prometheus, 'prometheus', '/api/v1/rules', { ca: ca() })).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
    // soar's certificate is from the same CA, for clientAuth, but 'soar' is not in client_allowed_sans.
    await expect(api('soar', '/api/v1/rules')).rejects.toThrow(/certificate|socket hang up|ECONNRESET|bad/i);
  });

  it('answers an admitted client (grafana): /api/v1/rules lists every catalog rule with its control id', async () => {
    const reply = await api('grafana', '/api/v1/rules?type=alert');
    expect(reply.status, reply.body).toBe(200);
    const rules = JSON.parse(reply.body).data.groups.flatMap((g: any) => g.rules);
    expect(rules).toHaveLength(23);
    const vaultSealed = rules.find((r: any) => r.name === 'VaultSealed');
    expect(vaultSealed.labels).toEqual({ severity: 'S1', control: 'Z8-K01', signal: 'vault-sealed' });
    expect(rules.every((r: any) => /^(Z\d-K\d\d|INV-\d\d)$/.test(r.labels.control))).toBe(true);
  });

  it('keeps the admin, lifecycle, remote-write and OTLP APIs off', async () => {
    for (const p of ['/api/v1/admin/tsdb/snapshot', '/api/v1/admin/tsdb/delete_series?match[]=up', '/api/v1/admin/tsdb/clean_tombstones']) {
      const r = await api('grafana', p, 'POST');
      expect(r.status, p).toBeGreaterThanOrEqual(500);
      expect(JSON.parse(r.body), p).toMatchObject({ status: 'error', errorType: 'unavailable', error: 'admin APIs disabled' });
    }
    for (const p of ['/-/quit', '/-/reload']) {
      const r = await api('grafana', p, 'POST');
      expect(r.status, p).toBe(403);
      expect(r.body).toContain('Lifecycle API is not enabled');
    }
    expect((await api('grafana', '/api/v1/write', 'POST', '')).status).toBe(404);
    expect((await api('grafana', '/api/v1/otlp/v1/metrics', 'POST', '')).status).toBe(404);
    expect((await api('grafana', '/-/healthy')).status).toBe(200); // still running after /-/quit
  });

  it('its compose health check (promtool check healthy over mTLS) passes', () => {
    const argv: string[] = parse(host.files['docker-compose.yml']).services.prometheus.healthcheck.test.slice(2)
      .map((a: string) => a.replace('https://127.0.0.1:9090', `https://127.0.0.1:${ports.prometheus}`).replace('/etc/prometheus/', `${path.join(work, 'prometheus-config')}/`));
    const r = promtool(argv, work);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('scrapes itself, Alertmanager, the exporter and Vault over verified mTLS with its own certificate', async () => {
    const targets = await eventually(90, async () => {
      const t = JSON.parse((await api('prometheus', '/api/v1/targets')).body).data.activeTargets as any[];
      return t.length === 4 && t.every((x) => x.health === 'up') ? t : undefined;
    }, () => prometheus.log());
    expect(targets.map((t) => t.labels.job).sort()).toEqual(['alertmanager', 'ingest-exporter', 'prometheus', 'vault']);
    expect(targets.find((t) => t.labels.job === 'ingest-exporter').labels.zone).toBe('z1');
    expect(targets.find((t) => t.labels.job === 'vault').labels).toMatchObject({ component: 'vault', zone: 'z8' });
    const scrape = exporter.requests.find((r) => r.path === '/metrics');
    expect(scrape?.clientCn).toBe('prometheus');
    expect(scrape?.clientSans).toContain('DNS:prometheus');
  }, 120_000);
});

describe('Vault telemetry (scrapeVault) on the real OpenBao', () => {
  const metricsPath = '/v1/sys/metrics?format=prometheus';
  const prometheusToken = () => fs.readFileSync(path.join(rendered.prometheus, 'token'), 'utf8').trim();
  const fromVault = (tls: ClientTls, token?: string) => httpsRequest(vault!.bao.apiPort, 'vault', metricsPath, tls, 'GET', undefined, { headers: token ? { 'x-vault-token': token } : {} });
  const query = async (promql: string) => JSON.parse((await api('grafana', `/api/v1/query?query=${encodeURIComponent(promql)}`)).body).data.result as any[];

  it('reads it with the token Prometheus\' own agent rendered; without a token, or with one whose policy lacks sys/metrics, Vault refuses', async () => {
    expect(prometheusToken()).toMatch(/^s\./);
    const own = await fromVault(identity('prometheus'), prometheusToken());
    expect(own.status, own.body).toBe(200);
    expect(own.body).toMatch(/^vault_core_unsealed\{cluster="[^"]+"\} 1$/m);
    expect((await fromVault(identity('prometheus'))).status).toBe(403);
    const grafanaToken = await vault!.login('grafana');
    expect((await fromVault(identity('grafana'), grafanaToken)).status).toBe(403);
  });

  it('stores vault_core_unsealed = 1 from the scrape and VaultSealed stays quiet', async () => {
    const unsealed = await eventually(60, async () => {
      const r = await query('vault_core_unsealed{job="vault",cluster!=""}');
      return r.length > 0 ? r : undefined;
    }, () => prometheus.log());
    expect(unsealed[0].metric).toMatchObject({ component: 'vault', zone: 'z8', instance: `127.0.0.1:${vault!.bao.apiPort}` });
    expect(unsealed[0].value[1]).toBe('1');
    const alerts = JSON.parse((await api('grafana', '/api/v1/alerts')).body).data.alerts as any[];
    expect(alerts.filter((a) => a.labels.alertname === 'VaultSealed')).toEqual([]);
  }, 90_000);
});

describe('the alert path: rule → Alertmanager → webhooks', () => {
  it('fires ObjectLockDisabled (S1) on the scraped series and delivers it to SOAR and on-call over mTLS with Vault\'s tokens', async () => {
    const delivered = await eventually(150, async () => {
      const got = ['soar', 'oncall'].map((s) => webhooks[s].requests.find((r) => r.body.includes('ObjectLockDisabled')));
      return got.every((g) => g !== undefined) ? got : undefined;
    }, () => `soar: ${JSON.stringify(webhooks.soar.requests)}\noncall: ${JSON.stringify(webhooks.oncall.requests)}\n--- alertmanager ---\n${alertmanager.log()}\n--- prometheus ---\n${prometheus.log()}`);
    for (const [i, service] of (['soar', 'oncall'] as const).entries()) {
      const r = delivered[i]!;
      expect(r.method).toBe('POST');
      expect(r.path).toBe(service === 'soar' ? '/hooks/alertmanager' : '/notify');
      expect(r.clientCn).toBe('alertmanager');
      // The token Alertmanager presents is the one the receiver's own agent rendered from Vault.
      const token = fs.readFileSync(path.join(rendered[service], 'alertmanager-webhook-token'), 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(40);
      expect(r.authorization).toBe(`Bearer ${token}`);
      const alert = JSON.parse(r.body).alerts.find((a: any) => a.labels.alertname === 'ObjectLockDisabled');
      expect(alert.labels).toMatchObject({ severity: 'S1', control: 'Z9-K04', bucket: 'raw', vps: 'lab' });
      expect(alert.status).toBe('firing');
    }
    // Each receiver has its own token.
    expect(delivered[0]!.authorization).not.toBe(delivered[1]!.authorization);
    expect(webhooks.soar.requests.some((r) => r.body.includes('"bucket":"evidence"'))).toBe(false);
  }, 180_000);

  it('Alertmanager inhibits a lower severity of the same signal and subject, and only that', async () => {
    const post = (alerts: object[]) => httpsRequest(ports.alertmanager, 'alertmanager', '/api/v2/alerts', identity('prometheus'), 'POST', JSON.stringify(alerts));
    const alert = (name: string, severity: string, service: string) => ({ labels: { alertname: name, severity, signal: 'error-budget', service, control: 'Z9-K04' }, annotations: { summary: name } });
    expect((await post([alert('ErrorBudgetBurnFast', 'S1', 'route-a@file'), alert('ErrorBudgetBurnSlow', 'S2', 'route-a@file'), alert('ErrorBudgetBurnSlow', 'S2', 'route-b@file')])).status).toBe(200);
    const state = await eventually(30, async () => {
      const all = JSON.parse((await httpsRequest(ports.alertmanager, 'alertmanager', '/api/v2/alerts', identity('prometheus'))).body) as any[];
      const slow = all.filter((a) => a.labels.alertname === 'ErrorBudgetBurnSlow');
      return slow.length === 2 && slow.some((a) => a.status.state === 'suppressed') ? slow : undefined;
    }, () => alertmanager.log());
    const by = (service: string) => state.find((a) => a.labels.service === service).status;
    expect(by('route-a@file')).toMatchObject({ state: 'suppressed' });
    expect(by('route-a@file').inhibitedBy).toHaveLength(1);
    expect(by('route-b@file')).toMatchObject({ state: 'active', inhibitedBy: [] });
  });

  it('Alertmanager refuses plain HTTP, no client certificate and a non-admitted one; its compose health check passes', async () => {
    const plain = await plainGet(ports.alertmanager, '/api/v2/status');
    expect(plain.status).toBe(400);
    expect(plain.body).toMatch(/HTTP request to an HTTPS server/);
    await expect(httpsRequest(ports.alertmanager, 'alertmanager', '/api/v2/status', { ca: ca() })).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
    await expect(httpsRequest(ports.alertmanager, 'alertmanager', '/api/v2/status', identity('grafana'))).rejects.toThrow(/certificate|socket hang up|ECONNRESET|bad/i);
    expect((await httpsRequest(ports.alertmanager, 'alertmanager', '/api/v2/status', identity('prometheus'))).status).toBe(200);
    const argv: string[] = parse(host.files['docker-compose.yml']).services.alertmanager.healthcheck.test.slice(2)
      .map((a: string) => a.replace('https://127.0.0.1:9093', `https://127.0.0.1:${ports.alertmanager}`).replace('/etc/alertmanager/', `${path.join(work, 'alertmanager-config')}/`));
    const r = amtool(argv, work);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

// Last: it seals the shared OpenBao.
describe('a sealed Vault', () => {
  it('answers Prometheus\' token with 503, its scrape goes down and VaultSealed (S1) becomes active', async () => {
    const before = await httpsRequest(vault!.bao.apiPort, 'vault', '/v1/sys/metrics?format=prometheus', identity('prometheus'), 'GET', undefined, { headers: { 'x-vault-token': fs.readFileSync(path.join(rendered.prometheus, 'token'), 'utf8').trim() } });
    expect(before.status).toBe(200);
    vault!.bao.bao(['operator', 'seal'], vault!.admin);
    const sealed = await httpsRequest(vault!.bao.apiPort, 'vault', '/v1/sys/metrics?format=prometheus', identity('prometheus'), 'GET', undefined, { headers: { 'x-vault-token': fs.readFileSync(path.join(rendered.prometheus, 'token'), 'utf8').trim() } });
    expect(sealed.status).toBe(503);
    const alert = await eventually(120, async () => {
      const alerts = JSON.parse((await api('grafana', '/api/v1/alerts')).body).data.alerts as any[];
      return alerts.find((a) => a.labels.alertname === 'VaultSealed');
    }, () => prometheus.log());
    expect(alert.labels).toMatchObject({ severity: 'S1', control: 'Z8-K01', signal: 'vault-sealed', instance: `127.0.0.1:${vault!.bao.apiPort}` });
    expect(['pending', 'firing']).toContain(alert.state);
  }, 150_000);
});
