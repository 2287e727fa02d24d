import { describe, expect, it } from 'vitest';
import { Assembly, ComposeTemplate, Match, Testing } from '../../lib';
import { errorOf, twoTierLab } from './fixtures';

function labTemplate(): ComposeTemplate {
  return ComposeTemplate.fromAssembly(Testing.synth(twoTierLab().app), 'lab');
}

describe('ComposeTemplate on a real app', () => {
  it('sees the services, the flow network, the volume and the secret', () => {
    const compose = labTemplate();
    compose.serviceCountIs(2);
    compose.hasService('api', Match.objectLike({ networks: ['z3-z6'], depends_on: { db: { condition: 'service_healthy' } } }));
    compose.hasService('db', { user: '999:999', volumes: [Match.objectLike({ source: 'db-data', target: '/var/lib/postgresql/data' })] });
    compose.allServices({ read_only: true, cap_drop: ['ALL'], ports: Match.absent(), user: Match.not('0:0') });
    compose.hasNetwork('z3-z6', Match.objectEquals({ internal: true }));
    compose.hasNetwork('z3-z6');
    compose.hasVolume('db-data');
    compose.hasSecret('db.db-password', { file: '../../secrets/lab/deliver/db/db-password' });
    expect(compose.toJSON().name).toBe('lab');
    expect(compose.service('db').environment).toEqual({ POSTGRES_PASSWORD_FILE: '/run/secrets/db-password' });
  });

  it('finds the services matching a pattern, in file order, and an empty record for none', () => {
    const compose = labTemplate();
    expect(Object.keys(compose.findServices())).toEqual(['api', 'db']);
    expect(Object.keys(compose.findServices({ labels: { 'mlsec.zone': 'z3' } }))).toEqual(['db']);
    expect(compose.findServices({ privileged: true })).toEqual({});
    compose.hasServiceMatching({ labels: { 'mlsec.zone': 'z6' } });
  });

  it('hands out copies, so a test cannot change what later assertions see', () => {
    const compose = labTemplate();
    compose.toJSON().services.api.read_only = false;
    compose.service('api').read_only = false;
    compose.findServices().api.read_only = false;
    compose.hasService('api', { read_only: true });
  });

  it('counts services and says which it found', () => {
    expect(errorOf(() => labTemplate().serviceCountIs(3))).toBe('Expected 3 services in lab/docker-compose.yml, found 2: api, db');
  });
});

