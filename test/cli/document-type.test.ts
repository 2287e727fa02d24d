import * as fs from 'fs';
import { afterAll, describe, expect, it } from 'vitest';
import { detectDocumentType, kindFromName } from '../../lib/cli/document-type';
import { fixture, mlsec, scratchDir } from './support';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

const FIXTURE_KINDS: [string, string][] = [
  ['compose/docker-compose.v3.yml', 'compose'],
  ['compose/compose.yaml', 'compose'],
  ['compose/hardened.compose.yml', 'compose'],
  ['traefik/traefik.yml', 'traefik-static'],
  ['traefik/dynamic.yml', 'traefik-dynamic'],
  ['vault/app-policy.hcl', 'vault-policy'],
  ['vault/vault.hcl', 'vault-config'],
  ['keycloak/lab-realm.json', 'keycloak-realm'],
];

describe('document type detection', () => {
  it('recognizes all six types in realistic files', () => {
    for (const [name, kind] of FIXTURE_KINDS) {
      expect(detectDocumentType(fixture(name), fs.readFileSync(fixture(name), 'utf8')).kind, name).toBe(kind);
    }
  });

  it('recognizes them by content alone, whatever the file is called', () => {
    for (const [name, kind] of FIXTURE_KINDS) {
      const text = fs.readFileSync(fixture(name), 'utf8');
      expect(detectDocumentType('input', text).kind, name).toBe(kind);
      expect(detectDocumentType('input.txt', text).kind, name).toBe(kind);
    }
  });

  it('reuses the parsed compose document, and leaves HCL to the async parser', () => {
    const compose = detectDocumentType('x.yml', 'services:\n  a:\n    image: nginx:1.27\n');
    expect(compose.kind).toBe('compose');
    expect(compose.document?.get(['services', 'a', 'image'])).toBe('nginx:1.27');
    expect(detectDocumentType('p.hcl', 'path "kv/*" {\n  capabilities = ["read"]\n}\n').document).toBeUndefined();
  });

  it('handles compose with and without version:, with null services, and JSON compose', () => {
    expect(detectDocumentType('a.yml', 'version: "2.4"\nservices:\n  web:\n    image: nginx:1.27\n').kind).toBe('compose');
    expect(detectDocumentType('a.yml', 'services:\n').kind).toBe('compose');
    expect(detectDocumentType('a.json', '{"services": {"web": {"image": "nginx:1.27"}}}').kind).toBe('compose');
  });

  it('tells Traefik static from dynamic by their top-level keys', () => {
    expect(detectDocumentType('a.yml', 'entryPoints:\n  web:\n    address: ":80"\n').kind).toBe('traefik-static');
    expect(detectDocumentType('a.yml', 'providers:\n  file:\n    directory: /dyn\n').kind).toBe('traefik-static');
    expect(detectDocumentType('a.yml', 'tls:\n  options:\n    default:\n      minVersion: VersionTLS12\n').kind).toBe('traefik-dynamic');
    expect(detectDocumentType('a.yml', 'tcp:\n  routers:\n    pg:\n      rule: HostSNI(`*`)\n').kind).toBe('traefik-dynamic');
    expect(() => detectDocumentType('a.yml', 'entryPoints: {}\nhttp:\n  routers: {}\n')).toThrow(/both Traefik static keys \(entryPoints\) and dynamic ones \(http\)/);
  });

  it('tells a Vault policy from a Vault server config', () => {
    expect(detectDocumentType('a', '# c\npath "secret/data/app" { capabilities = ["read"] }\n').kind).toBe('vault-policy');
    expect(detectDocumentType('a', 'listener "tcp" {\n  address = "127.0.0.1:8200"\n}\n').kind).toBe('vault-config');
    expect(detectDocumentType('a', 'ui = true\ndisable_mlock = true\n').kind).toBe('vault-config');
    expect(() => detectDocumentType('a.hcl', 'foo = "bar"\n')).toThrow(/cannot tell whether this HCL file is a Vault policy .* or a Vault server config/);
  });

  it('does not take YAML that embeds HCL for HCL', () => {
    const text = 'services:\n  vault:\n    image: hashicorp/vault:1.17.6\nconfigs:\n  vault:\n    content: |\n      ui = true\n      listener "tcp" {\n        address = "0.0.0.0:8200"\n      }\n';
    expect(detectDocumentType('x', text).kind).toBe('compose');
  });

  it('falls back on the file name when the content does not tell', () => {
    expect(kindFromName('deploy/docker-compose.override.yml')).toBe('compose');
    expect(kindFromName('compose.prod.yaml')).toBe('compose');
    expect(kindFromName('traefik.yaml')).toBe('traefik-static');
    expect(kindFromName('master-realm.json')).toBe('keycloak-realm');
    expect(kindFromName('policy.hcl')).toBe('vault');
    expect(kindFromName('values.yaml')).toBeUndefined();
    expect(detectDocumentType('docker-compose.yml', '').kind).toBe('compose');
    expect(detectDocumentType('docker-compose.yml', 'x-only: {}\n').kind).toBe('compose');
  });

  it('refuses what it cannot tell, and lets --type decide', async () => {
    const file = scratch.write('config.yml', 'http:\n  - not a map\n');
    expect(() => detectDocumentType(file, fs.readFileSync(file, 'utf8'))).toThrow(/cannot tell what this file is/);
    expect((await mlsec('check', file)).code).toBe(2);
    const typed = await mlsec('check', '--type', 'traefik-dynamic', file);
    expect(typed.code === 0 || typed.code === 1).toBe(true);
    expect(typed.stderr).toContain('1 of 1 file checked');
  });

  it('checks every fixture with --type given explicitly, the same as detected', async () => {
    for (const [name, kind] of FIXTURE_KINDS) {
      const detected = await mlsec('check', '--format', 'json', fixture(name));
      const typed = await mlsec('check', '--format', 'json', '--type', kind, fixture(name));
      expect(typed, name).toEqual(detected);
    }
  });
});
