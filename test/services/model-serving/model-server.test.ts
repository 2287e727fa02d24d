/**
 * ModelServer and its fetch job: the compose services (hardening, the read-only model volume,
 * the start order), what each may reach and hold, the generated fetch script (checked by dash
 * and busybox `-n`, run piecewise and whole against malformed records, and by assertions next to its
 * snapshot), the release record's KV secret and the grants on it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Image, Testing } from '../../../lib';
import {
  MODEL_FETCH_IMAGE, MODEL_FETCH_VARIABLES, ModelReleaseRecord, modelReleaseRecordProblems, modelSigningRequest, RELEASE_RECORD_CHECKS,
} from '../../../lib/services/model-serving';
import { servingHost } from './support';

/** A well-formed release record (the digest and signature need not match anything here). */
const GOOD: ModelReleaseRecord = {
  artifact_path: '1/0f4c2a9e5b7d4e21a3c8b6d9e0f1a2b3/artifacts/model/model.joblib',
  sha256: '6c1f4cb6e8e6c8b3b7e7f5e4d0b6a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8',
  signature: 'vault:v1:MEUCIQDx0jv3Ow8G0q4yTq5WAbcdefghijklmnopqrstuvwxyzAIgcNYnF0mR5b4Yk0Vh0z4kq2F8o0J3dWv6pQ1bLq5H2kE=',
};

function build(...args: Parameters<typeof servingHost>) {
  const h = servingHost(...args);
  const assembly = Testing.synth(h.app);
  const compose = parse(assembly.file('lab/docker-compose.yml'));
  return {
    ...h, assembly, compose,
    svc: compose.services['model-server'], job: compose.services['model-server-fetch'], init: compose.services['model-server-fetch-volume-init'],
    script: assembly.file(`lab/${h.server.fetchJob.serviceName}/fetch.sh`),
  };
}

const b = build();

