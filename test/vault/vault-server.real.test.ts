/**
 * The generated vault.hcl, policies and bootstrap.sh on a real OpenBao (Vault's open fork, same
 * API and policy language) on loopback, with the bootstrap-issued certificate. Only container
 * paths and ports are re-pointed.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credential, HealthCheck, Image, SecretsBootstrap, Testing, VaultServer, Vps, Workload, Zone } from '../../lib';
import { startGeneratedVault } from '../support/real-servers/generated-stack';
import { baoBinary, RunningOpenBao, startAgent } from '../support/real-servers/openbao';
import { RENDERING_ONLY } from '../support/fixtures';

let bao: RunningOpenBao;
let ciKey: crypto.KeyObject;
let admin: string;
const tokens: Record<string, string> = {};
let secretsDir: string;
let files: Record<string, string>;
const WORKLOADS = ['model-server', 'curation'];

function lab() {
  const app = Testing.app({ postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const w = (id: string) => new Workload(vps, id, { zone: Zone.Z6_SERVING, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
  const [model, curation] = WORKLOADS.map(w);
  const seed = new Credential(vps, 'FeatureStorePassword', { name: 'feature-store-password', description: 'seeded into KV by the Vault bootstrap' });
  vault.addKvSecret('ModelDb', { path: 'lab/core/model-server/db', seed: { password: seed } }).grantRead(model, { fields: { password: 'DB_PASSWORD_FILE' } });
  vault.addKvSecret('CurationDb', { path: 'lab/core/curation/db' }).grantRead(curation);
  const sign = vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
  sign.grantSign(curation);
  sign.grantVerify(model);
  vault.addTransitKey('Pii', { name: 'pii', derived: true }).grantEncrypt(curation);
  vault.enablePki().grantIssue(model, { usage: 'server-and-client', ttlHours: 24 });
  vault.addCiRole('Release', { name: 'release', repository: 'acme/mlsec-lab', ref: 'refs/heads/main', environment: 'production' }).allowSign(sign);
  return app;
}

beforeAll(async () => {
  if (!baoBinary()) throw new Error('OpenBao is not installed: run `npx projen test:deps`');
  const app = lab();
  const assembly = Testing.synth(app);
  files = Object.fromEntries(assembly.paths().filter((p) => p.startsWith('lab/vault/')).map((p) => [p.slice('lab/vault/'.length), assembly.file(p)]));
  secretsDir = fs.mkdtempSync('/tmp/mlsec-vault-secrets-');
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  // GitHub's OIDC discovery is out of reach here: the JWT method verifies the test's own issuer key instead.
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  ciKey = privateKey;
  const host = { files: Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  const vault = await startGeneratedVault(host, 'vault', {
    patch: (script, dir) => {
      fs.writeFileSync(path.join(dir, 'ci-issuer.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      return script.replace(/oidc_discovery_url="\$\{MLSEC_JWT_DISCOVERY_URL:-[^}]*\}"/, `jwt_validation_pubkeys=@"${path.join(dir, 'ci-issuer.pem')}"`);
    },
  });
  bao = vault.bao;
  admin = vault.admin; // the test's own break-glass token: an orphan, so revoking the root token does not take it along
  expect(vault.bootstrapOutput).toContain('root token revoked');
  // Idempotent: a second run with an admin token changes nothing and fails on nothing.
  expect(vault.rerunBootstrap()).not.toContain('root token revoked');
  for (const w of WORKLOADS) tokens[w] = await login(w);
}, 120_000);

afterAll(async () => {
  await bao?.stop();
  if (secretsDir) fs.rmSync(secretsDir, { recursive: true, force: true });
});

/** Logs in as a workload through AppRole with a response-wrapped secret ID, as its agent would. */
async function login(workload: string): Promise<string> {
  const roleId = (await bao.api('GET', `auth/approle/role/${workload}/role-id`, admin)).body.data.role_id;
  const wrapped = JSON.parse(bao.bao(['write', '-format=json', '-wrap-ttl=60s', '-f', `auth/approle/role/${workload}/secret-id`], admin).stdout);
  const unwrapped = await bao.api('PUT', 'sys/wrapping/unwrap', wrapped.wrap_info.token);
  const secretId = unwrapped.body.data.secret_id;
  const auth = await bao.api('PUT', 'auth/approle/login', undefined, { role_id: roleId, secret_id: secretId });
  expect(auth.status, JSON.stringify(auth.body)).toBe(200);
  // Single use: the same secret ID cannot log in twice.
  expect((await bao.api('PUT', 'auth/approle/login', undefined, { role_id: roleId, secret_id: secretId })).status).toBe(400);
  return auth.body.auth.client_token as string;
}

