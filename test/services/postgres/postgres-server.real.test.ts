/**
 * The generated postgresql.conf, pg_hba.conf, pg_ident.conf and init SQL, with the
 * bootstrap-issued certificates and credentials, on a real PostgreSQL 15 on loopback. Only
 * container paths are overridden (a wrapper config includes the generated file, then re-points
 * the TLS files and the hba/ident files at the test directory).
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../support/real-servers/process-registry';
import { PostgresServer as RunningPostgres, startPostgres } from '../../support/real-servers/postgres';
import { buildDataTier, DataTier } from '../data-tier-fixture';

let tier: DataTier;
let pg: RunningPostgres;

const serverFiles = ['tls.crt', 'tls.key', 'ca.crt', 'role-reader.scram'];

beforeAll(async () => {
  tier = buildDataTier();
  const files: Record<string, { content: string | Buffer | ((dir: string) => string); mode: number }> = {
    'postgresql.conf': { content: tier.generated('curated-db/postgresql.conf'), mode: 0o644 },
    'pg_hba.conf': { content: tier.generated('curated-db/pg_hba.conf'), mode: 0o644 },
    'pg_ident.conf': { content: tier.generated('curated-db/pg_ident.conf'), mode: 0o644 },
    'init.sql': { content: tier.generated('curated-db/initdb/10-mlsec-roles.sql'), mode: 0o644 },
    'wrapper.conf': {
      mode: 0o644,
      content: (dir) => [
        `include '${dir}/postgresql.conf'`,
        `hba_file = '${dir}/pg_hba.conf'`,
        `ident_file = '${dir}/pg_ident.conf'`,
        `ssl_cert_file = '${dir}/secrets/tls.crt'`,
        `ssl_key_file = '${dir}/secrets/tls.key'`,
        `ssl_ca_file = '${dir}/secrets/ca.crt'`,
        '',
      ].join('\n'),
    },
  };
  for (const f of serverFiles) files[`secrets/${f}`] = { content: tier.file('curated-db', f), mode: 0o600 };
  pg = await startPostgres({ configFile: 'wrapper.conf', files, superuser: 'mlsec_admin' });
  // As the image's entrypoint does on first start; then a second time, to prove it converges.
  const previous = process.env.MLSEC_SECRETS_DIR;
  process.env.MLSEC_SECRETS_DIR = path.join(pg.dir, 'secrets');
  try {
    pg.runSqlAsSuperuser(`\\i ${pg.dir}/init.sql`);
    pg.runSqlAsSuperuser(`\\i ${pg.dir}/init.sql`);
  } finally {
    if (previous === undefined) delete process.env.MLSEC_SECRETS_DIR;
    else process.env.MLSEC_SECRETS_DIR = previous;
  }
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  tier?.cleanup();
});

/** libpq options of a consumer, from its delivered files (as the PG* variables of its container say). */
function as(service: string, extra: Record<string, string> = {}): { conn: string; env: Record<string, string> } {
  const o: Record<string, string> = {
    host: 'curated-db', // verify-full checks this name against the server certificate's SAN
    hostaddr: '127.0.0.1',
    port: String(pg.port),
    user: service,
    dbname: 'features',
    sslmode: 'verify-full',
    sslrootcert: tier.filePath(service, 'ca.crt'),
    sslcert: tier.filePath(service, 'clienttls.crt'),
    sslkey: tier.filePath(service, 'clienttls.key'),
    connect_timeout: '10',
    ...extra,
  };
  const conn = Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ');
  const delivered = tier.filePath(service, 'curated-db.pgpass');
  if (!fs.existsSync(delivered)) return { conn, env: {} };
  // The delivered pgpass names the container port; only the port is re-pointed at this server.
  const pgpass = path.join(pg.dir, 'client-home', `${service}.pgpass`);
  fs.writeFileSync(pgpass, fs.readFileSync(delivered, 'utf8').replace(/^curated-db:5432:/m, `curated-db:${pg.port}:`), { mode: 0o600 });
  return { conn, env: { PGPASSFILE: pgpass } };
}

function sql(service: string, query: string, extra: Record<string, string> = {}) {
  const { conn, env } = as(service, extra);
  return pg.psql(['-At', conn, '-c', query], env);
}

