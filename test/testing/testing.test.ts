import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { App, ComposeTemplate, Testing, Vps } from '../../lib';
import { errorOf, twoTierLab } from './fixtures';

const savedEnv = { outdir: process.env.MLSEC_OUTDIR, secrets: process.env.MLSEC_SECRETS_DIR };

afterEach(() => {
  restore('MLSEC_OUTDIR', savedEnv.outdir);
  restore('MLSEC_SECRETS_DIR', savedEnv.secrets);
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('Testing.synth', () => {
  it('is deterministic: two synths of the same tree give identical files', () => {
    const first = Testing.synth(twoTierLab().app);
    const again = Testing.synth(twoTierLab().app);
    expect(again.paths()).toEqual(first.paths());
    for (const p of first.paths()) expect(again.file(p), p).toBe(first.file(p));
    expect(first.paths()).toEqual(['lab/docker-compose.yml', 'lab/posture/coverage.md', 'lab/posture/report.json', 'lab/posture/report.md', 'lab/posture/report.sarif', 'manifest.json']);
  });

  it('gives identical files when the same app is synthesized twice', () => {
    const { app } = twoTierLab();
    const first = Testing.synth(app).allFiles();
    expect(Testing.synth(app).allFiles()).toEqual(first);
  });

  it('writes nothing to disk', () => {
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-testing-')), 'out');
    const app = Testing.app({ outdir });
    new Vps(app, 'lab', { domain: 'lab.example.com' });
    expect(Testing.synth(app).paths().filter((p) => !p.includes('/posture/'))).toEqual(['manifest.json']);
    expect(fs.existsSync(outdir)).toBe(false);
    fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
  });

  it('wants the App, not a construct inside it', () => {
    const { vps } = twoTierLab();
    expect(errorOf(() => Testing.synth(vps as unknown as App))).toBe("Testing.synth() expects the App at the root of the tree, got construct 'lab'");
  });
});

describe('Testing.app', () => {
  it('ignores MLSEC_OUTDIR and MLSEC_SECRETS_DIR so output never depends on the environment', () => {
    const clean = Testing.synth(twoTierLab().app).file('lab/docker-compose.yml');
    process.env.MLSEC_OUTDIR = 'elsewhere/out';
    process.env.MLSEC_SECRETS_DIR = '/etc/mlsec-secrets';
    const { app } = twoTierLab();
    expect([app.outdir, app.secretsDir]).toEqual(['synth-out', 'secrets']);
    const text = Testing.synth(app).file('lab/docker-compose.yml');
    expect(text).toBe(clean);
    ComposeTemplate.fromString(text).hasSecret('db.db-password', { file: '../../secrets/lab/deliver/db/db-password' });
  });

  it('takes explicit props, and an explicit undefined still means the fixed default', () => {
    process.env.MLSEC_OUTDIR = 'from-env';
    expect(Testing.app({ outdir: 'out', secretsDir: 'vault' })).toMatchObject({ outdir: 'out', secretsDir: 'vault' });
    expect(Testing.app({ outdir: undefined })).toMatchObject({ outdir: 'synth-out', secretsDir: 'secrets' });
  });
});
