/**
 * Property: any valid workload tree synthesizes, and the output is YAML that YAML 1.1 and 1.2
 * readers read identically, keeps every environment value literal, passes the Compose
 * Specification schema, references only what it declares, and is byte-identical across synths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { App, Assembly, HealthCheck, Image, SecretSource, synthesize, validateComposeDocument, Vps, Workload, Zone } from '../../lib';
import { buildTree, BuiltTree, isValidId, normalized, normalizedId, TRICKY_VALUES, treeSpec, trickyString, validId } from './arbitraries';
import { parseBothVersions, unescapeDollars, YAML11_UNPRINTABLE } from './support';
import { createHash } from 'crypto';
import { RENDERING_ONLY } from '../support/fixtures';

const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 60) };

function composeOf(assembly: Assembly, vpsName: string): string {
  return assembly.file(`${vpsName}/docker-compose.yml`);
}

/** Every name a service refers to is declared in the same document. */
function danglingReferences(doc: any): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries<any>(doc.services ?? {})) {
    for (const s of svc.secrets ?? []) {
      const source = typeof s === 'string' ? s : s.source;
      if (!(source in (doc.secrets ?? {}))) problems.push(`services.${name}.secrets: '${source}' is not declared under secrets`);
    }
    for (const v of svc.volumes ?? []) {
      if (typeof v === 'object' && v.type === 'volume' && !(v.source in (doc.volumes ?? {}))) {
        problems.push(`services.${name}.volumes: '${v.source}' is not declared under volumes`);
      }
    }
    const nets = Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? {});
    for (const n of nets) if (!(n in (doc.networks ?? {}))) problems.push(`services.${name}.networks: '${n}' is not declared under networks`);
    for (const d of Object.keys(svc.depends_on ?? {})) if (!(d in doc.services)) problems.push(`services.${name}.depends_on: '${d}' is not a service`);
  }
  return problems;
}

function checkTree(built: BuiltTree, assembly: Assembly): void {
  const docs = new Map<string, any>();
  for (const vpsName of new Set(built.workloads.map((w) => w.vpsName))) {
    const text = composeOf(assembly, vpsName);
    const doc = parseBothVersions(text);
    expect(validateComposeDocument(doc), `${vpsName}/docker-compose.yml must pass the compose schema`).toEqual([]);
    expect(danglingReferences(doc)).toEqual([]);
    docs.set(vpsName, doc);
  }
  for (const w of built.workloads) {
    const svc = docs.get(w.vpsName).services[w.serviceName];
    expect(svc, `service '${w.serviceName}' of ${w.workload.node.path}`).toBeDefined();
    const env: Record<string, unknown> = svc.environment ?? {};
    for (const [name, value] of Object.entries(w.spec.environment)) {
      expect(typeof env[name], `environment.${name} must stay a string`).toBe('string');
      expect(unescapeDollars(env[name] as string), `environment.${name}`).toBe(value);
    }
    for (const [name, value] of Object.entries(w.secretEnv)) expect(env[name]).toBe(value);
    expect(Object.keys(env).sort()).toEqual([...Object.keys(w.spec.environment), ...Object.keys(w.secretEnv)].sort());
    if (w.spec.command) expect((svc.command as string[]).map(unescapeDollars)).toEqual(w.spec.command);
    if (w.spec.entrypoint) expect((svc.entrypoint as string[]).map(unescapeDollars)).toEqual(w.spec.entrypoint);
    expect(svc['x-mlsec'].construct).toBe(w.workload.node.path);
  }
  const manifest = JSON.parse(assembly.file('manifest.json'));
  for (const entry of manifest.files) {
    expect(entry.sha256).toBe(createHash('sha256').update(assembly.file(entry.path), 'utf8').digest('hex'));
  }
  expect(manifest.files.map((f: any) => f.path)).toEqual(assembly.paths().filter((p) => p !== 'manifest.json'));
}

function contents(assembly: Assembly): [string, string][] {
  return assembly.allFiles().map((f) => [f.path, f.content]);
}

