import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port';
import { minioBinaries, MinioServer, startMinio } from './minio';
import { PostgresServer, startPostgres } from './postgres';
import { makeServerDir, registeredCount, removeServerDir, stopAll } from './process-registry';
import { RedisServer, startRedis, withoutRedisDirectives } from './redis';

// A self-signed server cert for localhost/127.0.0.1, made once with openssl (≈0.1 s).
let certDir: string;
let cert: string;
let key: string;

beforeAll(() => {
  certDir = makeServerDir('certs');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server.key', '-out', 'server.crt', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { cwd: certDir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  cert = fs.readFileSync(path.join(certDir, 'server.crt'), 'utf8');
  key = fs.readFileSync(path.join(certDir, 'server.key'), 'utf8');
});

afterAll(async () => {
  await stopAll(); // anything a failed test left running
  removeServerDir(certDir);
});

describe('PostgreSQL 15', () => {
  let pg: PostgresServer | undefined;
  afterAll(async () => pg?.stop());

  it('starts from a generated-style config with container paths overridden, and serves TLS', async () => {
    const password = 'correct horse battery';
    pg = await startPostgres({
      superuserPassword: password,
      configFile: 'wrapper.conf',
      files: {
        // As the library would write it: container paths, default port, all interfaces.
        'postgresql.conf': { mode: 0o644, content: [
          "listen_addresses = '*'", 'port = 5432', 'ssl = on',
          "ssl_cert_file = '/etc/postgresql/tls/server.crt'", "ssl_key_file = '/etc/postgresql/tls/server.key'",
          "ssl_min_protocol_version = 'TLSv1.3'", "password_encryption = 'scram-sha-256'",
          "hba_file = '/etc/postgresql/pg_hba.conf'", '',
        ].join('\n') },
        'pg_hba.conf': { mode: 0o644, content: [
          'local     all all              scram-sha-256',
          'hostssl   all all 127.0.0.1/32 scram-sha-256',
          'hostnossl all all 0.0.0.0/0    reject', '',
        ].join('\n') },
        'tls/server.crt': { mode: 0o644, content: cert },
        'tls/server.key': { mode: 0o600, content: key },
        'wrapper.conf': { mode: 0o644, content: (dir) => [
          "include 'postgresql.conf'",
          `ssl_cert_file = '${dir}/tls/server.crt'`, `ssl_key_file = '${dir}/tls/server.key'`, `hba_file = '${dir}/pg_hba.conf'`, '',
        ].join('\n') },
      },
    });

    const conn = (sslmode: string) => `host=127.0.0.1 port=${pg!.port} user=postgres dbname=postgres sslmode=${sslmode}`;
    const tls = pg.psql([conn('require'), '-At', '-c', 'select 1'], { PGPASSWORD: password });
    expect(tls.stderr).toBe('');
    expect(tls.stdout.trim()).toBe('1');

    const plain = pg.psql([conn('disable'), '-At', '-c', 'select 1'], { PGPASSWORD: password });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toMatch(/no encryption|pg_hba\.conf rejects/);

    expect(pg.runSqlAsSuperuser('show ssl_min_protocol_version')).toBe('TLSv1.3');
    expect(pg.runSqlAsSuperuser('show port')).toBe(String(pg.port));
  });

  it('throws with the server log when the config is rejected', async () => {
    await expect(startPostgres({
      configFile: 'bad.conf',
      files: { 'bad.conf': { mode: 0o644, content: 'no_such_setting = 1\n' } },
    })).rejects.toThrow(/unrecognized configuration parameter "no_such_setting"/);
  });
});

