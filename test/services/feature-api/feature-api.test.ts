/**
 * FeatureApi: the compose service, the generated Benthos config, the Redis grant and the way the
 * Redis password reaches Benthos (a dotenv file, from the bootstrap or the Vault Agent), asserted
 * field by field; the config through `benthos lint` and the request mapping through `benthos blobl`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Assembly, RedisServer, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { FEATURE_API_PORT, FeatureApi, featureRequestMapping } from '../../../lib/services/feature-api';
import { lintBenthos, runBlobl } from '../../support/real-servers/benthos';
import { consumerWorkload } from '../support';

const SERVICE = 'feature-api';
const GROUPS = [
  { name: 'customer_risk', fields: ['score', 'tx_count_7d'] },
  { name: 'device', fields: ['trust'] },
];

interface Built {
  readonly assembly: Assembly;
  readonly store: RedisServer;
  readonly configText: string;
  readonly config: any;
  readonly compose: any;
}

/** A Vps `lab` with the store, the API (two groups), a model server allowed to call and a feature writer. */
function build(options: { vault?: boolean } = {}): Built {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = options.vault ? new VaultServer(vps, 'vault') : undefined;
  const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store', vault });
  const api = new FeatureApi(vps, SERVICE, { store, vault, featureGroups: GROUPS });
  api.allowClient(consumerWorkload(vps, 'model-server'));
  store.grantAccess(consumerWorkload(vps, 'feature-builder', Zone.Z3_CURATED), { keys: ['fs:*'], commands: ['read', 'write', 'hash', 'connection'] });
  const assembly = Testing.synth(app);
  const configText = assembly.file(`lab/${SERVICE}/benthos.yaml`);
  return { assembly, store, configText, config: parse(configText), compose: parse(assembly.file('lab/docker-compose.yml')) };
}

const plain = build();
const withVault = build({ vault: true });
const both = [['without Vault', plain], ['with Vault', withVault]] as const;

describe('FeatureApi: the compose service', () => {
  it.each(both)('is a hardened Z3 service on 8443 (and 4195, metrics), reached only by its declared client, reaching only the store (%s)', (_label, b) => {
    const svc = b.compose.services[SERVICE];
    expect(svc['x-mlsec'].zone).toBe('z3');
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc.expose).toEqual([String(FEATURE_API_PORT), '4195']);
    expect(svc.ports).toBeUndefined();
    expect(svc.user).toBe('10001:10001');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'feature-store', port: 6379 }]);
    const inbound = Object.entries(b.compose.services as Record<string, any>)
      .filter(([, s]) => (s['x-mlsec']?.flows ?? []).some((f: any) => f.to === SERVICE)).map(([name]) => name);
    expect(inbound).toEqual(['model-server']);
    expect(b.compose.services['model-server']['x-mlsec'].flows).toEqual([{ to: SERVICE, port: FEATURE_API_PORT }]);
    // The model server holds no Redis credential and no route to the store.
    expect(Object.keys(b.compose.services['model-server'].environment ?? {}).filter((k) => k.startsWith('REDIS_'))).toEqual([]);
  });

  it('reads the password from a bootstrap-delivered dotenv file without Vault', () => {
    const svc = plain.compose.services[SERVICE];
    expect(svc.command).toEqual(['--env-file', '/run/secrets/redis.env', '-c', '/etc/benthos/benthos.yaml']);
    expect(svc.secrets).toContainEqual({ source: `${SERVICE}.redis.env`, target: 'redis.env' });
    expect(svc.environment).toMatchObject({ REDIS_HOST: 'feature-store', REDIS_PORT: '6379', REDIS_USERNAME: SERVICE, REDIS_TLS_CERT_FILE: '/run/secrets/clienttls.crt' });
    expect(Object.keys(svc.environment)).not.toContain('REDIS_PASSWORD');
  });

  it('reads the password from a Vault-Agent-rendered dotenv file with Vault (template kv-env)', () => {
    const svc = withVault.compose.services[SERVICE];
    expect(svc.command).toEqual(['--env-file', '/run/vault/redis.env', '-c', '/etc/benthos/benthos.yaml']);
    expect(svc.secrets).toEqual([{ source: `${SERVICE}.ca.crt`, target: 'ca.crt' }]);
    expect(withVault.assembly.file(`lab/vault/agent/${SERVICE}/redis.env.ctmpl`))
      .toBe('REDIS_PASSWORD={{ with secret "kv/data/lab/core/feature-api/feature-store" }}{{ .Data.data.password }}{{ end }}\n');
    const policy = withVault.assembly.file(`lab/vault/policies/${SERVICE}.hcl`);
    expect(policy).toContain('kv/data/lab/core/feature-api/feature-store');
    expect(policy).not.toMatch(/kv\/data\/lab\/core\/feature-builder/);
  });

  it.each(both)('puts no password in synth-out or the compose file (%s)', (_label, b) => {
    for (const p of b.assembly.paths()) expect(b.assembly.file(p), p).not.toMatch(/REDIS_PASSWORD=[^{\n]/);
    expect(b.configText).toContain('${REDIS_PASSWORD}');
  });
});

