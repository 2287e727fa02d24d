/**
 * The generated access broker end to end, without Vault: the bootstrap's certificates, a real
 * PostgreSQL 15 (curated-db) with its generated config, pg_hba, pg_ident and init SQL, the table
 * `curated_core.transactions` created and filled by the database's owner, and Benthos 4.27
 * running the generated config (with `--env-file` holding the clients' token digests), called
 * over HTTPS with the internal CA and each client's delivered bearer token. The host sets
 * `requestsPerSecond: 50` (a prop) so the rate-limit case stays short.
 * Overridden only what a test host must: the database port, the listen addresses (the API's and
 * Benthos' metrics server's), the /run/secrets paths (the delivered files), and name resolution —
 * Benthos runs in a private mount namespace whose /etc/hosts maps `curated-db` to 127.0.0.1, so
 * it still connects by name and verifies the server certificate for it (verify-full).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishedDataset } from '../../../lib/services/data-broker';
import { benthosBinary } from '../../support/real-servers/benthos';
import { freePort } from '../../support/real-servers/free-port';
import { httpsRequest } from '../../support/real-servers/https-request';
import { PostgresServer as RunningPostgres, startPostgres } from '../../support/real-servers/postgres';
import { stopAll } from '../../support/real-servers/process-registry';
import { bootstrapTier, DataTier } from '../data-tier-fixture';
import { CURATED_TABLES_SQL, placeMetricsServer, RunningBroker, startBrokerBenthos } from './real-support';
import { brokerHost, CUSTOMERS, TRANSACTIONS } from './support';

/** A view that sleeps longer than the broker's statement timeout (5 s). */
const SLOW: PublishedDataset = { name: 'test_slow_v1', table: 'curated_core.slow', columns: ['id'] };
/** A view of the broker session's own settings, to see what its DSN set. */
const SESSION: PublishedDataset = { name: 'test_session_v1', table: 'curated_core.session', columns: ['id', 'read_only', 'statement_timeout', 'who'], keyType: 'integer' };

let tier: DataTier;
let work: string;
let pg: RunningPostgres;
let port: number;
let ca: Buffer;
let broker: RunningBroker;
/** The clients' delivered bearer tokens. */
const tokens: Record<string, string> = {};
/** Every change made to the generated config and environment. */
const overrides: string[] = [];

/** A request as the training worker (its token), unless `headers` carry another Authorization. */
const get = (urlPath: string, method = 'GET', body?: string, headers?: Record<string, string>) =>
  httpsRequest(port, 'data-broker', urlPath, { ca }, method, body, { timeoutMs: 20_000, headers: { authorization: `Bearer ${tokens['training-worker']}`, ...headers } });

/** psql as the broker's role, with its delivered client certificate (certificate login). */
function sqlAsBroker(query: string) {
  const secrets = path.join(work, 'secrets');
  const conn = ['host=curated-db', 'hostaddr=127.0.0.1', `port=${pg.port}`, 'user=data_broker', 'dbname=curated', 'sslmode=verify-full',
    `sslrootcert=${secrets}/ca.crt`, `sslcert=${secrets}/tls.crt`, `sslkey=${secrets}/tls.key`, 'connect_timeout=10'].join(' ');
  return pg.psql(['-At', conn, '-c', query]);
}