describe('ComposeTemplate failure messages', () => {
  it('prints the JSON path of every mismatch of the named service', () => {
    const message = errorOf(() => labTemplate().hasService('api', { read_only: false, cap_drop: ['ALL', 'NET_RAW'], user: '10001:10001' }));
    expect(message).toBe([
      "The service 'api' in lab/docker-compose.yml does not match the pattern (2 mismatches):",
      '  /services/api/read_only: expected false, got true',
      '  /services/api/cap_drop: expected ["ALL","NET_RAW"], got ["ALL"]',
    ].join('\n'));
  });

  it('points at the services that do match when the name was probably wrong', () => {
    const message = errorOf(() => labTemplate().hasService('api', { user: '999:999' }));
    expect(message).toContain('/services/api/user: expected "999:999", got "10001:10001"');
    expect(message).toContain('(services that do match it: db)');
  });

  it('names the closest candidate when the service does not exist', () => {
    const message = errorOf(() => labTemplate().hasService('database', { user: '999:999', image: 'postgres:16' }));
    expect(message).toBe([
      "No service 'database' in lab/docker-compose.yml; services: api, db",
      "The closest candidate is service 'db' (1 mismatch):",
      '  /services/db/image: expected "postgres:16", got "postgres:15.8-bookworm"',
    ].join('\n'));
  });

  it('names the closest candidate when no service matches', () => {
    const message = errorOf(() => labTemplate().hasServiceMatching({ labels: { 'mlsec.zone': 'z9' }, user: '999:999' }));
    expect(message).toBe([
      'No service in lab/docker-compose.yml matches the pattern (2 services).',
      "The closest candidate is service 'db' (1 mismatch):",
      '  /services/db/labels/mlsec.zone: expected "z9", got "z3"',
    ].join('\n'));
  });

  it('lists each service that breaks an allServices rule', () => {
    const message = errorOf(() => labTemplate().allServices({ user: '10001:10001', network_mode: Match.absent() }));
    expect(message).toBe([
      '1 of 2 services in lab/docker-compose.yml do not match the pattern:',
      "service 'db' (1 mismatch):",
      '  /services/db/user: expected "10001:10001", got "999:999"',
    ].join('\n'));
  });

  it('caps long messages', () => {
    const pattern = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-missing-${i}`, i]));
    const lines = errorOf(() => labTemplate().hasService('api', pattern)).split('\n');
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines[lines.length - 1]).toBe('  … and 20 more mismatches');
  });

  it('caps allServices messages to a few services with a few lines each', () => {
    const services = Array.from({ length: 8 }, (_, i) => `  s${i}:\n${Array.from({ length: 7 }, (_, k) => `    k${k}: ${k}`).join('\n')}`);
    const compose = ComposeTemplate.fromString(`services:\n${services.join('\n')}\n`);
    const pattern = Object.fromEntries(Array.from({ length: 7 }, (_, k) => [`k${k}`, -1]));
    const lines = errorOf(() => compose.allServices(pattern)).split('\n');
    expect(lines[0]).toBe('8 of 8 services in the compose document do not match the pattern:');
    expect(lines).toContain("service 's4' (7 mismatches):");
    expect(lines).not.toContain("service 's5' (7 mismatches):");
    expect(lines).toContain('  … and 2 more mismatches');
    expect(lines[lines.length - 1]).toBe('… and 3 more services');
    expect(lines.length).toBeLessThanOrEqual(40);
  });

  it('explains missing networks, volumes, secrets and services', () => {
    const compose = labTemplate();
    expect(errorOf(() => compose.hasNetwork('z1'))).toBe("No network 'z1' in lab/docker-compose.yml; networks: z3-z6");
    expect(errorOf(() => compose.hasVolume('db-data', { driver: 'local' }))).toContain('/volumes/db-data/driver: missing key, expected "local"');
    expect(errorOf(() => compose.hasSecret('api-key'))).toBe("No secret 'api-key' in lab/docker-compose.yml; secrets: db.db-password");
    expect(errorOf(() => compose.service('web'))).toBe("No service 'web' in lab/docker-compose.yml; services: api, db");
  });

  it('refuses a pattern that is neither a matcher nor an object', () => {
    expect(errorOf(() => labTemplate().hasService('api', 'read_only'))).toBe('A pattern must be a Matcher or a plain object, got "read_only"');
  });
});

describe('ComposeTemplate.fromAssembly / fromString', () => {
  it('says which Vps folders exist when the name is wrong', () => {
    expect(errorOf(() => ComposeTemplate.fromAssembly(Testing.synth(twoTierLab().app), 'prod'))).toBe(
      "No compose file 'prod/docker-compose.yml' in the assembly; Vps folders with one: lab",
    );
    expect(errorOf(() => ComposeTemplate.fromAssembly(new Assembly(), 'lab'))).toMatch(/Vps folders with one: none$/);
  });

  it('reads YAML as YAML 1.1 (docker-compose 1.x) does, so unquoted yes and 22:22 are not strings', () => {
    const compose = ComposeTemplate.fromString('services:\n  ssh:\n    read_only: yes\n    ports:\n    - 22:22\n');
    compose.hasService('ssh', { read_only: true });
    expect(errorOf(() => compose.hasService('ssh', { ports: ['22:22'] }))).toContain('/services/ssh/ports/0: expected "22:22", got 1342');
  });

  it('treats empty sections as empty and rejects what is not a compose mapping', () => {
    const compose = ComposeTemplate.fromString('name: empty\nservices:\n');
    compose.serviceCountIs(0);
    compose.allServices({ read_only: true });
    expect(compose.findServices()).toEqual({});
    expect(errorOf(() => compose.hasServiceMatching({}))).toBe('No service in the compose document matches the pattern (0 services).\nIt has no services.');
    expect(errorOf(() => compose.hasService('api', {}))).toBe("No service 'api' in the compose document; it has no services");
    expect(errorOf(() => ComposeTemplate.fromString('- a\n- b\n'))).toBe('the compose document must be a YAML mapping at the top level, got ["a","b"]');
    expect(errorOf(() => ComposeTemplate.fromString('services: [api]\n').serviceCountIs(1))).toMatch(/'\/services' in the compose document must be a mapping/);
    expect(errorOf(() => ComposeTemplate.fromString('a: 1\na: 2\n'))).toMatch(/^the compose document is not valid YAML: Map keys must be unique/);
  });
});
