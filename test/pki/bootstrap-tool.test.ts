/**
 * tools/bootstrap.ts (the `bootstrap` task) as an operator runs it: a process that bootstraps the
 * reference lab into the secrets folder given by MLSEC_SECRETS_DIR, idempotently.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { modes, removeTempDirs, tempDir } from './support';

const REPO = path.resolve(__dirname, '..', '..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

afterAll(removeTempDirs);

function bootstrap(dir: string, ...args: string[]) {
  const r = spawnSync(TSX, [path.join(REPO, 'tools', 'bootstrap.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, MLSEC_SECRETS_DIR: path.join(dir, 'secrets'), MLSEC_OUTDIR: path.join(dir, 'synth-out') },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('tools/bootstrap.ts', () => {
  it('bootstraps the reference lab into MLSEC_SECRETS_DIR and is idempotent', () => {
    const dir = tempDir();
    const first = bootstrap(dir);
    expect(first.status, first.out).toBe(0);
    expect(first.out).toMatch(/PKI in .*secrets: \d+ certificate\(s\) issued/);
    const second = bootstrap(dir);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toContain(': 0 certificate(s) issued');
    expect(second.out).toMatch(/Credentials: 0 generated, \d+ kept\./);
    expect(second.out).toMatch(/Delivered files: 0 written, \d+ unchanged, 0 removed\./);
    expect(fs.readdirSync(dir).filter((e) => e !== 'secrets'), 'nothing is written outside the secrets folder').toEqual([]);
    // Folders 0700; the operator's files 0600; files delivered to containers 0400 (read-only for their user).
    for (const e of modes(path.join(dir, 'secrets'))) {
      const delivered = e.path.includes(`${path.sep}deliver${path.sep}`);
      expect(e.mode, e.path).toBe(e.dir ? 0o700 : delivered ? 0o400 : 0o600);
    }
    // Each delivered file belongs to the user its container runs as (the tests run as root, as the bootstrap should).
    if (process.getuid?.() === 0) {
      expect(fs.statSync(path.join(dir, 'secrets', 'lab', 'deliver', 'curated-db', 'ca.crt')).uid).toBe(999);
      expect(fs.statSync(path.join(dir, 'secrets', 'lab', 'deliver', 'lake', 'ca.crt')).uid).toBe(10001);
    }
  });

  it('--plan writes nothing; an unknown flag is a usage error', () => {
    const dir = tempDir();
    const plan = bootstrap(dir, '--plan');
    expect(plan.status, plan.out).toBe(0);
    expect(plan.out).toMatch(/^lab: \d+ TLS identit/m);
    expect(fs.readdirSync(dir)).toEqual([]);
    const bad = bootstrap(dir, '--force');
    expect(bad.status).toBe(2);
    expect(bad.out).toContain('usage: tsx tools/bootstrap.ts [--plan]');
  });
});
