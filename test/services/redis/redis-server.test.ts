import { describe, expect, it } from 'vitest';
import { aclRule, ComposeTemplate, HealthCheck, Image, Match, RedisServer, renderAclFile, Testing, VaultServer, Workload, Zone } from '../../../lib';
import { labApp } from '../../support/fixtures';

function app(use: 'cache' | 'feature-store' = 'feature-store') {
  const { app, vps } = labApp();
  const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use, resources: { memoryMiB: 512 } });
  const client = (id: string) => new Workload(vps, id, { zone: Zone.Z6_SERVING, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
  const reader = store.grantAccess(client('reader'), { keys: ['features:*'], commands: ['read', 'string', 'hash'] })!;
  const writer = store.grantAccess(client('writer'), { keys: ['features:*', 'jobs:last'], commands: ['read', 'write', 'string'], channels: ['features:updates'] })!;
  const assembly = Testing.synth(app);
  return { store, reader, writer, assembly, compose: ComposeTemplate.fromAssembly(assembly, 'lab') };
}

function directives(conf: string): Record<string, string> {
  return Object.fromEntries(conf.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]));
}

describe('RedisServer', () => {
  it('listens on TLS only, requires client certificates and takes its users from the ACL file', () => {
    const conf = directives(app().assembly.file('lab/feature-store/redis.conf'));
    expect(conf).toMatchObject({
      'port': '0',
      'tls-port': '6379',
      'tls-auth-clients': 'yes',
      'tls-protocols': '"TLSv1.2 TLSv1.3"',
      'tls-cert-file': '/run/secrets/tls.crt',
      'tls-key-file': '/run/secrets/tls.key',
      'tls-ca-cert-file': '/run/secrets/ca.crt',
      'aclfile': '/run/secrets/users.acl',
      'protected-mode': 'yes',
      'enable-debug-command': 'no',
      'enable-module-command': 'no',
      'enable-protected-configs': 'no',
      'maxmemory': '384mb',
    });
    expect(conf.requirepass).toBeUndefined();
  });

  it('persists a feature store and evicts nothing; a cache persists nothing and evicts', () => {
    expect(directives(app('feature-store').assembly.file('lab/feature-store/redis.conf'))).toMatchObject({ 'appendonly': 'yes', 'appendfsync': 'everysec', 'maxmemory-policy': 'noeviction' });
    expect(directives(app('cache').assembly.file('lab/feature-store/redis.conf'))).toMatchObject({ 'appendonly': 'no', 'save': '""', 'maxmemory-policy': 'allkeys-lru' });
  });

  it('gives each grant one ACL user limited to its keys and categories; without `write` it is read-only', () => {
    const { reader, writer } = app();
    const denied = '-@admin -@dangerous -keys -scan -flushall -flushdb -config -debug -shutdown -acl -module -monitor -save -bgsave -bgrewriteaof -replicaof -slaveof -cluster -migrate -restore -sort -eval -evalsha -script -function -fcall -client -swapdb -move -object -dump -failover -sync -psync -pfdebug -pfselftest -lastsave -info -latency -memory -slowlog -wait';
    expect(aclRule(reader)).toBe(`user reader reset on ~features:* resetchannels -@all +@read +@string +@hash -@write ${denied}`);
    expect(aclRule(writer)).toBe(`user writer reset on ~features:* ~jobs:last resetchannels &features:updates -@all +@read +@write +@string ${denied}`);
  });

  it('writes an ACL file with the default user off and only password hashes', () => {
    const { reader, writer } = app();
    const acl = renderAclFile([writer, reader], (u) => `password-of-${u}`);
    const lines = acl.trim().split('\n');
    expect(lines[0]).toBe('user default off resetpass resetkeys resetchannels -@all');
    expect(lines[1]).toMatch(/^user reader reset on #[0-9a-f]{64} ~features:\* /);
    expect(acl).not.toContain('password-of-');
  });

  it('delivers the ACL file to the server and password, client certificate and CA to each grantee', () => {
    const { compose } = app();
    compose.hasService('feature-store', Match.objectLike({
      user: '999:999',
      command: ['redis-server', '/etc/redis/redis.conf'],
      secrets: Match.arrayWith([{ source: 'feature-store.users.acl', target: 'users.acl' }]),
    }));
    compose.hasService('reader', Match.objectLike({
      environment: {
        REDIS_HOST: 'feature-store', REDIS_PORT: '6379', REDIS_USERNAME: 'reader', REDIS_PASSWORD_FILE: '/run/secrets/feature-store.password',
        REDIS_TLS_CA_FILE: '/run/secrets/ca.crt', REDIS_TLS_CERT_FILE: '/run/secrets/clienttls.crt', REDIS_TLS_KEY_FILE: '/run/secrets/clienttls.key',
      },
    }));
  });
});

describe('grantAccess with passwordFile: false (a grantee that delivers its password its own way)', () => {
  it('delivers no password file and sets no REDIS_PASSWORD_FILE, with or without Vault; Vault still lets it read the secret', () => {
    for (const withVault of [false, true]) {
      const { app, vps } = labApp();
      const vault = withVault ? new VaultServer(vps, 'vault') : undefined;
      const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'cache', vault });
      const reader = new Workload(vps, 'reader', { zone: Zone.Z6_SERVING, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
      const grant = store.grantAccess(reader, { keys: ['features:*'], commands: ['read'], passwordFile: false })!;
      const assembly = Testing.synth(app);
      const svc = ComposeTemplate.fromAssembly(assembly, 'lab').service('reader');
      expect(svc.environment.REDIS_PASSWORD_FILE).toBeUndefined();
      expect(svc.environment.REDIS_USERNAME).toBe('reader');
      expect((svc.secrets ?? []).map((x: { target: string }) => x.target).filter((t: string) => t.includes('password'))).toEqual([]);
      if (withVault) {
        expect(assembly.paths().filter((f) => f.startsWith('lab/vault/agent/reader/') && f.includes('password'))).toEqual([]);
        expect(assembly.file('lab/vault/policies/reader.hcl')).toContain(`path "${grant.passwordSecret!.dataPath}" {`);
      } else {
        expect(grant.credential).toBeDefined();
      }
    }
  });
});

describe('RedisServer with Vault', () => {
  it('reads its certificate and ACL file only from its own agent, and its policy reaches hashes, not passwords', () => {
    const { app, vps } = labApp();
    const vault = new VaultServer(vps, 'vault');
    const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'cache', vault });
    const reader = new Workload(vps, 'reader', { zone: Zone.Z6_SERVING, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
    store.grantAccess(reader, { keys: ['features:*'], commands: ['read'] });
    const assembly = Testing.synth(app);
    const conf = directives(assembly.file('lab/feature-store/redis.conf'));
    expect([conf['tls-cert-file'], conf['tls-key-file'], conf.aclfile]).toEqual(['/run/vault/vault-tls.crt', '/run/vault/vault-tls.key', '/run/vault/users.acl']);
    const compose = ComposeTemplate.fromAssembly(assembly, 'lab');
    // Only the (public) CA bundle still comes from the bootstrap.
    expect(compose.service('feature-store').secrets.map((s: { target: string }) => s.target)).toEqual(['ca.crt']);
    expect(assembly.file('lab/vault/policies/feature-store.hcl').split('\n').filter((l) => l.startsWith('path '))).toEqual([
      'path "kv/data/lab/core/feature-store/acl-reader" {',
      'path "pki_int/issue/feature-store" {',
    ]);
    expect(assembly.file('lab/vault/agent/feature-store/users.acl.ctmpl')).toContain('{{ with secret "kv/data/lab/core/feature-store/acl-reader" }}user reader reset on #{{ .Data.data.sha256 }} ~features:* ');
  });
});