describe('FeatureApi: the Redis grant', () => {
  it('is a read-only ACL user on the declared groups only', () => {
    const grant = plain.store.grantsMade.find((g) => g.user === SERVICE)!;
    expect(grant.keys).toEqual(['fs:customer_risk:*', 'fs:device:*']);
    expect(grant.commands).toEqual(['read', 'connection']);
  });
});

describe('FeatureApi: the Benthos config', () => {
  it('matches the snapshot', async () => {
    await expect(plain.configText).toMatchFileSnapshot('__snapshots__/benthos.yaml');
  });

  it('serves only GET /features/{group}/{entity} over HTTPS, with its status from the mapping', () => {
    const input = plain.config.input.http_server;
    expect(input).toMatchObject({ address: '0.0.0.0:8443', path: '/features/{group}/{entity}', ws_path: '', allowed_verbs: ['GET'], cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key' });
    expect(input.sync_response.status).toBe('${! @feature_api_status }');
    expect(input.sync_response.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    expect(input.sync_response.metadata_headers).toBeUndefined();
    // Benthos' own server: HTTPS metrics for Z9, with the service's certificate, no debug endpoints.
    expect(plain.config.http).toEqual({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false, cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key' });
    expect(plain.config.metrics).toEqual({ prometheus: {} });
    expect(plain.config.output).toEqual({ sync_response: {} });
  });

  it('reads with HMGET over TLS with the client certificate, the credentials from the environment', () => {
    const redis = plain.config.pipeline.processors[1].switch[0].processors[0].branch.processors[0].redis;
    expect(redis.command).toBe('hmget');
    expect(redis.url).toBe('rediss://${REDIS_USERNAME}:${REDIS_PASSWORD}@${REDIS_HOST}:${REDIS_PORT}');
    expect(redis.tls).toEqual({ enabled: true, root_cas_file: '${REDIS_TLS_CA_FILE}', client_certs: [{ cert_file: '${REDIS_TLS_CERT_FILE}', key_file: '${REDIS_TLS_KEY_FILE}' }] });
    expect(redis.tls.skip_cert_verify).toBeUndefined();
  });

  it.each(both)('passes benthos lint (%s)', (_label, b) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-feature-api-lint-'));
    try {
      const file = path.join(dir, 'benthos.yaml');
      fs.writeFileSync(file, b.configText);
      const env = { REDIS_USERNAME: 'u', REDIS_PASSWORD: 'p', REDIS_HOST: 'h', REDIS_PORT: '6379', REDIS_TLS_CA_FILE: '/a', REDIS_TLS_CERT_FILE: '/b', REDIS_TLS_KEY_FILE: '/c' };
      const r = lintBenthos(file, env);
      expect(`${r.status} ${r.stdout}${r.stderr}`).toBe('0 ');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FeatureApi: the request mapping (benthos blobl; metadata stands in through the document)', () => {
  // blobl has no metadata input: the same mapping with @x read from this.x.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-feature-api-blobl-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'request.blobl');
  fs.writeFileSync(file, `${featureRequestMapping(GROUPS).replace(/@([a-z_]+)/g, 'this.$1').replace(/^meta = deleted\(\)$/m, '')}root.status = $status\n`);

  it.each([
    [{ group: 'customer_risk', entity: 'c-1' }, '200', { key: 'fs:customer_risk:c-1', fields: ['score', 'tx_count_7d'] }],
    [{ group: 'device', entity: 'D_9' }, '200', { key: 'fs:device:D_9', fields: ['trust'] }],
    [{ group: 'unknown', entity: 'c-1' }, '404', { error: 'not found' }],
    [{ group: 'customer_risk', entity: 'c:1' }, '400', { error: 'bad request' }],
    [{ group: 'customer_risk', entity: 'c*' }, '400', { error: 'bad request' }],
    [{ group: 'Customer', entity: 'c-1' }, '400', { error: 'bad request' }],
    [{ group: 'customer_risk', entity: '' }, '400', { error: 'bad request' }],
  ])('%j → %s', async (params, status, body) => {
    const doc = { ...params, http_server_request_path: `/features/${params.group}/${params.entity}` };
    const r = await runBlobl(file, JSON.stringify(doc));
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.output!)).toEqual({ ...body, status });
  });

  it('refuses path parameters that disagree with the request path', async () => {
    const r = await runBlobl(file, JSON.stringify({ group: 'device', entity: 'c-1', http_server_request_path: '/features/customer_risk/c-1' }));
    expect(JSON.parse(r.output!).status).toBe('400');
  });
});
