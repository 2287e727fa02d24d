/**
 * The generated fetch script of ModelServer's fetch job: checked by dash and busybox `-n`, run
 * piecewise and whole against malformed records (it must stop before any download), and by
 * assertions next to its snapshot — the download through the registry gate with the reader's
 * bearer token sent from a 0600 file, the digest and signature checks, the atomic install.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ModelReleaseRecord, modelReleaseRecordProblems, modelSigningRequest, RELEASE_RECORD_CHECKS } from '../../../lib/services/model-serving';
import { buildServing as build, fakeBusyboxPath, GOOD_RECORD as GOOD, runShell } from './support';

const b = build();

describe('ModelServer: the fetch script', () => {
  it('writes MLServer settings naming the model, its runtime, the file of the record and its verified digest as the version (dash and busybox)', () => {
    const digest = 'ab'.repeat(32);
    const settingsOf = (script: string, file: string, shell: 'dash' | 'busybox') => {
      const vars = script.split('\n').filter((l) => /^(MODEL|SETTINGS_HEAD|SETTINGS_MID|SETTINGS_TAIL)=/.test(l)).join('\n');
      const line = script.split('\n').find((l) => l.startsWith('printf \'%s%s%s%s%s\\n\' "$SETTINGS_HEAD"'))!.replace('> "$work/.settings"', '');
      const r = runShell(shell, `${vars}\nFILE='${file}'\ndigest='${digest}'\n${line}\n`, [], shell === 'busybox' ? { PATH: fakeBusyboxPath() } : {});
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const c = build({}, { runtime: 'mlserver_xgboost.XGBoostModel' });
    for (const shell of ['dash', 'busybox'] as const) {
      expect(settingsOf(b.script, 'model.joblib', shell)).toEqual({ name: 'fraud-score', implementation: 'mlserver_sklearn.SKLearnModel', parameters: { uri: './model.joblib', version: `sha256:${digest}` } });
      expect(settingsOf(c.script, 'm.json', shell)).toEqual({ name: 'fraud-score', implementation: 'mlserver_xgboost.XGBoostModel', parameters: { uri: './m.json', version: `sha256:${digest}` } });
    }
  });

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
      for (const f of ['ca.crt', 'gate-token', 'token']) fs.writeFileSync(path.join(dir, f), 'x');
      const models = path.join(dir, 'models');
      fs.mkdirSync(models);
      const record = (name: string, value: string | undefined) => {
        const file = path.join(dir, `${name}-${Math.random().toString(16).slice(2)}`);
        if (value !== undefined) fs.writeFileSync(file, value);
        return file;
      };
      const env = (r: Partial<Record<keyof ModelReleaseRecord, string | undefined>>) => ({
        // An address nothing listens on: the script must stop before it would matter.
        MLSEC_REGISTRY_GATE_URL: 'https://127.0.0.1:9', MLSEC_REGISTRY_GATE_CA_FILE: path.join(dir, 'ca.crt'), MLSEC_REGISTRY_GATE_TOKEN_FILE: path.join(dir, 'gate-token'),
        VAULT_ADDR: 'https://127.0.0.1:9', VAULT_CACERT: path.join(dir, 'ca.crt'), VAULT_TOKEN_FILE: path.join(dir, 'token'), MLSEC_MODELS_DIR: models,
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

  it('downloads through the registry gate only: no curlrc, https with the internal CA, no redirects, bounded size and time', () => {
    const download = b.script.slice(b.script.indexOf('# 1.'), b.script.indexOf('# 2.'));
    expect(download).toContain('curl -q --fail --silent --show-error --proto =https --tlsv1.2 --max-redirs 0 --connect-timeout 10 --max-time 1800 --max-filesize "$MAX_BYTES"');
    expect(download).toContain('--cacert "$MLSEC_REGISTRY_GATE_CA_FILE" -H "@$bearer"');
    expect(download).toContain('"$MLSEC_REGISTRY_GATE_URL/api/2.0/mlflow-artifacts/artifacts/$ARTIFACT"');
    expect(download).toContain('--output "$work/$FILE"');
    expect(b.script).not.toMatch(/MLFLOW|--cert |--key /);
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

  it('sends the gate\'s bearer token from a 0600 temporary file, never in argv, removed after the download and on exit', () => {
    const download = b.script.slice(b.script.indexOf('# 1.'), b.script.indexOf('# 2.'));
    const made = download.indexOf('bearer="$(mktemp /tmp/registry-auth.XXXXXX)"');
    const written = download.indexOf('printf \'Authorization: Bearer %s\\n\' "$(cat "$MLSEC_REGISTRY_GATE_TOKEN_FILE")" > "$bearer"');
    const used = download.indexOf('-H "@$bearer"');
    const removed = download.indexOf('rm -f "$bearer"\nbearer=\'\'');
    expect(made).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(made);
    expect(used).toBeGreaterThan(written);
    expect(removed).toBeGreaterThan(used);
    expect(b.script).toContain('if [ -n "$bearer" ]; then rm -f "$bearer"; fi;');
    // The token reaches no argv and no variable: only the builtin printf sees it.
    expect(b.script).not.toMatch(/-H "Authorization|TOKEN=|--oauth2-bearer/);
  });

  it('writes the bearer header file 0600 with the token, one line, and removes it (dash and busybox)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-fetch-bearer-'));
    try {
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, 'T0k3n-value_abc\n');
      const lines = b.script.split('\n');
      const at = lines.findIndex((l) => l.startsWith('bearer="$(mktemp'));
      const part = `${lines[at].replace('/tmp/', `${dir}/`)}\n${lines[at + 2]}\nstat -c '%a' "$bearer"\ncat "$bearer"\n`;
      for (const shell of ['dash', 'busybox'] as const) {
        const r = runShell(shell, part, [], { MLSEC_REGISTRY_GATE_TOKEN_FILE: tokenFile, ...(shell === 'busybox' ? { PATH: fakeBusyboxPath() } : {}) });
        expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
        expect(r.stdout, shell).toBe('600\nAuthorization: Bearer T0k3n-value_abc\n');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
    expect(install).toContain('printf \'%s%s%s%s%s\\n\' "$SETTINGS_HEAD" "$FILE" "$SETTINGS_MID" "$digest" "$SETTINGS_TAIL" > "$work/.settings"');
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
