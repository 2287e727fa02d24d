import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ComposeConfig, ComposeNetwork, ComposeSecret, ComposeService, ComposeVolume, synthesize, validateComposeDocument } from '../../lib';
import { dockerComposeConfig } from '../support/docker-compose';
import { labApp, simpleWorkload } from '../support/fixtures';

describe('ComposeProject', () => {
  it('renders L1 resources into their sections in a fixed top-level order, valid for ajv and docker-compose 1.29', () => {
    const { app, vps } = labApp();
    const net = new ComposeNetwork(vps, 'backend', { spec: { internal: true } });
    new ComposeVolume(vps, 'data');
    new ComposeSecret(vps, 'token', { spec: { file: './token.txt' } });
    new ComposeConfig(vps, 'settings', { spec: { file: './settings.json' } });
    new ComposeService(vps, 'raw', {
      spec: { image: 'busybox:1.36.1', command: ['sleep', '1'], networks: [net.name], read_only: true },
    });
    const text = synthesize(app).file('lab/docker-compose.yml');
    expect(text.split('\n').filter((l) => /^[a-z]/.test(l))).toEqual(['name: lab', 'services:', 'networks:', 'volumes:', 'secrets:', 'configs:']);
    expect(validateComposeDocument(parse(text))).toEqual([]);
    expect(dockerComposeConfig(text)).toEqual({ status: 0, stderr: expect.any(String) });
  });

  it('applies overrides with escaped dots and deletions, then verifies the result', () => {
    const { app, vps } = labApp();
    const svc = new ComposeService(vps, 'raw', { spec: { image: 'busybox:1.36.1', labels: { a: '1' }, hostname: 'x' } });
    svc.addOverride('labels.team\\.owner', 'ml-sec');
    svc.addOverride('deploy.resources.limits.memory', '64M');
    svc.addDeletionOverride('hostname');
    const doc = parse(synthesize(app).file('lab/docker-compose.yml'));
    expect(doc.services.raw).toEqual({ image: 'busybox:1.36.1', labels: { a: '1', 'team.owner': 'ml-sec' }, deploy: { resources: { limits: { memory: '64M' } } } });
    expect(() => svc.addOverride('a..b', 1)).toThrow(/dot-separated non-empty keys/);
    expect(() => svc.addOverride('__proto__.polluted', 1)).toThrow(/dot-separated/);
  });

  it('names the construct that produced an invalid network entry', () => {
    const { app, vps } = labApp();
    new ComposeNetwork(vps, 'edge').addOverride('driver', 7);
    new ComposeService(vps, 'raw', { spec: { image: 'busybox:1.36.1' } });
    expect(() => synthesize(app)).toThrow(/\[lab\/edge\] compose schema: \/networks\/edge\/driver must be string/);
  });

  it('reports an override that turns a list into a map as a schema error, not a crash', () => {
    const { app, vps } = labApp();
    const svc = new ComposeService(vps, 'raw', { spec: { image: 'busybox:1.36.1', volumes: ['data:/data:ro'] } });
    svc.addOverride('volumes.0.read_only', false); // a numeric key makes a map, not an array
    expect(() => synthesize(app)).toThrow(/\[lab\/raw\] compose schema: \/services\/raw\/volumes must be array/);
  });

  it('escapes $ so that compose interpolation passes every value through literally', () => {
    const { app, vps } = labApp();
    const w = simpleWorkload(vps, 'api');
    w.addEnvironment('GREETING', 'cost: $5 ${HOME} $$');
    const text = synthesize(app).file('lab/docker-compose.yml');
    expect(parse(text).services.api.environment.GREETING).toBe('cost: $$5 $${HOME} $$$$');
    expect(dockerComposeConfig(text).status).toBe(0);
  });

  it('emits no compose file for a Vps without compose resources', () => {
    const { app } = labApp();
    expect(synthesize(app).paths().filter((p) => !p.includes('/posture/'))).toEqual(['manifest.json']);
  });
});
