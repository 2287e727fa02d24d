/**
 * The generated WAF hop for real: Debian's nginx + ModSecurity v3 + OWASP CRS (tools/install-test-deps.sh)
 * running the generated nginx.conf, modsecurity.conf and crs-setup.conf — re-rooted only in paths,
 * listen ports and the backend's address (see test/support/real-servers/nginx-waf.ts) — with the
 * bootstrap's certificates, in front of a TLS backend that requires the WAF's client certificate.
 * The test plays the gateway (its delivered client certificate). Block mode: SQLi and XSS get 403
 * and never reach the backend, a clean JSON POST does. Detect mode: the attack passes and the
 * audit log names the CRS rule. Both: no request body or Authorization value in any log line,
 * plain HTTP refused, callers without the declared client certificate refused.
 */
import * as http from 'http';
import * as https from 'https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireWafPackages, wafPackageVersions } from '../../support/real-servers/nginx-waf';
import { stopAll } from '../../support/real-servers/process-registry';
import { PROTECTED_PATH } from './waf-fixture';
import { auditEntries, Reply, request, SECRET_TOKEN, startWaf, WafUnderTest } from './waf-real-fixture';

const SECRET_FIELD = 'cpf-123.456.789-09-never-logged';

/** The CRS rule ids in the audit entries of requests to `uriPart`. */
function ruleIdsFor(w: WafUnderTest, uriPart: string): string[] {
  return auditEntries(w)
    .filter((e) => String(e.transaction?.request?.uri ?? '').includes(uriPart))
    .flatMap((e) => (e.transaction.messages ?? []).map((m: any) => String(m.details?.ruleId)));
}

/** The rule ids logged for `uriPart`, polled until one starts with `family` (the entry is written as the transaction ends). */
async function waitForRuleIds(w: WafUnderTest, uriPart: string, family: string): Promise<string[]> {
  let ids = ruleIdsFor(w, uriPart);
  for (let i = 0; i < 60 && !ids.some((id) => id.startsWith(family)); i++) {
    await new Promise((res) => setTimeout(res, 50));
    ids = ruleIdsFor(w, uriPart);
  }
  return ids;
}

const SQLI = JSON.stringify({ id: "1' OR '1'='1' UNION SELECT password FROM users --", customer: SECRET_FIELD });
const XSS = JSON.stringify({ id: 'tx-2', note: '<script>alert(document.cookie)</script>', customer: SECRET_FIELD });
const CLEAN = JSON.stringify({ id: 'tx-1', amount: 12.5, currency: 'BRL', channel: 'APP', occurred_at: '2026-01-02T03:04:05Z', customer: SECRET_FIELD });

let block: WafUnderTest;
let detect: WafUnderTest;

beforeAll(async () => {
  requireWafPackages(); // throws naming tools/install-test-deps.sh when missing
  block = await startWaf({ mode: 'block' }, 'block');
  detect = await startWaf({ mode: 'detect' }, 'detect');
}, 180_000);

afterAll(() => stopAll());

