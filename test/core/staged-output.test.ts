/**
 * The background writer behind App.synth: files are written while synth still runs, and the
 * outdir is replaced only by a complete, successful synth — a failure at any point (posture
 * check, a write) leaves the previous output byte-identical and no staging directory behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { App, AtomicWriter, MlsecError, PostureError, Workload } from '../../lib';
import { StagedOutput } from '../../lib/core/staged-output';
import { tempDir, treeDigest } from '../support/fixtures';

let cleanup = () => {};
afterEach(() => cleanup());

function fresh(): string {
  const t = tempDir();
  cleanup = t.cleanup;
  return t.dir;
}

const owned = (target: string) => new AtomicWriter().assertOwned(target);
const file = (p: string, content: string) => ({ path: p, content, producer: 'test' });

/** A previous synth's output: a manifest and one file. */
function previous(dir: string): { outdir: string; before: Record<string, string> } {
  const outdir = path.join(dir, 'out');
  fs.mkdirSync(path.join(outdir, 'lab'), { recursive: true });
  fs.writeFileSync(path.join(outdir, 'manifest.json'), '{"old":true}\n');
  fs.writeFileSync(path.join(outdir, 'lab', 'old.txt'), 'old\n');
  return { outdir, before: treeDigest(outdir) };
}

describe('StagedOutput', () => {
  it('commit replaces the outdir with exactly the files written, in several batches', () => {
    const dir = fresh();
    const { outdir } = previous(dir);
    const staged = StagedOutput.start(outdir, owned);
    staged.write([file('lab/a.yml', 'a: 1\n'), file('lab/deep/b.json', '{}\n')]);
    staged.write([file('manifest.json', '{"new":true}\n')]);
    staged.commit();
    expect(Object.keys(treeDigest(outdir)).sort()).toEqual(['lab/a.yml', 'lab/deep/b.json', 'manifest.json']);
    expect(fs.readFileSync(path.join(outdir, 'lab', 'a.yml'), 'utf8')).toBe('a: 1\n');
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });

  it('a failed write fails commit, naming the outdir, and leaves the previous output untouched', () => {
    const dir = fresh();
    const { outdir, before } = previous(dir);
    const staged = StagedOutput.start(outdir, owned);
    // "lab/x" is a file, so "lab/x/y" cannot be created below it.
    staged.write([file('lab/x', 'file\n'), file('lab/x/y', 'below a file\n')]);
    let error: unknown;
    try {
      staged.commit();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlsecError);
    expect((error as Error).message).toContain(`writing ${outdir} failed; the previous output is left untouched:`);
    expect((error as Error).message).toMatch(/ENOTDIR|EEXIST/);
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });

  it('abort drops everything written so far', () => {
    const dir = fresh();
    const { outdir, before } = previous(dir);
    const staged = StagedOutput.start(outdir, owned);
    staged.write([file('lab/a.yml', 'a: 1\n')]);
    staged.abort();
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['out']);
    expect(() => staged.write([file('lab/b.yml', 'b\n')])).toThrow(/already committed or aborted/);
  });

  it('refuses an outdir a synth did not write before starting any work', () => {
    const dir = fresh();
    const outdir = path.join(dir, 'out');
    fs.mkdirSync(outdir);
    fs.writeFileSync(path.join(outdir, 'keep.txt'), 'precious');
    expect(() => StagedOutput.start(outdir, owned)).toThrow(/not written by a synth/);
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });
});

describe('App.synth with the staged output', () => {
  it('a posture failure (after the rendered files were already being written) leaves the previous lab output byte-identical', () => {
    const dir = fresh();
    const outdir = path.join(dir, 'out');
    const good = new App({ outdir, secretsDir: path.join(dir, 'secrets') });
    createLab(good);
    good.synth();
    const before = treeDigest(outdir);

    const bad = new App({ outdir, secretsDir: path.join(dir, 'secrets') });
    const vps = createLab(bad);
    const db = vps.node.findAll().find((c): c is Workload => Workload.isWorkload(c) && c.node.id === 'curated-db')!;
    db.publishPort({ hostIp: '127.0.0.1', hostPort: 5432, containerPort: 5432, reason: 'debugging from the host shell' });
    expect(() => bad.synth()).toThrow(PostureError);
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(dir).sort()).toEqual(['out']);
  });
});
