import { describe, expect, it } from 'vitest';
import { ComposeTemplate, HealthCheck, Image, Match, PostgresServer, scramSha256Verifier, Testing, Workload, Zone } from '../../../lib';
import { dockerComposeConfig } from '../../support/docker-compose';
import { labApp } from '../../support/fixtures';

function app() {
  const { app, vps } = labApp();
  const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED });
  db.addDatabase('features', { schemas: ['fs_offline'] });
  const client = (id: string, zone = Zone.Z6_SERVING) => new Workload(vps, id, { zone, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
  const reader = client('reader');
  const builder = client('builder', Zone.Z3_CURATED);
  db.grantConnect(reader, { database: 'features', privileges: ['SELECT'] });
  db.grantConnect(builder, { database: 'features', privileges: ['INSERT', 'SELECT', 'CREATE'], authentication: 'cert', connectionLimit: 4 });
  const assembly = Testing.synth(app);
  return { db, assembly, compose: ComposeTemplate.fromAssembly(assembly, 'lab') };
}

describe('PostgresServer', () => {
  it('writes a pg_hba.conf that admits each grant over TLS only and rejects everything else', () => {
    const { assembly } = app();
    const hba = assembly.file('lab/curated-db/pg_hba.conf');
    expect(hba).toMatchSnapshot();
    const rules = hba.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/));
    expect(rules[0]).toEqual(['local', 'all', 'mlsec_admin', 'scram-sha-256']);
    expect(rules.slice(1, 4)).toEqual([['local', 'all', 'all', 'reject'], ['hostnossl', 'all', 'all', 'all', 'reject'], ['hostssl', 'all', 'mlsec_admin', 'all', 'reject']]);
    expect(rules.at(-1)).toEqual(['host', 'all', 'all', 'all', 'reject']);
    // No line admits plain TCP, trust, password or md5.
    expect(rules.filter((r) => r[0] === 'host' || r[0] === 'hostnossl').every((r) => r.at(-1) === 'reject')).toBe(true);
    expect(hba).not.toMatch(/\b(trust|password|md5|ident)\b/);
    expect(assembly.file('lab/curated-db/pg_ident.conf')).toContain('\nmlsec builder builder\n');
  });

  it('configures TLS 1.2+, SCRAM and connection logging', () => {
    const { assembly } = app();
    const conf = Object.fromEntries(assembly.file('lab/curated-db/postgresql.conf').split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ')));
    expect(conf).toMatchObject({
      ssl: 'on',
      ssl_min_protocol_version: "'TLSv1.2'",
      ssl_cert_file: "'/run/secrets/tls.crt'",
      ssl_key_file: "'/run/secrets/tls.key'",
      ssl_ca_file: "'/run/secrets/ca.crt'",
      password_encryption: "'scram-sha-256'",
      log_connections: 'on',
      log_disconnections: 'on',
      log_statement: "'ddl'",
      hba_file: "'/etc/postgresql/pg_hba.conf'",
      shared_buffers: "'128MB'",
    });
  });

  it('grants exactly the privileges asked, with no privilege attribute, in re-runnable SQL', () => {
    const { assembly } = app();
    const sql = assembly.file('lab/curated-db/initdb/10-mlsec-roles.sql');
    expect(sql).toContain('ALTER ROLE "reader" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 10 PASSWORD :\'verifier\';');
    expect(sql).toContain('ALTER ROLE "builder" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 4 PASSWORD NULL;');
    expect(sql).toContain('\\set verifier `cat :\'mlsec_secrets\'/role-reader.scram`');
    const grants = sql.split('\n').filter((l) => l.startsWith('GRANT '));
    expect(grants).toEqual([
      'GRANT CONNECT ON DATABASE "features" TO "reader";',
      'GRANT CONNECT ON DATABASE "features" TO "builder";',
      'GRANT USAGE ON SCHEMA "fs_offline" TO "reader";',
      'GRANT SELECT ON ALL TABLES IN SCHEMA "fs_offline" TO "reader";',
      'GRANT USAGE, CREATE ON SCHEMA "fs_offline" TO "builder";',
      'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "fs_offline" TO "builder";',
      'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "fs_offline" TO "builder";',
    ]);
    // Tables the builder creates are readable by the reader, and nothing more.
    expect(sql).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "builder" IN SCHEMA "fs_offline" GRANT SELECT ON TABLES TO "reader";');
    expect(sql).toContain('REVOKE ALL ON DATABASE "features" FROM PUBLIC;');
    expect(sql).not.toMatch(/SUPERUSER(?! )|GRANT ALL|WITH GRANT OPTION|\bOWNER TO "(reader|builder)"/);
  });

  it('runs hardened, mounts its configs read-only and reads the admin password from a file', () => {
    const { compose, assembly } = app();
    compose.hasService('curated-db', Match.objectLike({
      user: '999:999',
      read_only: true,
      command: ['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf'],
      environment: Match.objectLike({ POSTGRES_USER: 'mlsec_admin', POSTGRES_PASSWORD_FILE: '/run/secrets/admin-password' }),
      secrets: [
        { source: 'curated-db.admin-password', target: 'admin-password' },
        { source: 'curated-db.tls.crt', target: 'tls.crt' },
        { source: 'curated-db.tls.key', target: 'tls.key' },
        { source: 'curated-db.ca.crt', target: 'ca.crt' },
        { source: 'curated-db.role-reader.scram', target: 'role-reader.scram' },
      ],
      volumes: Match.arrayWith([Match.objectLike({ source: './curated-db/pg_hba.conf', target: '/etc/postgresql/pg_hba.conf', read_only: true })]),
    }));
    expect(dockerComposeConfig(assembly.file('lab/docker-compose.yml')).status).toBe(0);
  });

  it('gives each grantee the flow, libpq variables, a client certificate and (for SCRAM) a pgpass file', () => {
    const { compose } = app();
    compose.hasService('reader', Match.objectLike({
      networks: ['z3-z6'],
      depends_on: { 'curated-db': { condition: 'service_healthy' } },
      environment: {
        PGHOST: 'curated-db', PGPORT: '5432', PGDATABASE: 'features', PGUSER: 'reader', PGSSLMODE: 'verify-full',
        PGSSLROOTCERT: '/run/secrets/ca.crt', PGSSLCERT: '/run/secrets/clienttls.crt', PGSSLKEY: '/run/secrets/clienttls.key',
        PGPASSFILE: '/run/secrets/curated-db.pgpass',
      },
    }));
    expect(compose.service('builder').environment.PGPASSFILE).toBeUndefined();
    expect(compose.service('builder').secrets.map((s: { target: string }) => s.target)).toEqual(['clienttls.crt', 'clienttls.key', 'ca.crt']);
  });
});

describe('scramSha256Verifier', () => {
  it('is deterministic per (password, role) and differs across roles', () => {
    const a = scramSha256Verifier('pw', 'reader');
    expect(a).toBe(scramSha256Verifier('pw', 'reader'));
    expect(a).not.toBe(scramSha256Verifier('pw', 'builder'));
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toContain('pw');
  });
});