describe('Redis 7', () => {
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  // As the library would write it (container paths, all interfaces), plus a wrapper that includes
  // it and points the paths into the temp dir. The harness forces bind and dir, but `dir` is applied
  // while parsing, so the generated line has to go (withoutRedisDirectives).
  const tlsFiles = (port: number, acl: string) => ({
    'redis.conf': { mode: 0o644, content: withoutRedisDirectives([
      'port 0', `tls-port ${port}`, 'bind * -::*', 'dir /data',
      'tls-cert-file /run/secrets/redis.crt', 'tls-key-file /run/secrets/redis.key', 'tls-ca-cert-file /run/secrets/ca.crt',
      'tls-auth-clients no', 'tls-protocols "TLSv1.3"', 'aclfile /etc/redis/users.acl', 'save ""', 'daemonize yes', '',
    ].join('\n')) },
    'wrapper.conf': { mode: 0o644, content: (dir: string) => [
      `include ${dir}/redis.conf`,
      `tls-cert-file ${dir}/server.crt`, `tls-key-file ${dir}/server.key`, `tls-ca-cert-file ${dir}/server.crt`, `aclfile ${dir}/users.acl`, '',
    ].join('\n') },
    'users.acl': { mode: 0o600, content: acl },
    'server.crt': { mode: 0o644, content: cert },
    'server.key': { mode: 0o600, content: key },
  });

  it('answers PING over TLS for an ACL user, and refuses the disabled default user', async () => {
    const port = await freePort();
    redis = await startRedis({
      configFile: 'wrapper.conf',
      files: tlsFiles(port, 'user default off\nuser app on >app-pw ~app:* -@all +ping +get +set\n'),
    });
    expect(redis.port).toBe(port);
    const tls = ['--tls', '--cacert', path.join(redis.dir, 'server.crt')];
    const ping = redis.cli([...tls, '--user', 'app', '--pass', 'app-pw', 'PING']);
    expect(ping.stdout.trim()).toBe('PONG');
    expect(redis.cli([...tls, '--user', 'app', '--pass', 'app-pw', 'CONFIG', 'GET', 'port']).stdout).toMatch(/NOPERM/);
    expect(redis.cli([...tls, 'PING']).stdout).toMatch(/NOAUTH|WRONGPASS|disabled/i);
  });

  it('throws with the output when the ACL is invalid', async () => {
    const port = await freePort();
    await expect(startRedis({ configFile: 'wrapper.conf', files: tlsFiles(port, 'user app on +no-such-command\n') }))
      .rejects.toThrow(/ACL errors/);
  });
});

const bins = minioBinaries();
describe('MinIO', () => {
  it('is built (npx projen test:deps runs tools/install-minio.sh)', () => {
    expect(bins, 'minio/mc are not built: run `npx projen test:deps`').toBeDefined();
  });

  let minio: MinioServer | undefined;
  afterAll(async () => minio?.stop());

  it('serves S3 on loopback with root credentials from *_FILE variables', async () => {
    minio = await startMinio({
      files: { 'secrets/root-user': { mode: 0o600, content: 'lab-admin' }, 'secrets/root-password': { mode: 0o600, content: 'lab-admin-password-1' } },
      env: { MINIO_ROOT_USER_FILE: 'secrets/root-user', MINIO_ROOT_PASSWORD_FILE: 'secrets/root-password' },
    });
    expect(minio.endpoint).toBe(`http://127.0.0.1:${minio.port}`);
    const alias = minio.mc(['--json', 'alias', 'set', 'lab', minio.endpoint, 'lab-admin', 'lab-admin-password-1']);
    expect(alias.status, alias.stdout + alias.stderr).toBe(0);
    // A *_FILE that does not exist silently falls back to minioadmin:minioadmin; prove it did not.
    expect(minio.mc(['--json', 'alias', 'set', 'dflt', minio.endpoint, 'minioadmin', 'minioadmin']).status).not.toBe(0);
    expect(minio.mc(['--json', 'mb', 'lab/models']).status).toBe(0);
    const ls = minio.mc(['--json', 'ls', 'lab']);
    expect(ls.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).key)).toContain('models/');
  });
});

describe('process registry', () => {
  it('has nothing left registered once the servers are stopped', async () => {
    const port = await freePort();
    const dir = makeServerDir('redis-own');
    fs.writeFileSync(path.join(dir, 'plain.conf'), `port ${port}\nbind 127.0.0.1\nsave ""\n`);
    const before = registeredCount();
    const r = await startRedis({ dir, configFile: 'plain.conf' });
    expect(registeredCount()).toBe(before + 1);
    await r.stop();
    expect(registeredCount()).toBe(before);
    expect(fs.existsSync(dir)).toBe(true); // a caller's dir is the caller's to remove
    removeServerDir(dir);
  });
});
