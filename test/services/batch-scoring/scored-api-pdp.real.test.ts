/**
 * The scored API as a policy enforcement point, end to end: scored-db on real PostgreSQL 15 (every
 * statement logged), the generated PDP on real OPA 1.22.3 (its generated command, config and
 * bundle: a route allow-map granting `core-banking` GET on `/scores/fraud-score/` only), and the
 * API on real Benthos 4.27 asking it over mTLS with the certificate its Vault Agent would render.
 * Callers come as in the lab: through the generated gateway on real Traefik 3 (the mTLS route
 * `scores.lab.example.com/scores/`, whose `passTLSClientCert` writes the identity header), with the
 * consumers' internal-CA client certificates; and, to show what a caller that bypassed the gateway
 * could send, directly with no, forged or malformed headers.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoredTableSql } from '../../../lib/services/batch-scoring';
import { freePorts, waitForPort } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost } from '../../support/real-servers/generated-stack';
import { httpsRequest } from '../../support/real-servers/https-request';
import { issueLikeVaultAgent, opaBinary, RunningOpa, startGeneratedOpa } from '../../support/real-servers/opa';
import { RunningTraefik, startGeneratedTraefik } from '../../support/real-servers/traefik';
import { GATEWAY_HTTPS_PORT } from '../../../lib';
import { RealScoring, ScoringBenthos } from './real-support';
import { pdpScoringHost, SCORES_HOST } from './support';

let real: RealScoring;
let api: ScoringBenthos;
let opa: RunningOpa;
let port: number;
let metricsPort: number;
let ca: Buffer;
let traefik: RunningTraefik;
let host: GeneratedHost;

/** Go's url.QueryEscape, as Traefik applies it to the whole header value. */
const queryEscape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
/** A header as the gateway would write it for a lab client certificate of `cn` sent with its intermediate. */
const certInfo = (cn: string) => queryEscape(`Subject="CN=${cn}";SAN="${cn},spiffe://lab/ns/z7/sa/${cn}",Subject="CN=Lab Intermediate CA"`);
const get = (urlPath: string, headers: Record<string, string> = {}) => httpsRequest(port, 'scored-api', urlPath, { ca }, 'GET', undefined, { timeoutMs: 20_000, headers });
/** GET through the gateway's mTLS route with the internal-CA client certificate of `consumer`. */
const via = (consumer: string, urlPath: string, headers: Record<string, string> = {}) => httpsRequest(traefik.ports[GATEWAY_HTTPS_PORT], SCORES_HOST, urlPath, {
  ca: fs.readFileSync(deliveredPath(host, 'gateway', 'ca.crt')),
  cert: fs.readFileSync(deliveredPath(host, consumer, 'tls.crt')), key: fs.readFileSync(deliveredPath(host, consumer, 'tls.key')),
}, 'GET', undefined, { timeoutMs: 20_000, headers: { host: SCORES_HOST, ...headers } });

/** `opa_denies_total{policy="z6.scores"}` as the API serves it to Prometheus (HTTPS on its metrics port). */
async function denies(): Promise<number> {
  const r = await httpsRequest(metricsPort, 'scored-api', '/metrics', { ca }, 'GET', undefined, { headers: { host: 'scored-api:4195' }, timeoutMs: 20_000 });
  expect(r.status, r.body).toBe(200);
  return Number(/^opa_denies_total\{[^}]*policy="z6\.scores"[^}]*\} (\d+)$/m.exec(r.body)?.[1] ?? 'NaN');
}

function expectForbidden(r: { status: number; body: string }, what: string): void {
  expect(r.status, `${what}: ${r.body}\n${api.log()}`).toBe(403);
  expect(JSON.parse(r.body), what).toEqual({ error: 'forbidden' });
}

