/**
 * The generated Z9 collector config in a real OpenTelemetry Collector 0.161.0 (built by
 * tools/install-otelcol.sh with exactly the config's components), with the bootstrap's
 * certificates. Overridden only what a test host must: the receivers' listen addresses (free
 * loopback ports) and the /run/secrets paths (the delivered files). The exporter keeps its URL
 * `https://loki:3100/otlp/v1/logs`: `loki` does not resolve here, so the collector reaches it
 * through a CONNECT proxy (HTTPS_PROXY) and verifies the certificate for the name `loki` itself.
 *
 * What answers there is a stand-in for Loki (an HTTPS server with Loki's delivered certificate
 * that requires a client certificate and records what it receives): Loki itself is not built here
 * (see the report), and the proof sought is what leaves the collector. Every byte the collector
 * sends towards Loki is searched for the secrets and PII put into the records.
 */
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import * as tls from 'tls';
import * as zlib from 'zlib';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapTier, DataTier } from '../data-tier-fixture';
import { freePort } from '../../support/real-servers/free-port';
import { RunningOtelcol, startOtelcol, validateOtelcol } from '../../support/real-servers/otelcol';
import { makeServerDir, registerCleanup, removeServerDir, stopAll } from '../../support/real-servers/process-registry';
import { ServiceProxy, startServiceProxy } from '../../support/real-servers/traefik';
import { MASK } from '../../../lib/services/telemetry/redaction-rules';
import { telemetryLab } from './support';

/** Put into the records; none may leave the collector. */
const SECRETS = {
  bearer: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYXJpYSJ9.c2lnbmF0dXJlLXNlY3JldA',
  cookie: 'session=COOKIE-SECRET-4711',
  setCookie: 'sid=SETCOOKIE-SECRET-9',
  proxyAuth: 'Basic cHJveHk6cHJveHktc2VjcmV0',
  apiKey: 'APIKEY-SECRET-5150',
  resourceToken: 'RESOURCE-TOKEN-SECRET-77',
  cpfFormatted: '123.456.789-09',
  cpfDigits: '98765432100',
  email: 'maria.silva@example.com',
  emailInBody: 'joao.souza@bank.example',
  nestedAuth: 'Basic bmVzdGVkOm5lc3RlZC1zZWNyZXQ=',
  nestedCpf: '111.222.333-44',
  bearerInText: 'Bearer opaque-token-SECRET-31337',
};
/** Put into the records next to the secrets; each must arrive. */
const KEPT = ['KEEP-ME-BODY-7', 'KEEP-ME-MAP-8', 'req-keep-42', 'features-api', 'checkout completed'];

let tier: DataTier | undefined;
let work: string;
let collector: RunningOtelcol;
let proxy: ServiceProxy;
let httpPort: number;
let grpcPort: number;
let config: any;
const received: { path: string; headers: Record<string, unknown>; peer: tls.PeerCertificate; body: Buffer }[] = [];
const overrides: string[] = [];

/** The delivered files of `service`, copied into `dir` (0600). */
function delivered(t: DataTier, service: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const from = path.dirname(t.filePath(service, 'x'));
  for (const name of fs.readdirSync(from)) fs.writeFileSync(path.join(dir, name), fs.readFileSync(path.join(from, name)), { mode: 0o600 });
  return dir;
}

/** Loki's stand-in: HTTPS with Loki's own delivered certificate, client certificate required, records each request. */
async function startLokiStandIn(t: DataTier): Promise<number> {
  const files = delivered(t, 'loki', path.join(work, 'loki-secrets'));
  const server = https.createServer({
    cert: fs.readFileSync(path.join(files, 'tls.crt')), key: fs.readFileSync(path.join(files, 'tls.key')), ca: fs.readFileSync(path.join(files, 'ca.crt')),
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
  }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
      received.push({ path: req.url ?? '', headers: { ...req.headers }, peer: (req.socket as tls.TLSSocket).getPeerCertificate(), body });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  registerCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())), 'loki stand-in');
  return port;
}