describe('valid workload trees (property)', () => {
  it('synthesize to YAML that 1.1 and 1.2 readers read alike, with literal values, schema-valid and referentially complete', () => {
    fc.assert(
      fc.property(treeSpec, (spec) => {
        const built = buildTree(spec);
        const assembly = synthesize(built.app);
        checkTree(built, assembly);
      }),
      RUNS,
    );
  });

  it('synthesize byte-identically: twice on the same app, and from two equal trees', () => {
    fc.assert(
      fc.property(treeSpec, (spec) => {
        const first = buildTree(spec);
        const a = contents(synthesize(first.app));
        expect(contents(synthesize(first.app)), 'a second synth of the same app').toEqual(a);
        expect(contents(synthesize(buildTree(spec).app)), 'a synth of an equal tree').toEqual(a);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 40) },
    );
  });

  it('do not depend on the order in which workloads are declared', () => {
    fc.assert(
      fc.property(treeSpec, (spec) => {
        const forward = contents(synthesize(buildTree(spec).app));
        const reversed = contents(synthesize(buildTree(spec, { reverse: true }).app));
        expect(reversed).toEqual(forward);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 40) },
    );
  });

  it('write only characters the YAML 1.1 reader of docker-compose 1.29 (PyYAML) accepts', () => {
    // PyYAML rejects U+FFFE, U+FFFF and C0/C1 controls anywhere in the stream, even inside a
    // double-quoted scalar; YAML escapes (\uFFFE) are the portable way to carry them.
    const value = fc.oneof(trickyString, fc.constantFrom('\ufffe', 'x\uffffy', '\u0001', '\u009f', '\ud83d\ude00'));
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/), value, { minKeys: 1, maxKeys: 4 }), fc.array(value, { minLength: 1, maxLength: 3 }), (environment, command) => {
        fc.pre(Object.keys(environment).every((k) => !/PASS|SECRET|TOKEN|KEY|CREDENTIAL/.test(k)));
        const app = new App({ outdir: 'synth-out', secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
        const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
        new Workload(vps, 'api', {
          zone: Zone.Z6_SERVING,
          image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
          environment,
          command,
          healthCheck: HealthCheck.command(['true']),
        });
        const text = synthesize(app).file('lab/docker-compose.yml');
        const bad = text.match(YAML11_UNPRINTABLE);
        expect(bad, `unprintable character U+${bad?.[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')} written raw`).toBeNull();
        const doc = parseBothVersions(text);
        for (const [k, v] of Object.entries(environment)) expect(unescapeDollars(doc.services.api.environment[k])).toBe(v);
      }),
      { numRuns: 100 },
    );
  });

  it('declare every secret a workload mounts under the name its *_FILE variable points at', () => {
    fc.assert(
      fc.property(normalizedId, (name) => {
        const app = new App({ outdir: 'synth-out', secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
        const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
        const w = new Workload(vps, 'api', {
          zone: Zone.Z3_CURATED,
          image: Image.fromRegistry('postgres', '15.8'),
          healthCheck: HealthCheck.command(['pg_isready']),
        });
        w.addSecret(SecretSource.bootstrapFile(name), { envVar: 'POSTGRES_PASSWORD_FILE' });
        const doc = parseBothVersions(synthesize(app).file('lab/docker-compose.yml'));
        expect(danglingReferences(doc)).toEqual([]);
        // The variable must point at the file compose actually mounts.
        const mounted = doc.services.api.secrets.map((s: any) => `/run/secrets/${s.target ?? s.source}`);
        expect(mounted).toContain(doc.services.api.environment.POSTGRES_PASSWORD_FILE);
      }),
      RUNS,
    );
  });

  it('quote names and values that a YAML 1.1 reader takes for floats (e0, E5, e-3, e+12)', () => {
    // The `yaml` package's 1.1 schema reads a plain `e0` as a float (NaN): the env name, the
    // env value, the secret name and the project name must all come back as the same strings.
    for (const word of ['e0', 'E5', 'e-3', 'e+12']) {
      const app = new App({ outdir: 'synth-out', secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
      const vps = new Vps(app, word.replace('+', ''), { domain: 'lab.example.com' });
      const w = new Workload(vps, 'api', {
        zone: Zone.Z6_SERVING,
        image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
        environment: { e0: word },
        healthCheck: HealthCheck.command(['true']),
      });
      if (!word.includes('+')) w.addSecret(SecretSource.bootstrapFile(word.toLowerCase()), { envVar: 'SEED_FILE' });
      const doc = parseBothVersions(synthesize(app).file(`${normalized(word.replace('+', ''))}/docker-compose.yml`));
      expect(doc.services.api.environment.e0).toBe(word);
    }
  });

  it('sanity: the generators produce what they claim', () => {
    fc.assert(
      fc.property(validId, (id) => isValidId(id) && normalized(normalized(id)) === normalized(id)),
      { numRuns: 200 },
    );
    expect(TRICKY_VALUES.every((v) => !v.includes('\0'))).toBe(true);
  });
});
