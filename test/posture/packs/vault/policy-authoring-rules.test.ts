import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditVault } from './fixtures';

describe('VLT-17 unknown capabilities and deny mixed with grants', () => {
  it('flags unknown names, "*", non-list capabilities, unknown legacy policies and deny beside grants', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/data/app/config" {
        capabilities = ["read", "write", "*"]
      }
      path "kv/data/app/cache" {
        capabilities = ["deny", "read"]
      }
      path "kv/data/app/legacy" {
        policy = "admin"
      }
      path "kv/data/app/odd" {
        capabilities = "READ"
      }
      path "kv/data/app/num" {
        capabilities = 5
      }
      path "kv/data/app/mixed" {
        capabilities = ["read"]
        policy       = "deny"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-17')).toEqual([
      'VLT-17[kv/data/app/config]@2',
      'VLT-17[kv/data/app/cache]@5',
      'VLT-17[kv/data/app/legacy]@8',
      'VLT-17[kv/data/app/odd]@11',
      'VLT-17[kv/data/app/num]@14',
      'VLT-17[kv/data/app/mixed]@18',
    ]);
    expect(findings.filter((f) => f.ruleId === 'VLT-17').map((f) => f.message)).toEqual([
      "path 'kv/data/app/config' grants unknown capabilities 'write', '*' ('*' is not a wildcard capability)",
      "path 'kv/data/app/cache' combines deny with read; deny discards them",
      "path 'kv/data/app/legacy' sets the legacy policy to unknown value 'admin'",
      "path 'kv/data/app/odd' grants unknown capability 'READ'",
      "path 'kv/data/app/num' sets capabilities to 5, which is not a list of capabilities",
      "path 'kv/data/app/mixed' combines deny with read; deny discards them",
    ]);
  });

  it('passes every known capability, a lone deny and known legacy policies', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/data/app/config" {
        capabilities = ["create", "read", "update", "patch", "delete", "list"]
      }
      path "sys/events/subscribe/kv*" {
        capabilities = ["read", "subscribe"]
      }
      path "kv/data/app/restore" {
        capabilities = ["recover"]
      }
      path "kv/data/app/secret" {
        capabilities = ["deny"]
      }
      path "kv/data/app/old" {
        policy = "read"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-17')).toEqual([]);
  });
});

describe('VLT-21 duplicate paths and shadowed denies', () => {
  it('flags a path declared twice (also with a leading slash) and a deny a more specific allow overrides', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/data/app/config" {
        capabilities = ["read"]
      }
      path "/kv/data/app/config" {
        capabilities = ["update"]
      }
      path "kv/data/team*" {
        capabilities = ["deny"]
      }
      path "kv/data/team/app" {
        capabilities = ["read"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-21')).toEqual(['VLT-21[kv/data/app/config]@4', 'VLT-21[kv/data/team*]@8']);
    expect(findings.filter((f) => f.ruleId === 'VLT-21').map((f) => f.message)).toEqual([
      "path 'kv/data/app/config' is declared 2 times in this policy; Vault merges the blocks",
      "deny on 'kv/data/team*' is overridden by the more specific 'kv/data/team/app' (read)",
    ]);
  });

  it('flags a repeated identical block', async () => {
    const findings = await auditVault('vault-policy', 'path "kv/data/a" {\n  capabilities = ["read"]\n}\npath "kv/data/a" {\n  capabilities = ["read"]\n}\n');
    expect(hitsOf(findings, 'VLT-21')).toEqual(['VLT-21[kv/data/a]@4']);
  });

  it('passes an exact deny under a broader allow and distinct paths', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/data/team/+" {
        capabilities = ["read"]
      }
      path "kv/data/team/secret" {
        capabilities = ["deny"]
      }
      path "kv/data/other" {
        capabilities = ["read"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-21')).toEqual([]);
  });
});
