/**
 * ScoredApi: the compose service, the generated Benthos config (one GET route, a parameterized
 * query per model, generic errors) and its SELECT-only grant; the config through `benthos lint`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { lintBenthos, runBlobl } from '../../support/real-servers/benthos';
import { scoringHost } from './support';

const h = scoringHost({ api: { models: ['fraud-score', 'churn'] } });
const assembly = Testing.synth(h.app);
const configText = assembly.file('lab/scored-api/benthos.yaml');
const config = parse(configText);
const compose = parse(assembly.file('lab/docker-compose.yml'));
const svc = compose.services['scored-api'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-scored-api-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('ScoredApi: the compose service', () => {
  it('is a hardened Z6 service exposing 8443 (and 4195, metrics) to its networks only', () => {
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc['x-mlsec'].zone).toBe('z6');
    expect(svc.expose).toEqual(['8443', '4195']);
    expect(svc.ports).toBeUndefined();
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'scored-db', port: 5432 }]);
  });

  it('is reached only by the clients allowClient declares', () => {
    expect(compose.services['core-banking']['x-mlsec'].flows).toEqual([{ to: 'scored-api', port: 8443 }]);
    // The consumer reaches the API, never the store (ZONE-10).
    expect(compose.services['core-banking'].networks).not.toContain('z6');
  });

  it('holds SELECT only on the score schema, by certificate', () => {
    const grants = h.scoredDb.grantsMade.filter((g) => g.serviceName === 'scored-api');
    expect(grants.map((g) => [g.database, g.schema, g.privileges.join(','), g.authentication])).toEqual([['scored', 'scored_core', 'SELECT', 'cert']]);
    expect(h.featuresDb.grantsMade.filter((g) => g.serviceName === 'scored-api')).toEqual([]);
  });
});

describe('ScoredApi: the Benthos config', () => {
  it('matches the snapshot', () => {
    expect(configText).toMatchSnapshot();
  });

  it('serves one HTTPS route, GET only, for the known models and well-formed ids', () => {
    const input = config.input.http_server;
    expect(input.path).toBe('/scores/{model:(?:fraud-score|churn)}/{entity_id:[A-Za-z0-9._:-]{1,128}}');
    expect(input.allowed_verbs).toEqual(['GET']);
    expect(input.ws_path).toBe('');
    expect(input.cert_file).toBe('/run/secrets/tls.crt');
    expect(input.rate_limit).toBe('scored_api');
    expect(config.rate_limit_resources).toEqual([{ label: 'scored_api', local: { count: 50, interval: '1s' } }]);
    expect(input.sync_response.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    expect(input.sync_response.metadata_headers).toBeUndefined();
    // Benthos' own server: HTTPS metrics for Z9, with the service's certificate, no debug endpoints.
    expect(config.http).toEqual({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false, cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key' });
    expect(config.metrics).toEqual({ prometheus: {} });
  });

  it('queries each model’s table with the id as a bound parameter only', () => {
    const cases = config.pipeline.processors[0].switch;
    expect(cases.map((c: any) => [c.check, c.processors[0].sql_select.table])).toEqual([
      ['@model == "fraud-score"', 'scored_core.fraud_score_scores'],
      ['@model == "churn"', 'scored_core.churn_scores'],
    ]);
    for (const c of cases) {
      const q = c.processors[0].sql_select;
      expect(q.where).toBe('entity_id = ?');
      expect(q.args_mapping).toBe('root = [ @entity_id ]');
      expect(q.columns).toEqual(['entity_id', 'score', 'model_version', 'scored_at']);
      expect(q.dsn).toBe('postgres://scored_api@scored-db:5432/scored?sslmode=verify-full&sslrootcert=/run/secrets/ca.crt&sslcert=/run/secrets/clienttls.crt&sslkey=/run/secrets/clienttls.key&connect_timeout=10');
    }
    expect(configText).not.toMatch(/\$\{!?\s*@entity_id|\+ *@entity_id/);
  });

  it('answers failures generically, naming no table or host', () => {
    const fallback = config.pipeline.processors[2].catch[0].mapping;
    expect(fallback).toContain('meta http_status = "503"');
    expect(fallback).toContain('root = {"error": "unavailable"}');
  });

  it('passes benthos lint', () => {
    const file = path.join(work, 'api.yaml');
    fs.writeFileSync(file, configText);
    const r = lintBenthos(file);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('shapes the answer: the row, or not found', async () => {
    const file = path.join(work, 'response.blobl');
    // `benthos blobl` shows the document only: the status metadata is asserted by the real test.
    fs.writeFileSync(file, config.pipeline.processors[1].mapping);
    const row = { entity_id: 'a', score: 0.5, model_version: 'v', scored_at: '2026-01-01T00:00:00Z', extra: 'x' };
    expect(JSON.parse((await runBlobl(file, JSON.stringify([row]))).output!)).toEqual({ entity_id: 'a', score: 0.5, model_version: 'v', scored_at: '2026-01-01T00:00:00Z' });
    expect(JSON.parse((await runBlobl(file, '[]')).output!)).toEqual({ error: 'not found' });
  });
});