describe('OpenBao with the generated configuration and bootstrap', () => {
  it('revoked the initial root token', async () => {
    expect((await bao.api('GET', 'auth/token/lookup-self', bao.rootToken)).status).toBe(403);
  });

  it('lets each workload read its own secret and nothing of another workload', async () => {
    await bao.api('POST', 'kv/data/lab/core/curation/db', admin, { data: { password: 'curation-secret' } });
    const own = await bao.api('GET', 'kv/data/lab/core/model-server/db', tokens['model-server']);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    // Seeded by the bootstrap from the credential file (`field=@file`), never from synth-out.
    const seeded = fs.readFileSync(path.join(secretsDir, 'lab', 'credentials', 'feature-store-password'), 'utf8');
    expect(own.body.data.data).toEqual({ password: seeded });
    expect((await bao.api('GET', 'kv/data/lab/core/curation/db', tokens['curation'])).status).toBe(200);
    expect((await bao.api('GET', 'kv/data/lab/core/curation/db', tokens['model-server'])).status).toBe(403);
    expect((await bao.api('GET', 'kv/data/lab/core/model-server/db', tokens['curation'])).status).toBe(403);
    expect((await bao.api('LIST', 'kv/metadata/lab', tokens['model-server'])).status).toBe(403);
  });

  it('lets a workload use exactly its Transit grants', async () => {
    const input = Buffer.from('model-digest').toString('base64');
    const signed = await bao.api('POST', 'transit/sign/model-sign', tokens['curation'], { input });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const verified = await bao.api('POST', 'transit/verify/model-sign', tokens['model-server'], { input, signature: signed.body.data.signature });
    expect(verified.body.data.valid).toBe(true);
    expect((await bao.api('POST', 'transit/sign/model-sign', tokens['model-server'], { input })).status).toBe(403);
    expect((await bao.api('POST', 'transit/encrypt/pii', tokens['curation'], { plaintext: input, context: Buffer.from('tenant|purpose').toString('base64') })).status).toBe(200);
    expect((await bao.api('POST', 'transit/decrypt/pii', tokens['curation'], { ciphertext: 'vault:v1:x', context: 'eA==' })).status).toBe(403);
    const key = await bao.api('GET', 'transit/keys/model-sign', admin);
    expect([key.body.data.exportable, key.body.data.deletion_allowed, key.body.data.allow_plaintext_backup]).toEqual([false, false, false]);
  });

  it('gives no application token sys/ writes, token minting, or another mount', async () => {
    for (const w of WORKLOADS) {
      const t = tokens[w];
      expect((await bao.api('POST', 'sys/mounts/evil', t, { type: 'kv' })).status, w).toBe(403);
      expect((await bao.api('PUT', 'sys/policies/acl/evil', t, { policy: 'path "*" { capabilities = ["sudo"] }' })).status, w).toBe(403);
      expect((await bao.api('POST', 'auth/token/create', t, {})).status, w).toBe(403);
      expect((await bao.api('POST', 'auth/token/create-orphan', t, {})).status, w).toBe(403);
      expect((await bao.api('GET', 'sys/audit', t)).status, w).toBe(403);
      expect((await bao.api('POST', 'transit/keys/new-key', t, {})).status, w).toBe(403);
    }
  });

  it('issues short-lived, single-use AppRole credentials', async () => {
    const lookup = await bao.api('GET', 'auth/token/lookup-self', tokens['model-server']);
    expect(lookup.body.data.policies).toEqual(['default', 'model-server']);
    expect(lookup.body.data.ttl).toBeLessThanOrEqual(15 * 60);
    const role = await bao.api('GET', 'auth/approle/role/model-server', admin);
    expect(role.body.data).toMatchObject({ secret_id_num_uses: 1, token_max_ttl: 3600, token_ttl: 900, bind_secret_id: true });
  });

  it('writes audit entries through two devices', async () => {
    const devices = await bao.api('GET', 'sys/audit', admin);
    expect(Object.keys(devices.body.data ?? devices.body).filter((k) => k.endsWith('/')).sort()).toEqual(['file/', 'stdout/']);
    const audit = fs.readFileSync(path.join(bao.dir, 'audit', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.some((e) => e.type === 'response' && e.request?.path === 'kv/data/lab/core/model-server/db')).toBe(true);
    // Audit entries hash secrets: the seeded password never appears in clear.
    const seeded = fs.readFileSync(path.join(secretsDir, 'lab', 'credentials', 'feature-store-password'), 'utf8');
    expect(fs.readFileSync(path.join(bao.dir, 'audit', 'audit.log'), 'utf8')).not.toContain(seeded);
  });
});

describe('the Vault Agent with the generated agent.hcl and templates', () => {
  it('logs in with the delivered role ID and wrapped secret ID and renders the files 0400', async () => {
    // The operator's step: a deliverer token, then the generated delivery script.
    const deliverer = JSON.parse(bao.bao(['token', 'create', '-policy=mlsec-approle-deliverer', '-format=json'], admin).stdout).auth.client_token;
    fs.writeFileSync(path.join(bao.dir, 'deliverer-token'), deliverer, { mode: 0o600 });
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const script = path.join(bao.dir, 'deliver-approle.sh');
    fs.writeFileSync(script, files['deliver-approle.sh']);
    const delivered = spawnSync('/bin/sh', [script], {
      cwd: bao.dir, encoding: 'utf8',
      env: {
        PATH: `${path.dirname(baoBinary()!)}:/usr/bin:/bin`, HOME: bao.dir, VAULT_CLI: 'bao',
        VAULT_TOKEN_FILE: path.join(bao.dir, 'deliverer-token'), VAULT_ADDR: `https://127.0.0.1:${bao.apiPort}`,
        BAO_CACERT: path.join(bao.dir, 'ca.crt'), BAO_TLS_SERVER_NAME: 'vault', MLSEC_SECRETS_DIR: secretsDir,
      },
    });
    expect(delivered.status, `${delivered.stdout}\n${delivered.stderr}`).toBe(0);
    const agentSecrets = path.join(secretsDir, 'lab', 'deliver', 'model-server-vault-agent');
    expect(fs.readdirSync(agentSecrets).sort()).toEqual(['ca.crt', 'role-id', 'secret-id']);
    for (const f of ['role-id', 'secret-id']) expect(fs.statSync(path.join(agentSecrets, f)).mode & 0o777).toBe(0o400);
    // The deliverer may do nothing else.
    expect((await bao.api('GET', 'kv/data/lab/core/model-server/db', deliverer)).status).toBe(403);

    // The agent's world: its config and templates as generated; container paths re-pointed.
    const agentDir = path.join(bao.dir, 'agent');
    const out = path.join(bao.dir, 'agent-out');
    fs.mkdirSync(agentDir);
    fs.mkdirSync(out, { mode: 0o700 });
    // Templates name their output paths too (the key's writeToFile): re-pointed like the config.
    for (const [rel, text] of Object.entries(files).filter(([rel]) => rel.startsWith('agent/model-server/'))) fs.writeFileSync(path.join(agentDir, path.basename(rel)), text.replace(/\/run\/vault\//g, `${out}/`));
    const config = fs.readFileSync(path.join(agentDir, 'agent.hcl'), 'utf8')
      .replace(/\/run\/secrets\//g, `${agentSecrets}/`).replace(/\/vault\/agent\//g, `${agentDir}/`).replace(/\/run\/vault\//g, `${out}/`)
      .replace('/tmp/vault-agent.pid', path.join(bao.dir, 'agent.pid'))
      .replace('address = "https://vault:8200"', `address = "https://127.0.0.1:${bao.apiPort}"\n  tls_server_name = "vault"`);
    fs.writeFileSync(path.join(agentDir, 'agent.hcl'), config);
    const agent = startAgent(path.join(agentDir, 'agent.hcl'), bao.dir);
    try {
      // Templates render concurrently: wait for every file, as the agent's health check does.
      for (const name of ['.ready', 'modeldb-password', 'token', 'vault-tls.crt', 'vault-tls.key']) await agent.waitFor(path.join(out, name));
      const seeded = fs.readFileSync(path.join(secretsDir, 'lab', 'credentials', 'feature-store-password'), 'utf8');
      expect(fs.readFileSync(path.join(out, 'modeldb-password'), 'utf8')).toBe(seeded);
      expect(fs.readdirSync(out).sort()).toEqual(['.ready', 'modeldb-password', 'token', 'vault-tls.crt', 'vault-tls.key']);
      for (const f of fs.readdirSync(out)) expect(fs.statSync(path.join(out, f)).mode & 0o777, f).toBe(0o400);
      // A short-lived leaf from Vault's PKI engine, chained to the host's CA, for its own name only.
      const pem = fs.readFileSync(path.join(out, 'vault-tls.crt'), 'utf8');
      const leaf = new crypto.X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
      expect(leaf.subject).toContain('CN=model-server');
      expect(leaf.subjectAltName).toBe('DNS:model-server, URI:spiffe://lab/ns/z6/sa/model-server');
      expect((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 3_600_000).toBeLessThanOrEqual(24.1);
      expect(leaf.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(out, 'vault-tls.key'))))).toBe(true);
      const { spawnSync: run } = require('child_process') as typeof import('child_process');
      const verify = run('openssl', ['verify', '-CAfile', path.join(bao.dir, 'ca.crt'), '-purpose', 'sslserver', path.join(out, 'vault-tls.crt')], { encoding: 'utf8' });
      expect(`${verify.stdout}${verify.stderr}`).toMatch(/OK/);
      // The role issues for its own name only.
      const other = await bao.api('POST', 'pki_int/issue/model-server', tokens['model-server'], { common_name: 'vault' });
      expect(other.status).toBe(400);
      // The token it keeps for the workload's own Transit calls carries exactly the workload's policy.
      const token = fs.readFileSync(path.join(out, 'token'), 'utf8').trim();
      expect((await bao.api('GET', 'auth/token/lookup-self', token)).body.data.policies).toEqual(['default', 'model-server']);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});

/** A GitHub Actions-style OIDC token signed by the test issuer. */
function githubToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'ES256', typ: 'JWT' });
  const body = b64({ iss: 'https://token.actions.githubusercontent.com', aud: 'vault', sub: 'repo:acme/mlsec-lab:environment:production', iat: now, nbf: now - 5, exp: now + 300, repository: 'acme/mlsec-lab', ref: 'refs/heads/main', environment: 'production', ...claims });
  const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), { key: ciKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${head}.${body}.${sig}`;
}

describe('the CI role (JWT auth, GitHub Actions claims)', () => {
  it('logs in only from the bound repository, ref, environment and audience', async () => {
    const ok = await bao.api('PUT', 'auth/jwt/login', undefined, { role: 'release', jwt: githubToken({}) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.auth.policies).toEqual(['ci-release']);
    expect(ok.body.auth.lease_duration).toBeLessThanOrEqual(600);
    for (const wrong of [{ repository: 'evil/mlsec-lab' }, { ref: 'refs/heads/feature' }, { environment: 'staging' }, { aud: 'other' }]) {
      const r = await bao.api('PUT', 'auth/jwt/login', undefined, { role: 'release', jwt: githubToken(wrong) });
      expect(r.status, JSON.stringify(wrong)).toBeGreaterThanOrEqual(400);
    }
  });

  it('may sign with the release key and do nothing else', async () => {
    const token = (await bao.api('PUT', 'auth/jwt/login', undefined, { role: 'release', jwt: githubToken({}) })).body.auth.client_token;
    const input = Buffer.from('model-digest').toString('base64');
    expect((await bao.api('POST', 'transit/sign/model-sign', token, { input })).status).toBe(200);
    expect((await bao.api('GET', 'kv/data/lab/core/model-server/db', token)).status).toBe(403);
    expect((await bao.api('POST', 'transit/encrypt/pii', token, { plaintext: input })).status).toBe(403);
    expect((await bao.api('GET', 'auth/token/lookup-self', token)).status).toBe(403); // no default policy either
  });
});
