/**
 * The generated redis.conf and the bootstrap-written ACL file, with the bootstrap-issued
 * certificates, on a real Redis 7 on loopback. Only container paths and the port are overridden
 * (command-line arguments after the config file).
 */
import * as net from 'net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/real-servers/free-port';
import { RedisServer as RunningRedis, startRedis, withoutRedisDirectives } from '../../support/real-servers/redis';
import { buildDataTier, DataTier } from '../data-tier-fixture';

let tier: DataTier;
let redis: RunningRedis;

beforeAll(async () => {
  tier = buildDataTier();
  const port = await freePort();
  const file = (name: string, mode = 0o600) => ({ content: tier.file('feature-store', name), mode });
  redis = await startRedis({
    configFile: 'redis.conf',
    port,
    files: {
      'redis.conf': { content: withoutRedisDirectives(tier.generated('feature-store/redis.conf')), mode: 0o644 },
      'users.acl': file('users.acl'),
      'tls.crt': file('tls.crt', 0o644),
      'tls.key': file('tls.key'),
      'ca.crt': file('ca.crt', 0o644),
    },
    args: ['--tls-port', String(port), '--tls-cert-file', 'tls.crt', '--tls-key-file', 'tls.key', '--tls-ca-cert-file', 'ca.crt', '--aclfile', 'users.acl'],
  });
}, 30_000);

afterAll(async () => {
  await redis?.stop();
  tier?.cleanup();
});

/** redis-cli over TLS as a consumer, with its delivered password, client certificate and CA. */
function as(service: string, ...command: string[]) {
  return redis.cli([
    '--tls', '--sni', 'feature-store', '--cacert', tier.filePath(service, 'ca.crt'),
    '--cert', tier.filePath(service, 'clienttls.crt'), '--key', tier.filePath(service, 'clienttls.key'),
    '--user', service, '--pass', tier.file(service, 'feature-store.password').toString('utf8'), ...command,
  ]);
}

function tlsOnly(...command: string[]) {
  return redis.cli(['--tls', '--cacert', tier.filePath('reader', 'ca.crt'), '--cert', tier.filePath('reader', 'clienttls.crt'), '--key', tier.filePath('reader', 'clienttls.key'), ...command]);
}

describe('Redis with the generated configuration', () => {
  it('lets the writer write and read its own key pattern', () => {
    expect(as('builder', 'SET', 'features:user:1', '0.42').stdout.trim()).toBe('OK');
    expect(as('builder', 'GET', 'features:user:1').stdout.trim()).toBe('0.42');
  });

  it('lets the reader read its pattern and nothing else', () => {
    expect(as('reader', 'GET', 'features:user:1').stdout.trim()).toBe('0.42');
    expect(as('reader', 'SET', 'features:user:1', '1').stdout).toMatch(/NOPERM/);
    expect(as('reader', 'DEL', 'features:user:1').stdout).toMatch(/NOPERM/);
  });

  it('answers NOPERM for keys outside the pattern', () => {
    expect(as('builder', 'SET', 'secrets:x', '1').stdout).toMatch(/NOPERM.*key/i);
    expect(as('reader', 'GET', 'other:x').stdout).toMatch(/NOPERM.*key/i);
  });

  it.each([['FLUSHALL'], ['CONFIG', 'GET', 'requirepass'], ['KEYS', '*'], ['SCAN', '0'], ['ACL', 'LIST'], ['DEBUG', 'SLEEP', '0'], ['MODULE', 'LIST'], ['EVAL', 'return 1', '0'], ['SHUTDOWN']])(
    'denies %s to every application user',
    (...command) => {
      for (const who of ['builder', 'reader']) {
        const r = as(who, ...command);
        expect(r.stdout, `${who} ${command.join(' ')}`).toMatch(/NOPERM|ERR .*(disabled|not allowed)/);
      }
    },
  );

  it('does not let the default user authenticate or run anything', () => {
    expect(tlsOnly('PING').stdout).toMatch(/NOAUTH/);
    expect(tlsOnly('AUTH', 'default', 'anything').stdout).toMatch(/WRONGPASS|invalid username-password/);
  });

  it('refuses a wrong password', () => {
    const r = redis.cli(['--tls', '--cacert', tier.filePath('reader', 'ca.crt'), '--cert', tier.filePath('reader', 'clienttls.crt'), '--key', tier.filePath('reader', 'clienttls.key'), '--user', 'reader', '--pass', 'wrong', 'PING']);
    expect(`${r.stdout}${r.stderr}`).toMatch(/WRONGPASS|AUTH failed/);
  });

  it('refuses a TLS client without a certificate', () => {
    const r = redis.cli(['--tls', '--cacert', tier.filePath('reader', 'ca.crt'), '--user', 'reader', '--pass', tier.file('reader', 'feature-store.password').toString('utf8'), 'PING']);
    expect(r.stdout).not.toMatch(/PONG/);
  });

  it('speaks no plain TCP on its port (port 0: no plain listener at all)', async () => {
    const r = redis.cli(['PING']);
    expect(r.stdout).not.toMatch(/PONG/);
    // A plain RESP PING gets no PONG back: the server expects a TLS ClientHello.
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(redis.port, '127.0.0.1', () => socket.write('PING\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString('latin1')));
      socket.setTimeout(1500, () => socket.destroy());
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(reply).not.toMatch(/PONG/);
  });
});
