/**
 * The request-field allow-list of a CrsWaf without CRS (the LLM door's hop), for real: Debian's
 * nginx + ModSecurity v3 run the generated files in front of a TLS backend. Only JSON bodies whose
 * top-level fields are on the list reach the backend; a client's `prompt_id` (which would replace
 * LiteLLM's fixed system prompt), the same key spelled with a JSON escape, a top-level array, a
 * query parameter, a body of another media type or none at all are refused before it. Prompts
 * that CRS's signatures would match pass: CRS is off on this hop, on purpose.
 */
import * as https from 'https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireWafPackages } from '../../support/real-servers/nginx-waf';
import { stopAll } from '../../support/real-servers/process-registry';
import { PROTECTED_PATH } from './waf-fixture';
import { auditEntries, request, SECRET_TOKEN, startWaf, WafUnderTest } from './waf-real-fixture';

const PROMPT = 'my-private-prompt-text-never-logged';
const FIELDS = ['max_tokens', 'messages', 'model'];
let waf: WafUnderTest;

beforeAll(async () => {
  requireWafPackages();
  waf = await startWaf({ mode: 'block', coreRuleSet: { enabled: false, reason: 'LLM prompts match the SQL and XSS signatures' }, allowedJsonFields: FIELDS }, 'fields');
}, 180_000);

afterAll(() => stopAll());

/** Posts `body` with `contentType` and returns the status and whether the backend got it. */
async function post(body: string, contentType = 'application/json', urlPath = PROTECTED_PATH): Promise<{ status: number; reached: boolean }> {
  const before = waf.received.length;
  const r = await request(waf, 'POST', urlPath, body, { headers: { 'content-type': contentType } });
  return { status: r.status, reached: waf.received.length > before };
}

/** Posts `body` with no Content-Type header at all (the shared client always sets one). */
async function postWithoutMediaType(body: string): Promise<{ status: number; reached: boolean }> {
  const before = waf.received.length;
  const status = await new Promise<number>((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: waf.port, method: 'POST', path: PROTECTED_PATH, servername: 'waf', timeout: 10_000,
      ca: waf.tier.file('gateway', 'ca.crt'), cert: waf.tier.file('gateway', 'internaltls.crt'), key: waf.tier.file('gateway', 'internaltls.key'),
      headers: { host: 'ingest.lab.example.com', 'content-length': Buffer.byteLength(body) },
    }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)));
    req.once('error', reject);
    req.end(body);
  });
  return { status, reached: waf.received.length > before };
}

describe('CrsWaf request-field allow-list for real (no CRS, block mode)', () => {
  it('passes a body of allowed fields, nested content included, even one CRS would flag', async () => {
    const body = JSON.stringify({ model: 'fraud-explainer', max_tokens: 64, messages: [{ role: 'user', content: `${PROMPT} ' OR 1=1 UNION SELECT <script>alert(1)</script> prompt_id` }] });
    expect(await post(body)).toEqual({ status: 200, reached: true });
    expect(waf.received.at(-1)?.body).toBe(body);
    expect(await post(body, 'application/json; charset=utf-8')).toEqual({ status: 200, reached: true });
  });

  it.each([
    ['a client prompt_id', { model: 'm', messages: [], prompt_id: 'other' }],
    ['prompt_variables', { model: 'm', messages: [], prompt_variables: { a: 1 } }],
    ['a field LiteLLM reads as routing metadata', { model: 'm', messages: [], metadata: { tags: ['x'] } }],
    ['a client api_base', { model: 'm', messages: [], api_base: 'https://attacker.example' }],
  ])('refuses %s with 403, before the backend', async (_what, body) => {
    expect(await post(JSON.stringify(body))).toEqual({ status: 403, reached: false });
  });

  it('refuses the key written with a JSON escape (the parser decodes keys) and a top-level array', async () => {
    expect(await post('{"model":"m","messages":[],"prompt\\u005fid":"other"}')).toEqual({ status: 403, reached: false });
    expect(await post(JSON.stringify([{ model: 'm' }]))).toEqual({ status: 403, reached: false });
  });

  it('refuses malformed JSON (400), query parameters (403), other media types and none (415)', async () => {
    expect(await post('{"model":"m","messages":[')).toEqual({ status: 400, reached: false });
    expect(await post(JSON.stringify({ model: 'm', messages: [] }), 'application/json', `${PROTECTED_PATH}?prompt_id=x`)).toEqual({ status: 403, reached: false });
    const smuggled = JSON.stringify({ model: 'm', messages: [], prompt_id: 'other' });
    expect(await post(smuggled, 'text/plain')).toEqual({ status: 415, reached: false });
    expect(await post(smuggled, 'application/x-www-form-urlencoded')).toEqual({ status: 415, reached: false });
    expect(await post(smuggled, '')).toEqual({ status: 415, reached: false });
    expect(await postWithoutMediaType(smuggled)).toEqual({ status: 415, reached: false });
  });

  it('logs the refused field name, never a prompt or the token', async () => {
    await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: PROMPT }], prompt_id: 'other' }));
    let names: string[] = [];
    for (let i = 0; i < 60 && !names.some((n) => n.includes('prompt_id')); i++) {
      await new Promise((res) => setTimeout(res, 50));
      names = auditEntries(waf).flatMap((e) => (e.transaction.messages ?? []).filter((m: any) => String(m.details?.ruleId) === '200102').map((m: any) => String(m.details?.data)));
    }
    expect(names.some((n) => n === 'json.prompt_id'), names.join(', ')).toBe(true);
    const all = waf.nginx.stdout() + waf.nginx.stderr();
    expect(all).not.toContain(PROMPT);
    expect(all).not.toContain(SECRET_TOKEN.split(' ')[1]);
  });
});
