/**
 * The reference lab's own files, end to end on real servers: its curated PostgreSQL, its feature
 * store, its Vault (OpenBao) bootstrapped by its generated script, its agents rendering what its
 * consumers read, its nightly backup job's exact command dumping the curated database with a
 * Vault-issued user, and its scan service before clamd, on its agent's certificate. Only container paths, host names and ports are re-pointed.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { SecretsBootstrap, Testing } from '../../lib';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../support/real-servers/generated-stack';
import { PG_BIN, PostgresServer as RunningPostgres } from '../support/real-servers/postgres';
import { freePort } from '../support/real-servers/free-port';
import { RedisServer as RunningRedis, startRedis, withoutRedisDirectives } from '../support/real-servers/redis';
import { minioBinaries, MinioServer as RunningMinio, startMinio } from '../support/real-servers/minio';
import { EICAR, requireClamd, rerootClamdConf, startClamd, writeTestSignatures } from '../support/real-servers/clamd';
import { httpsRequest } from '../support/real-servers/https-request';
import { startScanService } from '../support/real-servers/scan-service';

let host: GeneratedHost;
let pg: RunningPostgres;
let redis: RunningRedis;
let vault: GeneratedVault;
let compose: any;
let minio: RunningMinio;

beforeAll(async () => {
  const app = Testing.app();
  createLab(app);
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-lab-stack-');
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);
  const pgPort = await freePort();
  // GitHub's OIDC discovery is out of reach here: the CI role verifies a local key instead.
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  vault = await startGeneratedVault(host, 'vault', {
    postgres: { 'curated-db': pgPort },
    patch: (script, dir) => {
      fs.writeFileSync(path.join(dir, 'ci.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      return script.replace(/oidc_discovery_url="\$\{MLSEC_JWT_DISCOVERY_URL:-[^}]*\}"/, `jwt_validation_pubkeys=@"${path.join(dir, 'ci.pem')}"`);
    },
  });
  // Postgres on what its own agent renders (certificate, admin password, Vault-admin verifier); then the bootstrap again rotates Vault's admin password.
  pg = await startGeneratedPostgres(host, 'curated-db', { renderedDir: await renderAgentFiles(host, vault, 'curated-db'), port: pgPort });
  expect(vault.rerunBootstrap()).toContain('curated-db admin password rotated');
  pg.runSqlAsSuperuser('set role curated_owner; create table curated_core.loans (id int primary key, amount numeric); insert into curated_core.loans values (1, 1000)', 'curated');
  // The feature store reads its certificate and ACL file (password hashes from KV) from its own agent.
  const storeOut = await renderAgentFiles(host, vault, 'feature-store');
  const port = await freePort();
  const rendered = (name: string, mode = 0o600) => ({ content: fs.readFileSync(path.join(storeOut, name)), mode });
  redis = await startRedis({
    configFile: 'redis.conf', port,
    files: {
      'redis.conf': { content: withoutRedisDirectives(host.files['feature-store/redis.conf']), mode: 0o644 },
      'users.acl': rendered('users.acl'), 'tls.crt': rendered('vault-tls.crt', 0o644), 'tls.key': rendered('vault-tls.key'),
      'ca.crt': { content: fs.readFileSync(deliveredPath(host, 'feature-store', 'ca.crt')), mode: 0o644 },
    },
    args: ['--tls-port', String(port), '--tls-cert-file', 'tls.crt', '--tls-key-file', 'tls.key', '--tls-ca-cert-file', 'ca.crt', '--aclfile', 'users.acl'],
  });
  // The lake: root keys, KMS key and certificate from its own agent; users applied by its bootstrap job's script with what the job's agent renders.
  const lakeOut = await renderAgentFiles(host, vault, 'lake');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services.lake.environment as Record<string, string>)) if (k.startsWith('MINIO_')) env[k] = String(v).replace(/^\/run\/vault\//, `${lakeOut}/`);
  minio = await startMinio({ dir: path.join(vault.bao.dir, 'minio'), env, certsDir: lakeOut });
  const jobOut = await renderAgentFiles(host, vault, 'lake-bootstrap');
  const config = path.join(vault.bao.dir, 'lake-config');
  for (const [rel, text] of Object.entries(host.files).filter(([rel]) => rel.startsWith('lake/'))) {
    fs.mkdirSync(path.dirname(path.join(config, rel.slice(5))), { recursive: true });
    fs.writeFileSync(path.join(config, rel.slice(5)), text);
  }
  const job = spawnSync('/bin/sh', [path.join(config, 'bootstrap.sh')], {
    cwd: vault.bao.dir, encoding: 'utf8',
    env: {
      PATH: `${path.dirname(minioBinaries()!.mc)}:/usr/bin:/bin`, HOME: vault.bao.dir, MLSEC_FILES_DIR: jobOut, MLSEC_CONFIG_DIR: config,
      MLSEC_CA_FILE: deliveredPath(host, 'lake-bootstrap', 'ca.crt'), MC_CONFIG_DIR: path.join(vault.bao.dir, 'mc-job'),
      MINIO_URL: `https://lake:${minio.port}`, MC_RESOLVE: `lake:${minio.port}=127.0.0.1`,
    },
  });
  expect(job.status, `${job.stdout}\n${job.stderr}\n${minio.log()}`).toBe(0);
}, 300_000);

afterAll(async () => {
  await minio?.stop();
  await vault?.bao.stop();
  await redis?.stop();
  await pg?.stop();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
});

describe('the reference lab on real servers', () => {
  it("runs the backup job's own command with a Vault-issued database user", async () => {
    const out = await renderAgentFiles(host, vault, 'curated-backup');
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

  it('creates the offline feature table as the features owner, readable by the batch scoring job, writable by nobody else', () => {
    const q = (sql: string) => pg.runSqlAsSuperuser(sql, 'features').trim();
    expect(q("select tableowner from pg_tables where schemaname = 'fs_offline' and tablename = 'customer_risk'")).toBe('features_owner');
    expect(q("select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_schema = 'fs_offline' and table_name = 'customer_risk'")).toBe('entity_id,amount_30d,count_30d,tenure_days,updated_at');
    expect(q("select has_table_privilege('batch_fraud_score', 'fs_offline.customer_risk', 'SELECT')")).toBe('t');
    expect(q("select has_table_privilege('batch_fraud_score', 'fs_offline.customer_risk', 'INSERT')")).toBe('f');
  });

  it('runs the feature store on what its own agent renders: a Vault-issued certificate and an ACL of hashes', async () => {
    const out = await renderAgentFiles(host, vault, 'feature-store');
    const acl = fs.readFileSync(path.join(out, 'users.acl'), 'utf8');
    expect(acl.split('\n')[0]).toBe('user default off resetpass resetkeys resetchannels -@all');
    // Two users: the feature API reads the declared groups, the curation pipeline writes them.
    expect(acl).toMatch(/^user feature-api reset on #[0-9a-f]{64} ~fs:customer_risk:\* resetchannels -@all \+@read \+@connection -@write /m);
    expect(acl).toMatch(/^user airflow-worker-curation reset on #[0-9a-f]{64} ~fs:customer_risk:\* /m);
    expect(acl).not.toMatch(/^user model-server /m);
    const password = fs.readFileSync(path.join(host.secretsDir, 'lab', 'credentials', 'feature-store-user-feature-api'), 'utf8');
    expect(acl).not.toContain(password);
    const leaf = new crypto.X509Certificate(fs.readFileSync(path.join(out, 'vault-tls.crt')));
    expect(leaf.subjectAltName).toContain('DNS:feature-store');
    // The server's token reads its hashes, not the consumers' passwords.
    expect((await vault.bao.api('GET', 'kv/data/lab/core/feature-api/feature-store', await vault.login('feature-store'))).status).toBe(403);
  });

  it("gives the feature API its store password through its agent (a dotenv file Benthos reads), and Redis lets it read, never write", async () => {
    const out = await renderAgentFiles(host, vault, 'feature-api');
    const env = fs.readFileSync(path.join(out, 'redis.env'), 'utf8');
    expect(env).toMatch(/^REDIS_PASSWORD=\S+\n$/);
    expect(fs.statSync(path.join(out, 'redis.env')).mode & 0o777).toBe(0o400);
    const password = env.trim().slice('REDIS_PASSWORD='.length);
    const cli = (user: string, pass: string, ...command: string[]) => redis.cli(['--tls', '--cacert', deliveredPath(host, 'feature-api', 'ca.crt'),
      '--cert', path.join(out, 'vault-tls.crt'), '--key', path.join(out, 'vault-tls.key'), '--user', user, '--pass', pass, ...command]);
    // Its client certificate is Vault-issued too (rendered by the same agent).
    expect(cli('feature-api', password, 'PING').stdout.trim()).toBe('PONG');
    expect(cli('feature-api', password, 'HMGET', 'fs:customer_risk:1', 'amount_30d').stdout).not.toMatch(/WRONGPASS|NOPERM/);
    expect(cli('feature-api', password, 'HSET', 'fs:customer_risk:1', 'amount_30d', '1').stdout).toMatch(/NOPERM/);
    expect(cli('feature-api', password, 'GET', 'features:user:1').stdout).toMatch(/NOPERM/);
    // The model servers hold no store credential at all: they call the feature API.
    expect(compose.services['model-server'].environment.FEATURE_API_URL).toBe('https://feature-api:8443/features');
    expect(Object.keys(compose.services['model-server'].environment).filter((k) => k.startsWith('REDIS_'))).toEqual([]);
  }, 60_000);

  it("runs the lake on its agent's files only, and the backup shipper's own command uploads with its write-only grant", async () => {
    expect(compose.services.lake.secrets.map((x: { target: string }) => x.target)).toEqual(['ca.crt']);
    const out = await renderAgentFiles(host, vault, 'backup-shipper');
    const service = compose.services['backup-shipper'];
    const dir = fs.mkdtempSync(path.join(vault.bao.dir, 'shipper-'));
    const backups = path.join(dir, 'backups');
    fs.mkdirSync(backups);
    fs.writeFileSync(path.join(backups, 'curated-20261126T020000Z.dump'), 'PGDMP');
    const env: Record<string, string> = { PATH: `${path.dirname(minioBinaries()!.mc)}:/usr/bin:/bin`, HOME: dir, MC_RESOLVE: `lake:${minio.port}=127.0.0.1` };
    for (const [k, v] of Object.entries(service.environment as Record<string, string>)) {
      env[k] = String(v).replace(/^\/run\/secrets\//, `${path.dirname(deliveredPath(host, 'backup-shipper', 'x'))}/`).replace(/^\/run\/vault\//, `${out}/`);
    }
    env.AWS_ENDPOINT_URL = `https://lake:${minio.port}`;
    const [shell, flag, script] = service.entrypoint as string[];
    // As compose hands it over (`$$` is its escape of `$`); only the container paths are re-pointed.
    const command = script.replace(/\$\$/g, '$').replace(/ \/backups\/ /g, ` ${backups}/ `).replace(/\/tmp\/mc\b/g, path.join(dir, 'mc'));
    const r = spawnSync(shell, [flag, command], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const root = (args: string[]) => minio.mc(['--json', ...args], {
      MC_HOST_s3: `https://${fs.readFileSync(path.join(host.secretsDir, 'lab', 'credentials', 'lake-root-user'), 'utf8')}:${fs.readFileSync(path.join(host.secretsDir, 'lab', 'credentials', 'lake-root-password'), 'utf8')}@lake:${minio.port}`,
      MC_RESOLVE: `lake:${minio.port}=127.0.0.1`, SSL_CERT_FILE: deliveredPath(host, 'lake-bootstrap', 'ca.crt'),
    });
    expect(root(['ls', '--recursive', 's3/backups/']).stdout).toMatch(/curated\/curated-20261126T020000Z\.dump/);
    expect(root(['retention', 'info', '--default', 's3/backups']).stdout).toMatch(/COMPLIANCE/);
    expect(root(['encrypt', 'info', 's3/backups']).stdout).toMatch(/sse-s3|SSE-S3|AES256/i);
  }, 120_000);

  it("runs the scan service on its agent's certificate: the promote job's Vault-issued certificate may scan, another workload's may not", async () => {
    requireClamd();
    const clamdPort = await freePort();
    const conf = rerootClamdConf(host.files['clamav/clamd.conf'], { dir: path.join(vault.bao.dir, 'clamd'), port: clamdPort, databaseDir: writeTestSignatures(path.join(vault.bao.dir, 'clamd-db')) });
    const clamd = await startClamd(conf.confPath, clamdPort);
    const scan = await startScanService(host.files['scan-service/scan-service.js'], host.files['scan-service/scan-service.json'], {
      port: await freePort(), clamdPort, secretsDir: path.dirname(deliveredPath(host, 'scan-service', 'x')), renderedDir: await renderAgentFiles(host, vault, 'scan-service'),
    });
    try {
      const ca = fs.readFileSync(deliveredPath(host, 'promote-transactions', 'ca.crt'));
      const as = async (workload: string, body: string) => {
        const out = await renderAgentFiles(host, vault, workload);
        const tls = { ca, cert: fs.readFileSync(path.join(out, 'vault-tls.crt')), key: fs.readFileSync(path.join(out, 'vault-tls.key')) };
        return httpsRequest(scan.port, 'scan-service', '/scan', tls, 'POST', body);
      };
      const clean = await as('promote-transactions', '{"id":"tx-1"}');
      expect(clean.status, scan.log()).toBe(200);
      expect(JSON.parse(clean.body)).toMatchObject({ verdict: 'clean' });
      expect(JSON.parse((await as('promote-transactions', EICAR)).body)).toMatchObject({ verdict: 'infected', signature: 'Mlsec.Test.Eicar.UNOFFICIAL' });
      // Same CA, a valid Vault-issued client certificate, but not a declared client.
      expect((await as('ingest-transactions', '{"id":"tx-2"}')).status).toBe(403);
      expect(scan.log()).toContain('"client":"spiffe://lab/ns/z1/sa/promote-transactions"');
      expect(scan.health()).toBe(0);
    } finally {
      await scan.stop();
      await clamd.stop();
    }
  }, 180_000);

  it('revoked the initial root token and holds the lab policies and roles exactly', async () => {
    expect(vault.bootstrapOutput).toContain('root token revoked');
    expect((await vault.bao.api('GET', 'auth/token/lookup-self', vault.bao.rootToken)).status).toBe(403);
    const policies = (await vault.bao.api('LIST', 'sys/policies/acl', vault.admin)).body.data.keys.sort();
    expect(policies).toEqual(['airflow-api-server', 'airflow-broker', 'airflow-dag-processor', 'airflow-db', 'airflow-db-migrate', 'airflow-scheduler', 'airflow-worker-curation', 'airflow-worker-training', 'backup-shipper', 'batch-fraud-score', 'ci-release', 'curated-backup', 'curated-db', 'data-broker', 'default', 'feature-api', 'feature-store', 'gateway', 'grafana', 'identity-db', 'ingest-transactions', 'keycloak', 'lake', 'lake-bootstrap', 'llm-gateway', 'llm-waf', 'loki', 'mlflow', 'mlsec-approle-deliverer', 'model-server-fetch', 'model-store', 'model-store-bootstrap', 'opa', 'otel-collector', 'prometheus', 'promote-transactions', 'registry-db', 'registry-gate', 'root', 'scan-service', 'scored-api', 'scored-db', 'sso-auth', 'sso-grafana', 'sso-mlflow', 'waf']);
    const roles = (await vault.bao.api('LIST', 'auth/approle/role', vault.admin)).body.data.keys.sort();
    expect(roles).toEqual(['airflow-api-server', 'airflow-broker', 'airflow-dag-processor', 'airflow-db', 'airflow-db-migrate', 'airflow-scheduler', 'airflow-worker-curation', 'airflow-worker-training', 'backup-shipper', 'batch-fraud-score', 'curated-backup', 'curated-db', 'data-broker', 'feature-api', 'feature-store', 'gateway', 'grafana', 'identity-db', 'ingest-transactions', 'keycloak', 'lake', 'lake-bootstrap', 'llm-gateway', 'llm-waf', 'loki', 'mlflow', 'model-server-fetch', 'model-store', 'model-store-bootstrap', 'opa', 'otel-collector', 'prometheus', 'promote-transactions', 'registry-db', 'registry-gate', 'scan-service', 'scored-api', 'scored-db', 'sso-auth', 'sso-grafana', 'sso-mlflow', 'waf']);
    const keys = (await vault.bao.api('LIST', 'transit/keys', vault.admin)).body.data.keys.sort();
    expect(keys).toEqual(['audit-log', 'envelope-curated', 'envelope-raw-core', 'model-sign', 'pii']);
  });
});
