/**
 * The generated PDP on a real OPA 1.22.3 (built by tools/install-opa.sh): `opa check --strict`
 * and `opa test` on the generated bundle and tests, then `opa run --server` with the generated
 * command, config and bundle. Overridden only what a test host must: the listen address (a free
 * loopback port) and the container paths (re-rooted). The certificates are what the Vault Agents
 * would render: leaves for the names the generated templates ask for, issued by the lab
 * intermediate that Vault's pki_int holds (the bootstrap's seed).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { deliveredPath, GeneratedHost } from '../../support/real-servers/generated-stack';
import { foreignClientCertificate, issueLikeVaultAgent, OpaClientTls, opaBinary, RunningOpa, runOpa, startGeneratedOpa, writeGeneratedOpaFiles } from '../../support/real-servers/opa';
import { stopAll } from '../../support/real-servers/process-registry';
import { pdpHost } from './support';

const SECRET = 'eyJhbGciOiJFUzI1NiJ9.SECRET-BEARER-VALUE.sig';
const COOKIE_SECRET = 'session=SECRET-COOKIE-VALUE';
const TOKEN_SECRET = 'SECRET-ACCESS-TOKEN-VALUE';
/** What OPA answers (HTTP 401) when system.authz does not allow a call. */
const REFUSED = { code: 'unauthorized', message: 'request rejected by administrative policy' };

let work: string;
let host: GeneratedHost;
let files: string;
let opa: RunningOpa;
let ca: string;
let gateway: OpaClientTls;
let fetcher: OpaClientTls;
let batch: OpaClientTls;

const okInference = { model: 'churn', version: 'v2', tenant: 'acme', mtls: true, claims: { scope: 'openid inference:churn:v2:invoke', tenant: 'acme' } };

beforeAll(async () => {
  opaBinary(); // fails first, naming the install script, when OPA is not built
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-opa-real-'));
  const { app } = pdpHost({ outdir: path.join(work, 'synth-out'), secretsDir: path.join(work, 'secrets') });
  const assembly = Testing.synth(app);
  SecretsBootstrap.run(app, { secretsDir: path.join(work, 'secrets'), chown: false });
  host = {
    files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])),
    secretsDir: path.join(work, 'secrets'), vps: 'lab',
  };
  files = writeGeneratedOpaFiles(host, 'opa', path.join(work, 'opa-files'));
  const issuer = deliveredPath(host, 'vault', 'seed-pki-intermediate.pem');
  const issue = (service: string) => issueLikeVaultAgent(host.files[`vault/agent/${service}/vault-tls.crt.ctmpl`], issuer, work);
  const server = issue('opa');
  gateway = issue('model-gateway');
  fetcher = issue('model-fetcher');
  batch = issue('batch-job');
  ca = fs.readFileSync(deliveredPath(host, 'opa', 'ca.crt'), 'utf8');
  opa = await startGeneratedOpa(host, 'opa', {
    files: { '/run/vault/vault-tls.crt': server.cert, '/run/vault/vault-tls.key': server.key, '/run/secrets/ca.crt': ca },
    ca, readyClient: gateway,
  });
}, 120_000);