beforeAll(async () => {
  benthosBinary();
  tier = bootstrapTier(brokerHost({ datasets: [TRANSACTIONS, CUSTOMERS, SLOW, SESSION], broker: { requestsPerSecond: 50 } }).app);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-data-broker-real-'));
  fs.chmodSync(work, 0o755);
  port = await freePort();

  // The database, as the image would start it; every statement logged, to see how the broker's queries arrive.
  const files: Record<string, { content: string | Buffer | ((dir: string) => string); mode: number }> = {
    'postgresql.conf': { content: tier.generated('curated-db/postgresql.conf'), mode: 0o644 },
    'pg_hba.conf': { content: tier.generated('curated-db/pg_hba.conf'), mode: 0o644 },
    'pg_ident.conf': { content: tier.generated('curated-db/pg_ident.conf'), mode: 0o644 },
    'init.sql': { content: tier.generated('curated-db/initdb/10-mlsec-roles.sql'), mode: 0o644 },
    'wrapper.conf': {
      mode: 0o644,
      content: (dir) => [`include '${dir}/postgresql.conf'`, `hba_file = '${dir}/pg_hba.conf'`, `ident_file = '${dir}/pg_ident.conf'`,
        `ssl_cert_file = '${dir}/secrets/tls.crt'`, `ssl_key_file = '${dir}/secrets/tls.key'`, `ssl_ca_file = '${dir}/secrets/ca.crt'`, ''].join('\n'),
    },
  };
  for (const f of ['tls.crt', 'tls.key', 'ca.crt']) files[`secrets/${f}`] = { content: tier.file('curated-db', f), mode: 0o600 };
  overrides.push('curated-db postgresql.conf log_statement → all');
  pg = await startPostgres({ configFile: 'wrapper.conf', files, superuser: 'mlsec_admin', settings: { log_statement: 'all' } });
  pg.runSqlAsSuperuser(`\\i ${pg.dir}/init.sql`);
  // Z3 owns the tables (created as the database owner, so the broker's default SELECT applies); customer_cpf is never published.
  pg.runSqlAsSuperuser([
    CURATED_TABLES_SQL,
    'CREATE VIEW curated_core.slow AS SELECT 1::bigint AS id FROM pg_sleep(8);',
    "CREATE VIEW curated_core.session AS SELECT 1::bigint AS id, current_setting('default_transaction_read_only') AS read_only, current_setting('statement_timeout') AS statement_timeout, session_user::text AS who;",
  ].join('\n'), 'curated');

  // The broker's delivered files, and its generated config re-pointed at them.
  const secrets = path.join(work, 'secrets');
  fs.mkdirSync(secrets, { mode: 0o700 });
  const from = path.dirname(tier.filePath('data-broker', 'x'));
  for (const name of fs.readdirSync(from)) fs.writeFileSync(path.join(secrets, name), fs.readFileSync(path.join(from, name)), { mode: 0o600 });
  ca = fs.readFileSync(path.join(secrets, 'ca.crt'));
  let text = tier.generated('data-broker/benthos.yaml');
  const swap = (a: string, b: string) => {
    expect(text).toContain(a);
    overrides.push(`data-broker/benthos.yaml: ${a} → ${b}`);
    text = text.split(a).join(b);
  };
  swap('/run/secrets/', `${secrets}/`);
  swap('@curated-db:5432/', `@curated-db:${pg.port}/`);
  const config = parse(text);
  overrides.push(`data-broker/benthos.yaml input.http_server.address: ${config.input.http_server.address} → 127.0.0.1:${port}`);
  config.input.http_server.address = `127.0.0.1:${port}`;
  await placeMetricsServer(config, overrides);
  const file = path.join(work, 'benthos.yaml');
  fs.writeFileSync(file, stringify(config));
  const compose = parse(tier.generated('docker-compose.yml')).services['data-broker'];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.environment as Record<string, string>)) env[k] = v.replace(/^\/run\/secrets\//, `${secrets}/`);
  // The compose command (--env-file with the token digests, then -c), on the test's paths.
  const args = (compose.command as string[]).map((a) => (a === '/etc/benthos/benthos.yaml' ? file : a.replace(/^\/run\/secrets\//, `${secrets}/`)));
  expect(args).toEqual(['--env-file', `${secrets}/data-broker-clients.env`, '-c', file]);
  for (const client of ['training-worker', 'workbench']) tokens[client] = tier.file(client, 'data-broker-token').toString('utf8').trim();

  broker = await startBrokerBenthos(args, env, port);
}, 240_000);

afterAll(async () => {
  try {
    await broker?.stop();
    await pg?.stop();
    await stopAll();
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    tier?.cleanup();
  }
});

describe('the generated access broker on real PostgreSQL and Benthos', () => {
  it('serves exactly the published columns, in keyset pages capped by maxRows', async () => {
    const first = await get('/datasets/risk_transactions_v1');
    expect(first.status, `${first.body}\n${broker.log()}\n--- overrides ---\n${overrides.join('\n')}`).toBe(200);
    const page1 = JSON.parse(first.body);
    expect(page1.rows).toHaveLength(3); // maxRows 3: the default limit, and the cap
    expect(page1.rows[0]).toEqual({ id: 10, amount: '1.50', channel: 'APP', occurred_at: '2026-01-01T00:00:00Z' });
    for (const row of page1.rows) expect(Object.keys(row).sort()).toEqual(['amount', 'channel', 'id', 'occurred_at']);
    expect(first.body).not.toMatch(/customer_cpf|000\.000/);
    expect(page1.next).toBe(30);

    const page2 = JSON.parse((await get('/datasets/risk_transactions_v1?after=30&limit=100')).body);
    expect(page2.rows.map((r: any) => r.id)).toEqual([40, 50, 60]);
    expect(page2.next).toBe(60);
    const last = JSON.parse((await get('/datasets/risk_transactions_v1?after=60')).body);
    expect(last).toEqual({ rows: [{ id: 70, amount: '10.50', channel: 'APP', occurred_at: '2026-01-07T00:00:00Z' }], next: null });
    const small = JSON.parse((await get('/datasets/risk_transactions_v1?limit=1')).body);
    expect(small.rows.map((r: any) => r.id)).toEqual([10]);
    expect(small.next).toBe(10);
  });

  it('pages a text key the same way, without the unpublished column', async () => {
    const r = JSON.parse((await get('/datasets/risk_customers_v1?limit=2')).body);
    expect(r).toEqual({ rows: [{ customer_token: 'tok_a', segment: 'retail' }, { customer_token: 'tok_b', segment: 'sme' }], next: 'tok_b' });
    expect(JSON.parse((await get('/datasets/risk_customers_v1?after=tok_b')).body)).toEqual({ rows: [{ customer_token: 'tok_c', segment: 'retail' }], next: null });
  });

  it('answers 401 without a registered bearer token, and 403 for a dataset the client was not given', async () => {
    for (const authorization of ['', 'Bearer ', `Bearer ${'x'.repeat(43)}`, `Basic ${tokens['training-worker']}`, tokens['training-worker']]) {
      const r = await get('/datasets/risk_customers_v1', 'GET', undefined, { authorization });
      expect(r.status, authorization).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ error: 'unauthorized' });
    }
    const asWorkbench = { authorization: `Bearer ${tokens.workbench}` };
    const denied = await get('/datasets/risk_transactions_v1', 'GET', undefined, asWorkbench);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toEqual({ error: 'forbidden' });
    expect(JSON.parse((await get('/datasets/risk_customers_v1?limit=1', 'GET', undefined, asWorkbench)).body).rows).toEqual([{ customer_token: 'tok_a', segment: 'retail' }]);
    // The token file holds no digest: only the broker's env file does, and it holds no token.
    const digests = fs.readFileSync(path.join(work, 'secrets', 'data-broker-clients.env'), 'utf8');
    expect(digests).toMatch(/^MLSEC_DATA_BROKER_CLIENTS=training-worker=[0-9a-f]{64},workbench=[0-9a-f]{64}\n$/);
    expect(digests).not.toContain(tokens['training-worker']);
  });

  it('answers 404 for an unpublished dataset or any other path', async () => {
    for (const p of ['/datasets/risk_accounts_v1', '/datasets/transactions', '/datasets/', '/datasets', '/datasets/risk_transactions_v1/x', '/query', '/ping', '/metrics', '/']) {
      expect((await get(p)).status, p).toBe(404);
    }
    // A cookie that renames the dataset (cookies override path variables in Benthos' metadata) reaches only the 404 branch.
    const cookie = await get('/datasets/risk_transactions_v1', 'GET', undefined, { cookie: 'dataset=pg_catalog.pg_authid' });
    expect(cookie.status).toBe(404);
    expect(JSON.parse(cookie.body)).toEqual({ error: 'not found' });
  });

  it('refuses SQL in after/limit with 400, and binds the accepted values as parameters of the fixed statement', async () => {
    for (const q of ["after=1%20OR%201%3D1", "after=1'%3B%20DROP%20TABLE%20curated_core.transactions%3B%20--", 'limit=1%3B%20SELECT%20pg_read_file(%27%2Fetc%2Fpasswd%27)', 'limit=0', 'limit=-5', 'limit=abc', 'after=']) {
      const r = await get(`/datasets/risk_transactions_v1?${q}`);
      expect(r.status, q).toBe(400);
      expect(JSON.parse(r.body), q).toEqual({ error: 'bad request' });
    }
    expect((await get("/datasets/risk_customers_v1?after=x'%20OR%20'a'%3D'a")).status).toBe(400);
    // A header cannot smuggle them either (header metadata keys are canonical: "After", not "after").
    expect(JSON.parse((await get('/datasets/risk_transactions_v1?limit=1', 'GET', undefined, { after: '1 OR 1=1' })).body).rows).toHaveLength(1);
    expect(pg.runSqlAsSuperuser('SELECT count(*) FROM curated_core.transactions', 'curated')).toBe('7');
    const log = pg.log();
    expect(log).toMatch(/execute [^:]*: SELECT "id", "amount", "channel", "occurred_at" FROM "curated_core"\."transactions" WHERE "id" IS NOT NULL AND \("id" > \$1 OR \$1 IS NULL\) ORDER BY "id" LIMIT \$2\n.*DETAIL:\s+parameters: \$1 = '30', \$2 = '4'/);
    expect(log).not.toMatch(/DROP TABLE|pg_read_file|"id" > '?30/);
  });

  it('refuses every method but GET (405)', async () => {
    expect((await get('/datasets/risk_transactions_v1', 'POST', '{"sql":"DELETE FROM curated_core.transactions"}')).status).toBe(405);
    expect((await get('/datasets/risk_transactions_v1', 'DELETE')).status).toBe(405);
    expect((await get('/datasets/risk_transactions_v1', 'PUT', '{}')).status).toBe(405);
    expect(pg.runSqlAsSuperuser('SELECT count(*) FROM curated_core.transactions', 'curated')).toBe('7');
  });

  it('logs in by certificate as data_broker, which can read but never write', () => {
    expect(pg.log()).toMatch(/connection authorized: user=data_broker database=curated SSL enabled \(protocol=TLSv1\.[23]/);
    expect(sqlAsBroker('SELECT count(*) FROM curated_core.transactions').stdout.trim()).toBe('7');
    for (const q of ["INSERT INTO curated_core.transactions (id) VALUES (999)", 'UPDATE curated_core.transactions SET amount = 0', 'DELETE FROM curated_core.transactions', 'TRUNCATE curated_core.transactions']) {
      const r = sqlAsBroker(q);
      expect(r.status, q).not.toBe(0);
      expect(r.stderr, q).toMatch(/permission denied for table transactions/);
    }
    const ddl = sqlAsBroker('CREATE TABLE curated_core.x (a int)');
    expect(ddl.stderr).toMatch(/permission denied for schema curated_core/);
  });

  it('runs as data_broker in read-only transactions with a 5 s statement timeout (the DSN run-time parameters)', async () => {
    const r = JSON.parse((await get('/datasets/test_session_v1')).body);
    expect(r).toEqual({ rows: [{ id: 1, read_only: 'on', statement_timeout: '5s', who: 'data_broker' }], next: null });
  });

  it('cuts a query at the statement timeout with a generic 503 (no table, host or SQL)', async () => {
    const started = Date.now();
    const r = await get('/datasets/test_slow_v1');
    expect(r.status, r.body).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(7_500);
    expect(pg.log()).toMatch(/canceling statement due to statement timeout/);
  }, 30_000);

  it('answers 429 above requestsPerSecond (all clients together)', async () => {
    const statuses = await Promise.all(Array.from({ length: 120 }, () => get('/datasets/risk_customers_v1?limit=1').then((r) => r.status)));
    // 120 requests reach it over about two windows of one second: at most ~100 pass.
    expect(statuses.filter((st) => st === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((st) => st === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((st) => st === 200 || st === 429)).toBe(true);
    // The next window answers again.
    let status = 429;
    for (let i = 0; i < 20 && status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = (await get('/datasets/risk_customers_v1?limit=1')).status;
    }
    expect(status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }, 60_000);

  it('answers a generic 503 when the database is gone', async () => {
    await pg.stop();
    const r = await get('/datasets/risk_transactions_v1');
    expect(r.status).toBe(503);
    expect(r.body).toBe('{"error":"unavailable"}');
  }, 30_000);
});
