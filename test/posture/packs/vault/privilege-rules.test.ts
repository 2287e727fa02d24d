import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditVault } from './fixtures';

const SUDO_POLICY = `
  path "sys/leases/revoke-prefix/aws" {
    capabilities = ["update", "sudo"]
  }
  path "sys/storage/raft/snapshot" {
    policy = "sudo"
  }
  `;

describe('VLT-15 sudo outside admin policies', () => {
  it('flags sudo in capabilities and in a legacy policy = "sudo"', async () => {
    const findings = await auditVault('vault-policy', SUDO_POLICY, 'vault/policies/svc-backup.hcl');
    expect(hitsOf(findings, 'VLT-15')).toEqual(['VLT-15[sys/leases/revoke-prefix/aws]@2', 'VLT-15[sys/storage/raft/snapshot]@5']);
    expect(findings.find((f) => f.ruleId === 'VLT-15')?.message).toBe("non-admin policy grants sudo on path 'sys/leases/revoke-prefix/aws'");
  });

  it('passes admin and break-glass policies (by file name or first-line tag) and sudo under deny', async () => {
    const admin = await auditVault('vault-policy', SUDO_POLICY, 'vault/policies/admin-ops.hcl');
    const breakGlass = await auditVault('vault-policy', SUDO_POLICY, 'break-glass.hcl');
    const tagged = await auditVault('vault-policy', `# mlsec:policy-role=admin\n${SUDO_POLICY}`, 'vault/policies/ops.hcl');
    const denied = await auditVault('vault-policy', 'path "sys/raw" {\n  capabilities = ["deny"]\n}\npath "sys/raw" {\n  capabilities = ["sudo"]\n}\n', 'svc.hcl');
    expect([admin, breakGlass, tagged, denied].flatMap((f) => hitsOf(f, 'VLT-15'))).toEqual([]);
  });
});

