/**
 * ScoredApi with a decision point (CONTROLS.md Z8-K09, INV-20, Z6-K11): the generated Benthos
 * config asks OPA about every request before any SQL, over mTLS, and answers 403 unless allowed;
 * the identity comes from the gateway's verified-certificate header, strictly parsed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { lintBenthos, runBlobl } from '../../support/real-servers/benthos';
import { pdpScoringHost } from './support';

const h = pdpScoringHost();
const assembly = Testing.synth(h.app);
const configText = assembly.file('lab/scored-api/benthos.yaml');
const config = parse(configText);
const compose = parse(assembly.file('lab/docker-compose.yml'));
const processors = config.pipeline.processors;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-scored-api-pdp-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('ScoredApi with a decision point', () => {
  it('matches the snapshot', () => {
    expect(configText).toMatchSnapshot();
  });

  it('is granted exactly its package on the PDP, with a Vault-issued client certificate', () => {
    expect(compose.services['scored-api']['x-mlsec'].flows).toEqual(expect.arrayContaining([{ to: 'opa', port: 8181 }, { to: 'scored-db', port: 5432 }]));
    const authz = assembly.file('lab/opa/bundle/system/authz/policy.rego');
    expect(authz).toMatch(/"scored-api"/);
    expect(authz).toMatch(/z6\.scores|z6\/scores|"z6", "scores"|"scores"/);
    expect(assembly.paths()).toContain('lab/vault/agent/scored-api/vault-tls.crt.ctmpl');
  });

  it('is reached only by the gateway (whose mTLS route writes the identity header), never by a consumer directly', () => {
    const callers = Object.entries(compose.services as Record<string, any>)
      .filter(([, svc]) => (svc['x-mlsec']?.flows ?? []).some((f: { to: string }) => f.to === 'scored-api')).map(([name]) => name);
    expect(callers).toEqual(['gateway']);
    const middlewares = Object.assign({}, ...assembly.paths().filter((p) => p.startsWith('lab/traefik/dynamic/')).map((p) => parse(assembly.file(p))?.http?.middlewares ?? {}));
    expect(Object.values(middlewares)).toContainEqual({ passTLSClientCert: { info: { subject: { commonName: true, organization: true }, sans: true } } });
  });

  it('asks OPA first, over HTTPS with its client certificate, once, and quickly', () => {
    const branch = processors[1].switch[0].processors[0].branch;
    expect(processors[1].switch[0].check).toBe('@client != ""');
    const http = branch.processors[0].http;
    expect(http.url).toBe('https://opa:8181/v1/data/z6/scores/allow');
    expect(http.verb).toBe('POST');
    expect(http.retries).toBe(0);
    expect(http.tls).toEqual({ enabled: true, root_cas_file: '/run/secrets/ca.crt', client_certs: [{ cert_file: '/run/vault/vault-tls.crt', key_file: '/run/vault/vault-tls.key' }] });
    expect(http.tls.skip_cert_verify).toBeUndefined();
    expect(branch.request_map).toBe('root = {"input": {"client": @client, "method": "GET", "path": "/scores/%s/%s".format(@model, @entity_id)}}');
    // Only a boolean true allows; every error (OPA down, 401, no result) is a denial.
    expect(branch.result_map).toBe('meta authz = if this.result == true { "allow" } else { "deny" }');
    expect(processors[2]).toEqual({ catch: [{ mapping: 'meta authz = "deny"' }] });
  });

  it('counts each refused request (the PDP down included) in opa_denies_total{policy}, before the query', () => {
    expect(processors[3]).toEqual({ metric: { type: 'counter_by', name: 'opa_denies_total', labels: { policy: 'z6.scores' }, value: '${! if @authz == "allow" { 0 } else { 1 } }' } });
    expect(h.api.providedMetrics).toEqual(['opa_denies_total{policy}']);
  });

  it('runs the query only when allowed, and answers a generic 403 otherwise', () => {
    const gate = processors[4].switch;
    expect(gate[0].check).toBe('@authz == "allow"');
    expect(gate[0].processors[0].switch[0].processors[0].sql_select.table).toBe('scored_core.fraud_score_scores');
    expect(gate[1].check).toBeUndefined();
    expect(gate[1].processors).toEqual([{ mapping: 'meta = deleted()\nmeta http_status = "403"\nroot = {"error": "forbidden"}' }]);
    expect(JSON.stringify(processors.slice(0, 4))).not.toMatch(/sql_select/);
  });

  it('allows only on a boolean true result', async () => {
    const file = path.join(work, 'result.blobl');
    fs.writeFileSync(file, `${processors[1].switch[0].processors[0].branch.result_map}\nroot = {"authz": @authz}`);
    const authz = async (body: string) => JSON.parse((await runBlobl(file, body)).output!).authz;
    expect(await authz('{"decision_id": "x", "result": true}')).toBe('allow');
    for (const body of ['{"result": false}', '{"result": "true"}', '{"result": 1}', '{"result": [true]}', '{"result": {"allow": true}}', '{}', '{"code": "unauthorized"}']) {
      expect(await authz(body), body).toBe('deny');
    }
  });

  it('passes benthos lint', () => {
    const file = path.join(work, 'api.yaml');
    fs.writeFileSync(file, configText);
    const r = lintBenthos(file);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('takes the identity from the header strictly: the leaf certificate\'s CN of a query-escaped value, or nothing', async () => {
    const file = path.join(work, 'identity.blobl');
    // `benthos blobl` has no metadata input: read the header from the document instead.
    fs.writeFileSync(file, `${processors[0].mapping.replace(/metadata\("X-Forwarded-Tls-Client-Cert-Info"\)/, 'this.info')}\nroot = {"c": @client}`);
    const client = async (info: string | null) => JSON.parse((await runBlobl(file, JSON.stringify({ info }))).output!).c;
    const enc = encodeURIComponent;
    const chain = 'Subject="CN=core-banking";SAN="core-banking,spiffe://lab/ns/z7/sa/core-banking",Subject="O=Lab,CN=Lab Intermediate CA"';
    expect(await client(enc(chain))).toBe('core-banking');
    expect(await client(enc('Subject="O=Acme,OU=Ops,CN=fraud-engine"'))).toBe('fraud-engine');
    for (const bad of [
      null, '', 'core-banking', 'Subject="CN=core-banking"', 'Subject%3D%22CN%3Dcore-banking%22 ', `${enc('Subject="CN=core-banking"')}${'+'.repeat(8200)}`, enc('CN=core-banking'), enc('Subject="CN=core-banking'),
      enc('Subject="CN=core-banking,O=x"'), enc('Subject="O=x\\",CN=core-banking"'), enc('Subject="CN=core banking"'),
      enc('Subject="CN=a";Subject="CN=core-banking"'), enc('Subject="CN=core-banking";SAN="x";evil'), '%zz', enc('Subject="CN=../admin"'),
      enc('Subject="CN=core-banking"\nX: y'), enc('Subject="O=a;CN=b,CN=core-banking"'),
    ]) {
      expect(await client(bad), String(bad)).toBe('');
    }
  });
});
