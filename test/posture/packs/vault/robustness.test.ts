import { describe, expect, it } from 'vitest';
import { PostureModel, SourceDocument, evaluateRules } from '../../../../lib';
import type { DocumentKind } from '../../../../lib';
import { VAULT_PACK } from '../../../../lib/posture/packs/vault';
import { auditVault } from './fixtures';

/** Hand-built data in shapes hcl2json never produces but a renderer or a bad file might. */
const ODD_HCL_DATA: unknown[] = [
  null,
  [],
  'text',
  42,
  { path: null },
  { path: 'kv/data/x' },
  { path: { 'kv/data/x': 'read' } },
  { path: { 'kv/data/x': [null, 1, 'x', { capabilities: { read: true } }, { capabilities: [null, 7, ['read']] }, { policy: 5 }, { policy: 'constructor' }] } },
  { path: { '*': { capabilities: ['read'] }, '': [{ capabilities: ['list'] }], '+*': [{ capabilities: ['update'] }] } },
  { listener: 5 },
  { listener: [1, null, { type: 5 }, { tcp: 'x' }, { type: 'tcp', address: ['a'] }, { tcp: { address: 8200, tls_disable: {} } }] },
  { listener: { tcp: [{ address: null, x_forwarded_for_authorized_addrs: 7, tls_cipher_suites: { a: 1 }, custom_response_headers: 'x', telemetry: 'x', profiling: [null] }] } },
  { listener: { tcp: { custom_response_headers: [null, { default: null }, { default: { 'Strict-Transport-Security': null } }] } } },
  { storage: [], seal: null, hsm: 'x', ha_storage: 5, ui: {}, disable_mlock: [], default_lease_ttl: [1], max_lease_ttl: { h: 1 } },
  { storage: { raft: [{ retry_join: 'x' }, null] }, cluster_addr: 8201, api_addr: null },
  { storage: { raft: [{ retry_join: [null, { leader_api_addr: 5, auto_join: null }] }] }, seal: { awskms: [{ access_key: null, secret_key: {}, token: 5 }] } },
  { backend: { file: { path: '/x' } }, raw_storage_endpoint: 'maybe', introspection_endpoint: null },
];

const ODD_COMPOSE = [
  'services: null\n',
  'services: [a, b]\n',
  'services:\n  vault: null\n  api: 5\n',
  'services:\n  vault:\n    image: 5\n    command: {a: 1}\n    entrypoint: [1, null]\n    environment: text\n    cap_add: IPC_LOCK\n    labels: 5\n    mem_limit: {x: 1}\n    memswap_limit: []\n    deploy: text\n',
  'services:\n  vault:\n    image: hashicorp/vault\n    environment: [1, null, "VAULT_TOKEN", "=x"]\n    labels: ["traefik.http.routers.x.rule", 5]\n',
  'services:\n  vault:\n    image: hashicorp/vault\n    environment:\n      VAULT_TOKEN: {nested: true}\n      VAULT_DEV_ROOT_TOKEN_ID: null\n',
];

const ODD_TRAEFIK: [DocumentKind, string][] = [
  ['traefik-dynamic', 'http: 5\n'],
  ['traefik-dynamic', 'http:\n  routers: [a]\n  middlewares: text\n  services: 5\n'],
  ['traefik-dynamic', 'http:\n  routers:\n    vault: null\n    v2: {service: 5, middlewares: text, rule: 7}\n  middlewares:\n    m: null\n    c: {chain: {middlewares: c}}\n  services:\n    vault: {loadBalancer: {servers: [null, 5]}}\n'],
  ['traefik-static', 'entryPoints: [a]\n'],
  ['traefik-static', 'entryPoints:\n  web: null\n  websecure: {http: {middlewares: 5}}\n'],
];

describe('vault pack robustness', () => {
  it('never throws on odd data shapes, alone or together with odd compose and Traefik documents', async () => {
    const hcl = ODD_HCL_DATA.flatMap((data, i) => [
      SourceDocument.fromHcl('vault-config', `odd-${i}.hcl`, '', data),
      SourceDocument.fromHcl('vault-policy', `odd-${i}.hcl`, '', data),
    ]);
    const yaml = [
      ...ODD_COMPOSE.map((t, i) => SourceDocument.parseYaml('compose', `compose-${i}.yml`, t)),
      ...ODD_TRAEFIK.map(([kind, t], i) => SourceDocument.parseYaml(kind, `traefik-${i}.yml`, t)),
    ];
    for (const doc of [...hcl, ...yaml]) expect(() => evaluateRules(new PostureModel([doc]), VAULT_PACK.rules)).not.toThrow();
    expect(() => evaluateRules(new PostureModel([...hcl, ...yaml]), VAULT_PACK.rules)).not.toThrow();
  });

  it('never throws on odd but parseable HCL', async () => {
    const texts = [
      '',
      '# only a comment\n',
      'path = "kv/data/x"\n',
      'path "a" {}\npath "b" {\n  capabilities = null\n}\npath "c" {\n  capabilities = [1, true, null]\n}\n',
      'listener = 5\nstorage = "raft"\nseal = []\nui = "yes"\ndisable_mlock = "maybe"\n',
      'listener "tcp" {\n  address = 8200\n  x_forwarded_for_authorized_addrs = 7\n  telemetry = "x"\n  custom_response_headers = 5\n}\n',
      'listener tcp {\n  tls_disable = {}\n}\nstorage raft {\n  retry_join = "x"\n}\n',
      'default_lease_ttl = true\nmax_lease_ttl = -5\n',
    ];
    for (const t of texts) {
      await expect(auditVault('vault-config', t)).resolves.toBeDefined();
      await expect(auditVault('vault-policy', t)).resolves.toBeDefined();
    }
  });

  it('never modifies the documents it audits', async () => {
    const doc = await SourceDocument.parse('vault-policy', 'p.hcl', 'path "*" {\n  capabilities = ["sudo", "write"]\n}\npath "*" {\n  capabilities = ["deny"]\n}\n');
    const before = JSON.stringify(doc.data);
    evaluateRules(new PostureModel([doc]), VAULT_PACK.rules);
    expect(JSON.stringify(doc.data)).toBe(before);
  });
});
