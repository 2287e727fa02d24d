/**
 * OpaServer: the compose service, the generated bundle, tests and config, and the grants,
 * asserted field by field (snapshots of the Rego paired with explicit assertions). The real OPA
 * runs them in opa-server.real.test.ts.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { OPA_PORT, OpaPolicy } from '../../../lib/services/opa';
import { pdpHost } from './support';

function build() {
  const host = pdpHost();
  const assembly = Testing.synth(host.app);
  const file = (rel: string) => assembly.file(`lab/${rel}`);
  const compose = parse(file('docker-compose.yml'));
  return { ...host, assembly, file, compose, svc: compose.services.opa };
}

const PACKAGES = { 'z1.ingest': 'z1/ingest', 'z6.inference': 'z6/inference', 'z5.registry.download': 'z5/registry/download' };

describe('OpaServer', () => {
  const b = build();

  it('is a hardened Z8 service on the pinned static image, with HTTPS on one port and nothing else', () => {
    expect(b.svc.image).toBe('openpolicyagent/opa:1.22.3-static');
    expect(b.svc.labels['mlsec.zone']).toBe('z8');
    expect(b.svc.read_only).toBe(true);
    expect(b.svc.cap_drop).toEqual(['ALL']);
    expect(b.svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(b.svc.user).toBe('10001:10001');
    expect(b.svc.ports).toBeUndefined();
    expect(b.svc.expose).toEqual([String(OPA_PORT)]);
    expect(b.svc['x-mlsec'].overrides).toEqual([expect.objectContaining({ control: 'healthcheck', setting: 'none' })]);
  });

  it('runs `opa run --server` with TLS, client certificates, basic authorization and the bundle', () => {
    const cmd = b.svc.command as string[];
    expect(cmd.slice(0, 2)).toEqual(['run', '--server']);
    expect(cmd.filter((a) => a.startsWith('--addr'))).toEqual(['--addr=0.0.0.0:8181']);
    expect(cmd.some((a) => a.startsWith('--diagnostic-addr') || a.startsWith('--h2c') || a.startsWith('--unix'))).toBe(false);
    expect(cmd).toEqual(expect.arrayContaining([
      '--config-file=/etc/opa/config.yaml', '--tls-cert-file=/run/vault/vault-tls.crt', '--tls-private-key-file=/run/vault/vault-tls.key',
      '--tls-ca-cert-file=/run/secrets/ca.crt', '--authentication=tls', '--authorization=basic', '--min-tls-version=1.2', '--log-format=json', '--skip-version-check',
    ]));
    expect(cmd.find((a) => a.startsWith('--tls-cipher-suites='))!.split('=')[1].split(',').every((s) => /^TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_\d+_GCM|CHACHA20_POLY1305)_SHA\d+$/.test(s))).toBe(true);
    expect(cmd.slice(-2)).toEqual(['--bundle', '/etc/opa/bundle']);
  });

  it('mounts the config and every bundle file read-only, and no test file', () => {
    const binds = (b.svc.volumes as any[]).filter((v) => v.type === 'bind');
    expect(binds.every((v) => v.read_only === true)).toBe(true);
    const targets = binds.map((v) => v.target).sort();
    expect(targets).toEqual([
      '/etc/opa/bundle/.manifest', '/etc/opa/bundle/system/authz/policy.rego', '/etc/opa/bundle/system/log/policy.rego',
      ...Object.values(PACKAGES).map((p) => `/etc/opa/bundle/${p}/policy.rego`), '/etc/opa/config.yaml',
    ].sort());
    expect(binds.every((v) => !String(v.source).includes('/tests/'))).toBe(true);
    const bundleFiles = b.assembly.paths().filter((p) => p.startsWith('lab/opa/bundle/')).map((p) => p.slice('lab/opa/bundle/'.length)).sort();
    expect(bundleFiles.map((f) => `/etc/opa/bundle/${f}`)).toEqual(targets.filter((t) => t.startsWith('/etc/opa/bundle/')));
  });

  it('gets its server certificate from Vault and trusts the lab CA for clients', () => {
    expect(b.file('vault/agent/opa/vault-tls.crt.ctmpl')).toContain('pkiCert "pki_int/issue/opa" "common_name=opa" "uri_sans=" "ttl=72h"');
    expect(JSON.parse(b.file('vault/pki/opa.json'))).toMatchObject({ server_flag: true, client_flag: false, allowed_domains: ['opa'] });
    expect((b.svc.secrets as any[]).map((s) => s.target)).toEqual(['ca.crt']);
  });

  it('writes a config with JSON decision logs to the console, masked, and the authz decision', () => {
    expect(parse(b.file('opa/config.yaml'))).toEqual({
      labels: { service: 'opa', zone: 'z8' },
      default_authorization_decision: '/system/authz/allow',
      decision_logs: { console: true, mask_decision: '/system/log/mask' },
    });
  });

  it('opens every decision package with `default allow := false` and writes its tests next to it', () => {
    for (const [pkg, dir] of Object.entries(PACKAGES)) {
      const rego = b.file(`opa/bundle/${dir}/policy.rego`);
      expect(rego).toMatch(new RegExp(`^package ${pkg.replace(/\./g, '\\.')}$`, 'm'));
      expect(rego).toMatch(/^default allow := false$/m);
      const tests = b.file(`opa/tests/${dir}/policy_test.rego`);
      expect(tests).toMatch(new RegExp(`^package ${pkg.replace(/\./g, '\\.')}_test$`, 'm'));
      expect(tests).toMatch(/^test_allows_/m);
      expect(tests).toMatch(/^test_denies_/m);
    }
    expect(b.file('opa/bundle/system/authz/policy.rego')).toMatch(/^default allow := false$/m);
  });

  it('grants each client exactly its packages, keyed by its certificate CN', () => {
    const authz = b.file('opa/bundle/system/authz/policy.rego');
    const grants = JSON.parse(/^grants := (\{[\s\S]*?^\})$/m.exec(authz)![1]);
    expect(grants).toEqual({ 'model-fetcher': ['z5.registry.download'], 'model-gateway': ['z6.inference'] });
    expect(authz).not.toContain('batch-job');
    expect(b.gatewayGrant).toEqual({ url: 'https://opa:8181', identity: 'model-gateway', tls: { certificate: '/run/vault/vault-tls.crt', privateKey: '/run/vault/vault-tls.key', caBundle: '/run/secrets/ca.crt' } });
    expect(b.file('vault/agent/model-gateway/vault-tls.crt.ctmpl')).toContain('"common_name=model-gateway" "uri_sans=spiffe://lab/ns/z6/sa/model-gateway"');
  });

  it('declares the flow from each granted client only', () => {
    const net = (name: string) => b.compose.services[name].networks as string[];
    expect(net('opa')).toEqual(['z6-z8']);
    expect(net('model-gateway')).toContain('z6-z8');
    expect(net('model-fetcher')).toContain('z6-z8');
    expect(net('batch-job') ?? []).not.toContain('z6-z8');
  });

  it('writes a manifest whose revision is the sha256 of the policies and whose roots are the packages', () => {
    const manifest = JSON.parse(b.file('opa/bundle/.manifest'));
    expect(manifest.roots).toEqual(['z1/ingest', 'z5/registry/download', 'z6/inference', 'system/authz', 'system/log']);
    expect(manifest.rego_version).toBe(1);
    expect(manifest.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.parse(build().file('opa/bundle/.manifest')).revision).toBe(manifest.revision);
    const other = pdpHost();
    other.opa.addPolicy(OpaPolicy.routeAllowList({ package: 'z7.api', routes: [{ client: 'bff', pathPrefix: '/api/', methods: ['GET'] }] }));
    expect(JSON.parse(Testing.synth(other.app).file('lab/opa/bundle/.manifest')).revision).not.toBe(manifest.revision);
  });

  it('masks credential headers and fields in decision logs', () => {
    const mask = b.file('opa/bundle/system/log/policy.rego');
    expect(mask).toMatch(/^package system\.log$/m);
    for (const h of ['authorization', 'cookie', 'proxy-authorization', 'x-api-key']) expect(mask).toContain(`"${h}"`);
    for (const f of ['access_token', 'id_token', 'refresh_token', 'token', 'password']) expect(mask).toContain(`"${f}"`);
  });

  it('renders the policies as in the snapshots', () => {
    for (const dir of [...Object.values(PACKAGES), 'system/authz', 'system/log']) {
      expect(b.file(`opa/bundle/${dir}/policy.rego`)).toMatchSnapshot(dir);
    }
  });

  it('is deterministic', () => {
    const again = build();
    for (const p of b.assembly.paths().filter((x) => x.startsWith('lab/opa/'))) expect(again.assembly.file(p)).toBe(b.assembly.file(p));
  });
});
