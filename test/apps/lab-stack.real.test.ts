/**
 * The reference lab's own files, end to end on real servers: its curated PostgreSQL, its feature
 * store, its Vault (OpenBao) bootstrapped by its generated script, its agents rendering what its
 * consumers read, and its nightly backup job's exact command dumping the curated database with a
 * Vault-issued user. Only container paths, host names and ports are re-pointed.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { SecretsBootstrap, Testing } from '../../lib';
import { deliveredPath, GeneratedHost, GeneratedVault, startGeneratedPostgres, startGeneratedVault } from '../support/real-servers/generated-stack';
import { startAgent } from '../support/real-servers/openbao';
import { PG_BIN, PostgresServer as RunningPostgres } from '../support/real-servers/postgres';
import { freePort } from '../support/real-servers/free-port';
import { RedisServer as RunningRedis, startRedis, withoutRedisDirectives } from '../support/real-servers/redis';

let host: GeneratedHost;
let pg: RunningPostgres;
let redis: RunningRedis;
let vault: GeneratedVault;
let compose: any;

beforeAll(async () => {
  const app = Testing.app();
  createLab(app);
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-lab-stack-');
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);
  pg = await startGeneratedPostgres(host, 'curated-db');
  pg.runSqlAsSuperuser('set role curated_owner; create table curated_core.loans (id int primary key, amount numeric); insert into curated_core.loans values (1, 1000)', 'curated');
  const port = await freePort();
  const store = (name: string, mode = 0o600) => ({ content: fs.readFileSync(deliveredPath(host, 'feature-store', name)), mode });
  redis = await startRedis({
    configFile: 'redis.conf', port,
    files: { 'redis.conf': { content: withoutRedisDirectives(host.files['feature-store/redis.conf']), mode: 0o644 }, 'users.acl': store('users.acl'), 'tls.crt': store('tls.crt', 0o644), 'tls.key': store('tls.key'), 'ca.crt': store('ca.crt', 0o644) },
    args: ['--tls-port', String(port), '--tls-cert-file', 'tls.crt', '--tls-key-file', 'tls.key', '--tls-ca-cert-file', 'ca.crt', '--aclfile', 'users.acl'],
  });
  // GitHub's OIDC discovery is out of reach here: the CI role verifies a local key instead.
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  vault = await startGeneratedVault(host, 'vault', {
    postgres: { 'curated-db': pg.port },
    patch: (script, dir) => {
      fs.writeFileSync(path.join(dir, 'ci.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      return script.replace(/oidc_discovery_url="\$\{MLSEC_JWT_DISCOVERY_URL:-[^}]*\}"/, `jwt_validation_pubkeys=@"${path.join(dir, 'ci.pem')}"`);
    },
  });
}, 240_000);

afterAll(async () => {
  await vault?.bao.stop();
  await redis?.stop();
  await pg?.stop();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
});

/** Runs the lab's agent of `workload` (its generated agent.hcl and templates) until it has rendered its files. */
async function renderWith(workload: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(vault.bao.dir, `agent-${workload}-`));
  const out = path.join(dir, 'out');
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(out, { mode: 0o700 });
  fs.mkdirSync(secrets, { mode: 0o700 });
  fs.copyFileSync(deliveredPath(host, `${workload}-vault-agent`, 'ca.crt'), path.join(secrets, 'ca.crt'));
  fs.writeFileSync(path.join(secrets, 'role-id'), (await vault.bao.api('GET', `auth/approle/role/${workload}/role-id`, vault.admin)).body.data.role_id);
  fs.writeFileSync(path.join(secrets, 'secret-id'), JSON.parse(vault.bao.bao(['write', '-format=json', '-wrap-ttl=60s', '-f', `auth/approle/role/${workload}/secret-id`], vault.admin).stdout).wrap_info.token);
  for (const [rel, text] of Object.entries(host.files).filter(([rel]) => rel.startsWith(`vault/agent/${workload}/`))) {
    fs.writeFileSync(path.join(dir, path.basename(rel)), text
      .replace(/"\/run\/secrets\/(role-id|secret-id|ca\.crt)"/g, `"${secrets}/$1"`).replace(/\/vault\/agent\//g, `${dir}/`).replace(/\/run\/vault\//g, `${out}/`)
      .replace('/tmp/vault-agent.pid', path.join(dir, 'agent.pid'))
      .replace('address = "https://vault:8200"', `address = "https://127.0.0.1:${vault.bao.apiPort}"\n  tls_server_name = "vault"`));
  }
  const agent = startAgent(path.join(dir, 'agent.hcl'), dir);
  try {
    await agent.waitFor(path.join(out, '.ready'));
  } finally {
    await agent.stop();
  }
  return out;
}

