import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditVault } from './fixtures';

describe('VLT-05 literal credentials in the seal stanza', () => {
  it('flags access/secret keys, client secrets, PINs, tokens and inline JSON credentials', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      seal "awskms" {
        region     = "eu-west-1"
        access_key = "AKIAIOSFODNN7EXAMPLE"
        secret_key = <<EOT
      wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
      EOT
        kms_key_id = "alias/vault-unseal"
      }
      seal "azurekeyvault" {
        tenant_id     = "46646709-b63e-4747-be42-516edeaf1e14"
        client_secret = "DUJDS3..."
      }
      seal "pkcs11" {
        lib = "/usr/lib/softhsm/libsofthsm2.so"
        pin = 1234
      }
      seal "transit" {
        address = "https://vault-kms:8200"
        token   = "hvs.CAES..."
      }
      seal "gcpckms" {
        credentials = "{\\"type\\": \\"service_account\\"}"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-05')).toEqual([
      'VLT-05[awskms.access_key]@3',
      'VLT-05[awskms.secret_key]@4',
      'VLT-05[azurekeyvault.client_secret]@11',
      'VLT-05[pkcs11.pin]@15',
      'VLT-05[transit.token]@19',
      'VLT-05[gcpckms.credentials]@22',
    ]);
    expect(findings.find((f) => f.ruleId === 'VLT-05')?.message).toBe("seal 'awskms' sets access_key to a literal value");
  });

  it('passes seals that rely on the platform identity or a credentials file, and empty values', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      seal "awskms" {
        region     = "eu-west-1"
        kms_key_id = "alias/vault-unseal"
        access_key = ""
      }
      seal "gcpckms" {
        credentials = "/vault/secrets/gcp.json"
        project     = "lab"
        key_ring    = "vault"
      }
      seal "transit" {
        address    = "https://vault-kms:8200"
        key_name   = "autounseal"
        mount_path = "transit/"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-05')).toEqual([]);
  });

  it('cannot be acknowledged', async () => {
    const { VLT_05 } = await import('../../../../lib/posture/packs/vault/secret-rules');
    expect(VLT_05.unsuppressible).toBe(true);
  });
});

describe('VLT-06 dev mode or static token in compose', () => {
  it('flags -dev in command (string, list) and entrypoint, VAULT_DEV_ROOT_TOKEN_ID and a literal VAULT_TOKEN', async () => {
    const findings = await auditVault(
      'compose',
      `
      services:
        vault:
          image: hashicorp/vault:1.17
          command: server -dev -dev-listen-address=0.0.0.0:8200
          environment:
            VAULT_DEV_ROOT_TOKEN_ID: root
        vault2:
          image: hashicorp/vault:1.17
          command: ["server", "-dev"]
        sidecar:
          image: alpine:3.20
          entrypoint: vault server -dev
        api:
          image: ghcr.io/lab/api:1.2.0
          environment:
            - VAULT_ADDR=https://vault:8200
            - VAULT_TOKEN=hvs.CAESIJ
        worker:
          image: ghcr.io/lab/worker:1.2.0
          environment:
            VAULT_TOKEN: s.abcdef
      `,
    );
    expect(hitsOf(findings, 'VLT-06')).toEqual([
      'VLT-06[vault:dev]@4',
      'VLT-06[vault:VAULT_DEV_ROOT_TOKEN_ID]@6',
      'VLT-06[vault2:dev]@9',
      'VLT-06[sidecar:dev]@12',
      'VLT-06[api:VAULT_TOKEN]@17',
      'VLT-06[worker:VAULT_TOKEN]@21',
    ]);
    expect(findings.find((f) => f.granularId === 'VLT-06[vault:dev]')?.message).toBe("service 'vault' runs Vault in dev mode (-dev)");
  });

  it('passes server -config, interpolated or passed-through tokens, and -dev on non-Vault programs', async () => {
    const findings = await auditVault(
      'compose',
      `
      services:
        vault:
          image: hashicorp/vault:1.17
          command: server -config=/vault/config/vault.hcl
        api:
          image: ghcr.io/lab/api:1.2.0
          command: ["uvicorn", "main:app", "-dev"]
          environment:
            - VAULT_TOKEN
            - VAULT_ADDR=https://vault:8200
        worker:
          image: ghcr.io/lab/worker:1.2.0
          environment:
            VAULT_TOKEN: \${VAULT_TOKEN:?set by vault-agent}
        agent:
          image: hashicorp/vault:1.17
          command: agent -config=/vault/agent.hcl -dev=false
      `,
    );
    expect(hitsOf(findings, 'VLT-06')).toEqual([]);
  });
});