describe('VLT-16 app policies writing sys/', () => {
  it('flags critical endpoints as critical and other sys/ paths as high', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "sys/mounts*" {
        capabilities = ["create", "update"]
      }
      path "sys/policies/acl/svc-api" {
        capabilities = ["update"]
      }
      path "+/audit/file" {
        capabilities = ["delete"]
      }
      path "sys/config/cors" {
        capabilities = ["update"]
      }
      path "sys/leases/revoke" {
        capabilities = ["update"]
      }
      `,
      'vault/policies/svc-api.hcl',
    );
    expect(hitsOf(findings, 'VLT-16')).toEqual(['VLT-16[sys/mounts*]@2', 'VLT-16[sys/policies/acl/svc-api]@5', 'VLT-16[+/audit/file]@8', 'VLT-16[sys/config/cors]@11', 'VLT-16[sys/leases/revoke]@14']);
    expect(findings.filter((f) => f.ruleId === 'VLT-16').map((f) => f.severity)).toEqual(['critical', 'critical', 'critical', 'high', 'high']);
    expect(findings.find((f) => f.ruleId === 'VLT-16')?.message).toBe("app policy path 'sys/mounts*' grants create, update on critical endpoint 'sys/mounts'");
  });

  it('passes self-service endpoints, reads, a deny on sys and admin policies', async () => {
    const app = await auditVault(
      'vault-policy',
      `
      path "sys/leases/renew" {
        capabilities = ["update"]
      }
      path "sys/capabilities-self" {
        capabilities = ["update"]
      }
      path "sys/wrapping/unwrap" {
        capabilities = ["update"]
      }
      path "sys/mounts" {
        capabilities = ["read", "list"]
      }
      path "sys*" {
        capabilities = ["deny"]
      }
      `,
      'svc-api.hcl',
    );
    const admin = await auditVault('vault-policy', 'path "sys/mounts*" {\n  capabilities = ["create", "update"]\n}\n', 'root-ops.hcl');
    expect([...hitsOf(app, 'VLT-16'), ...hitsOf(admin, 'VLT-16')]).toEqual([]);
  });

  it('lets a more specific deny in the same policy take the sys/ path back', async () => {
    const grant = 'path "+/mounts" {\n  capabilities = ["update"]\n}\n';
    const open = await auditVault('vault-policy', grant, 'svc.hcl');
    const overridden = await auditVault('vault-policy', `${grant}path "sys/mounts" {\n  capabilities = ["deny"]\n}\n`, 'svc.hcl');
    expect(hitsOf(open, 'VLT-16')).toEqual(['VLT-16[+/mounts]@2']);
    expect(hitsOf(overridden, 'VLT-16')).toEqual([]);
  });
});

describe('VLT-18 token minting and identity writes', () => {
  it('flags auth/token/create, create-orphan, token roles and identity writes', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "auth/token/create" {
        capabilities = ["update"]
      }
      path "auth/token/create-orphan" {
        capabilities = ["create", "update"]
      }
      path "auth/token/roles/ci" {
        capabilities = ["create"]
      }
      path "identity/group/name/+" {
        capabilities = ["update", "patch"]
      }
      `,
      'svc-ci.hcl',
    );
    expect(hitsOf(findings, 'VLT-18')).toEqual([
      'VLT-18[auth/token/create]@2',
      'VLT-18[auth/token/create-orphan]@5',
      'VLT-18[auth/token/roles/ci]@8',
      'VLT-18[identity/group/name/+]@11',
    ]);
  });

  it('passes self token endpoints, identity reads and the default OIDC authorize path', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "auth/token/lookup-self" {
        capabilities = ["read"]
      }
      path "auth/token/renew-self" {
        capabilities = ["update"]
      }
      path "identity/entity/id/{{identity.entity.id}}" {
        capabilities = ["read"]
      }
      path "identity/oidc/provider/+/authorize" {
        capabilities = ["read", "update"]
      }
      `,
      'svc-api.hcl',
    );
    expect(hitsOf(findings, 'VLT-18')).toEqual([]);
  });
});

describe('VLT-19 engine admin paths', () => {
  it('flags PKI root/intermediate/sign-verbatim, transit keys, database config, KV metadata and destroy', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "pki/root/generate/internal" {
        capabilities = ["update"]
      }
      path "pki_int/intermediate/set-signed" {
        capabilities = ["update"]
      }
      path "pki/sign-verbatim" {
        capabilities = ["update"]
      }
      path "transit/keys/model-sign/rotate" {
        capabilities = ["update"]
      }
      path "database/config/curated" {
        capabilities = ["create", "update"]
      }
      path "kv/metadata/mlflow/db" {
        capabilities = ["delete"]
      }
      path "secret/destroy/api" {
        capabilities = ["update"]
      }
      path "+/keys/audit-log" {
        capabilities = ["delete"]
      }
      `,
      'svc-ml.hcl',
    );
    expect(hitsOf(findings, 'VLT-19')).toEqual([
      'VLT-19[pki/root/generate/internal]@2',
      'VLT-19[pki_int/intermediate/set-signed]@5',
      'VLT-19[pki/sign-verbatim]@8',
      'VLT-19[transit/keys/model-sign/rotate]@11',
      'VLT-19[database/config/curated]@14',
      'VLT-19[kv/metadata/mlflow/db]@17',
      'VLT-19[secret/destroy/api]@20',
      'VLT-19[+/keys/audit-log]@23',
    ]);
  });

  it('passes data paths: key reads, signing, creds, issuing and KV data writes', async () => {
    const findings = await auditVault(
      'vault-policy',
      `
      path "transit/keys/model-sign" {
        capabilities = ["read"]
      }
      path "transit/sign/model-sign" {
        capabilities = ["update"]
      }
      path "database/creds/ro_z3_curated" {
        capabilities = ["read"]
      }
      path "pki_int/issue/client" {
        capabilities = ["update"]
      }
      path "kv/data/kes/+" {
        capabilities = ["create", "read", "delete"]
      }
      path "kv/metadata/mlflow/db" {
        capabilities = ["read"]
      }
      `,
      'svc-ml.hcl',
    );
    expect(hitsOf(findings, 'VLT-19')).toEqual([]);
  });
});