/** The generated config with the listen addresses and /run/secrets paths re-rooted (each recorded in `overrides`). */
function reroot(generated: any, secrets: string): any {
  const copy = JSON.parse(JSON.stringify(generated));
  const swap = (where: string, v: string) => {
    const to = path.join(secrets, v.slice('/run/secrets/'.length));
    overrides.push(`${where}: ${v} → ${to}`);
    return to;
  };
  for (const proto of ['grpc', 'http'] as const) {
    const p = copy.receivers.otlp.protocols[proto];
    const port = proto === 'grpc' ? grpcPort : httpPort;
    overrides.push(`receivers.otlp.protocols.${proto}.endpoint: ${p.endpoint} → 127.0.0.1:${port}`);
    p.endpoint = `127.0.0.1:${port}`;
    for (const k of ['cert_file', 'key_file', 'client_ca_file']) p.tls[k] = swap(`${proto}.tls.${k}`, p.tls[k]);
  }
  const out = copy.exporters['otlphttp/loki'].tls;
  for (const k of ['ca_file', 'cert_file', 'key_file']) out[k] = swap(`otlphttp/loki.tls.${k}`, out[k]);
  return copy;
}

/** One OTLP/HTTP JSON request from the sender (`features-api`, with its delivered client certificate). */
function sendLogs(t: DataTier, payload: unknown, clientCert = true): Promise<number> {
  const api = path.dirname(t.filePath('features-api', 'x'));
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: httpPort, path: '/v1/logs', method: 'POST', servername: 'otel-collector',
      ca: fs.readFileSync(path.join(api, 'ca.crt')),
      ...(clientCert ? { cert: fs.readFileSync(path.join(api, 'clienttls.crt')), key: fs.readFileSync(path.join(api, 'clienttls.key')) } : {}),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      agent: false, timeout: 10_000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

beforeAll(async () => {
  const lab = telemetryLab();
  tier = bootstrapTier(lab.app);
  work = makeServerDir('otelcol-test');
  registerCleanup(() => removeServerDir(work), 'otelcol test dir');
  config = parse(tier.generated('otel-collector/otelcol.yaml'));
  [httpPort, grpcPort] = [await freePort(), await freePort()];
  const lokiPort = await startLokiStandIn(tier);
  proxy = await startServiceProxy({ 'loki:3100': lokiPort });
  registerCleanup(() => proxy.stop(), 'service proxy');
  const secrets = delivered(tier, 'otel-collector', path.join(work, 'collector-secrets'));
  const file = path.join(work, 'otelcol.yaml');
  fs.writeFileSync(file, stringify(reroot(config, secrets)));
  const v = validateOtelcol(file);
  if (v.status !== 0) throw new Error(`otelcol validate refused the generated config (${v.status}):\n${v.stdout}\n${v.stderr}`);
  collector = await startOtelcol(file, { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` }, httpPort);
}, 120_000);

afterAll(async () => {
  await stopAll();
  tier?.cleanup();
});

describe('the generated collector config in a real collector', () => {
  it('passes `otelcol validate` as generated, and validate is a real check (a broken OTTL statement fails)', () => {
    const asIs = path.join(work, 'as-generated.yaml');
    fs.writeFileSync(asIs, tier!.generated('otel-collector/otelcol.yaml'));
    const r = validateOtelcol(asIs);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const broken = JSON.parse(JSON.stringify(config));
    broken.processors['transform/drop-credentials'].log_statements[2].statements[0] = 'delete_matching_keys(attributes, "x"';
    fs.writeFileSync(path.join(work, 'broken.yaml'), stringify(broken));
    const bad = validateOtelcol(path.join(work, 'broken.yaml'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/transform/);
  });

  it('drops credential attributes and masks CPF, e-mail and bearer values before anything reaches Loki', async () => {
    const status = await sendLogs(tier!, {
      resourceLogs: [{
        resource: { attributes: [str('service.name', 'features-api'), str('deployment.api_key', SECRETS.resourceToken)] },
        scopeLogs: [{
          scope: { name: 'test', attributes: [str('x-api-key', SECRETS.apiKey)] },
          logRecords: [
            {
              timeUnixNano: String(Date.now() * 1e6), severityText: 'INFO',
              body: { stringValue: `checkout completed for CPF ${SECRETS.cpfFormatted} (${SECRETS.emailInBody}) with ${SECRETS.bearerInText} KEEP-ME-BODY-7` },
              attributes: [
                str('http.request.header.authorization', `Bearer ${SECRETS.bearer}`),
                str('http.request.header.cookie', SECRETS.cookie),
                str('http.response.header.set-cookie', SECRETS.setCookie),
                str('Proxy-Authorization', SECRETS.proxyAuth),
                str('user.email', SECRETS.email),
                str('customer.note', `cpf ${SECRETS.cpfDigits} called`),
                str('request_id', 'req-keep-42'),
              ],
            },
            {
              timeUnixNano: String(Date.now() * 1e6), severityText: 'WARN',
              body: { kvlistValue: { values: [
                str('msg', 'KEEP-ME-MAP-8'),
                str('Authorization', SECRETS.nestedAuth),
                { key: 'customer', value: { kvlistValue: { values: [str('cpf', SECRETS.nestedCpf), str('cookie', SECRETS.cookie)] } } },
              ] } },
            },
          ],
        }],
      }],
    });
    expect(status).toBe(200);
    const deadline = Date.now() + 20_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(received.length, `nothing reached the Loki stand-in; collector log:\n${collector.log()}\noverrides:\n${overrides.join('\n')}`).toBeGreaterThan(0);
    const sent = Buffer.concat(received.map((r) => r.body)).toString('latin1');
    for (const [name, secret] of Object.entries(SECRETS)) expect(sent.includes(secret), `${name} (${secret}) left the collector`).toBe(false);
    for (const keep of KEPT) expect(sent.includes(keep), `${keep} did not arrive`).toBe(true);
    expect(sent).toContain(MASK);
    // The dropped keys themselves are gone (not merely masked), at resource, scope and record level.
    for (const key of ['http.request.header.authorization', 'http.request.header.cookie', 'http.response.header.set-cookie', 'Proxy-Authorization', 'deployment.api_key', 'x-api-key']) {
      expect(sent.includes(key), `attribute ${key} still present`).toBe(false);
    }
    // To Loki's OTLP endpoint, as the platform tenant, presenting the collector's own certificate.
    const first = received[0];
    expect(first.path).toBe('/otlp/v1/logs');
    expect(first.headers['x-scope-orgid']).toBe('platform');
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.peer.subject?.CN ?? first.peer.subjectaltname).toMatch(/otel-collector/);
    expect(proxy.connects).toContain('loki:3100');
  }, 60_000);

  it('refuses an OTLP sender without a client certificate of the platform CA, on HTTP and on gRPC', async () => {
    await expect(sendLogs(tier!, { resourceLogs: [] }, false)).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
    const api = path.dirname(tier!.filePath('features-api', 'x'));
    const handshake = (withCert: boolean) => new Promise<string>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1', port: grpcPort, servername: 'otel-collector', ALPNProtocols: ['h2'], ca: fs.readFileSync(path.join(api, 'ca.crt')),
        ...(withCert ? { cert: fs.readFileSync(path.join(api, 'clienttls.crt')), key: fs.readFileSync(path.join(api, 'clienttls.key')) } : {}),
      });
      // TLS 1.3 reports a refused client certificate after the handshake: wait for data or the alert.
      socket.once('secureConnect', () => setTimeout(() => { resolve(socket.destroyed ? 'refused' : 'accepted'); socket.destroy(); }, 500));
      socket.once('error', (e) => resolve(`refused: ${e.message}`));
      socket.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
    });
    expect(await handshake(false)).toMatch(/^refused/);
    expect(await handshake(true)).toBe('accepted');
  }, 30_000);
});
