/**
 * ModelServer and its fetch job: the compose services (hardening, the read-only model volume,
 * the start order), what each may reach and hold (the registry gate's readers' listener and
 * Vault; never MLflow itself), the release record's KV secret and the grants on it. The generated
 * fetch script is in model-fetch-script.test.ts.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Image } from '../../../lib';
import { MODEL_FETCH_IMAGE, MODEL_FETCH_VARIABLES, modelSigningRequest } from '../../../lib/services/model-serving';
import { buildServing as build, servingHost } from './support';

const b = build();

/** The hardened baseline every service here keeps. */
function expectHardened(svc: any) {
  expect(svc.read_only).toBe(true);
  expect(svc.cap_drop).toEqual(['ALL']);
  expect(svc.security_opt).toEqual(['no-new-privileges:true']);
  expect(svc.ports).toBeUndefined();
  expect(svc.restart).toBe('on-failure:5');
  expect(svc.pids_limit).toBeGreaterThan(0);
  expect(svc.deploy.resources.limits.memory).toMatch(/^\d+M$/);
  expect((svc.volumes as { type: string; read_only: boolean }[]).filter((v) => v.type === 'bind').every((v) => v.read_only)).toBe(true);
}

describe('ModelServer: the server', () => {
  it('is a hardened Z6 MLServer 1.6.1 on 8080 as model-server, with its health check and no overrides', () => {
    expectHardened(b.svc);
    expect(b.svc.image).toBe('seldonio/mlserver:1.6.1');
    expect(b.svc.user).toBe('10001:10001');
    expect(b.svc.cap_add).toBeUndefined();
    expect(b.svc['x-mlsec']).toEqual({ construct: 'lab/model-server', role: 'model-server', zone: 'z6' });
    expect(b.svc.expose).toEqual(['8080']);
    expect(b.svc.command).toEqual(['mlserver', 'start', '/mnt/models']);
    expect(b.svc.environment).toEqual({ MLSERVER_HTTP_PORT: '8080', MLSERVER_GRPC_PORT: '8081', MLSERVER_METRICS_PORT: '8082' });
    expect(b.svc.healthcheck.test).toEqual(['CMD', 'python', '-c', "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/v2/health/ready', timeout=3)"]);
    expect(b.svc.deploy.resources.limits).toEqual({ cpus: '1', memory: '1024M' });
  });

  it('mounts the model volume read-only, and nothing else', () => {
    expect(b.svc.volumes).toEqual([{ type: 'volume', source: 'model-server-models', target: '/mnt/models', read_only: true }]);
    expect(b.compose.volumes['model-server-models']).toBeDefined();
  });

  it('starts only after the fetch job completed successfully', () => {
    expect(b.svc.depends_on).toEqual({ 'model-server-fetch': { condition: 'service_completed_successfully' } });
  });

  it('holds no registry token or certificate, no Vault grant, no secret and no flow', () => {
    expect(b.svc.secrets).toBeUndefined();
    expect(b.svc['x-mlsec'].flows).toBeUndefined();
    expect(b.svc.network_mode).toBe('none');
    expect(Object.keys(b.svc.environment).filter((k) => /MLFLOW|VAULT|CERT|KEY|TOKEN/.test(k))).toEqual([]);
    expect(b.vault.policyOf(b.server)).toBeUndefined();
    expect(b.vault.agentOf(b.server)).toBeUndefined();
    expect(b.assembly.paths().filter((p) => p.startsWith('lab/vault/') && /\/model-server(\.|\/)/.test(p))).toEqual([]);
    expect(b.compose.services['model-server-vault-agent']).toBeUndefined();
  });

  it('takes its image, command, port, health check, resources and service name from props', () => {
    const c = build({ image: Image.fromRegistry('ghcr.io/acme/scorer', '2.1.0'), command: ['/app/serve'], port: 9000, serviceName: 'scorer', resources: { memoryMiB: 2048 } });
    const svc = c.compose.services.scorer;
    expect(svc.image).toBe('ghcr.io/acme/scorer:2.1.0');
    expect(svc.command).toEqual(['/app/serve']);
    expect(svc.expose).toEqual(['9000']);
    expect(svc.environment.MLSERVER_HTTP_PORT).toBe('9000');
    expect(svc.healthcheck.test[3]).toContain('http://127.0.0.1:9000/v2/health/ready');
    expect(svc.deploy.resources.limits).toEqual({ cpus: '1', memory: '2048M' });
    expect(svc.depends_on).toEqual({ 'scorer-fetch': { condition: 'service_completed_successfully' } });
    expect(svc.volumes).toEqual([{ type: 'volume', source: 'scorer-models', target: '/mnt/models', read_only: true }]);
    expect(c.assembly.paths()).toContain('lab/scorer-fetch/fetch.sh');
  });
});