beforeAll(async () => {
  opaBinary(); // fails first, naming the install script, when OPA is not built
  real = RealScoring.createWith((app) => pdpScoringHost({}, app));
  const db = await real.startDb('scored-db', { log_statement: 'all' });
  for (const model of ['fraud-score', 'churn']) db.runSqlAsSuperuser(scoredTableSql({ server: undefined as never, database: 'scored' }, model), 'scored');
  db.runSqlAsSuperuser([
    'SET ROLE scored_owner;',
    "INSERT INTO scored_core.fraud_score_scores VALUES ('cust-1', 0.2, 'sha256:new', now() - interval '1 hour');",
    "INSERT INTO scored_core.churn_scores VALUES ('cust-1', 0.7, 'sha256:churn', now() - interval '1 hour');",
  ].join('\n'), 'scored');

  const assembly = real.tier.assembly;
  host = {
    files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])),
    secretsDir: real.tier.secretsDir, vps: 'lab',
  };
  const issuer = deliveredPath(host, 'vault', 'seed-pki-intermediate.pem');
  const issue = (service: string) => issueLikeVaultAgent(host.files[`vault/agent/${service}/vault-tls.crt.ctmpl`], issuer, real.work);
  const server = issue('opa');
  const client = issue('scored-api');
  const rendered = path.join(real.work, 'scored-api-vault');
  fs.mkdirSync(rendered, { mode: 0o700 });
  fs.writeFileSync(path.join(rendered, 'vault-tls.crt'), client.cert, { mode: 0o600 });
  fs.writeFileSync(path.join(rendered, 'vault-tls.key'), client.key, { mode: 0o600 });
  real.rendered['scored-api'] = rendered;
  const opaCa = fs.readFileSync(deliveredPath(host, 'opa', 'ca.crt'), 'utf8');
  opa = await startGeneratedOpa(host, 'opa', {
    files: { '/run/vault/vault-tls.crt': server.cert, '/run/vault/vault-tls.key': server.key, '/run/secrets/ca.crt': opaCa },
    ca: opaCa, readyClient: client,
  });
  real.opaPort = opa.port;

  [port, metricsPort] = await freePorts(2);
  const { file, env } = real.testConfig('scored-api', (c) => {
    real.overrides.push(`scored-api/benthos.yaml input.http_server.address: ${c.input.http_server.address} → 127.0.0.1:${port}`);
    c.input.http_server.address = `127.0.0.1:${port}`;
  }, metricsPort);
  ca = real.tier.file('scored-api', 'ca.crt');
  api = real.spawnBenthos('scored-api', file, env);
  let exited: string | undefined;
  api.child.once('exit', (code) => (exited = `benthos exited (${code})`));
  await waitForPort(port, 30_000, () => (exited ? `${exited}\n${api.log()}\n${real.overrides.join('\n')}` : undefined));

  traefik = await startGeneratedTraefik(host, 'gateway', { 'scored-api:8443': port });
  // /ping answers before the file provider's certificates and routers are in place (until then
  // Traefik shows its self-signed default certificate, or 404): wait until the route answers.
  for (const deadline = Date.now() + 20_000; ;) {
    const r = await via('fraud-engine', '/scores/fraud-score/warm-up').catch((e: Error) => ({ status: 0, body: e.message }));
    if (r.status !== 0 && r.status !== 404) break;
    if (Date.now() > deadline) throw new Error(`the route never loaded (last: ${r.status} ${r.body})\n${traefik.log()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}, 180_000);

afterAll(async () => {
  await traefik?.stop();
  await api?.stop();
  await opa?.stop();
  await real?.cleanup();
});

describe('the scored API enforcing the PDP on real OPA, PostgreSQL and Benthos', () => {
  it('serves the granted client its model\'s score, through the gateway', async () => {
    const r = await via('core-banking', '/scores/fraud-score/cust-1');
    expect(r.status, `${r.body}\n${api.log()}\n${opa.log()}`).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ entity_id: 'cust-1', score: 0.2, model_version: 'sha256:new' });
  });

  it('refuses a client without a grant, and the granted client on another model (Z6-K11)', async () => {
    expectForbidden(await via('fraud-engine', '/scores/fraud-score/deny-probe-1'), 'fraud-engine');
    expectForbidden(await via('core-banking', '/scores/churn/deny-probe-2'), 'core-banking on churn');
  });

  it('does not let a client claim another identity through the gateway: Traefik overwrites the header', async () => {
    const forged = queryEscape('Subject="O=mlsec-cdk lab,CN=core-banking";SAN="core-banking"');
    expectForbidden(await via('fraud-engine', '/scores/fraud-score/deny-probe-5', { 'X-Forwarded-Tls-Client-Cert-Info': forged }), 'fraud-engine claiming core-banking');
  });

  it('refuses a direct request without the identity header, or with a malformed one', async () => {
    expectForbidden(await get('/scores/fraud-score/deny-probe-3'), 'no header');
    for (const forged of [
      'core-banking',
      'Subject="CN=core-banking"', // not escaped as the gateway does
      queryEscape('Subject="CN=fraud-engine,CN=core-banking'),
      queryEscape('Subject="O=x\\",CN=core-banking"'),
      queryEscape('Subject="CN=core-banking";SAN="core-banking";X="y"'),
      queryEscape('SAN="core-banking"'),
      '%zz',
    ]) {
      expectForbidden(await get('/scores/fraud-score/deny-probe-4', { 'X-Forwarded-Tls-Client-Cert-Info': forged }), forged);
    }
  });

  it('trusts a well-formed header it is sent: a caller that bypassed the gateway could claim any identity (so allowClient is refused)', async () => {
    const r = await get('/scores/fraud-score/cust-1', { 'X-Forwarded-Tls-Client-Cert-Info': certInfo('core-banking') });
    expect(r.status, r.body).toBe(200);
  });

  it('runs no query for a refused request', () => {
    const log = real.pgs['scored-db'].log();
    expect(log).toMatch(/parameters: \$1 = 'cust-1'/);
    expect(log).not.toMatch(/deny-probe/);
  });

  it('asks the PDP with the identity, method and path, and OPA logs each decision', async () => {
    const lines = () => opa.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.msg === 'Decision Log');
    let decisions: any[] = [];
    for (const deadline = Date.now() + 10_000; decisions.length < 3 && Date.now() < deadline; await new Promise((res) => setTimeout(res, 100))) decisions = lines();
    const seen = decisions.map((d) => [d.path, d.input?.input ?? d.input, d.result]);
    expect(seen, opa.log()).toEqual(expect.arrayContaining([
      ['z6/scores/allow', { client: 'core-banking', method: 'GET', path: '/scores/fraud-score/cust-1' }, true],
      ['z6/scores/allow', { client: 'fraud-engine', method: 'GET', path: '/scores/fraud-score/deny-probe-1' }, false],
      ['z6/scores/allow', { client: 'core-banking', method: 'GET', path: '/scores/churn/deny-probe-2' }, false],
      ['z6/scores/allow', { client: 'fraud-engine', method: 'GET', path: '/scores/fraud-score/deny-probe-5' }, false],
    ]));
    // A missing or forged identity never reaches the PDP.
    expect(decisions.some((d) => /deny-probe-[34]/.test(JSON.stringify(d.input))), opa.log()).toBe(false);
  });

  it('counts every refused request for Z9 (OpaDenyBurst), the ones without an identity included', async () => {
    // deny-probe-1, -2 and -5 (the PDP said no), -3 and seven -4 (no identity: no question asked).
    expect(await denies()).toBeGreaterThanOrEqual(11);
    const before = await denies();
    await via('core-banking', '/scores/fraud-score/cust-1');
    expect(await denies()).toBe(before); // an allow adds nothing
    expectForbidden(await via('fraud-engine', '/scores/fraud-score/deny-probe-6'), 'fraud-engine');
    expect(await denies()).toBe(before + 1);
  });

  it('fails closed: with the PDP down the granted client gets the same 403, quickly, counted as a deny', async () => {
    const before = await denies();
    await opa.stop();
    const started = Date.now();
    expectForbidden(await via('core-banking', '/scores/fraud-score/cust-1'), 'OPA stopped');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await denies()).toBe(before + 1);
  });
});
