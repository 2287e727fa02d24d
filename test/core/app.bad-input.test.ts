/**
 * Bad input at the App / Vps / VpsFile level and around writing the outdir: every error is an
 * MlsecError naming the construct path, the prop and what is allowed, and a failed synth writes
 * nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { afterEach, describe, expect, it } from 'vitest';
import { App, ComposeVolume, MlsecError, Names, synthesize, ValidationError, Vps, VpsFile, Workload } from '../../lib';
import { BAD_IDS } from '../property/faults';
import { addApi, assertClearError, expectClearError, lab, okProps, tempDir, thrownBy } from '../property/support';
import { treeDigest } from '../support/fixtures';
import { RENDERING_ONLY } from '../support/fixtures';

const dirs: string[] = [];
function freshDir(): string {
  const d = tempDir('mlsec-app-bad-');
  dirs.push(d);
  return d;
}
afterEach(() => {
  while (dirs.length > 0) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});

function app(outdir = 'synth-out'): App {
  return new App({ outdir, secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
}

describe('Vps id', () => {
  it.each(BAD_IDS.filter((id) => id !== '').map((id) => [JSON.stringify(id), id]))('rejects %s, naming the id and what is allowed', (_label, id) => {
    const a = app();
    expectClearError(() => {
      const vps = new Vps(a, id, { domain: 'lab.example.com' });
      new Workload(vps, 'api', okProps());
      synthesize(a);
    }, { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
  });

  it('rejects an empty id with the library\'s own error, not the constructs library\'s plain Error', () => {
    const err = expectClearError(() => new Vps(app(), '', { domain: 'lab.example.com' }), { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
    expect(err.message).toContain('""');
  });

  it('rejects a duplicate Vps id, naming the path', () => {
    const a = app();
    new Vps(a, 'lab', { domain: 'lab.example.com' });
    expectClearError(() => new Vps(a, 'lab', { domain: 'lab.example.com' }), { paths: ['lab'], prop: /\bid\b/, allowed: /unique|already used/ });
  });

  it.each([
    ['Lab', 'lab'],
    ['a_b', 'a-b'],
    ['a.b', 'A_B'],
  ])('rejects Vps ids %s and %s that collide after normalization, naming both paths and the id/name', (x, y) => {
    const a = app();
    for (const id of [x, y]) new Workload(new Vps(a, id, { domain: 'lab.example.com' }), 'api', okProps());
    const err = expectClearError(() => synthesize(a), { paths: [x, y], prop: /\b(id|name)\b/ });
    expect(err.message).toContain(Names.toComposeName(x));
  });

  it('rejects colliding Vps names as a validation error, before any rendering', () => {
    const a = app();
    for (const id of ['Lab', 'lab']) new Workload(new Vps(a, id, { domain: 'lab.example.com' }), 'api', okProps());
    expect(thrownBy(() => synthesize(a))).toBeInstanceOf(ValidationError);
  });
});

describe('Vps domain', () => {
  it.each([
    '',
    'localhost',
    'LAB.example.com',
    'lab..example.com',
    'lab.example.com.',
    '.lab.example.com',
    '-lab.example.com',
    'lab-.example.com',
    'lab example.com',
    'lab.example.com\n',
    'lab_1.example.com',
    'lab.123',
    `${'a'.repeat(64)}.example.com`,
    `${'a.'.repeat(127)}com`,
    'https://lab.example.com',
    '*.example.com',
  ])('rejects %j, naming the prop and an example', (domain) => {
    const a = app();
    expectClearError(() => {
      new Workload(new Vps(a, 'lab', { domain }), 'api', okProps());
      synthesize(a);
    }, { paths: ['lab'], prop: "'domain'", allowed: 'lab.example.com' });
  });

  it.each([undefined, null, 42, {}].map((v) => [v]))('rejects a non-string domain %j', (domain) => {
    const a = app();
    expectClearError(() => {
      new Vps(a, 'lab', { domain } as any);
      synthesize(a);
    }, { paths: ['lab'], prop: "'domain'" });
  });

  it('rejects missing Vps props', () => {
    const a = app();
    expectClearError(() => {
      new Vps(a, 'lab', undefined as any);
      synthesize(a);
    }, { paths: ['lab'], prop: "'domain'" });
  });
});

describe('VpsFile', () => {
  it.each(['', '/etc/passwd', '../x', 'a/../b', './a', 'a/./b', '.', '..', 'a/', 'a//b', 'a b', 'a\\b', 'a\nb', 'é.txt', 'a:b'])('rejects the path %j', (p) => {
    const l = lab();
    expectClearError(() => {
      new VpsFile(l.vps, 'conf', { path: p, content: 'x' });
      synthesize(l.app);
    }, { paths: ['lab/conf'], prop: /'path'|file path/, allowed: /relative/ });
  });

  it('rejects a file that collides with the compose file, naming both producers and the prop', () => {
    const l = lab();
    expectClearError(() => {
      new VpsFile(l.vps, 'conf', { path: 'docker-compose.yml', content: 'x' });
      synthesize(l.app);
    }, { paths: ['lab/conf', 'lab/Compose'], prop: /'path'|\bpath\b/ });
  });

  it('rejects two files at the same path, naming both producers and the prop', () => {
    const l = lab();
    expectClearError(() => {
      new VpsFile(l.vps, 'one', { path: 'files/app.conf', content: 'x' });
      new VpsFile(l.vps, 'two', { path: 'files/app.conf', content: 'y' });
      synthesize(l.app);
    }, { paths: ['lab/one', 'lab/two'], prop: /'path'|\bpath\b/ });
  });

  it.each([42, null, undefined, { text: 'x' }, ['x']].map((v) => [v]))('rejects non-string content %j without a TypeError', (content) => {
    const l = lab();
    expectClearError(() => {
      new VpsFile(l.vps, 'conf', { path: 'app.conf', content: content as any });
      synthesize(l.app);
    }, { paths: ['lab/conf'], prop: /content/ });
  });

  it('rejects a content function that returns a non-string without a TypeError', () => {
    const l = lab();
    expectClearError(() => {
      new VpsFile(l.vps, 'conf', { path: 'app.conf', content: () => undefined as any });
      synthesize(l.app);
    }, { paths: ['lab/conf'], prop: /content/ });
  });

  it('reports a content function that throws against the file, with the original message', () => {
    const l = lab();
    new VpsFile(l.vps, 'conf', {
      path: 'app.conf',
      content: () => {
        throw new Error('template variable missing');
      },
    });
    const err = thrownBy(() => synthesize(l.app));
    expect(err).toBeInstanceOf(MlsecError);
    expect((err as Error).message).toContain('[lab/conf]');
    expect((err as Error).message).toContain('template variable missing');
  });

  it('rejects missing props without a TypeError', () => {
    const l = lab();
    expectClearError(() => {
      new VpsFile(l.vps, 'conf', undefined as any);
      synthesize(l.app);
    }, { paths: ['lab/conf'], prop: /path|content/ });
  });

  it('rejects an empty id with the parent path', () => {
    expectClearError(() => new VpsFile(lab().vps, '', { path: 'a.conf', content: 'x' }), { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
  });
});

describe('compose L1 ids', () => {
  // Volume names are not DNS labels, so they may be up to 127 characters: 64 is fine there.
  it.each(BAD_IDS.filter((id) => id !== '' && id !== 'a'.repeat(64)).map((id) => [JSON.stringify(id), id]))('a ComposeVolume with id %s is rejected', (_label, id) => {
    const l = lab();
    expectClearError(() => {
      new ComposeVolume(l.vps, id);
      synthesize(l.app);
    }, { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
  });

  it('a ComposeVolume with an empty or duplicate id is rejected at construction with the path', () => {
    const l = lab();
    expectClearError(() => new ComposeVolume(l.vps, ''), { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
    new ComposeVolume(l.vps, 'models');
    expectClearError(() => new ComposeVolume(l.vps, 'models'), { paths: ['lab/models'], prop: /\bid\b/ });
  });

  it('a ComposeVolume with an invalid explicit name names the prop', () => {
    const l = lab();
    expectClearError(() => {
      new ComposeVolume(l.vps, 'models', { name: 'Models Volume' });
      synthesize(l.app);
    }, { paths: ['lab/models'], prop: "'name'", allowed: Names.ALLOWED });
  });

  it('a construct outside an App or a Vps names its path', () => {
    const root = new Construct(undefined as any, '');
    const orphan = new Construct(root, 'orphan');
    expectClearError(() => App.of(orphan), { paths: ['orphan'], prop: /App/ });
    expectClearError(() => Vps.of(orphan), { paths: ['orphan'], prop: /Vps/ });
  });
});

describe('a failed app.synth() writes nothing', () => {
  /** A lab with one validation error. */
  function broken(outdir: string): App {
    const l = lab(outdir);
    addApi(l, { ports: [0] });
    return l.app;
  }

  it('into a fresh outdir: the outdir does not exist afterwards and no staging directory is left', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    assertClearError(thrownBy(() => broken(outdir).synth()), { paths: ['lab/api'], prop: "'ports[]'" });
    expect(fs.existsSync(outdir)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('over a previous outdir: every byte is as before', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    lab(outdir).app.synth();
    const before = treeDigest(outdir);
    expect(Object.keys(before).sort()).toEqual(['lab/docker-compose.yml', 'lab/posture/coverage.md', 'lab/posture/report.json', 'lab/posture/report.md', 'lab/posture/report.sarif', 'manifest.json']);
    thrownBy(() => broken(outdir).synth());
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });

  it('when the failure is a schema verification error (an override), not a validation error', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    lab(outdir).app.synth();
    const before = treeDigest(outdir);
    const l = lab(outdir);
    addApi(l).service.addOverride('privileged', true);
    assertClearError(thrownBy(() => l.app.synth()), { paths: ['lab/api/Service'], prop: /privileged/ });
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });

  it('when the failure happens while assembling (two producers of one file)', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    lab(outdir).app.synth();
    const before = treeDigest(outdir);
    const l = lab(outdir);
    new VpsFile(l.vps, 'conf', { path: 'docker-compose.yml', content: 'x' });
    expect(thrownBy(() => l.app.synth())).toBeInstanceOf(MlsecError);
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });

  it('in check mode (MLSEC_SYNTH_CHECK=1) an invalid app throws its validation error and writes nothing', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    const previous = process.env.MLSEC_SYNTH_CHECK;
    process.env.MLSEC_SYNTH_CHECK = '1';
    try {
      assertClearError(thrownBy(() => broken(outdir).synth()), { paths: ['lab/api'], prop: "'ports[]'" });
    } finally {
      if (previous === undefined) delete process.env.MLSEC_SYNTH_CHECK;
      else process.env.MLSEC_SYNTH_CHECK = previous;
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses an outdir that is a file, naming the outdir', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    fs.writeFileSync(outdir, 'not a directory');
    expectClearError(() => lab(outdir).app.synth(), { paths: [], prop: /outdir/, allowed: /not a directory/ });
    expect(fs.readFileSync(outdir, 'utf8')).toBe('not a directory');
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });

  it('refuses to replace a non-empty directory it did not write, leaving it untouched', () => {
    const dir = freshDir();
    const outdir = path.join(dir, 'out');
    fs.mkdirSync(path.join(outdir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'src', 'keep.txt'), 'precious');
    expectClearError(() => lab(outdir).app.synth(), { paths: [], prop: /outdir/, allowed: /manifest\.json/ });
    expect(fs.readFileSync(path.join(outdir, 'src', 'keep.txt'), 'utf8')).toBe('precious');
    expect(Object.keys(treeDigest(outdir))).toEqual(['src/keep.txt']);
    expect(fs.readdirSync(dir)).toEqual(['out']);
  });
});
