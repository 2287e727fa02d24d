/**
 * The real WAF tests' plumbing: a generated CrsWaf (from `buildWafLab`) run by Debian's nginx +
 * ModSecurity on loopback in front of a TLS backend that requires the WAF's client certificate
 * and records what reaches it; requests made as the gateway (its delivered client certificate).
 */
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'vitest';
import type { CrsWafProps, WafMode } from '../../../lib/services/waf';
import { freePorts } from '../../support/real-servers/free-port';
import { httpsRequest } from '../../support/real-servers/https-request';
import { rerootWafFiles, RunningNginx, startNginx, testNginxConfig } from '../../support/real-servers/nginx-waf';
import { registerCleanup } from '../../support/real-servers/process-registry';
import { bootstrapTier, DataTier } from '../data-tier-fixture';
import { BACKEND, buildWafLab } from './waf-fixture';

/** A request the backend received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly clientCn: string;
  /** The forwarded client-certificate subject (X-Forwarded-Tls-Client-Cert-Info), if any. */
  readonly certInfo?: string;
}

/** A TLS backend with the bootstrap's certificate for `ingest-transactions`, requiring a client certificate from the internal CA. */
export async function startBackend(t: DataTier, port: number): Promise<{ received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = https.createServer({
    cert: t.file(BACKEND, 'tls.crt'), key: t.file(BACKEND, 'tls.key'), ca: t.file(BACKEND, 'ca.crt'),
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
  }, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => {
      const cert = (req.socket as import('tls').TLSSocket).getPeerCertificate();
      received.push({ method: req.method ?? '', url: req.url ?? '', body, clientCn: String(cert?.subject?.CN ?? ''), certInfo: req.headers['x-forwarded-tls-client-cert-info'] as string | undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  registerCleanup(close, `waf test backend :${port}`);
  return { received, close };
}

/** An HTTP reply. */
export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** What a WAF instance under test is. */
export interface WafUnderTest {
  readonly mode: WafMode;
  readonly tier: DataTier;
  readonly nginx: RunningNginx;
  readonly port: number;
  readonly received: Received[];
  readonly overrides: string[];
}

/** The bearer token every test request carries: it must never reach a log. */
export const SECRET_TOKEN = 'Bearer mlsec-secret-token-4f1c9e';

let work: string | undefined;

/** A request to the WAF as the gateway (its client certificate), or as `as` (another delivered identity). */
export function request(w: WafUnderTest, method: string, urlPath: string, body?: string, opts: { as?: { service: string; cert: string; key: string }; headers?: Record<string, string> } = {}): Promise<Reply> {
  const who = opts.as ?? { service: 'gateway', cert: 'internaltls.crt', key: 'internaltls.key' };
  const tls = { ca: w.tier.file('gateway', 'ca.crt'), cert: w.tier.file(who.service, who.cert), key: w.tier.file(who.service, who.key) };
  return httpsRequest(w.port, 'waf', urlPath, tls, method, body, { headers: { host: 'ingest.lab.example.com', authorization: SECRET_TOKEN, ...opts.headers }, timeoutMs: 20_000 });
}

/** Generates the WAF with `props`, checks its config with `nginx -t` and starts it (`name`: its folder). */
export async function startWaf(props: CrsWafProps, name: string): Promise<WafUnderTest> {
  if (work === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-waf-real-'));
    // Registered first, so stopAll removes it after every server that used it, even when one fails to stop.
    registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }), 'waf test work dir');
    work = dir;
  }
  const lab = buildWafLab(props);
  const tier = bootstrapTier(lab.app);
  registerCleanup(() => tier.cleanup(), `waf ${name} secrets`);
  const dir = path.join(work, name);
  const secretsDir = path.join(dir, 'secrets');
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  for (const file of ['tls.crt', 'tls.key', 'ca.crt']) fs.writeFileSync(path.join(secretsDir, file), tier.file('waf', file), { mode: 0o600 });
  const [httpsPort, healthPort, backendPort] = await freePorts(3);
  const backend = await startBackend(tier, backendPort);
  const crsSetup = lab.waf.crsSetup ? tier.generated('waf/crs-setup.conf') : undefined;
  const files = rerootWafFiles({
    nginxConf: tier.generated('waf/nginx.conf'), modSecurityConf: tier.generated('waf/modsecurity.conf'), crsSetup,
    dir, secretsDir, httpsPort, healthPort, backends: { [`${BACKEND}:8443`]: backendPort },
  });
  const check = testNginxConfig(files.nginxConfPath);
  expect(check.status, `nginx -t refused the generated config:\n${check.output}\n${files.overrides.join('\n')}`).toBe(0);
  const nginx = await startNginx(files.nginxConfPath, httpsPort);
  return { mode: props.mode ?? 'detect', tier, nginx, port: httpsPort, received: backend.received, overrides: files.overrides };
}

/** The audit-log lines (JSON with a `transaction`) nginx wrote to stdout. */
export function auditEntries(w: WafUnderTest): any[] {
  return w.nginx.stdout().split('\n').filter((l) => l.startsWith('{"transaction"')).map((l) => JSON.parse(l));
}
