/**
 * BatchScoringJob: the compose service, the generated Benthos config and the PostgreSQL grants,
 * asserted control by control; the config through `benthos lint`; the scores mapping through
 * `benthos blobl` on answers of the model (good, another model, no version, a short answer).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresServer, Testing, Zone } from '../../../lib';
import { BatchScoringJob, scoredTableSql } from '../../../lib/services/batch-scoring';
import { lintBenthos, runBlobl } from '../../support/real-servers/benthos';
import { servingHost } from '../model-serving/support';
import { FEATURE_COLUMNS, scoringHost } from './support';

const h = scoringHost();
const assembly = Testing.synth(h.app);
const configText = assembly.file('lab/batch-scoring/benthos.yaml');
const config = parse(configText);
const compose = parse(assembly.file('lab/docker-compose.yml'));
const svc = compose.services['batch-scoring'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-batch-scoring-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('BatchScoringJob: the compose service', () => {
  it('is a hardened one-shot Z6 job with no port and no health check (reason recorded)', () => {
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc['x-mlsec'].zone).toBe('z6');
    expect(svc.expose).toBeUndefined();
    expect(svc.ports).toBeUndefined();
    expect(svc.healthcheck).toBeUndefined();
    expect(svc['x-mlsec'].overrides).toEqual([{ control: 'healthcheck', setting: 'none', reason: 'a one-shot job that scores the feature table, then exits' }]);
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.user).toBe('10001:10001');
    expect(svc.restart).toMatch(/^on-failure:\d+$/);
  });

  it('has exactly three flows: the feature database, the scored database and the model server', () => {
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'features-db', port: 5432 }, { to: 'scored-db', port: 5432 }, { to: 'model-server', port: 8080 }]);
    expect(Object.keys(svc.depends_on).sort()).toEqual(['features-db', 'model-server', 'scored-db']);
  });

  it('holds a client certificate and the CA, and no password', () => {
    expect((svc.secrets as { target: string }[]).map((s) => s.target).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(JSON.stringify(svc.environment)).not.toMatch(/PASS/);
    expect(configText).not.toMatch(/password|PGPASS/i);
  });
});

describe('BatchScoringJob: the grants', () => {
  const grantOf = (server: typeof h.featuresDb) => server.grantsMade.filter((g) => g.serviceName === 'batch-scoring');

  it('SELECT on the feature schema, INSERT (nothing else) on the score schema, both by certificate', () => {
    expect(grantOf(h.featuresDb).map((g) => [g.database, g.schema, g.privileges.join(','), g.authentication])).toEqual([['features', 'fs_offline', 'SELECT', 'cert']]);
    expect(grantOf(h.scoredDb).map((g) => [g.database, g.schema, g.privileges.join(','), g.authentication])).toEqual([['scored', 'scored_core', 'INSERT', 'cert']]);
    const hba = assembly.file('lab/scored-db/pg_hba.conf');
    expect(hba).toMatch(/^hostssl\s+scored\s+batch_scoring\s+samenet\s+cert map=mlsec$/m);
    expect(assembly.file('lab/scored-db/pg_ident.conf')).toMatch(/^mlsec batch-scoring batch_scoring$/m);
  });

  it('creates the score table as the database owner, append-only with the model version in the key', () => {
    const ddl = scoredTableSql(h.scored, 'fraud-score');
    expect(ddl).toMatch(/^SET ROLE "scored_owner";/);
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "scored_core"."fraud_score_scores"');
    expect(ddl).toContain('PRIMARY KEY (entity_id, model_version, scored_at)');
    expect(ddl).toMatch(/RESET ROLE;\n$/);
  });
});

describe('BatchScoringJob: the Benthos config', () => {
  it('matches the snapshot', () => {
    expect(configText).toMatchSnapshot();
  });

  it('selects only the declared columns of rows with every feature present, over verified TLS as its role', () => {
    const select = config.input.broker.inputs[0].sql_select;
    expect(select.columns).toEqual(['cust_id_hmac', 'amount_30d', 'count_30d', 'tenure_days']);
    expect(select.table).toBe('fs_offline.tx_2025');
    expect(select.where).toBe("cust_id_hmac ~ '^[A-Za-z0-9._:-]{1,128}$' AND amount_30d IS NOT NULL AND count_30d IS NOT NULL AND tenure_days IS NOT NULL");
    expect(select.dsn).toBe('postgres://batch_scoring@features-db:5432/features?sslmode=verify-full&sslrootcert=/run/secrets/ca.crt&sslcert=/run/secrets/tls.crt&sslkey=/run/secrets/tls.key&connect_timeout=10');
    expect(config.input.broker.batching).toEqual({ count: 100, period: '1s' });
  });

  it('posts each batch to the model server’s v2 infer endpoint, with bounded retries', () => {
    const branch = config.pipeline.processors.find((p: any) => p.branch).branch;
    expect(branch.processors[0].http).toMatchObject({ url: 'http://model-server:8080/v2/models/fraud-score/infer', verb: 'POST', retries: 3 });
    expect(branch.request_map).toContain('"datatype": "FP64", "shape": [this.rows.length(), 3]');
  });

  it('inserts only through reject_errored: a failed batch is replayed, never written', () => {
    const insert = config.output.reject_errored.sql_insert;
    expect(insert.table).toBe('scored_core.fraud_score_scores');
    expect(insert.columns).toEqual(['entity_id', 'score', 'model_version', 'scored_at']);
    expect(insert.suffix).toBe('ON CONFLICT DO NOTHING');
    expect(insert.dsn).toMatch(/^postgres:\/\/batch_scoring@scored-db:5432\/scored\?sslmode=verify-full&/);
    expect(config.input.broker.inputs[0].sql_select.auto_replay_nacks).toBeUndefined(); // Benthos' default: true
    expect(config.http).toEqual({ enabled: false });
  });

  it('passes benthos lint', () => {
    const file = path.join(work, 'job.yaml');
    fs.writeFileSync(file, configText);
    const r = lintBenthos(file);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('BatchScoringJob with Vault', () => {
  it('logs in with its Vault-issued certificate (rendered by its agent), still without any password', () => {
    const v = servingHost();
    const db = (id: string, zone: Zone, name: string, schema: string) => {
      const server = new PostgresServer(v.vps, id, { zone, vault: v.vault });
      server.addDatabase(name, { schemas: [schema] });
      return server;
    };
    new BatchScoringJob(v.vps, 'batch-scoring', {
      vault: v.vault, modelServer: v.server,
      features: { server: db('features-db', Zone.Z3_CURATED, 'features', 'fs_offline'), database: 'features', schema: 'fs_offline', table: 'tx_2025', entityColumn: 'cust_id_hmac', columns: FEATURE_COLUMNS },
      scored: { server: db('scored-db', Zone.Z6_SERVING, 'scored', 'scored_core'), database: 'scored' },
    });
    const a = Testing.synth(v.app);
    const c = parse(a.file('lab/batch-scoring/benthos.yaml'));
    for (const dsn of [c.input.broker.inputs[0].sql_select.dsn, c.output.reject_errored.sql_insert.dsn]) {
      expect(dsn).toMatch(/^postgres:\/\/batch_scoring@[a-z-]+:5432\/[a-z]+\?sslmode=verify-full&sslrootcert=\/run\/secrets\/ca\.crt&sslcert=\/run\/vault\/[\w.-]+\.crt&sslkey=\/run\/vault\/[\w.-]+\.key&connect_timeout=10$/);
    }
    const env = parse(a.file('lab/docker-compose.yml')).services['batch-scoring'].environment;
    expect(Object.keys(env).filter((k) => /PASS|SERVICE/.test(k))).toEqual([]);
  });
});

describe('BatchScoringJob: the scores mapping (benthos blobl)', () => {
  const mappingFile = path.join(work, 'scores.blobl');
  const mapping = () => {
    if (!fs.existsSync(mappingFile)) fs.writeFileSync(mappingFile, config.pipeline.processors.find((p: any) => p.mapping?.startsWith('let out')).mapping);
    return mappingFile;
  };
  const rows = [{ cust_id_hmac: 'a', amount_30d: 1 }, { cust_id_hmac: 'b', amount_30d: 2 }];
  const answer = (over: Record<string, unknown> = {}) => ({ model_name: 'fraud-score', model_version: 'sha256:ab', outputs: [{ name: 'predict', shape: [2, 1], datatype: 'FP64', data: [0.1, 0.9] }], ...over });

  it('makes one row per entity with its score, the answered version and one time', async () => {
    const r = await runBlobl(mapping(), JSON.stringify({ rows, inference: answer() }));
    const out = JSON.parse(r.output!);
    expect(out.map((o: any) => [o.entity_id, o.score, o.model_version])).toEqual([['a', 0.1, 'sha256:ab'], ['b', 0.9, 'sha256:ab']]);
    expect(out[0].scored_at).toBe(out[1].scored_at);
  });

  it('takes the last column of probabilities (the positive class)', async () => {
    const r = await runBlobl(mapping(), JSON.stringify({ rows, inference: answer({ outputs: [{ name: 'predict_proba', shape: [2, 2], data: [0.7, 0.3, 0.2, 0.8] }] }) }));
    expect(JSON.parse(r.output!).map((o: any) => o.score)).toEqual([0.3, 0.8]);
  });

  it.each([
    ['another model', { model_name: 'other' }, /not of model fraud-score/],
    ['no model version', { model_version: undefined }, /./],
    ['an empty model version', { model_version: '' }, /./],
    ['a null entity id', { }, /./, [{ cust_id_hmac: null, amount_30d: 1 }, rows[1]]],
    ['one score too few', { outputs: [{ shape: [1, 1], data: [0.1] }] }, /one score per row/],
  ] as [string, Record<string, unknown>, RegExp, unknown[]?][])('fails the batch on %s', async (_label, over, error, input = rows) => {
    const r = await runBlobl(mapping(), JSON.stringify({ rows: input, inference: answer(over) }));
    expect(r.output).toBeUndefined();
    expect(r.error).toMatch(error);
  });
});
