import * as fs from 'fs';
import * as path from 'path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Construct } from 'constructs';
import { App, DocumentProducers, IDocumentProducer, Image, MlsecError, RenderedDocument, sha256, synthesize, ValidationError, ValidationIssue, VerificationError, Vps, Workload, Zone } from '../../lib';
import { labApp, simpleWorkload, tempDir, treeDigest } from '../support/fixtures';
import { RENDERING_ONLY } from '../support/fixtures';

describe('App synth pipeline', () => {
  let cleanup = () => {};
  afterEach(() => {
    cleanup();
    vi.unstubAllEnvs();
  });

  function written() {
    const t = tempDir();
    cleanup = t.cleanup;
    const outdir = path.join(t.dir, 'synth-out');
    const { app, vps } = labApp(outdir);
    simpleWorkload(vps, 'api');
    app.synth();
    return { outdir, before: treeDigest(outdir) };
  }

  it('collects every validation error of every construct into one error, each with its path', () => {
    const { vps } = labApp();
    new Workload(vps, 'one', { zone: Zone.Z1_INGESTION, image: Image.fromRegistry('nginx', 'latest'), ports: [0] } as any);
    new Workload(vps, 'two', { zone: 'z9' as any, image: Image.fromRegistry('nginx', '1.27.1'), resources: { memoryMiB: -1 } } as any);
    let error: ValidationError | undefined;
    try {
      synthesize(vps.node.root);
    } catch (e) {
      error = e as ValidationError;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const byPath = (p: string) => error!.issues.filter((i) => i.path === p).map((i) => i.message);
    expect(byPath('lab/one')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/prop 'image.tag' must be an exact version, not the moving tag "latest"/),
        expect.stringMatching(/prop 'ports\[\]' must be an integer from 1 to 65535 \(got 0\)/),
        expect.stringMatching(/prop 'healthCheck' is required/),
      ]),
    );
    expect(byPath('lab/two')).toEqual(
      expect.arrayContaining([expect.stringMatching(/prop 'zone' must be one of/), expect.stringMatching(/prop 'resources.memoryMiB' must be an integer from 6/)]),
    );
    expect(error!.message).toMatch(/^Synthesis failed with \d+ validation errors:\n {2}- \[lab\/one\] /);
    expect(error!.stack).not.toMatch(/\n\s+at /);
  });

  it('leaves the previous synth-out byte-identical when validation fails', () => {
    const { outdir, before } = written();
    const { app, vps } = labApp(outdir);
    simpleWorkload(vps, 'api');
    simpleWorkload(vps, 'broken').addCapability('SYS_ADMIN', 'because the image wants it');
    expect(() => app.synth()).toThrow(/\[lab\/broken\] prop 'addCapability' SYS_ADMIN is equivalent to privileged mode/);
    expect(treeDigest(outdir)).toEqual(before);
  });

  it('leaves the previous synth-out byte-identical when schema verification fails, naming the construct', () => {
    const { outdir, before } = written();
    const { app, vps } = labApp(outdir);
    simpleWorkload(vps, 'api').service.addOverride('cap_drop', 'ALL');
    expect(() => app.synth()).toThrow(VerificationError);
    expect(() => app.synth()).toThrow(/\[lab\/api\/Service\] compose schema: \/services\/api\/cap_drop must be array/);
    expect(treeDigest(outdir)).toEqual(before);
  });

  it.each([
    ['privileged', true, /'privileged: true' is never allowed/],
    ['network_mode', 'host', /'network_mode: host' is never allowed/],
    ['pid', 'host', /'pid: host' is never allowed/],
    ['ipc', 'host', /'ipc: host' is never allowed/],
    ['volumes', [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true }], /runtime socket/],
    ['volumes', ['/run/containerd/containerd.sock:/x:ro'], /runtime socket/],
  ])('refuses %s through the escape hatch', (key, value, message) => {
    const { vps } = labApp();
    simpleWorkload(vps, 'api').service.addOverride(key, value);
    expect(() => synthesize(vps.node.root)).toThrow(message);
    expect(() => synthesize(vps.node.root)).toThrow(/\[lab\/api\/Service\]/);
  });

  it('writes a manifest with the sha256 and producing construct of every file', () => {
    const { outdir } = written();
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const compose = manifest.files.find((f: any) => f.path === 'lab/docker-compose.yml');
    expect(compose).toEqual({ path: 'lab/docker-compose.yml', producer: 'lab/Compose', sha256: sha256(fs.readFileSync(path.join(outdir, 'lab/docker-compose.yml'), 'utf8')) });
    for (const f of manifest.files) expect(f.sha256).toBe(sha256(fs.readFileSync(path.join(outdir, f.path), 'utf8')));
    expect(manifest.files.map((f: any) => f.path)).toEqual(['lab/docker-compose.yml', 'lab/posture/coverage.md', 'lab/posture/report.json', 'lab/posture/report.md', 'lab/posture/report.sarif']);
  });

  it('is byte-identical across runs and output directories', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const build = (outdir: string) => {
      const { app, vps } = labApp(outdir);
      const db = simpleWorkload(vps, 'db', Zone.Z3_CURATED, [5432]);
      simpleWorkload(vps, 'api', Zone.Z6_SERVING).connections.allowTo(db, { port: 5432 });
      app.synth();
      return treeDigest(outdir);
    };
    expect(build(path.join(t.dir, 'a'))).toEqual(build(path.join(t.dir, 'b')));
  });

  it('takes the outdir from MLSEC_OUTDIR unless the prop sets it', () => {
    vi.stubEnv('MLSEC_OUTDIR', 'from-env');
    expect(new App().outdir).toBe('from-env');
    expect(new App({ outdir: 'from-prop' }).outdir).toBe('from-prop');
    vi.unstubAllEnvs();
    delete process.env.MLSEC_OUTDIR;
    expect(new App().outdir).toBe('synth-out');
  });

  it('synthesizes each Vps into its own folder', () => {
    const app = new App({ outdir: 'synth-out', secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
    for (const name of ['edge-a', 'edge-b']) simpleWorkload(new Vps(app, name, { domain: `${name}.example.com` }), 'api');
    expect(synthesize(app).paths().filter((p) => !p.includes('/posture/'))).toEqual(['edge-a/docker-compose.yml', 'edge-b/docker-compose.yml', 'manifest.json']);
  });

  it('in check mode writes nothing and lists stale files', () => {
    const { outdir, before } = written();
    vi.stubEnv('MLSEC_SYNTH_CHECK', '1');
    const { app, vps } = labApp(outdir);
    simpleWorkload(vps, 'api');
    expect(() => app.synth()).not.toThrow();
    simpleWorkload(vps, 'second');
    expect(() => app.synth()).toThrow(/is stale; run `npx projen synth`[\s\S]*changed: lab\/docker-compose.yml/);
    expect(treeDigest(outdir)).toEqual(before);
  });

  it('raises its own errors for empty and duplicate ids, naming the parent path', () => {
    const { vps } = labApp();
    expect(() => simpleWorkload(vps, '')).toThrow(MlsecError);
    expect(() => simpleWorkload(vps, '')).toThrow(/\[lab\/""\] id "" is not allowed/);
    simpleWorkload(vps, 'api');
    expect(() => simpleWorkload(vps, 'api')).toThrow(/\[lab\/api\] id 'api' is already used by a sibling under 'lab'/);
  });

  it('reports names that collide after normalization with both construct paths', () => {
    const { vps } = labApp();
    simpleWorkload(vps, 'feature_store');
    simpleWorkload(vps, 'Feature-Store');
    expect(() => synthesize(vps.node.root)).toThrow(/service name 'feature-store' collides after normalization with the one of construct 'lab\/feature_store\/Service'; rename one of 'lab\/feature_store\/Service' and 'lab\/Feature-Store\/Service'/);
  });
});