/** Runs `text` with `shell` (`sh` = dash, or busybox's ash) and the given args. */
function runShell(shell: 'dash' | 'busybox', text: string, args: string[] = [], env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-fetch-sh-'));
  try {
    const file = path.join(dir, 'script.sh');
    fs.writeFileSync(file, text);
    const [cmd, pre] = shell === 'dash' ? ['/bin/sh', []] : [busyboxBinary(), ['sh']];
    return spawnSync(cmd, [...pre, ...args, file], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

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

  it('holds no registry certificate, no Vault grant, no secret and no flow', () => {
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

  it('reaches the registry and Vault only, after its agent, the registry and the volume init', () => {
    expect(b.job['x-mlsec'].flows).toEqual([{ to: 'mlflow', port: 5000 }, { to: 'vault', port: 8200 }]);
    expect(b.job.depends_on).toEqual({
      mlflow: { condition: 'service_healthy' },
      vault: { condition: 'service_healthy' },
      'model-server-fetch-vault-agent': { condition: 'service_healthy' },
      'model-server-fetch-volume-init': { condition: 'service_completed_successfully' },
    });
    expect(b.job.environment).toEqual({
      MLSEC_MODELS_DIR: '/models',
      MLFLOW_TRACKING_URI: 'https://mlflow:5000',
      MLFLOW_TRACKING_SERVER_CERT_PATH: '/run/secrets/ca.crt',
      MLSEC_MLFLOW_CLIENT_CERT_FILE: '/run/vault/vault-tls.crt',
      MLSEC_MLFLOW_CLIENT_KEY_FILE: '/run/vault/vault-tls.key',
      VAULT_ADDR: 'https://vault:8200',
      VAULT_CACERT: '/run/secrets/ca.crt',
      VAULT_TOKEN_FILE: '/run/vault/token',
      MLSEC_MODEL_ARTIFACT_PATH_FILE: '/run/vault/release-artifact-path',
      MLSEC_MODEL_SHA256_FILE: '/run/vault/release-sha256',
      MLSEC_MODEL_SIGNATURE_FILE: '/run/vault/release-signature',
    });
    for (const v of MODEL_FETCH_VARIABLES) expect(Object.keys(b.job.environment)).toContain(v);
    expect(b.job.secrets).toEqual([{ source: 'model-server-fetch.ca.crt', target: 'ca.crt' }]);
  });

  it('holds a client certificate for its own name, read on its release record and transit/verify/model-sign; never sign, never write', () => {
    const hcl = b.assembly.file('lab/vault/policies/model-server-fetch.hcl');
    expect(b.vault.policyOf(b.server.fetchJob)!.ruleList).toEqual([
      { path: 'kv/data/lab/release/fraud-score/record', capabilities: ['read'] },
      { path: 'pki_int/issue/model-server-fetch', capabilities: ['update'] },
      { path: 'transit/verify/model-sign', capabilities: ['update'] },
    ]);
    expect([...hcl.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1])).toEqual(['kv/data/lab/release/fraud-score/record', 'pki_int/issue/model-server-fetch', 'transit/verify/model-sign']);
    expect(hcl).not.toMatch(/transit\/sign/);
    expect(JSON.parse(b.assembly.file('lab/vault/pki/model-server-fetch.json'))).toMatchObject({ allowed_domains: ['model-server-fetch'], server_flag: false, client_flag: true });
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

  it('writes MLServer settings naming the model, its runtime and the file of the record (dash and busybox)', () => {
    const settingsOf = (script: string, file: string, shell: 'dash' | 'busybox') => {
      const vars = script.split('\n').filter((l) => /^(MODEL|SETTINGS_HEAD|SETTINGS_TAIL)=/.test(l)).join('\n');
      const line = script.split('\n').find((l) => l.startsWith('printf \'%s%s%s\\n\' "$SETTINGS_HEAD"'))!.replace('> "$work/.settings"', '');
      const r = runShell(shell, `${vars}\nFILE='${file}'\n${line}\n`, [], shell === 'busybox' ? { PATH: fakeBusyboxPath() } : {});
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const c = build({}, { runtime: 'mlserver_xgboost.XGBoostModel' });
    for (const shell of ['dash', 'busybox'] as const) {
      expect(settingsOf(b.script, 'model.joblib', shell)).toEqual({ name: 'fraud-score', implementation: 'mlserver_sklearn.SKLearnModel', parameters: { uri: './model.joblib' } });
      expect(settingsOf(c.script, 'm.json', shell)).toEqual({ name: 'fraud-score', implementation: 'mlserver_xgboost.XGBoostModel', parameters: { uri: './m.json' } });
    }
  });
});

describe('ModelServer: the fetch script', () => {
  it('is valid sh for dash and busybox (-n)', () => {
    for (const shell of ['dash', 'busybox'] as const) {
      const r = runShell(shell, b.script, ['-n']);
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
    }
  });

  it('names the model, the record and the verify path, and reads the pin from the agent-rendered record only', () => {
    expect(b.script).toContain("MODEL='fraud-score'\nRECORD='kv/data/lab/release/fraud-score/record'\nVERIFY_PATH='transit/verify/model-sign'\n");
    expect(b.script).toContain('ARTIFACT="$(cat "$MLSEC_MODEL_ARTIFACT_PATH_FILE")"\nSHA256="$(cat "$MLSEC_MODEL_SHA256_FILE")"\nSIGNATURE="$(cat "$MLSEC_MODEL_SIGNATURE_FILE")"');
    expect(b.script).toContain('MAX_BYTES=2147483648');
    expect(build({ maxArtifactMiB: 10 }).script).toContain('MAX_BYTES=10485760');
    // Every field is checked before the work folder and before any network call.
    const checks = ['valid_artifact "$ARTIFACT" || fail', 'valid_sha256 "$SHA256" || fail', 'valid_signature "$SIGNATURE" || fail', '[ "$FILE" != model-settings.json ] || fail'].map((c) => b.script.indexOf(c));
    for (const i of checks) expect(i).toBeGreaterThan(0);
    expect(Math.max(...checks)).toBeLessThan(b.script.indexOf('work="$(mktemp'));
    expect(Math.max(...checks)).toBeLessThan(b.script.indexOf('curl '));
  });

  it('checks the record in sh exactly as modelReleaseRecordProblems does (dash and busybox)', () => {
    const fns = RELEASE_RECORD_CHECKS.join('\n');
    expect(b.script).toContain(fns);
    const cases: [keyof ModelReleaseRecord, string][] = [
      ...[GOOD.sha256, '00'.repeat(32), GOOD.sha256.toUpperCase(), GOOD.sha256.slice(1), `${GOOD.sha256}0`, `sha256:${GOOD.sha256}`, `${GOOD.sha256.slice(0, 63)}g`,
        `${GOOD.sha256.slice(0, 32)}\n${GOOD.sha256.slice(32)}`, ` ${GOOD.sha256.slice(1)}`, '<no value>', '*'.repeat(64), ''].map((v) => ['sha256', v] as [keyof ModelReleaseRecord, string]),
      ...[GOOD.signature, 'vault:v12:AbCd+/09xyzw==', 'vault:v1:AAAAAAAA', 'vault:v123456:AAAAAAAA=', 'vault:v1234567:AAAAAAAA', 'vault:v0:AAAAAAAA', 'vault:v01:AAAAAAAA', 'vault:v:AAAAAAAA',
        'vault:v1:', 'vault:v1:AAAAAAA', 'vault:v1:AAAA====', 'vault:v1:AAAA=AAAA', `vault:v1:${'A'.repeat(128)}==`, `vault:v1:${'A'.repeat(129)}`, 'vault:v1:MEUC IQDx0jv3Ow8G', "vault:v1:MEUCIQDx0jv3'; rm -rf /",
        'vault:v1:MEUCIQDx\nOw8Gabcd', 'vault:v1:MEUCIQDx0jv3Ow8G:x', 'VAULT:v1:AAAAAAAA', 'MEUCIQDx0jv3Ow8G0q4yTq5W', 'vault:v1:AAAAAAAA-_', '<no value>', '*', ''].map((v) => ['signature', v] as [keyof ModelReleaseRecord, string]),
      ...[GOOD.artifact_path, 'm.onnx', 'a/b_c/-d/e.f', `${'x/'.repeat(15)}y`, `${'x/'.repeat(16)}y`, `${'a'.repeat(128)}/m`, `${'a'.repeat(129)}/m`, '../secrets/model.bin', 'a/../../b', '/etc/passwd', 'a//b', 'a/b/', 'a/./b',
        '.hidden', 'a/.ssh/key', 'a b/c', 'a/$(id)', "a/'b", 'a\\b', 'a/b\nc', 'a/*', 'a/?', 'a/[b]', 'a%2f..', '<no value>', '', 'models/model-settings.json'].map((v) => ['artifact_path', v] as [keyof ModelReleaseRecord, string]),
    ];
    const fnOf = { sha256: 'valid_sha256', signature: 'valid_signature', artifact_path: 'valid_artifact' } as const;
    // One run per shell: each case prints its index and the verdict.
    const body = cases.map(([field, value], i) => `if ${fnOf[field]} "$(printf '%s' '${Buffer.from(value).toString('base64')}' | base64 -d)"; then echo ${i}:ok; else echo ${i}:bad; fi`).join('\n');
    for (const shell of ['dash', 'busybox'] as const) {
      const r = runShell(shell, `${fns}\n${body}\n`, [], shell === 'busybox' ? { PATH: fakeBusyboxPath() } : {});
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
      const verdicts = r.stdout.trim().split('\n');
      cases.forEach(([field, value], i) => {
        const problems = modelReleaseRecordProblems({ ...GOOD, [field]: value }).filter((p) => p.startsWith(field) && !/model-settings/.test(p));
        expect(verdicts[i], `${shell} ${field} ${JSON.stringify(value)}`).toBe(`${i}:${problems.length === 0 ? 'ok' : 'bad'}`);
      });
      // The cases include both verdicts for every field.
      for (const field of Object.keys(fnOf)) expect(new Set(cases.map(([f], i) => (f === field ? verdicts[i].split(':')[1] : undefined)).filter(Boolean))).toEqual(new Set(['ok', 'bad']));
    }
  });

  it('fails closed on a missing, empty or malformed record before any download: exit 1, nothing written (dash and busybox)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-fetch-record-'));
    try {
      for (const f of ['ca.crt', 'tls.crt', 'tls.key', 'token']) fs.writeFileSync(path.join(dir, f), 'x');
      const models = path.join(dir, 'models');
      fs.mkdirSync(models);
      const record = (name: string, value: string | undefined) => {
        const file = path.join(dir, `${name}-${Math.random().toString(16).slice(2)}`);
        if (value !== undefined) fs.writeFileSync(file, value);
        return file;
      };
      const env = (r: Partial<Record<keyof ModelReleaseRecord, string | undefined>>) => ({
        // An address nothing listens on: the script must stop before it would matter.
        MLFLOW_TRACKING_URI: 'https://127.0.0.1:9', MLFLOW_TRACKING_SERVER_CERT_PATH: path.join(dir, 'ca.crt'), MLSEC_MLFLOW_CLIENT_CERT_FILE: path.join(dir, 'tls.crt'),
        MLSEC_MLFLOW_CLIENT_KEY_FILE: path.join(dir, 'tls.key'), VAULT_ADDR: 'https://127.0.0.1:9', VAULT_CACERT: path.join(dir, 'ca.crt'), VAULT_TOKEN_FILE: path.join(dir, 'token'), MLSEC_MODELS_DIR: models,
        MLSEC_MODEL_ARTIFACT_PATH_FILE: record('a', 'artifact_path' in r ? r.artifact_path : GOOD.artifact_path),
        MLSEC_MODEL_SHA256_FILE: record('s', 'sha256' in r ? r.sha256 : GOOD.sha256),
        MLSEC_MODEL_SIGNATURE_FILE: record('g', 'signature' in r ? r.signature : GOOD.signature),
      });
      for (const [r, message] of [
        [{ sha256: undefined }, /release record kv\/data\/lab\/release\/fraud-score\/record is incomplete: .* is missing or empty/],
        [{ signature: '' }, /is incomplete: .* is missing or empty/],
        [{ artifact_path: '\n' }, /malformed artifact_path/],
        [{ sha256: '<no value>' }, /malformed sha256 \(64 lower-case hex digits\)/],
        [{ sha256: GOOD.sha256.toUpperCase() }, /malformed sha256/],
        [{ signature: 'vault:v1:$(id)AAAAAAAA' }, /malformed signature/],
        [{ artifact_path: '1/../../etc/passwd' }, /malformed artifact_path/],
        [{ artifact_path: 'models/model-settings.json' }, /names an artifact called model-settings.json/],
      ] as const) {
        for (const shell of ['dash', 'busybox'] as const) {
          const e = env(r);
          const r2 = runShell(shell, b.script, [], shell === 'busybox' ? { ...e, PATH: fakeBusyboxPath() } : e);
          expect(r2.status, `${shell} ${JSON.stringify(r)}: ${r2.stderr}`).toBe(1);
          expect(r2.stderr).toMatch(message);
          expect(r2.stderr).toContain('nothing installed');
          expect(r2.stderr, 'the malformed value is never echoed').not.toMatch(/\$\(id\)|etc\/passwd|<no value>/);
          expect(fs.readdirSync(models)).toEqual([]);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('downloads over mTLS only: no curlrc, https only, no redirects, bounded size and time', () => {
    const download = b.script.slice(b.script.indexOf('# 1.'), b.script.indexOf('# 2.'));
    expect(download).toContain('curl -q --fail --silent --show-error --proto =https --tlsv1.2 --max-redirs 0 --connect-timeout 10 --max-time 1800 --max-filesize "$MAX_BYTES"');
    expect(download).toContain('--cacert "$MLFLOW_TRACKING_SERVER_CERT_PATH" --cert "$MLSEC_MLFLOW_CLIENT_CERT_FILE" --key "$MLSEC_MLFLOW_CLIENT_KEY_FILE"');
    expect(download).toContain('"$MLFLOW_TRACKING_URI/api/2.0/mlflow-artifacts/artifacts/$ARTIFACT"');
    expect(download).toContain('--output "$work/$FILE"');
    expect(b.script).toContain('work="$(mktemp -d "$MLSEC_MODELS_DIR/.fetch-XXXXXX")"');
    expect(b.script).not.toMatch(/\s(-k|--insecure|-L|--location)\s/);
  });

  it('compares the digest, then has Vault verify the prehashed signature, sending the token from a file', () => {
    const digest = b.script.indexOf('[ "$digest" = "$SHA256" ] || fail "digest mismatch: $ARTIFACT has sha256 $digest, the release record says $SHA256"');
    const verify = b.script.indexOf('"$VAULT_ADDR/v1/$VERIFY_PATH"');
    const install = b.script.indexOf('mv -f "$work/$FILE" "$dest/$FILE"');
    expect(digest).toBeGreaterThan(0);
    expect(verify).toBeGreaterThan(digest);
    expect(install).toBeGreaterThan(verify);
    expect(b.script).toContain('\\"prehashed\\":true,\\"hash_algorithm\\":\\"sha2-256\\",\\"marshaling_algorithm\\":\\"asn1\\"');
    expect(b.script).toContain('-H "@$auth"');
    expect(b.script).toContain('*\'"valid":true\'*) ;;');
    // The token never reaches an argv: no -H with its value, no VAULT_TOKEN variable.
    expect(b.script).not.toMatch(/X-Vault-Token: \$|VAULT_TOKEN=|-H "X-Vault-Token/);
    expect(b.script).toContain('auth="$(mktemp /tmp/vault-auth.XXXXXX)"');
  });

  it('turns the digest into the same Transit input the release pipeline signs (dash and busybox)', () => {
    const fn = b.script.slice(b.script.indexOf('digest_base64() {'), b.script.indexOf('auth="$(mktemp'));
    for (const hex of [GOOD.sha256, '00'.repeat(32), 'ff00250a'.repeat(8)]) {
      for (const shell of ['dash', 'busybox'] as const) {
        const r = runShell(shell, `${fn}\ndigest_base64 ${hex}\n`, [], shell === 'busybox' ? { PATH: fakeBusyboxPath() } : {});
        expect(r.stdout.trim(), `${shell} ${hex}: ${r.stderr}`).toBe(modelSigningRequest(hex).input);
      }
    }
  });

  it('installs by rename, read-only files, and then removes every other model', () => {
    const install = b.script.slice(b.script.indexOf('# 4.'));
    expect(install).toContain('printf \'%s%s%s\\n\' "$SETTINGS_HEAD" "$FILE" "$SETTINGS_TAIL" > "$work/.settings"');
    expect(install).toContain('chmod 0444 "$work/$FILE" "$work/.settings"');
    expect(install).toContain('mv -f "$work/.settings" "$dest/model-settings.json"');
    expect(install).toContain('find "$MLSEC_MODELS_DIR" -mindepth 1 -maxdepth 1 ! -name "$MODEL" ! -path "$work" -exec rm -rf {} +');
    expect(b.script).toContain('trap cleanup EXIT');
  });

  it('matches its snapshot (every line asserted above)', () => {
    expect(b.script).toMatchSnapshot();
  });

  it('is deterministic: two synths give the same bytes', () => {
    const again = build();
    expect(again.script).toBe(b.script);
    expect(again.assembly.file('lab/docker-compose.yml')).toBe(b.assembly.file('lab/docker-compose.yml'));
  });
});

describe('modelSigningRequest', () => {
  it('is the prehashed sha2-256 request over the digest bytes', () => {
    expect(modelSigningRequest('00'.repeat(31) + 'ff')).toEqual({ input: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP8=', prehashed: true, hash_algorithm: 'sha2-256', marshaling_algorithm: 'asn1' });
    expect(() => modelSigningRequest('ABC')).toThrow(/64 lower-case hex digits/);
  });
});

/** Debian's busybox (the curl image's shell and applets). */
function busyboxBinary(): string {
  const bb = spawnSync('/bin/sh', ['-c', 'command -v busybox'], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }).stdout.trim();
  if (!bb) throw new Error('busybox is not installed: run `apt-get install busybox` (the curl image\'s shell and applets; to be listed in tools/install-test-deps.sh)');
  return bb;
}

let busyboxBin: string | undefined;
/** A PATH of busybox applets only (what the curl image's shell finds). */
function fakeBusyboxPath(): string {
  if (busyboxBin) return busyboxBin;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-busybox-'));
  for (const applet of ['sh', 'base64', 'printf', 'cat', 'rm', 'mktemp', 'tr']) fs.symlinkSync(busyboxBinary(), path.join(dir, applet));
  busyboxBin = dir;
  return dir;
}
afterAll(() => {
  if (busyboxBin) fs.rmSync(busyboxBin, { recursive: true, force: true });
});