describe('CrsWaf for real (Debian nginx + ModSecurity + CRS)', () => {
  it('runs on the recorded package versions, with only paths, ports and the backend address re-rooted', () => {
    const versions = wafPackageVersions();
    expect(versions['modsecurity-crs']).toMatch(/^3\.3\./);
    expect(versions.nginx).toMatch(/^1\./);
    console.log(`WAF packages: ${JSON.stringify(versions)}\nre-rooted:\n${block.overrides.join('\n')}`);
    expect(block.overrides.every((o) => /load_module|config dir|\/run\/secrets|scratch|listener|upstream|CRS rules|unicode mapping/.test(o))).toBe(true);
  });

  it('block mode: a clean JSON POST passes to the backend over verified mTLS', async () => {
    const before = block.received.length;
    const r = await request(block, 'POST', PROTECTED_PATH, CLEAN);
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"accepted":true}');
    const got = block.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ method: 'POST', url: PROTECTED_PATH, body: CLEAN, clientCn: 'waf' });
  });

  it('passes the sender\'s certificate subject, as the gateway forwarded it, on to the connector (which admits by it)', async () => {
    const before = block.received.length;
    const info = 'Subject%3D%22O%3DPartner%2CCN%3Dpartner-a%22';
    expect((await request(block, 'POST', PROTECTED_PATH, CLEAN, { headers: { 'x-forwarded-tls-client-cert-info': info } })).status).toBe(200);
    expect(block.received.slice(before).map((r) => r.certInfo)).toEqual([info]);
  });

  it.each([['SQL injection', SQLI, '942'], ['XSS', XSS, '941']])('block mode: %s gets 403 and never reaches the backend', async (_what, body, family) => {
    const before = block.received.length;
    const marker = `?case=${family}-block`;
    const r = await request(block, 'POST', `${PROTECTED_PATH}${marker}`, body);
    expect(r.status).toBe(403);
    expect(block.received.length).toBe(before);
    const ids = await waitForRuleIds(block, marker, family);
    expect(ids.some((id) => id.startsWith(family)), `rule ids ${ids.join(', ')}\n${block.nginx.stdout().slice(-3000)}`).toBe(true);
    expect(ids).toContain('949110'); // the inbound anomaly score that denied it
  });

  it.each([['application/zip'], ['application/octet-stream'], ['text/csv']])('block mode: a body of type %s (not on the route\'s allow-list) gets 403, rule 920420, never reaching the backend', async (type) => {
    const before = block.received.length;
    const marker = `?case=920420-${type.replace('/', '-')}`;
    const r = await request(block, 'POST', `${PROTECTED_PATH}${marker}`, CLEAN, { headers: { 'content-type': type } });
    expect(r.status).toBe(403);
    expect(block.received.length).toBe(before);
    expect(await waitForRuleIds(block, marker, '920420')).toContain('920420');
  });

  it('detect mode: the SQL injection passes, and the audit log names the CRS rule id', async () => {
    const before = detect.received.length;
    const marker = '?case=942-detect';
    const r = await request(detect, 'POST', `${PROTECTED_PATH}${marker}`, SQLI);
    expect(r.status).toBe(200);
    expect(detect.received.slice(before).map((x) => x.body)).toEqual([SQLI]);
    const ids = await waitForRuleIds(detect, marker, '942');
    expect(ids.some((id) => id.startsWith('942')), `rule ids ${ids.join(', ')}`).toBe(true);
  });

  it('logs no request body, no Authorization value and no request header at all', () => {
    for (const w of [block, detect]) {
      const all = w.nginx.stdout() + w.nginx.stderr();
      expect(all).not.toContain(SECRET_TOKEN.split(' ')[1]);
      expect(all).not.toContain(SECRET_FIELD);
      expect(all).not.toContain('"currency":"BRL"');
      const entries = auditEntries(w);
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) {
        expect(e.transaction.request?.headers ?? {}).toEqual({});
        expect(e.transaction.request?.body ?? '').toBe('');
        expect(e.transaction.response?.headers ?? {}).toEqual({});
      }
    }
  });

  it('refuses plain HTTP on the TLS port (400) without reaching the backend', async () => {
    const before = block.received.length;
    const r = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: block.port, method: 'POST', path: PROTECTED_PATH, timeout: 10_000, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.once('error', reject);
      req.end(CLEAN);
    });
    expect(r.status).toBe(400);
    expect(block.received.length).toBe(before);
  });

  it('refuses a caller without a declared flow (another internal certificate: 403) and one without a certificate (400)', async () => {
    const before = block.received.length;
    const other = await request(block, 'POST', PROTECTED_PATH, CLEAN, { as: { service: 'waf', cert: 'tls.crt', key: 'tls.key' } });
    expect(other.status).toBe(403);
    const none = await new Promise<Reply>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: block.port, method: 'POST', path: PROTECTED_PATH, servername: 'waf', ca: block.tier.file('gateway', 'ca.crt'), timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.once('error', reject);
      req.end(CLEAN);
    });
    expect(none.status).toBe(400);
    expect(block.received.length).toBe(before);
  });

  it('routes only the protected prefix (404 elsewhere) and refuses bodies over the limit (413)', async () => {
    const before = block.received.length;
    expect((await request(block, 'POST', '/admin', CLEAN)).status).toBe(404);
    const big = JSON.stringify({ id: 'x', pad: 'a'.repeat(10 * 1024 * 1024 + 16) });
    expect((await request(block, 'POST', PROTECTED_PATH, big)).status).toBe(413);
    expect(block.received.length).toBe(before);
  });
});
