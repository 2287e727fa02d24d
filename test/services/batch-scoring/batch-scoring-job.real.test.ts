/**
 * The generated batch scoring job end to end (see real-support.ts for the harness): features-db
 * and scored-db on real PostgreSQL 15, the job on real Benthos 4.27. The model server is a
 * stand-in of THIS TEST: a small node HTTP server answering MLServer's v2 inference protocol
 * (plain HTTP, as MLServer 1.6 serves), since the real ModelServer needs Vault, the registry and
 * a signed release to start.
 */
import * as http from 'http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoredTableSql } from '../../../lib/services/batch-scoring';
import { freePort } from '../../support/real-servers/free-port';
import { RealScoring } from './real-support';

let real: RealScoring;
let model: http.Server | undefined;
/** The v2 requests the stand-in model server received. */
const inferences: any[] = [];
let failNext = 0;
let job: { status: number | null; log: string };

const ENTITIES = Array.from({ length: 7 }, (_, i) => `cust-${i}`);

/** The stand-in model server: v2 `infer` of model fraud-score, score = amount_30d / 1000; answers 503 to the first `failNext` requests. */
function startModel(port: number): Promise<void> {
  model = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v2/models/fraud-score/infer') {
        res.writeHead(404).end();
        return;
      }
      const request = JSON.parse(body);
      inferences.push(request);
      if (failNext > 0) {
        failNext--;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"warming up"}');
        return;
      }
      const [input] = request.inputs;
      const [rows, cols] = input.shape;
      const data = Array.from({ length: rows }, (_, r) => input.data[r * cols] / 1000);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        model_name: 'fraud-score', model_version: 'sha256:0123abcd', id: 'x',
        outputs: [{ name: 'predict', shape: [rows, 1], datatype: 'FP64', data }],
      }));
    });
  });
  return new Promise((resolve) => model!.listen(port, '127.0.0.1', () => resolve()));
}

/** Runs the job to its end (it exits once the table is read and every batch is written). */
function runJob(): Promise<{ status: number | null; log: string }> {
  const { file, env } = real.testConfig('batch-scoring');
  const run = real.spawnBenthos('batch-scoring job', file, env);
  return new Promise((resolve) => {
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 90_000);
    run.child.once('exit', (status) => {
      clearTimeout(timer);
      const log = run.log();
      void run.stop();
      resolve({ status, log });
    });
  });
}

beforeAll(async () => {
  real = RealScoring.create();
  const features = await real.startDb('features-db');
  const scored = await real.startDb('scored-db');
  // Z3 owns the feature table (with a column the job must not read, a row with a missing feature
  // and one with a malformed id); the score table is created by the scored database's owner.
  const rows = ENTITIES.map((e, i) => `('${e}', ${(i + 1) * 100}, ${i}, ${i * 10}, 'secret-${i}')`).join(', ');
  features.runSqlAsSuperuser([
    'SET ROLE features_owner;',
    'CREATE TABLE fs_offline.tx_2025 (cust_id_hmac text PRIMARY KEY, amount_30d numeric, count_30d integer, tenure_days integer, pep_flag text);',
    `INSERT INTO fs_offline.tx_2025 VALUES ${rows}, ('cust-missing', NULL, 1, 1, 'x'), ('bad id''; --', 1, 1, 1, 'x');`,
  ].join('\n'), 'features');
  scored.runSqlAsSuperuser(scoredTableSql({ server: undefined as never, database: 'scored' }, 'fraud-score'), 'scored');
  real.modelPort = await freePort();
  await startModel(real.modelPort);
  // The first batch is refused on its first request and its 3 retries: the batch fails, is
  // rejected and replayed by the input, then scored — never lost, never half-written.
  failNext = 4;
  job = await runJob();
}, 240_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (model ? model.close(() => resolve()) : resolve()));
  await real?.cleanup();
});

describe('the generated batch scoring job on real PostgreSQL and Benthos', () => {
  it('runs to completion and writes one score per entity with the model version the server answered', () => {
    expect(job.status, `${job.log}\n--- overrides ---\n${real.overrides.join('\n')}`).toBe(0);
    const scored = real.pgs['scored-db'];
    const rows = scored.runSqlAsSuperuser('SELECT entity_id, score, model_version FROM scored_core.fraud_score_scores ORDER BY entity_id', 'scored');
    expect(rows.split('\n')).toEqual(ENTITIES.map((e, i) => `${e}|${(i + 1) / 10}|sha256:0123abcd`));
    expect(scored.runSqlAsSuperuser("SELECT count(*) FROM scored_core.fraud_score_scores WHERE scored_at > now() - interval '10 minutes'", 'scored')).toBe(String(ENTITIES.length));
  });

  it('sent only the declared feature columns, and skipped the rows with a missing feature or a malformed id', () => {
    const ok = inferences.slice(4);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.every((r) => r.inputs[0].shape[1] === 3 && r.inputs[0].datatype === 'FP64')).toBe(true);
    // One vector (amount_30d, count_30d, tenure_days) per scored entity; a replay may reorder the rows.
    const vectors = ok.flatMap((r) => Array.from({ length: r.inputs[0].shape[0] }, (_, i) => JSON.stringify(r.inputs[0].data.slice(i * 3, i * 3 + 3))));
    expect(vectors.sort()).toEqual(ENTITIES.map((_, i) => JSON.stringify([(i + 1) * 100, i, i * 10])).sort());
    expect(JSON.stringify(inferences)).not.toMatch(/secret-|pep_flag|cust-/);
  });

  it('retried the refused batch with the same body, then had the input replay it', () => {
    expect(inferences.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < 4; i++) expect(inferences[i], `retry ${i}`).toEqual(inferences[0]);
    expect(job.log).toMatch(/503/);
  });

  it('logged in by certificate as its own role: the features read-only, the scores insert-only', () => {
    const as = (db: string, database: string, query: string) => real.sqlAs('batch-scoring', 'batch_scoring', db, database, query);
    const read = as('scored-db', 'scored', 'SELECT count(*) FROM scored_core.fraud_score_scores');
    expect(read.status).not.toBe(0);
    expect(read.stderr).toMatch(/permission denied for table fraud_score_scores/);
    for (const q of ['UPDATE scored_core.fraud_score_scores SET score = 1', 'DELETE FROM scored_core.fraud_score_scores', 'CREATE TABLE scored_core.x (a int)']) {
      const r = as('scored-db', 'scored', q);
      expect(r.status, q).not.toBe(0);
      expect(r.stderr, q).toMatch(/permission denied/);
    }
    const write = as('features-db', 'features', "INSERT INTO fs_offline.tx_2025 (cust_id_hmac) VALUES ('evil')");
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/permission denied for table tx_2025/);
    expect(as('features-db', 'features', 'SELECT count(*) FROM fs_offline.tx_2025').stdout.trim()).toBe(String(ENTITIES.length + 2));
    expect(real.pgs['scored-db'].log()).toMatch(/connection authorized: user=batch_scoring database=scored SSL enabled \(protocol=TLSv1\.[23]/);
  });
});
