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
import { baoBinary, RunningOpenBao, startAgent } from '../../support/real-servers/openbao';
import { startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { consumerWorkload } from '../support';

let pg: RunningPostgres;
let bao: RunningOpenBao;
let secretsDir: string;
let files: Record<string, string>;
let admin: string;
let token: string;
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
  const host = { files, secretsDir, vps: 'lab' };
  pg = await startGeneratedPostgres(host, 'curated-db');
  // As the owner (or a CREATE grantee) would: the default privileges of the init SQL then apply.
  pg.runSqlAsSuperuser('set role features_owner; create table fs_offline.scores (id int, score real); insert into fs_offline.scores values (1, 0.5)', 'features');
  const stack = await startGeneratedVault(host, 'vault', { postgres: { 'curated-db': pg.port } });
  bao = stack.bao;
  admin = stack.admin;
  token = await stack.login('reader');
}, 180_000);

afterAll(async () => {
  await bao?.stop();
  await pg?.stop();
  if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
});

/** psql as the reader with `user`/`password`, its delivered client certificate, verify-full against the CA. */
function psqlAs(user: string, password: string, sql: string) {
  const conn = `host=curated-db hostaddr=127.0.0.1 port=${pg.port} dbname=features user=${user} sslmode=verify-full sslrootcert=${delivered('reader', 'ca.crt')} sslcert=${delivered('reader', 'clienttls.crt')} sslkey=${delivered('reader', 'clienttls.key')}`;
  return pg.psql(['-At', conn, '-c', sql], { PGPASSWORD: password });
}

describe('PostgreSQL credentials issued by Vault (database engine, real servers)', () => {
  it('issues a short-lived user of the grant group that can read and not write', async () => {
    const creds = await bao.api('GET', 'database/creds/curated-db-reader', token);
    expect(creds.status, JSON.stringify(creds.body)).toBe(200);
    expect(creds.body.lease_duration).toBe(300);
    const { username, password } = creds.body.data;
    const who = psqlAs(username, password, 'select current_user, session_user');
    expect(who.stderr).toBe('');
    expect(who.stdout.trim()).toBe(`reader|${username}`); // acts as the group, logs in as itself
    expect(psqlAs(username, password, 'select score from scores').stdout.trim()).toBe('0.5');
    expect(psqlAs(username, password, 'insert into scores values (2, 1)').stderr).toMatch(/permission denied/);
    expect(pg.runSqlAsSuperuser(`select rolvaliduntil is not null, rolcanlogin, rolsuper, rolcreaterole from pg_roles where rolname = '${username}'`)).toBe('t|t|f|f');
    expect(pg.runSqlAsSuperuser("select rolcanlogin from pg_roles where rolname = 'reader'")).toBe('f');
    // The lease ends: Vault drops the user, and it can log in no more.
    const revoked = await bao.api('PUT', 'sys/leases/revoke', admin, { lease_id: creds.body.lease_id });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(204);
    // Gone: no longer a member of +reader, so pg_hba.conf has no line for it.
    expect(psqlAs(username, password, 'select 1').stderr).toMatch(/pg_hba.conf rejects connection .* user "v-/);
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
    const agentDir = path.join(bao.dir, 'agent');
    const out = path.join(bao.dir, 'agent-out');
    fs.mkdirSync(agentDir);
    fs.mkdirSync(out, { mode: 0o700 });
    const agentSecrets = path.join(bao.dir, 'agent-secrets');
    fs.mkdirSync(agentSecrets, { mode: 0o700 });
    fs.writeFileSync(path.join(agentSecrets, 'ca.crt'), fs.readFileSync(delivered('vault', 'ca.crt')));
    fs.writeFileSync(path.join(agentSecrets, 'role-id'), (await bao.api('GET', 'auth/approle/role/reader/role-id', admin)).body.data.role_id, { mode: 0o400 });
    fs.writeFileSync(path.join(agentSecrets, 'secret-id'), JSON.parse(bao.bao(['write', '-format=json', '-wrap-ttl=60s', '-f', 'auth/approle/role/reader/secret-id'], admin).stdout).wrap_info.token, { mode: 0o400 });
    for (const [rel, text] of Object.entries(files).filter(([rel]) => rel.startsWith('vault/agent/reader/'))) {
      // The service file names the reader's own delivered certificate files.
      fs.writeFileSync(path.join(agentDir, path.basename(rel)), text.replace(/\/run\/secrets\//g, `${path.dirname(delivered('reader', 'x'))}/`));
    }
    fs.writeFileSync(path.join(agentDir, 'agent.hcl'), fs.readFileSync(path.join(agentDir, 'agent.hcl'), 'utf8')
      .replace(/ca_cert = "[^"]*"/, `ca_cert = "${agentSecrets}/ca.crt"`).replace(/"[^"]*\/role-id"/, `"${agentSecrets}/role-id"`).replace(/"[^"]*\/secret-id"/, `"${agentSecrets}/secret-id"`)
      .replace(/\/vault\/agent\//g, `${agentDir}/`).replace(/\/run\/vault\//g, `${out}/`).replace('/tmp/vault-agent.pid', path.join(bao.dir, 'agent.pid'))
      .replace('address = "https://vault:8200"', `address = "https://127.0.0.1:${bao.apiPort}"\n  tls_server_name = "vault"`));
    const agent = startAgent(path.join(agentDir, 'agent.hcl'), bao.dir);
    try {
      await agent.waitFor(path.join(out, '.ready'));
      const serviceFile = path.join(out, 'curated-db.pg_service.conf');
      expect(fs.statSync(serviceFile).mode & 0o777).toBe(0o400);
      expect(fs.readFileSync(serviceFile, 'utf8')).toMatch(/^\[curated-db\]\nhost=curated-db\nport=5432\ndbname=features\nsslmode=verify-full\n/);
      // As the workload's libpq would: PGSERVICEFILE + PGSERVICE (the host name does not resolve here: hostaddr and port point at loopback).
      const r = pg.psql(['-At', `service=curated-db hostaddr=127.0.0.1 port=${pg.port}`, '-c', 'select current_user, count(*) from scores group by 1'], { PGSERVICEFILE: serviceFile });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('reader|1');
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
