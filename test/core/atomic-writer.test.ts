import * as fs from 'fs';
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { Assembly, AtomicWriter, MANIFEST_FILE, WriterFileSystem } from '../../lib';
import { tempDir, treeDigest } from '../support/fixtures';

function assemblyOf(files: Record<string, string>): Assembly {
  const assembly = new Assembly();
  for (const [p, content] of Object.entries(files)) assembly.addFile({ path: p, content, producer: 'test' });
  assembly.addFile({ path: MANIFEST_FILE, content: '{}\n', producer: 'test' });
  return assembly;
}

/** Node's fs, except that the n-th call of `method` throws. */
function failingOn(method: keyof WriterFileSystem, n: number): WriterFileSystem {
  let calls = 0;
  return new Proxy(fs as unknown as WriterFileSystem, {
    get(target, prop) {
      const real = (target as any)[prop];
      if (prop !== method) return real;
      return (...args: unknown[]) => {
        if (++calls === n) throw new Error(`injected ${String(method)} failure`);
        return real.apply(target, args);
      };
    },
  });
}

describe('AtomicWriter', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  function setup() {
    const t = tempDir();
    cleanup = t.cleanup;
    const outdir = path.join(t.dir, 'synth-out');
    new AtomicWriter().write(assemblyOf({ 'lab/a.yml': 'a: 1\n', 'lab/b.yml': 'b: 2\n', 'lab/deep/c.txt': 'c\n' }), outdir);
    return { parent: t.dir, outdir, before: treeDigest(outdir) };
  }

  it('writes exactly the assembly and removes files it no longer produces', () => {
    const { outdir } = setup();
    expect(fs.readFileSync(path.join(outdir, 'lab/deep/c.txt'), 'utf8')).toBe('c\n');
    new AtomicWriter().write(assemblyOf({ 'lab/a.yml': 'a: 9\n' }), outdir);
    expect(Object.keys(treeDigest(outdir)).sort()).toEqual(['lab/a.yml', MANIFEST_FILE]);
  });

  it.each([
    ['mkdirSync', 2],
    ['writeFileSync', 1],
    ['writeFileSync', 3],
    ['renameSync', 1],
    ['renameSync', 2],
  ] as const)('leaves the previous output byte-identical when %s call %i fails', (method, n) => {
    const { parent, outdir, before } = setup();
    const writer = new AtomicWriter({ fs: failingOn(method, n) });
    expect(() => writer.write(assemblyOf({ 'lab/a.yml': 'changed\n', 'lab/new.yml': 'x\n' }), outdir)).toThrow(
      /previous output is left untouched: injected/,
    );
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(['synth-out']);
  });

  it('refuses to replace a non-empty directory that a synth did not write', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    fs.writeFileSync(path.join(t.dir, 'precious.txt'), 'keep me');
    expect(() => new AtomicWriter().write(assemblyOf({ 'a.txt': 'a' }), t.dir)).toThrow(/refusing to replace/);
    expect(fs.readFileSync(path.join(t.dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('reports missing, changed and extra files without writing', () => {
    const { outdir, before } = setup();
    const drift = new AtomicWriter().diff(assemblyOf({ 'lab/a.yml': 'a: 1\n', 'lab/b.yml': 'changed\n', 'lab/new.yml': 'n\n' }), outdir);
    expect(drift).toEqual({ missing: ['lab/new.yml'], changed: ['lab/b.yml'], extra: ['lab/deep/c.txt'] });
    expect(treeDigest(outdir)).toEqual(before);
  });

  it('rejects file paths that would escape the output directory', () => {
    const assembly = new Assembly();
    for (const bad of ['../x', '/etc/passwd', 'a/../../b', 'a//b', '', 'a\\b']) {
      expect(() => assembly.addFile({ path: bad, content: '', producer: 'lab/x' }), bad).toThrow(/\[lab\/x\] file path/);
    }
  });
});