describe('the reference lab on real servers', () => {
  it("runs the backup job's own command with a Vault-issued database user", async () => {
    const out = await renderWith('curated-backup');
    const service = compose.services['curated-backup'];
    const backups = fs.mkdtempSync(path.join(vault.bao.dir, 'backups-'));
    const serviceFile = path.join(out, 'curated-db.pg_service.conf');
    // The rendered file names the container's port and secret paths; only those are re-pointed.
    fs.chmodSync(serviceFile, 0o600);
    fs.writeFileSync(serviceFile, fs.readFileSync(serviceFile, 'utf8').replace('port=5432', `port=${pg.port}`)
      .replace(/\/run\/secrets\//g, `${path.dirname(deliveredPath(host, 'curated-backup', 'x'))}/`));
    const env: Record<string, string> = { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: backups, PGHOSTADDR: '127.0.0.1', PGCONNECT_TIMEOUT: '10' };
    for (const [k, v] of Object.entries(service.environment as Record<string, string>)) {
      env[k] = String(v).replace(/^\/run\/secrets\//, `${path.dirname(deliveredPath(host, 'curated-backup', 'x'))}/`).replace(/^\/run\/vault\//, `${out}/`);
    }
    env.PGPORT = String(pg.port);
    const [shell, flag, script] = service.entrypoint as string[];
    const r = spawnSync(shell, [flag, script.replace(/\$\$/g, '$').replace('/backups/', `${backups}/`)], { cwd: backups, env, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const [dump] = fs.readdirSync(backups).filter((f) => f.endsWith('.dump'));
    expect(dump).toMatch(/^curated-\d{8}T\d{6}Z\.dump$/);
    const list = spawnSync(path.join(PG_BIN, 'pg_restore'), ['--list', path.join(backups, dump)], { encoding: 'utf8' });
    expect(list.stdout).toMatch(/TABLE DATA curated_core loans/);
    // The user that dumped was Vault's, a member of the NOLOGIN group, and is logged as such.
    expect(pg.log()).toMatch(/connection authorized: user=v-approle-curated--[^ ]+ database=curated/);
  }, 120_000);

  it("gives the model server its feature-store password through its agent, and Redis accepts it", async () => {
    const out = await renderWith('model-server');
    const password = fs.readFileSync(path.join(out, 'redis-feature-store-model-server-password'), 'utf8');
    expect(fs.statSync(path.join(out, 'redis-feature-store-model-server-password')).mode & 0o777).toBe(0o400);
    const cli = (user: string, pass: string, ...command: string[]) => redis.cli(['--tls', '--cacert', deliveredPath(host, 'model-server', 'ca.crt'),
      '--cert', deliveredPath(host, 'model-server', 'tls.crt'), '--key', deliveredPath(host, 'model-server', 'tls.key'), '--user', user, '--pass', pass, ...command]);
    expect(cli('model-server', password, 'GET', 'features:user:1').stdout).not.toMatch(/WRONGPASS|NOPERM/);
    expect(cli('model-server', password, 'SET', 'features:user:1', 'x').stdout).toMatch(/NOPERM/);
    // The token it keeps for Transit can verify model signatures and nothing else.
    const token = fs.readFileSync(path.join(out, 'token'), 'utf8').trim();
    expect((await vault.bao.api('POST', 'transit/sign/model-sign', token, { input: 'eA==' })).status).toBe(403);
    expect((await vault.bao.api('GET', 'kv/data/lab/core/backup-shipper/lake', token)).status).toBe(403);
  }, 60_000);

  it('revoked the initial root token and holds the lab policies and roles exactly', async () => {
    expect(vault.bootstrapOutput).toContain('root token revoked');
    expect((await vault.bao.api('GET', 'auth/token/lookup-self', vault.bao.rootToken)).status).toBe(403);
    const policies = (await vault.bao.api('LIST', 'sys/policies/acl', vault.admin)).body.data.keys.sort();
    expect(policies).toEqual(['backup-shipper', 'ci-release', 'curated-backup', 'default', 'mlsec-approle-deliverer', 'model-server', 'root']);
    const roles = (await vault.bao.api('LIST', 'auth/approle/role', vault.admin)).body.data.keys.sort();
    expect(roles).toEqual(['backup-shipper', 'curated-backup', 'model-server']);
    const keys = (await vault.bao.api('LIST', 'transit/keys', vault.admin)).body.data.keys.sort();
    expect(keys).toEqual(['audit-log', 'model-sign', 'pii']);
  });
});
