/**
 * The generated access broker end to end with Vault: OpenBao from its generated bootstrap (which
 * seeds each client's token and its SHA-256 into KV), curated-db (PostgreSQL 15) from its generated
 * files and what its agent rendered, and Benthos 4.27 running the broker's generated config with
 * what its own agent rendered — its certificate and the env file of its clients' token digests,
 * read from KV paths only the broker may read. Each client calls with the token its own agent
 * rendered from a KV path only that client may read; no workload here reads a secret from a
 * bootstrap file. Overridden only what a test host must: the database port, the listen addresses
 * (the API's and Benthos' metrics server's), the /run/secrets and /run/vault paths, and name
 * resolution (`curated-db` → 127.0.0.1 in a private mount namespace, so the broker still verifies the database's certificate by name).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { benthosBinary } from '../../support/real-servers/benthos';
import { freePorts } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { httpsRequest } from '../../support/real-servers/https-request';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { stopAll } from '../../support/real-servers/process-registry';
import { CURATED_TABLES_SQL, placeMetricsServer, RunningBroker, startBrokerBenthos } from './real-support';
import { brokerHost } from './support';

const BROKER = 'data-broker';
const CLIENTS = ['training-worker', 'workbench'] as const;
let host: GeneratedHost;
let vault: GeneratedVault;
let pg: RunningPostgres;
let broker: RunningBroker;
let port: number;
let ca: Buffer;
/** The broker's env file as its agent rendered it. */
let clientsEnv: string;
/** Each client's token as its agent rendered it. */
const tokens: Record<string, string> = {};
/** Every change made to the generated config and environment. */
const overrides: string[] = [];

const get = (urlPath: string, token: string | undefined) =>
  httpsRequest(port, BROKER, urlPath, { ca }, 'GET', undefined, { timeoutMs: 20_000, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
const sha256 = (t: string) => crypto.createHash('sha256').update(t).digest('hex');
/** The status of a KV read of `kv/data/lab/core/<kvPath>` with a fresh token of `role`. */
const kvRead = async (role: string, kvPath: string) => (await vault.bao.api('GET', `kv/data/lab/core/${kvPath}`, await vault.login(role))).status;

beforeAll(async () => {
  benthosBinary();
  const { app } = brokerHost({ vault: true });
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-data-broker-vault-');
  fs.chmodSync(secretsDir, 0o755);
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/')).map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  // Nothing secret is delivered to the broker or a client: the CA bundle only.
  for (const service of [BROKER, ...CLIENTS]) expect(fs.readdirSync(path.dirname(deliveredPath(host, service, 'x'))), service).toEqual(['ca.crt']);

  let pgPort: number;
  [pgPort, port] = await freePorts(2);
  vault = await startGeneratedVault(host, 'vault', { postgres: { 'curated-db': pgPort } });
  pg = await startGeneratedPostgres(host, 'curated-db', { renderedDir: await renderAgentFiles(host, vault, 'curated-db'), port: pgPort });
  pg.runSqlAsSuperuser(CURATED_TABLES_SQL, 'curated');
  for (const client of CLIENTS) tokens[client] = fs.readFileSync(path.join(await renderAgentFiles(host, vault, client), `${BROKER}-token`), 'utf8');

  // The broker: its generated config and compose command, container paths re-rooted to what its agent rendered and its delivered CA.
  const out = await renderAgentFiles(host, vault, BROKER);
  const secrets = path.dirname(deliveredPath(host, BROKER, 'x'));
  const reroot = (v: string) => v.replace(/\/run\/vault\//g, `${out}/`).replace(/\/run\/secrets\//g, `${secrets}/`);
  ca = fs.readFileSync(path.join(secrets, 'ca.crt'));
  let text = host.files[`${BROKER}/benthos.yaml`];
  expect(text).toContain('@curated-db:5432/');
  text = reroot(text).split('@curated-db:5432/').join(`@curated-db:${pgPort}/`);
  overrides.push(`/run/vault → ${out}, /run/secrets → ${secrets}, curated-db:5432 → curated-db:${pgPort}`);
  const config = parse(text);
  config.input.http_server.address = `127.0.0.1:${port}`;
  overrides.push(`input.http_server.address → 127.0.0.1:${port}`);
  await placeMetricsServer(config, overrides);
  const file = path.join(out, '..', 'benthos.yaml');
  fs.writeFileSync(file, stringify(config));
  const svc = parse(host.files['docker-compose.yml']).services[BROKER];
  expect(svc.command).toEqual(['--env-file', `/run/vault/${BROKER}-clients.env`, '-c', '/etc/benthos/benthos.yaml']);
  const args = (svc.command as string[]).map((a) => (a === '/etc/benthos/benthos.yaml' ? file : reroot(a)));
  clientsEnv = fs.readFileSync(args[1], 'utf8');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment as Record<string, string>)) env[k] = reroot(String(v));
  broker = await startBrokerBenthos(args, env, port);
}, 300_000);

afterAll(async () => {
  await broker?.stop();
  await pg?.stop();
  await vault?.bao.stop();
  await stopAll();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
}, 60_000);

describe('the generated access broker with Vault on real OpenBao, PostgreSQL and Benthos', () => {
  it('has the broker\'s agent render only the SHA-256 of each client\'s token, the clients\' agents each its own token', () => {
    for (const client of CLIENTS) expect(tokens[client], client).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(tokens['training-worker']).not.toBe(tokens.workbench);
    expect(clientsEnv).toBe(`MLSEC_DATA_BROKER_CLIENTS=training-worker=${sha256(tokens['training-worker'])},workbench=${sha256(tokens.workbench)}\n`);
  });

  it('serves a client with its rendered token, answers 403 beyond its datasets and 401 to a wrong token', async () => {
    const ok = await get('/datasets/risk_transactions_v1?limit=2', tokens['training-worker']);
    expect(ok.status, `${ok.body}\n${broker.log()}\n--- overrides ---\n${overrides.join('\n')}`).toBe(200);
    expect(JSON.parse(ok.body).rows.map((r: { id: number }) => r.id)).toEqual([10, 20]);
    expect(JSON.parse((await get('/datasets/risk_customers_v1?limit=1', tokens.workbench)).body).rows).toEqual([{ customer_token: 'tok_a', segment: 'retail' }]);
    expect((await get('/datasets/risk_transactions_v1', tokens.workbench)).status).toBe(403);
    const t = tokens['training-worker'];
    for (const wrong of [undefined, `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`, sha256(t)]) {
      const r = await get('/datasets/risk_customers_v1', wrong);
      expect(r.status, String(wrong)).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ error: 'unauthorized' });
    }
    expect(broker.log()).not.toContain(t);
  }, 60_000);

  it('lets a client\'s Vault token read its own token only: never the broker\'s digests nor another client\'s token (403)', async () => {
    expect(await kvRead('training-worker', `training-worker/${BROKER}`)).toBe(200);
    for (const other of [`${BROKER}/token-training-worker`, `${BROKER}/token-workbench`, `workbench/${BROKER}`]) expect(await kvRead('training-worker', other), other).toBe(403);
    // The broker reads the digests, never a token.
    expect(await kvRead(BROKER, `${BROKER}/token-workbench`)).toBe(200);
    for (const client of CLIENTS) expect(await kvRead(BROKER, `${client}/${BROKER}`), client).toBe(403);
  }, 60_000);
});