describe('deferred documents', () => {
  /** A producer whose second file is slow work collected after the posture phase. */
  class SlowPicture extends Construct implements IDocumentProducer {
    public readonly seen: string[] = [];
    constructor(scope: Construct, id: string) {
      super(scope, id);
      DocumentProducers.mark(this);
    }
    public renderDocuments(): RenderedDocument[] {
      this.seen.push('render');
      return [{ path: 'lab/picture.dot', content: 'digraph {}\n', producer: this.node.path }];
    }
    public verifyDocuments(): ValidationIssue[] {
      this.seen.push('verify');
      return [];
    }
    public renderDeferredDocuments(): RenderedDocument[] {
      this.seen.push('deferred');
      return [{ path: 'lab/picture.svg', content: '<svg/>\n', producer: this.node.path }];
    }
    public abandonDeferredDocuments(): void {
      this.seen.push('abandon');
      throw new Error('an abandon that fails is not the error reported');
    }
  }

  it('are written and listed in the manifest, after the posture report was made without them', () => {
    const { vps } = labApp();
    simpleWorkload(vps, 'api');
    const picture = new SlowPicture(vps, 'Picture');
    const assembly = synthesize(vps.node.root);
    expect(assembly.file('lab/picture.svg')).toBe('<svg/>\n');
    expect(JSON.parse(assembly.file('manifest.json')).files.map((f: any) => f.path)).toContain('lab/picture.svg');
    expect(picture.seen).toEqual(['render', 'verify', 'deferred']);
  });

  it('are abandoned once, not rendered, when synth fails after rendering; the synth error is the one reported', () => {
    const { vps } = labApp();
    simpleWorkload(vps, 'api').service.addOverride('cap_drop', 'ALL');
    const picture = new SlowPicture(vps, 'Picture');
    expect(() => synthesize(vps.node.root)).toThrow(VerificationError);
    expect(picture.seen).toEqual(['render', 'verify', 'abandon']);
  });

  it('are abandoned when validation fails too (work started by a validator ends with the synth)', () => {
    const { vps } = labApp();
    const picture = new SlowPicture(vps, 'Picture');
    picture.node.addValidation({ validate: () => ["prop 'x' is broken on purpose"] });
    expect(() => synthesize(vps.node.root)).toThrow(ValidationError);
    expect(picture.seen).toEqual(['abandon']);
  });
});
