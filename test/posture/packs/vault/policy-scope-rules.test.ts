import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditVault } from './fixtures';

describe('VLT-14 root globs', () => {
  it('flags path "*" granting anything but deny, in capabilities or a legacy policy', async () => {
    const modern = await auditVault('vault-policy', 'path "kv/data/app/config" {\n  capabilities = ["read"]\n}\npath "*" {\n  capabilities = ["read", "list"]\n}\n');
    const legacy = await auditVault('vault-policy', 'path "*" {\n  policy = "write"\n}\n');
    expect(hitsOf(modern, 'VLT-14')).toEqual(['VLT-14[*]@5']);
    expect(hitsOf(legacy, 'VLT-14')).toEqual(['VLT-14[*]@2']);
    expect(modern.find((f) => f.ruleId === 'VLT-14')?.message).toBe("path '*' matches every Vault path and grants read, list");
  });

  it('passes a deny-all root glob and globs below a mount', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "*" {
        capabilities = ["deny"]
      }
      path "+/data/app/config" {
        capabilities = ["read"]
      }
      path "kv/data/app/+" {
        capabilities = ["read"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-14')).toEqual([]);
  });
});

describe('VLT-20 broad globs granting read, delete or list', () => {
  it('flags wildcards at the top of a mount, after a structural segment, and across mounts', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "secret/data/+" {
        capabilities = ["read"]
      }
      path "kv/+/config" {
        capabilities = ["list"]
      }
      path "database/creds/+" {
        capabilities = ["read"]
      }
      path "+/data/app/config" {
        capabilities = ["read", "delete"]
      }
      path "secret*" {
        capabilities = ["read"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-20')).toEqual(['VLT-20[secret/data/+]@2', 'VLT-20[kv/+/config]@5', 'VLT-20[database/creds/+]@8', 'VLT-20[+/data/app/config]@11', 'VLT-20[secret*]@14']);
    expect(findings.find((f) => f.granularId === 'VLT-20[+/data/app/config]')?.message).toBe(
      "broad path '+/data/app/config' grants read, delete at the top of a mount instead of one app's path",
    );
  });

  it('passes app-scoped paths, identity-templated paths, KV v1 app folders, writes and denies', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/data/prod/api/+" {
        capabilities = ["read"]
      }
      path "kv/data/{{identity.entity.id}}/+" {
        capabilities = ["read", "list"]
      }
      path "secret/api/config" {
        capabilities = ["read"]
      }
      path "transit/encrypt/+" {
        capabilities = ["update"]
      }
      path "secret/data/+" {
        capabilities = ["deny"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-20')).toEqual([]);
  });
});

describe('VLT-22 list over sensitive key names', () => {
  it('flags list on folders named after people/customers and on the parent of a templated path', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/metadata/customers" {
        capabilities = ["list"]
      }
      path "kv/data/apps/{{identity.entity.id}}/+" {
        capabilities = ["read"]
      }
      path "kv/metadata/apps" {
        capabilities = ["list"]
      }
      path "secret/tenant-acme/+" {
        capabilities = ["list"]
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-22')).toEqual(['VLT-22[kv/metadata/customers]@2', 'VLT-22[kv/metadata/apps]@8', 'VLT-22[secret/tenant-acme/+]@11']);
    expect(findings.find((f) => f.granularId === 'VLT-22[kv/metadata/apps]')?.message).toBe(
      "path 'kv/metadata/apps' grants list on 'kv/metadata/apps/', disclosing every entity's key name that 'kv/data/apps/{{identity.entity.id}}/+' scopes per entity",
    );
  });

  it('passes list inside the entity folder, neutral names, and filtered listings (OpenBao)', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "kv/metadata/apps/{{identity.entity.id}}/+" {
        capabilities = ["list"]
      }
      path "kv/data/apps/{{identity.entity.id}}/+" {
        capabilities = ["read"]
      }
      path "kv/metadata/mlflow" {
        capabilities = ["list"]
      }
      path "kv/metadata/customers" {
        capabilities                        = ["list"]
        list_scan_response_keys_filter_path = "kv/data/customers/{{ .key }}"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-22')).toEqual([]);
  });
});