describe('PostgreSQL with the generated configuration', () => {
  it('accepts a granted role over verified TLS 1.2+ with its password and client certificate', () => {
    const r = sql('reader', "select current_user, ssl, version from pg_stat_ssl where pid = pg_backend_pid()");
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^reader\|t\|TLSv1\.[23]$/);
  });

  it('refuses a connection without TLS', () => {
    const r = sql('reader', 'select 1', { sslmode: 'disable' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no encryption|pg_hba\.conf rejects|no pg_hba\.conf entry/);
  });

  it('refuses TLS 1.1 and accepts TLS 1.2 (openssl s_client, STARTTLS postgres)', () => {
    const handshake = (version: string) => runCommand('openssl', [
      's_client', '-connect', `127.0.0.1:${pg.port}`, '-starttls', 'postgres', version, '-cipher', 'DEFAULT:@SECLEVEL=0', '-CAfile', tier.filePath('reader', 'ca.crt'),
    ], { cwd: pg.dir, timeoutMs: 15_000 });
    const old = handshake('-tls1_1');
    expect(old.status).not.toBe(0);
    expect(`${old.stdout}${old.stderr}`).toMatch(/alert|no protocols available|wrong version|unsupported protocol|handshake failure/i);
    const ok = handshake('-tls1_2');
    expect(`${ok.stdout}`).toMatch(/Protocol\s*:\s*TLSv1\.2/);
  });

  it('refuses a wrong password', () => {
    const wrong = path.join(pg.dir, 'client-home', 'wrong.pgpass');
    fs.writeFileSync(wrong, `curated-db:5432:*:reader:not-the-password\n*:*:*:reader:not-the-password\n`, { mode: 0o600 });
    const { conn } = as('reader');
    const r = pg.psql(['-At', conn, '-c', 'select 1'], { PGPASSFILE: wrong });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/password authentication failed for user "reader"/);
  });

  it('refuses the right password without a client certificate (clientcert=verify-ca)', () => {
    const { conn, env } = as('reader', { sslcert: '/nonexistent.crt', sslkey: '/nonexistent.key' });
    const r = pg.psql(['-At', conn, '-c', 'select 1'], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/certificate|connection requires a valid client certificate/i);
  });

  it('refuses the superuser over TCP, even with its password', () => {
    const { conn } = as('reader', { user: 'mlsec_admin' });
    const r = pg.psql(['-At', conn, '-c', 'select 1'], { PGPASSWORD: pg.superuserPassword });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/pg_hba\.conf rejects connection|no pg_hba\.conf entry/);
  });

  it('lets the certificate-only role do its DDL and writes, and the reader only read', () => {
    const create = sql('builder', 'create table fs_offline.scores (id serial primary key, score real); insert into fs_offline.scores (score) values (0.5); select count(*) from scores');
    expect(create.stderr).toBe('');
    expect(create.stdout.trim().split('\n').pop()).toBe('1');
    expect(sql('reader', 'select score from scores').stdout.trim()).toBe('0.5');
    const insert = sql('reader', 'insert into scores (score) values (0.9)');
    expect(insert.status).not.toBe(0);
    expect(insert.stderr).toMatch(/permission denied for table scores/);
    const ddl = sql('reader', 'create table fs_offline.mine (x int)');
    expect(ddl.status).not.toBe(0);
    expect(ddl.stderr).toMatch(/permission denied for schema fs_offline/);
    const publicDdl = sql('builder', 'create table public.elsewhere (x int)');
    expect(publicDdl.status).not.toBe(0);
    expect(publicDdl.stderr).toMatch(/permission denied for schema public/);
  });

  it("denies a granted role another grant's database", () => {
    for (const who of ['reader', 'builder']) {
      const r = sql(who, 'select 1', { dbname: 'curated' });
      expect(r.status, who).not.toBe(0);
      expect(r.stderr).toMatch(/(pg_hba\.conf rejects connection|no pg_hba\.conf entry) for host "127\.0\.0\.1", user "\w+", database "curated"/);
    }
  });

  it('refuses a certificate whose CN is not mapped to the role asked for', () => {
    // reader's certificate, but claiming the certificate-only role.
    const r = sql('builder', 'select 1', { sslcert: tier.filePath('reader', 'clienttls.crt'), sslkey: tier.filePath('reader', 'clienttls.key') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/certificate authentication failed for user "builder"/);
  });

  it('creates login roles with no privilege attribute and NOLOGIN database owners', () => {
    const rows = pg.runSqlAsSuperuser(
      "select rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls from pg_roles where rolname in ('reader','builder','features_owner','curated_owner') order by 1",
    );
    expect(rows.split('\n')).toEqual([
      'builder|t|f|f|f|f|f',
      'curated_owner|f|f|f|f|f|f',
      'features_owner|f|f|f|f|f|f',
      'reader|t|f|f|f|f|f',
    ]);
    expect(pg.runSqlAsSuperuser("select datname, pg_get_userbyid(datdba) from pg_database where datname in ('features','curated') order by 1").split('\n'))
      .toEqual(['curated|curated_owner', 'features|features_owner']);
    // The server holds only a SCRAM verifier, never the password.
    expect(pg.runSqlAsSuperuser("select rolpassword like 'SCRAM-SHA-256$4096:%' from pg_authid where rolname = 'reader'")).toBe('t');
    expect(pg.runSqlAsSuperuser("select rolpassword is null from pg_authid where rolname = 'builder'")).toBe('t');
  });

  it('logs connections with user, database and host', () => {
    expect(pg.log()).toMatch(/connection authorized: user=reader database=features/);
  });
});
