/**
 * Vault-issued PostgreSQL credentials end to end, on real servers: a real PostgreSQL 15 with the
 * generated configuration and init SQL, a real OpenBao with the generated vault.hcl and
 * bootstrap (database engine configured against that Postgres, admin password rotated), and the
 * generated Vault Agent rendering the grantee's libpq service file. Only container paths, host
 * names and ports are re-pointed (Vault verifies the server's CA, not its name: `curated-db` does
 * not resolve here).
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer, SecretsBootstrap, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { RENDERING_ONLY } from '../../support/fixtures';
import { baoBinary, RunningOpenBao } from '../../support/real-servers/openbao';
import { freePort } from '../../support/real-servers/free-port';
import { GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { consumerWorkload } from '../support';

let pg: RunningPostgres;
let bao: RunningOpenBao;
let secretsDir: string;
let files: Record<string, string>;
let admin: string;
let token: string;
let host: GeneratedHost;
let stack: GeneratedVault;
const delivered = (service: string, name: string) => path.join(secretsDir, 'lab', 'deliver', service, name);

beforeAll(async () => {
  if (!baoBinary()) throw new Error('OpenBao is not installed: run `npx projen test:deps`');
  const app = Testing.app({ postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED, vault });
  db.addDatabase('features', { schemas: ['fs_offline'] });
  db.grantConnect(consumerWorkload(vps, 'reader'), { database: 'features', privileges: ['SELECT'] });
  db.grantConnect(consumerWorkload(vps, 'builder', Zone.Z3_CURATED), { database: 'features', privileges: ['SELECT', 'INSERT', 'CREATE'], authentication: 'cert' });
  const assembly = Testing.synth(app);
  files = Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)]));
  secretsDir = fs.mkdtempSync('/tmp/mlsec-pgvault-');
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files, secretsDir, vps: 'lab' };
  // The operator's order: Vault first (Postgres is not up yet: its own agent needs Vault), then
  // Postgres on what its agent renders, then the bootstrap again, which now rotates Vault's admin password.
  const pgPort = await freePort();
  stack = await startGeneratedVault(host, 'vault', { postgres: { 'curated-db': pgPort } });
  bao = stack.bao;
  admin = stack.admin;
  expect(stack.bootstrapOutput).toContain('curated-db is not reachable yet');
  pg = await startGeneratedPostgres(host, 'curated-db', { renderedDir: await renderAgentFiles(host, stack, 'curated-db'), port: pgPort });
  expect(stack.rerunBootstrap()).toContain('curated-db admin password rotated');
  expect(stack.rerunBootstrap()).not.toContain('rotated'); // once only
  // As the owner (or a CREATE grantee) would: the default privileges of the init SQL then apply.
  pg.runSqlAsSuperuser('set role features_owner; create table fs_offline.scores (id int, score real); insert into fs_offline.scores values (1, 0.5)', 'features');
  token = await stack.login('reader');
}, 180_000);

afterAll(async () => {
  await bao?.stop();
  await pg?.stop();
  if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
});

let clientCert: { cert: string; key: string } | undefined;

/** The reader's client certificate, issued by Vault's PKI engine with the reader's own token (as its agent would). */
async function readerCertificate(): Promise<{ cert: string; key: string }> {
  if (clientCert) return clientCert;
  const issued = await bao.api('POST', 'pki_int/issue/reader', token, { common_name: 'reader' });
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  const dir = fs.mkdtempSync(path.join(bao.dir, 'reader-cert-'));
  clientCert = { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') };
  fs.writeFileSync(clientCert.cert, `${issued.body.data.certificate}\n${issued.body.data.issuing_ca}\n`);
  fs.writeFileSync(clientCert.key, issued.body.data.private_key, { mode: 0o600 });
  return clientCert;
}

/** psql as the reader with `user`/`password`, its Vault-issued client certificate, verify-full against the CA. */
async function psqlAs(user: string, password: string, sql: string) {
  const c = await readerCertificate();
  const conn = `host=curated-db hostaddr=127.0.0.1 port=${pg.port} dbname=features user=${user} sslmode=verify-full sslrootcert=${delivered('reader', 'ca.crt')} sslcert=${c.cert} sslkey=${c.key}`;
  return pg.psql(['-At', conn, '-c', sql], { PGPASSWORD: password });
}

describe('PostgreSQL credentials issued by Vault (database engine, real servers)', () => {
  it('issues a short-lived user of the grant group that can read and not write', async () => {
    const creds = await bao.api('GET', 'database/creds/curated-db-reader', token);
    expect(creds.status, JSON.stringify(creds.body)).toBe(200);
    expect(creds.body.lease_duration).toBe(300);
    const { username, password } = creds.body.data;
    const who = (await psqlAs(username, password, 'select current_user, session_user'));
    expect(who.stderr).toBe('');
    expect(who.stdout.trim()).toBe(`reader|${username}`); // acts as the group, logs in as itself
    expect((await psqlAs(username, password, 'select score from scores')).stdout.trim()).toBe('0.5');
    expect((await psqlAs(username, password, 'insert into scores values (2, 1)')).stderr).toMatch(/permission denied/);
    expect(pg.runSqlAsSuperuser(`select rolvaliduntil is not null, rolcanlogin, rolsuper, rolcreaterole from pg_roles where rolname = '${username}'`)).toBe('t|t|f|f');
    expect(pg.runSqlAsSuperuser("select rolcanlogin from pg_roles where rolname = 'reader'")).toBe('f');
    // The lease ends: Vault drops the user, and it can log in no more.
    const revoked = await bao.api('PUT', 'sys/leases/revoke', admin, { lease_id: creds.body.lease_id });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(204);
    // Gone: no longer a member of +reader, so pg_hba.conf has no line for it.
    expect((await psqlAs(username, password, 'select 1')).stderr).toMatch(/pg_hba.conf rejects connection .* user "v-/);
    expect(pg.runSqlAsSuperuser(`select count(*) from pg_roles where rolname = '${username}'`)).toBe('0');
  });

  it("rotated Vault's admin password: the seeded one no longer logs in", () => {
    const seeded = fs.readFileSync(path.join(secretsDir, 'lab', 'credentials', 'curated-db-vault-admin-password'), 'utf8');
    const r = pg.psql(['-At', `host=curated-db hostaddr=127.0.0.1 port=${pg.port} dbname=postgres user=vault_admin sslmode=verify-full sslrootcert=${delivered('reader', 'ca.crt')}`, '-c', 'select 1'], { PGPASSWORD: seeded });
    expect(r.stderr).toMatch(/password authentication failed for user "vault_admin"/);
  });

  it('gives the reader no other credentials', async () => {
    expect((await bao.api('GET', 'database/creds/curated-db-builder', token)).status).toBe(403);
    expect((await bao.api('GET', 'database/config/curated-db', token)).status).toBe(403);
    expect((await bao.api('POST', 'database/rotate-root/curated-db', token, {})).status).toBe(403);
  });

  it('renders a libpq service file through the generated agent that psql connects with', async () => {
    const out = await renderAgentFiles(host, stack, 'reader');
    const serviceFile = path.join(out, 'curated-db.pg_service.conf');
    expect(fs.statSync(serviceFile).mode & 0o777).toBe(0o400);
    const text = fs.readFileSync(serviceFile, 'utf8');
    expect(text).toMatch(/^\[curated-db\]\nhost=curated-db\nport=5432\ndbname=features\nsslmode=verify-full\n/);
    // Its client certificate is Vault-issued too, rendered next to it; the CA bundle stays a bootstrap file (re-pointed here).
    expect(text).toContain(`sslcert=${out}/vault-tls.crt`);
    fs.chmodSync(serviceFile, 0o600);
    fs.writeFileSync(serviceFile, text.replace(/\/run\/secrets\//g, `${path.dirname(delivered('reader', 'x'))}/`));
    // As the workload's libpq would: PGSERVICEFILE + PGSERVICE (the host name does not resolve here: hostaddr and port point at loopback).
    const r = pg.psql(['-At', `service=curated-db hostaddr=127.0.0.1 port=${pg.port}`, '-c', 'select current_user, count(*) from scores group by 1'], { PGSERVICEFILE: serviceFile });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('reader|1');
  }, 60_000);
});
