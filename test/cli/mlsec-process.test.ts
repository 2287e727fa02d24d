import { spawnSync } from 'child_process';
import * as path from 'path';
import { createRequire } from 'module';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, mlsec, ROOT, scratchDir, STACK_FRAME } from './support';

const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const CLI = path.join(ROOT, 'lib', 'cli', 'mlsec.ts');

function runProcess(...argv: string[]) {
  return spawnSync(process.execPath, [TSX, CLI, ...argv], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

describe('mlsec as a process', () => {
  it('runs main when executed directly and sets the exit status', () => {
    const findings = runProcess('check', fixture('compose/docker-compose.v3.yml'));
    expect(findings.status, findings.stderr).toBe(1);
    expect(findings.stdout).toContain(' critical CMP-01 ');
    const broken = scratch.write('compose.yml', 'services:\n  a: [\n');
    const parse = runProcess('check', broken);
    expect(parse.status).toBe(2);
    expect(parse.stderr).toMatch(/cannot parse: /);
    expect(parse.stderr).not.toMatch(STACK_FRAME);
    expect(runProcess('check', fixture('compose/hardened.compose.yml')).status).toBe(0);
  });
});

describe('the bench corpus', () => {
  it('is valid, varied compose that mlsec check parses (exit 1: some files are non-compliant)', async () => {
    const { writeCorpus } = createRequire(__filename)('../../bench/apps/compose-corpus.cjs') as { writeCorpus(n: number, dir: string): { files: string[] } };
    const { files } = writeCorpus(40, path.join(scratch.dir, 'corpus'));
    const run = await mlsec('check', '--format', 'json', ...files.map((f) => path.join(scratch.dir, 'corpus', f)));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const perFile = new Map<string, number>();
    for (const f of JSON.parse(run.stdout).findings) perFile.set(f.file, (perFile.get(f.file) ?? 0) + 1);
    expect(perFile.size).toBeGreaterThan(20);
    expect(perFile.size).toBeLessThan(40);
  });
});