afterAll(async () => {
  await stopAll();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const decide = (client: OpaClientTls, pkg: string, input: unknown) => opa.request('POST', `/v1/data/${pkg.split('.').join('/')}/allow`, client, { input });

describe('the generated bundle under opa check and opa test', () => {
  it('passes `opa check --strict`, as a bundle and with its tests', () => {
    const asBundle = runOpa(['check', '--strict', '--bundle', 'bundle'], files);
    expect(asBundle.status, asBundle.stderr + asBundle.stdout).toBe(0);
    const withTests = runOpa(['check', '--strict', 'bundle', 'tests'], files);
    expect(withTests.status, withTests.stderr + withTests.stdout).toBe(0);
  });

  it('passes its generated unit tests: allow and deny cases of every package', () => {
    const r = runOpa(['test', '--format=json', 'bundle', 'tests'], files);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const results = JSON.parse(r.stdout) as { package: string; name: string; fail?: boolean; error?: unknown }[];
    expect(results.filter((t) => t.fail || t.error)).toEqual([]);
    for (const pkg of ['z1.ingest', 'z6.inference', 'z5.registry.download', 'system.authz']) {
      const names = results.filter((t) => t.package === `data.${pkg}_test`).map((t) => t.name);
      expect(names.some((n) => n.startsWith('test_allows_')), `${pkg} has an allow case`).toBe(true);
      expect(names.filter((n) => n.startsWith('test_denies_')).length, `${pkg} has deny cases`).toBeGreaterThanOrEqual(4);
    }
    expect(results.some((t) => t.package === 'data.system.log_test' && t.name === 'test_masks_credentials_only')).toBe(true);
  });

  it('fails `opa test` when a package stops failing closed (the tests are not vacuous)', () => {
    const broken = path.join(work, 'broken');
    fs.cpSync(files, broken, { recursive: true });
    const policy = path.join(broken, 'bundle', 'z5', 'registry', 'download', 'policy.rego');
    fs.writeFileSync(policy, fs.readFileSync(policy, 'utf8').replace('default allow := false', 'default allow := true'));
    const r = runOpa(['test', 'bundle', 'tests'], broken);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/FAIL/);
  });
});

describe('the generated server', () => {
  it('runs exactly the generated command, with only the address and container paths re-rooted', () => {
    expect(opa.overrides.every((o) => /^command: (--addr=0\.0\.0\.0:8181|--[a-z-]+=\/(etc\/opa|run\/vault|run\/secrets)\/|\/etc\/opa\/bundle)/.test(o)), opa.overrides.join('\n')).toBe(true);
    expect(opa.running()).toBe(true);
  });

  it('allows the granted client\'s allowed input', async () => {
    const r = await decide(gateway, 'z6.inference', okInference);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ result: true });
  });

  it('denies other inputs: another tenant, a missing scope, an undeclared version, no mTLS, nothing', async () => {
    for (const input of [
      { ...okInference, tenant: 'other' },
      { ...okInference, claims: { scope: 'openid', tenant: 'acme' } },
      { ...okInference, version: 'v9', claims: { scope: 'inference:churn:v9:invoke', tenant: 'acme' } },
      { ...okInference, mtls: false },
      {},
    ]) {
      const r = await decide(gateway, 'z6.inference', input);
      expect(r.status, r.body).toBe(200);
      expect(JSON.parse(r.body).result, JSON.stringify(input)).toBe(false);
    }
  });

  it('serves the registry download decision to its own client: Approved yes, Staging no', async () => {
    const input = { subject: { role: 'Serving', tenant: 'acme' }, model: { name: 'churn', version: '2.1.0', stage: 'Approved', tenant: 'acme', revoked: false, quarantined: false, revalidate_by: '2200-01-01T00:00:00Z' } };
    expect(JSON.parse((await decide(fetcher, 'z5.registry.download', input)).body).result).toBe(true);
    expect(JSON.parse((await decide(fetcher, 'z5.registry.download', { ...input, model: { ...input.model, stage: 'Staging' } })).body).result).toBe(false);
  });

  it('never allows an undefined package or rule: outside the grant system.authz refuses it, inside it has no result', async () => {
    const unknown = await decide(gateway, 'z9.unknown', okInference);
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body)).toMatchObject(REFUSED);
    const noRule = await opa.request('POST', '/v1/data/z6/inference/no_such_rule', gateway, { input: okInference });
    expect(noRule.status).toBe(200);
    expect(JSON.parse(noRule.body).result).toBeUndefined();
  });

  it('refuses a client without a certificate at the TLS handshake', async () => {
    const r = await decide({}, 'z6.inference', okInference);
    expect(r.status).toBe(0);
    expect(r.error).toMatch(/certificate|handshake|alert|ECONNRESET|socket hang up/i);
  });

  it('refuses a certificate from a foreign CA, even with a granted name', async () => {
    const r = await decide(foreignClientCertificate('model-gateway', work), 'z6.inference', okInference);
    expect(r.status).toBe(0);
    expect(r.error).toMatch(/certificate|handshake|alert|ECONNRESET|socket hang up/i);
  });

  it('refuses a lab certificate whose identity is not granted (system.authz: OPA answers 401 unauthorized)', async () => {
    const r = await decide(batch, 'z6.inference', okInference);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject(REFUSED);
    expect((await opa.request('GET', '/health', batch)).status).toBe(401);
  });

  it('refuses a granted client outside its packages and its verbs', async () => {
    expect((await decide(gateway, 'z5.registry.download', {})).status).toBe(401);
    expect((await decide(fetcher, 'z6.inference', okInference)).status).toBe(401);
    expect((await opa.request('POST', '/v1/data', gateway, { input: {} })).status).toBe(401);
    expect((await opa.request('POST', '/v1/data/system/authz', gateway, { input: {} })).status).toBe(401);
    expect((await opa.request('GET', '/v1/policies', gateway)).status).toBe(401);
    expect((await opa.request('PUT', '/v1/policies/evil', gateway, 'package evil\nallow := true')).status).toBe(401);
    expect((await opa.request('POST', '/v1/query', gateway, { query: 'data' })).status).toBe(401);
  });

  it('speaks no plain HTTP on its only port', async () => {
    const net = await import('net');
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: opa.port }, () => socket.write('GET /health HTTP/1.1\r\nHost: opa\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
      socket.setTimeout(3_000, () => socket.destroy());
    });
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/HTTP request to an HTTPS server|^$/);
  });

  it('logs each decision as JSON, with its id and the bundle revision, and without credentials', async () => {
    const input = { ...okInference, headers: { 'Authorization': `Bearer ${SECRET}`, 'cookie': COOKIE_SECRET, 'X-Request-Id': 'req-42' }, access_token: TOKEN_SECRET };
    const r = await decide(gateway, 'z6.inference', input);
    expect(JSON.parse(r.body)).toMatchObject({ result: true });
    const decisionId = JSON.parse(r.body).decision_id as string;
    expect(decisionId).toMatch(/^[0-9a-f-]{36}$/);
    let line: any;
    for (const deadline = Date.now() + 10_000; !line && Date.now() < deadline; await new Promise((res) => setTimeout(res, 100))) {
      line = opa.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.msg === 'Decision Log' && l.decision_id === decisionId);
    }
    expect(line, opa.log()).toBeDefined();
    expect(line.path).toBe('z6/inference/allow');
    expect(line.result).toBe(true);
    expect(line.input.headers).toEqual({ 'X-Request-Id': 'req-42' });
    expect(line.input.access_token).toBeUndefined();
    expect(line.erased.sort()).toEqual(['/input/access_token', '/input/headers/Authorization', '/input/headers/cookie']);
    const manifest = JSON.parse(host.files['opa/bundle/.manifest']);
    expect(Object.values(line.bundles ?? {})).toEqual([{ revision: manifest.revision }]);
    expect(line.labels).toMatchObject({ service: 'opa', zone: 'z8' });
    const all = opa.log();
    for (const secret of [SECRET, 'SECRET-BEARER-VALUE', 'SECRET-COOKIE-VALUE', TOKEN_SECRET]) expect(all).not.toContain(secret);
  });
});
