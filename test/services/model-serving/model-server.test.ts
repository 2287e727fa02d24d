/**
 * ModelServer and its fetch job: the compose services (hardening, the read-only model volume,
 * the start order), what each may reach and hold, the generated fetch script (checked by dash
 * and busybox `-n`, run piecewise, and by assertions next to its snapshot) and model-settings.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Image, Testing } from '../../../lib';
import { MODEL_FETCH_IMAGE, MODEL_FETCH_VARIABLES, modelSigningRequest } from '../../../lib/services/model-serving';
import { MODEL, servingHost } from './support';

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
    expect(b.svc['x-mlsec']).toEqual({ construct: 'lab/model-server', zone: 'z6' });
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

  it('writes the same volume read-write, with the script and settings mounted read-only', () => {
    expect(b.job.volumes).toEqual(expect.arrayContaining([
      { type: 'volume', source: 'model-server-models', target: '/models', read_only: false },
      { type: 'bind', source: './model-server-fetch/fetch.sh', target: '/etc/mlsec/model-fetch/fetch.sh', read_only: true },
      { type: 'bind', source: './model-server-fetch/model-settings.json', target: '/etc/mlsec/model-fetch/model-settings.json', read_only: true },
      { type: 'volume', source: 'model-server-fetch-vault', target: '/run/vault', read_only: true },
    ]));
    expect(b.job.volumes).toHaveLength(4);
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
    });
    for (const v of MODEL_FETCH_VARIABLES) expect(Object.keys(b.job.environment)).toContain(v);
    expect(b.job.secrets).toEqual([{ source: 'model-server-fetch.ca.crt', target: 'ca.crt' }]);
  });

  it('holds a client certificate for its own name and transit/verify/model-sign, never sign', () => {
    const hcl = b.assembly.file('lab/vault/policies/model-server-fetch.hcl');
    expect([...hcl.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1])).toEqual(['pki_int/issue/model-server-fetch', 'transit/verify/model-sign']);
    expect(hcl).not.toMatch(/transit\/sign/);
    expect(JSON.parse(b.assembly.file('lab/vault/pki/model-server-fetch.json'))).toMatchObject({ allowed_domains: ['model-server-fetch'], server_flag: false, client_flag: true });
    // The agent keeps its token for the Transit call, 0400 in the memory-only volume.
    const agent = b.assembly.file('lab/vault/agent/model-server-fetch/agent.hcl');
    expect(agent).toMatch(/sink "file" \{\s*config \{\s*path = "\/run\/vault\/token"\s*mode = 256/);
    // Only the CI role may sign.
    expect(b.assembly.file('lab/vault/policies/ci-release.hcl')).toContain('path "transit/sign/model-sign"');
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

  it('installs generated MLServer settings naming the model, its runtime and its file', () => {
    expect(JSON.parse(b.assembly.file('lab/model-server-fetch/model-settings.json'))).toEqual({
      name: 'fraud-score', implementation: 'mlserver_sklearn.SKLearnModel', parameters: { uri: './model.joblib' },
    });
    const c = build({}, { runtime: 'mlserver_xgboost.XGBoostModel', artifactPath: 'models/m.json' });
    expect(JSON.parse(c.assembly.file('lab/model-server-fetch/model-settings.json'))).toEqual({
      name: 'fraud-score', implementation: 'mlserver_xgboost.XGBoostModel', parameters: { uri: './m.json' },
    });
  });
});

describe('ModelServer: the fetch script', () => {
  it('is valid sh for dash and busybox (-n)', () => {
    for (const shell of ['dash', 'busybox'] as const) {
      const r = runShell(shell, b.script, ['-n']);
      expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
    }
  });

  it('pins the artifact, digest, signature and verify path', () => {
    expect(b.script).toContain(`MODEL='fraud-score'\nARTIFACT='${MODEL.artifactPath}'\nFILE='model.joblib'\nSHA256='${MODEL.sha256}'\nSIGNATURE='${MODEL.signature}'\nVERIFY_PATH='transit/verify/model-sign'`);
    expect(b.script).toContain('MAX_BYTES=2147483648');
    expect(build({ maxArtifactMiB: 10 }).script).toContain('MAX_BYTES=10485760');
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
    const digest = b.script.indexOf('[ "$digest" = "$SHA256" ] || fail "digest mismatch');
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
    for (const hex of [MODEL.sha256, '00'.repeat(32), 'ff00250a'.repeat(8)]) {
      for (const shell of ['dash', 'busybox'] as const) {
        const r = runShell(shell, `${fn}\ndigest_base64 ${hex}\n`, [], shell === 'busybox' ? { PATH: fakeBusyboxPath() } : {});
        expect(r.stdout.trim(), `${shell} ${hex}: ${r.stderr}`).toBe(modelSigningRequest(hex).input);
      }
    }
  });

  it('installs by rename, read-only files, and then removes every other model', () => {
    const install = b.script.slice(b.script.indexOf('# 4.'));
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
  for (const applet of ['sh', 'base64', 'printf']) fs.symlinkSync(busyboxBinary(), path.join(dir, applet));
  busyboxBin = dir;
  return dir;
}
afterAll(() => {
  if (busyboxBin) fs.rmSync(busyboxBin, { recursive: true, force: true });
});
