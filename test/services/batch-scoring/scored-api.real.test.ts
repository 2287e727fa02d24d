/**
 * The generated scored API end to end (see real-support.ts for the harness): scored-db on real
 * PostgreSQL 15 (every statement logged, to see how the query reaches the server), its score
 * table created by the database owner and filled as the job would, and the API on real Benthos
 * 4.27, called over HTTPS and verified for its service name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoredTableSql } from '../../../lib/services/batch-scoring';
import { freePorts, waitForPort } from '../../support/real-servers/free-port';
import { httpsRequest } from '../../support/real-servers/https-request';
import { RealScoring, ScoringBenthos } from './real-support';

let real: RealScoring;
let api: ScoringBenthos;
let port: number;
let ca: Buffer;

const get = (urlPath: string, method = 'GET', body?: string) => httpsRequest(port, 'scored-api', urlPath, { ca }, method, body, { timeoutMs: 20_000 });

beforeAll(async () => {
  real = RealScoring.create();
  const db = await real.startDb('scored-db', { log_statement: 'all' });
  db.runSqlAsSuperuser(scoredTableSql({ server: undefined as never, database: 'scored' }, 'fraud-score'), 'scored');
  db.runSqlAsSuperuser([
    'SET ROLE scored_owner;',
    'INSERT INTO scored_core.fraud_score_scores VALUES',
    "  ('cust-1', 0.9, 'sha256:old', now() - interval '1 day'),",
    "  ('cust-1', 0.2, 'sha256:new', now() - interval '1 hour'),",
    "  ('cust-2', 0.5, 'sha256:new', now() - interval '1 hour');",
  ].join('\n'), 'scored');
  let metricsPort: number;
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
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await real?.cleanup();
});

describe('the generated scored API on real PostgreSQL and Benthos', () => {
  it('answers the latest score of an entity as JSON', async () => {
    const r = await get('/scores/fraud-score/cust-1');
    expect(r.status, `${r.body}\n${api.log()}`).toBe(200);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ entity_id: 'cust-1', score: 0.2, model_version: 'sha256:new' });
    expect(Object.keys(body).sort()).toEqual(['entity_id', 'model_version', 'score', 'scored_at']);
    expect(Math.abs(Date.parse(body.scored_at) - (Date.now() - 3_600_000))).toBeLessThan(600_000);
  });

  it('answers 404 for an unknown entity, model or path, and for an id that is no id', async () => {
    const unknown = await get('/scores/fraud-score/cust-999');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ error: 'not found' });
    for (const p of ['/scores/other-model/cust-1', '/scores/fraud-score', '/scores/fraud-score/cust-1/x', "/scores/fraud-score/cust-1'%20OR%20'1'='1", '/scores/fraud-score/%27', '/ping', '/metrics', '/benthos/version', '/']) {
      expect((await get(p)).status, p).toBe(404);
    }
  });

  it('refuses every method but GET', async () => {
    expect((await get('/scores/fraud-score/cust-1', 'POST', '{}')).status).toBe(405);
    expect((await get('/scores/fraud-score/cust-1', 'DELETE')).status).toBe(405);
    expect(real.pgs['scored-db'].runSqlAsSuperuser('SELECT count(*) FROM scored_core.fraud_score_scores', 'scored')).toBe('3');
  });

  it('sends the id as a bound parameter of a fixed statement, never inside its text', async () => {
    expect((await get('/scores/fraud-score/cust-2')).status).toBe(200);
    const log = real.pgs['scored-db'].log();
    expect(log).toMatch(/execute [^:]*: SELECT entity_id, score, model_version, scored_at FROM scored_core\.fraud_score_scores WHERE entity_id = \$1 ORDER BY scored_at DESC LIMIT 1\n.*DETAIL:\s+parameters: \$1 = 'cust-2'/);
    expect(log).not.toMatch(/entity_id = 'cust-2'/);
    expect(log).toMatch(/connection authorized: user=scored_api database=scored SSL enabled \(protocol=TLSv1\.[23]/);
  });

  it('holds SELECT only on the scores', () => {
    const as = (q: string) => real.sqlAs('scored-api', 'scored_api', 'scored-db', 'scored', q);
    expect(as("SELECT score FROM scored_core.fraud_score_scores WHERE entity_id = 'cust-2'").stdout.trim()).toBe('0.5');
    for (const q of ["INSERT INTO scored_core.fraud_score_scores VALUES ('x', 1, 'v', now())", 'UPDATE scored_core.fraud_score_scores SET score = 1', 'DELETE FROM scored_core.fraud_score_scores']) {
      const r = as(q);
      expect(r.status, q).not.toBe(0);
      expect(r.stderr, q).toMatch(/permission denied for table fraud_score_scores/);
    }
  });

  it('answers a generic 503 when the database is gone, naming no table or host', async () => {
    await real.pgs['scored-db'].stop();
    const r = await get('/scores/fraud-score/cust-1');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: 'unavailable' });
  });
});