describe('ModelServer: the fetch job', () => {
  it('is a hardened one-shot curl job of Z6, non-root, with the overrides of a job only', () => {
    expectHardened(b.job);
    expect(b.job.image).toBe('curlimages/curl:8.11.1');
    expect(MODEL_FETCH_IMAGE.reference).toBe('curlimages/curl:8.11.1');
    expect(b.job.user).toBe('10001:10001');
    expect(b.job.cap_add).toBeUndefined();
    expect(b.job.healthcheck).toBeUndefined();
    expect(b.job['x-mlsec'].zone).toBe('z6');
    expect(b.job['x-mlsec'].overrides).toEqual([{ control: 'healthcheck', setting: 'none', reason: expect.stringContaining('one-shot job') }]);
    expect(b.job.entrypoint).toEqual(['/bin/sh', '/etc/mlsec/model-fetch/fetch.sh']);
    expect(b.job.tmpfs).toEqual(['/tmp:rw,noexec,nosuid,size=64m']);
  });

  it('writes the same volume read-write, with the script mounted read-only', () => {
    expect(b.job.volumes).toEqual(expect.arrayContaining([
      { type: 'volume', source: 'model-server-models', target: '/models', read_only: false },
      { type: 'bind', source: './model-server-fetch/fetch.sh', target: '/etc/mlsec/model-fetch/fetch.sh', read_only: true },
      { type: 'volume', source: 'model-server-fetch-vault', target: '/run/vault', read_only: true },
    ]));
    expect(b.job.volumes).toHaveLength(3);
  });

  it('reaches the registry gate\'s readers\' listener and Vault only (never MLflow itself), after its agent, the gate and the volume init', () => {
    expect(b.job['x-mlsec'].flows).toEqual([{ to: 'registry-gate', port: 8443 }, { to: 'vault', port: 8200 }]);
    expect(b.job.depends_on).toEqual({
      'registry-gate': { condition: 'service_started' },
      vault: { condition: 'service_healthy' },
      'model-server-fetch-vault-agent': { condition: 'service_healthy' },
      'model-server-fetch-volume-init': { condition: 'service_completed_successfully' },
    });
    expect(b.job.environment).toEqual({
      MLSEC_MODELS_DIR: '/models',
      MLSEC_REGISTRY_GATE_URL: 'https://registry-gate:8443',
      MLSEC_REGISTRY_GATE_CA_FILE: '/run/secrets/ca.crt',
      MLSEC_REGISTRY_GATE_TOKEN_FILE: '/run/vault/registry-gate-token',
      VAULT_ADDR: 'https://vault:8200',
      VAULT_CACERT: '/run/secrets/ca.crt',
      VAULT_TOKEN_FILE: '/run/vault/token',
      MLSEC_MODEL_ARTIFACT_PATH_FILE: '/run/vault/release-artifact-path',
      MLSEC_MODEL_SHA256_FILE: '/run/vault/release-sha256',
      MLSEC_MODEL_SIGNATURE_FILE: '/run/vault/release-signature',
    });
    for (const v of MODEL_FETCH_VARIABLES) expect(Object.keys(b.job.environment)).toContain(v);
    // Its reader token is rendered by its own agent from KV, never a bootstrap file nor a value in synth-out.
    expect(b.job.secrets).toEqual([{ source: 'model-server-fetch.ca.crt', target: 'ca.crt' }]);
    expect(b.assembly.file('lab/vault/agent/model-server-fetch/registry-gate-token.ctmpl')).toContain('with secret "kv/data/lab/core/model-server-fetch/registry-gate"');
  });

  it('is a reader of the registry gate: its token digest is in the readers\' list the gate\'s agent renders, on the readers\' listener only', () => {
    const gate = b.compose.services['registry-gate'];
    expect(gate.expose).toEqual(['8443', '8444', '4195']);
    // The gate's config reads the digests from its env file; synth-out holds no token and no digest.
    const config = parse(b.assembly.file('lab/registry-gate/benthos.yaml'));
    expect(config.input.broker.inputs.map((i: any) => i.http_server.address)).toEqual(['0.0.0.0:8443', '0.0.0.0:8444']);
    expect(b.assembly.file('lab/vault/agent/registry-gate/registry-gate-tokens.env.ctmpl')).toMatch(/^MLSEC_REGISTRY_GATE_READERS=.*model-server-fetch=\{\{ with secret "kv\/data\/lab\/core\/registry-gate\/token-model-server-fetch" \}\}/m);
    for (const p of b.assembly.paths()) expect(b.assembly.file(p), p).not.toMatch(/MLSEC_REGISTRY_GATE_READERS=[a-z0-9-]+=[0-9a-f]{64}/);
    // The fetch job has no flow, certificate or variable of MLflow.
    expect(b.job['x-mlsec'].flows.some((f: { to: string }) => f.to === 'mlflow')).toBe(false);
    expect(Object.keys(b.job.environment).filter((k) => /MLFLOW/.test(k))).toEqual([]);
  });

  it('holds read on its gate token, its release record and transit/verify/model-sign only: no certificate, never sign, never write', () => {
    const hcl = b.assembly.file('lab/vault/policies/model-server-fetch.hcl');
    expect(b.vault.policyOf(b.server.fetchJob)!.ruleList).toEqual([
      { path: 'kv/data/lab/core/model-server-fetch/registry-gate', capabilities: ['read'] },
      { path: 'kv/data/lab/release/fraud-score/record', capabilities: ['read'] },
      { path: 'transit/verify/model-sign', capabilities: ['update'] },
    ]);
    expect([...hcl.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1])).toEqual(['kv/data/lab/core/model-server-fetch/registry-gate', 'kv/data/lab/release/fraud-score/record', 'transit/verify/model-sign']);
    expect(hcl).not.toMatch(/transit\/sign|pki/);
    // The registry takes the gate's client certificate only: the job is issued none.
    expect(b.assembly.paths()).not.toContain('lab/vault/pki/model-server-fetch.json');
    // The agent keeps its token for the Transit call, 0400 in the memory-only volume.
    const agent = b.assembly.file('lab/vault/agent/model-server-fetch/agent.hcl');
    expect(agent).toMatch(/sink "file" \{\s*config \{\s*path = "\/run\/vault\/token"\s*mode = 256/);
  });

  it('has its agent render the three fields of the release record, each into its own file', () => {
    for (const [field, file] of [['artifact_path', 'release-artifact-path'], ['sha256', 'release-sha256'], ['signature', 'release-signature']]) {
      expect(b.assembly.file(`lab/vault/agent/model-server-fetch/${file}.ctmpl`)).toBe(`{{- with secret "kv/data/lab/release/fraud-score/record" -}}{{ .Data.data.${field} }}{{- end -}}\n`);
      expect(b.assembly.file('lab/vault/agent/model-server-fetch/agent.hcl')).toContain(`destination = "/run/vault/${file}"`);
    }
  });

  it('gives the CI release role exactly create/update on the release record, and sign; no read, no delete, no metadata', () => {
    expect(b.server.releaseRecord.path).toBe('lab/release/fraud-score/record');
    expect(b.server.releaseRecord.dataPath).toBe('kv/data/lab/release/fraud-score/record');
    expect(b.ciRole.policy.ruleList).toEqual([
      { path: 'kv/data/lab/release/fraud-score/record', capabilities: ['create', 'update'] },
      { path: 'transit/sign/model-sign', capabilities: ['update'] },
    ]);
    const hcl = b.assembly.file('lab/vault/policies/ci-release.hcl');
    expect(hcl).toContain('path "kv/data/lab/release/fraud-score/record" {\n  capabilities = ["create", "update"]\n}');
    expect(hcl).not.toMatch(/metadata|delete|destroy|"read"/);
    // No other policy may write the record.
    for (const rel of b.assembly.paths().filter((p) => p.startsWith('lab/vault/policies/') && !p.endsWith('/ci-release.hcl'))) {
      const text = b.assembly.file(rel);
      const stanza = text.slice(text.indexOf('path "kv/data/lab/release/'));
      if (text.includes('kv/data/lab/release/')) expect(stanza.slice(0, stanza.indexOf('}')), rel).not.toMatch(/create|update/);
    }
  });

  it('puts no pin in the synth output: no artifact path, digest or signature, and the bootstrap does not seed the record', () => {
    for (const rel of b.assembly.paths()) {
      const text = b.assembly.file(rel);
      expect(text, rel).not.toMatch(/vault:v[0-9]+:[A-Za-z0-9+/]{8}/);
      expect(text, rel).not.toMatch(/artifacts\/model\//);
    }
    expect(b.script).not.toMatch(/^(ARTIFACT|SHA256|SIGNATURE)='/m);
    expect(b.assembly.file('lab/vault/bootstrap.sh')).not.toContain('release/fraud-score');
    expect(b.server.releaseRecord.seed).toEqual({});
    expect(b.assembly.paths().filter((p) => /model-settings/.test(p))).toEqual([]);
  });

  it('keeps the CI role grant when the lab also grants sign itself (merged, one stanza each)', () => {
    const h = servingHost();
    h.ciRole.allowSign(h.signingKey);
    expect(h.ciRole.policy.ruleList.map((r) => r.path)).toEqual(['kv/data/lab/release/fraud-score/record', 'transit/sign/model-sign']);
  });

  it('has a volume-init job: root with CHOWN only, no network, chowning the volume to the job user', () => {
    expectHardened(b.init);
    expect(b.init.user).toBe('0:0');
    expect(b.init.cap_add).toEqual(['CHOWN']);
    expect(b.init.network_mode).toBe('none');
    expect(b.init.entrypoint).toEqual(['chown', '-R', '10001:10001', '/models']);
    expect(b.init.volumes).toEqual([{ type: 'volume', source: 'model-server-models', target: '/models', read_only: false }]);
    expect(b.init['x-mlsec'].overrides.map((o: { control: string }) => o.control).sort()).toEqual(['cap_add', 'healthcheck', 'user']);
  });

});
describe('modelSigningRequest', () => {
  it('is the prehashed sha2-256 request over the digest bytes', () => {
    expect(modelSigningRequest('00'.repeat(31) + 'ff')).toEqual({ input: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP8=', prehashed: true, hash_algorithm: 'sha2-256', marshaling_algorithm: 'asn1' });
    expect(() => modelSigningRequest('ABC')).toThrow(/64 lower-case hex digits/);
  });
});
