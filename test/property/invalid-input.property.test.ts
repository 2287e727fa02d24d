/**
 * Property: random invalid ids and props always end in the library's own clear error, an
 * MlsecError naming the construct path and the prop, never a TypeError or another engine error,
 * and `app.synth()` then writes nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeVolume, SecretSource, SecurityProfile, synthesize, validateComposeDocument, Workload, WorkloadProps } from '../../lib';
import { SECRET_LIKE, specificIpV4 } from './arbitraries';
import { Fault, FAMILIES, secretLikeName } from './faults';
import { addApi, assertClearError, lab, Lab, okProps, parseBothVersions, tempDir } from './support';
import { treeDigest } from '../support/fixtures';

const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 50) };

function run(fault: Fault, outdir?: string): { lab?: Lab; error?: unknown } {
  let l: Lab | undefined;
  try {
    l = lab(outdir);
    fault.inject(l);
    if (outdir) l.app.synth();
    else synthesize(l.app);
  } catch (error) {
    return { lab: l, error };
  }
  return { lab: l };
}

describe('invalid input always ends in a clear MlsecError (property)', () => {
  for (const [family, { arbitrary, examples }] of Object.entries(FAMILIES)) {
    it(family, () => {
      fc.assert(
        fc.property(arbitrary, (fault) => {
          const { error } = run(fault);
          if (error === undefined) expect.fail(`${fault.label}: accepted, but it must be rejected`);
          assertClearError(error, fault.expected);
          if (fault.expected.paths.length === 0) expect((error as Error).message).toContain('[lab/');
        }),
        { ...RUNS, examples: examples.map((e) => [e] as [Fault]) },
      );
    });
  }
});

describe('untyped (JavaScript) callers: any value for any prop or argument ends in success or a clear MlsecError (property)', () => {
  // Keys that change how JavaScript itself converts a value (toString, valueOf) are left out:
  // such objects break any code, not only this library's.
  const key = fc.string({ maxLength: 8 }).filter((k) => !['toString', 'valueOf', '__proto__', 'constructor'].includes(k));
  const anything = fc.anything({ maxDepth: 2, withBoxedValues: false, key });
  /** Values every untyped prop is tried with first, whatever the seed. */
  const COMMON: unknown[] = [undefined, null, '', 0, -1, NaN, true, [], {}, 'x', [null], { a: 1 }];
  const PROPS: (keyof WorkloadProps)[] = ['zone', 'image', 'command', 'entrypoint', 'environment', 'ports', 'healthCheck', 'resources', 'user', 'writablePaths', 'workingDir', 'serviceName'];

  /** Success must still be a verified, parseable document; failure must be a clear error naming `lab/api` and `mention`. */
  function check(action: (l: Lab) => void, mention: RegExp): void {
    const l = lab();
    let text: string | undefined;
    try {
      action(l);
      text = synthesize(l.app).file('lab/docker-compose.yml');
    } catch (error) {
      assertClearError(error, { paths: [], prop: mention });
      expect((error as Error).message, 'the error must name the workload the call was made on').toContain('[lab/api');
      return;
    }
    expect(validateComposeDocument(parseBothVersions(text))).toEqual([]);
  }

  for (const prop of PROPS) {
    it(`props.${prop}`, () => {
      fc.assert(
        fc.property(anything, (value) => check((l) => addApi(l, { [prop]: value }), new RegExp(prop === 'serviceName' ? 'serviceName|name' : prop))),
        { ...RUNS, examples: COMMON.map((v) => [v]) },
      );
    });
  }

  it('the props object itself', () => {
    fc.assert(fc.property(anything, (props) => check((l) => new Workload(l.vps, 'api', props as WorkloadProps), /prop '/)), { ...RUNS, examples: COMMON.map((v) => [v]) });
  });

  const single = fc.tuple(anything);
  const double = fc.tuple(anything, anything);
  const METHODS: [string, fc.Arbitrary<unknown[]>, (w: Workload, l: Lab, args: any[]) => void, RegExp][] = [
    ['publishPort(x)', single, (w, _l, [x]) => w.publishPort(x), /publishPort/],
    ['addCapability(x, y)', double, (w, _l, [x, y]) => w.addCapability(x, y), /addCapability|reason/],
    ['allowWritableRootFilesystem(x)', single, (w, _l, [x]) => w.allowWritableRootFilesystem(x), /reason/],
    ['runAsRoot(x)', single, (w, _l, [x]) => w.runAsRoot(x), /reason/],
    ['noHealthCheck(x)', single, (w, _l, [x]) => w.noHealthCheck(x), /reason/],
    ['addEnvironment(x, y)', double, (w, _l, [x, y]) => w.addEnvironment(x, y), /environment/],
    ['mountVolume(v, x, y)', double, (w, l, [x, y]) => w.mountVolume(new ComposeVolume(l.vps, 'models'), x, y), /mountVolume/],
    ['addDataVolume(x, "/data")', single, (w, _l, [x]) => w.addDataVolume(x, '/data'), /\bid\b|name/],
    ['addSecret(bootstrapFile(x), { envVar: y })', double, (w, _l, [x, y]) => w.addSecret(SecretSource.bootstrapFile(x), { envVar: y }), /addSecret|secretName|\bid\b/],
    ['addSecret(source, x)', single, (w, _l, [x]) => w.addSecret(SecretSource.bootstrapFile('db'), x), /addSecret/],
    ['connections.allowTo(server, x)', single, (w, l, [x]) => w.connections.allowTo(l.server, x), /port/],
    ['SecurityProfile.of(vps).apply(x)', single, (_w, l, [x]) => SecurityProfile.of(l.vps).apply(x), /resources|user|tmpfs|log|restart/],
    ['service.addOverride(x, y)', double, (w, _l, [x, y]) => w.service.addOverride(x, y), /override|compose schema|never allowed/],
  ];

  for (const [name, args, call, mention] of METHODS) {
    it(name, () => {
      const arity = args === single ? 1 : 2;
      const examples = COMMON.flatMap((v) => (arity === 1 ? [[[v]]] : [[[v, v]], [[v, 'a reason of some length']], [['/models', v]]])) as [unknown[]][];
      fc.assert(fc.property(args, (a) => check((l) => call(addApi(l), l, a), mention)), { ...RUNS, examples });
    });
  }
});

describe('a failed app.synth() writes nothing (property)', () => {
  let parent = '';
  beforeAll(() => {
    parent = tempDir('mlsec-nowrite-');
  });
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));
  const anyFault = fc.oneof(...Object.values(FAMILIES).map((f) => f.arbitrary));
  let counter = 0;

  it('into a fresh outdir: the outdir never appears and no staging directory is left', () => {
    fc.assert(
      fc.property(anyFault, (fault) => {
        const dir = fs.mkdtempSync(path.join(parent, 'fresh-'));
        const outdir = path.join(dir, 'out');
        const { error } = run(fault, outdir);
        fc.pre(error !== undefined); // a fault the library wrongly accepts is reported by the families above
        expect(fs.existsSync(outdir)).toBe(false);
        expect(fs.readdirSync(dir)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('over a previous output: every byte stays as it was', () => {
    fc.assert(
      fc.property(anyFault, (fault) => {
        const dir = path.join(parent, `prev-${counter++}`);
        fs.mkdirSync(dir);
        const outdir = path.join(dir, 'out');
        lab(outdir).app.synth();
        const before = treeDigest(outdir);
        expect(Object.keys(before)).toContain('lab/docker-compose.yml');
        const { error } = run(fault, outdir);
        fc.pre(error !== undefined);
        expect(treeDigest(outdir)).toEqual(before);
        expect(fs.readdirSync(dir)).toEqual(['out']);
      }),
      { numRuns: 40 },
    );
  });
});

describe('the fault generators', () => {
  it('produce faults that differ from the valid lab only by the fault', () => {
    // The valid lab itself synthesizes, so every error above comes from the injected fault.
    expect(() => synthesize(lab().app)).not.toThrow();
    const l = lab();
    addApi(l, okProps());
    expect(() => synthesize(l.app)).not.toThrow();
  });

  it('secret-looking names are all caught by the documented pattern', () => {
    fc.assert(fc.property(secretLikeName, (n) => SECRET_LIKE.test(n)), { numRuns: 100 });
  });

  it('specific addresses are accepted by publishPort', () => {
    fc.assert(
      fc.property(specificIpV4, (hostIp) => {
        const l = lab();
        addApi(l).publishPort({ hostIp, hostPort: 8443, containerPort: 8080, reason: 'operator access to the api' });
        expect(() => synthesize(l.app)).not.toThrow();
      }),
      { numRuns: 30 },
    );
  });
});
