import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/fixtures';

const ROOT = path.join(__dirname, '..');

describe('README', () => {
  it('its "your own lab" example synthesizes a posture-clean lab as written', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = /## Your own lab in 20 lines\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README example block').toBeDefined();
    expect(example!.trim().split('\n').length).toBeLessThanOrEqual(22);
    const t = tempDir();
    try {
      const file = path.join(ROOT, 'test', `.readme-example-${process.pid}.ts`);
      fs.writeFileSync(file, example!.replace("from 'mlsec-cdk'", "from '../lib'"));
      try {
        const outdir = path.join(t.dir, 'out');
        const run = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MLSEC_OUTDIR: outdir, MLSEC_SYNTH_CHECK: '' } });
        expect(run.status, run.stderr).toBe(0);
        expect(fs.existsSync(path.join(outdir, 'lab/docker-compose.yml'))).toBe(true);
      } finally {
        fs.rmSync(file, { force: true });
      }
    } finally {
      t.cleanup();
    }
  });
});
