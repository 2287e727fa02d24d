import { spawnSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { App, AtomicWriter, ComposeTemplate, Match, Testing } from '../../lib';
import { dockerComposeConfig } from '../support/docker-compose';

const ROOT = path.join(__dirname, '..', '..');

function labAssembly() {
  const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
  createLab(app);
  return Testing.synth(app);
}

describe('reference lab (apps/lab.ts)', () => {
  it('matches the committed synth-out/ byte for byte', () => {
    const drift = new AtomicWriter().diff(labAssembly(), path.join(ROOT, 'synth-out'));
    expect(drift, 'synth-out/ is stale: run `npx projen synth` and commit it').toEqual({ missing: [], changed: [], extra: [] });
  });

  it('passes `npx projen synth:check` as a whole process', () => {
    const result = spawnSync('npx', ['projen', 'synth:check'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(result.status, result.stderr).toBe(0);
  });

  it('keeps every container hardened and every network internal', () => {
    const compose = ComposeTemplate.fromAssembly(labAssembly(), 'lab');
    compose.allServices(Match.objectLike({
      read_only: true,
      cap_drop: ['ALL'],
      cap_add: Match.absent(),
      security_opt: ['no-new-privileges:true'],
      user: Match.stringLikeRegexp('^[1-9][0-9]*:[0-9]+$'),
      pids_limit: Match.anyValue(),
      deploy: { resources: { limits: { cpus: Match.anyValue(), memory: Match.anyValue() } } },
      healthcheck: Match.objectLike({ test: Match.anyValue() }),
      restart: 'on-failure:5',
      logging: { driver: 'json-file', options: { 'max-size': Match.anyValue(), 'max-file': Match.anyValue() } },
      ports: Match.absent(),
      privileged: Match.absent(),
    }));
    for (const network of Object.values(compose.toJSON().networks as Record<string, unknown>)) expect(network).toEqual({ internal: true });
  });

  it('spans at least two zones connected only by declared flows', () => {
    const compose = ComposeTemplate.fromAssembly(labAssembly(), 'lab');
    const zones = new Set(Object.values(compose.findServices(Match.anyValue())).map((s: any) => s.labels['mlsec.zone']));
    expect([...zones].sort()).toEqual(['z3', 'z6', 'z9']);
    compose.hasService('model-server', Match.objectLike({ networks: ['z3-z6'], depends_on: { 'feature-store': { condition: 'service_healthy' } } }));
    compose.hasService('curated-db', Match.objectLike({ network_mode: 'none' }));
  });

  it('holds no secret value: secrets are files from the operator folder outside synth-out', () => {
    const assembly = labAssembly();
    const compose = ComposeTemplate.fromAssembly(assembly, 'lab');
    for (const secret of Object.values(compose.toJSON().secrets as Record<string, { file: string }>)) {
      expect(secret.file).toMatch(/^\.\.\/\.\.\/secrets\/lab\//);
    }
    for (const service of Object.values(compose.findServices(Match.anyValue())) as any[]) {
      for (const [name, value] of Object.entries(service.environment ?? {})) {
        if (/PASS|SECRET|TOKEN|KEY/i.test(name)) expect(value, name).toMatch(/^\/run\/secrets\//);
      }
    }
    expect(assembly.allFiles().map((f) => f.content).join('\n')).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it('is accepted by docker-compose 1.29', () => {
    const result = dockerComposeConfig(labAssembly().file('lab/docker-compose.yml'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
