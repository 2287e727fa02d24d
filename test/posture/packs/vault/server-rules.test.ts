import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditModel, auditVault } from './fixtures';

describe('VLT-08 raw storage and introspection endpoints', () => {
  it('flags raw_storage_endpoint and introspection_endpoint when on', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      ui                     = false
      raw_storage_endpoint   = true
      introspection_endpoint = "1"
      `,
    );
    expect(hitsOf(findings, 'VLT-08')).toEqual(['VLT-08[raw_storage_endpoint]@2', 'VLT-08[introspection_endpoint]@3']);
  });

  it('passes them off or absent', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      raw_storage_endpoint   = false
      introspection_endpoint = "false"
      `,
    );
    expect(hitsOf(findings, 'VLT-08')).toEqual([]);
  });
});

describe('VLT-09 storage and cluster addressing', () => {
  it('flags non-HA storage and a non-https api_addr', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      api_addr = "http://vault:8200"
      storage "file" {
        path = "/vault/file"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-09')).toEqual(['VLT-09[api_addr]@1', 'VLT-09[storage]@2']);
  });

  it('flags raft with an http cluster_addr and retry_join without TLS settings', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      api_addr     = "https://vault.lab.internal:8200"
      cluster_addr = "http://vault.lab.internal:8201"
      storage "raft" {
        path    = "/vault/data"
        node_id = "vault-1"
        retry_join {
          leader_api_addr = "http://vault-2:8200"
        }
        retry_join {
          auto_join           = "provider=aws tag_key=vault"
          leader_ca_cert_file = "/vault/tls/ca.pem"
        }
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-09')).toEqual(['VLT-09[cluster_addr]@2', 'VLT-09[retry_join[0]]@6', 'VLT-09[retry_join[1]]@9']);
    expect(findings.filter((f) => f.ruleId === 'VLT-09').map((f) => f.message)).toEqual([
      "cluster_addr 'http://vault.lab.internal:8201' is not https",
      "raft retry_join 0: leader_api_addr 'http://vault-2:8200' is not https; no leader_ca_cert_file",
      'raft retry_join 1: auto_join without leader_tls_servername',
    ]);
  });

  it('flags raft without cluster_addr at the storage stanza', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      api_addr = "https://vault:8200"
      storage "raft" {
        path = "/vault/data"
      }
      `,
    );
    expect(hitsOf(findings, 'VLT-09')).toEqual(['VLT-09[cluster_addr]@2']);
  });

  it('passes hardened raft, consul, and HA-enabled postgresql', async () => {
    const raft = await auditVault(
      'vault-config',
      `
      api_addr     = "https://vault.lab.internal:8200"
      cluster_addr = "https://vault.lab.internal:8201"
      storage "raft" {
        path    = "/vault/data"
        node_id = "vault-1"
        retry_join {
          leader_api_addr       = "https://vault-2:8200"
          leader_ca_cert_file   = "/vault/tls/ca.pem"
          leader_tls_servername = "vault-2.lab.internal"
        }
      }
      `,
    );
    const others = await auditVault(
      'vault-config',
      `
      storage "postgresql" {
        connection_url = "postgres://vault@db:5432/vault?sslmode=verify-full"
        ha_enabled     = "true"
      }
      `,
    );
    const consul = await auditVault('vault-config', 'storage "consul" {\n  address = "consul:8501"\n}\n');
    expect([...hitsOf(raft, 'VLT-09'), ...hitsOf(others, 'VLT-09'), ...hitsOf(consul, 'VLT-09')]).toEqual([]);
  });
});

describe('VLT-10 mlock and swap', () => {
  const rafted = `
    disable_mlock = true
    storage "raft" {
      path = "/vault/data"
    }
    `;

  it('flags disable_mlock with a non-raft backend, even without compose', async () => {
    const findings = await auditVault(
      'vault-config',
      `
      storage "file" {
        path = "/vault/file"
      }
      disable_mlock = true
      `,
    );
    expect(hitsOf(findings, 'VLT-10')).toEqual(['VLT-10[disable_mlock]@4']);
  });

  it('flags raft with disable_mlock when the compose Vault service can swap', async () => {
    const findings = await auditModel([
      ['vault-config', 'vault/config/vault.hcl', rafted],
      [
        'compose',
        'docker-compose.yml',
        `
        services:
          vault:
            image: hashicorp/vault:1.17
            mem_limit: 512m
            memswap_limit: 1g
          openbao:
            image: openbao/openbao:2.1.0
          agent:
            image: hashicorp/vault:1.17
            command: agent -config=/vault/agent.hcl
        `,
      ],
    ]);
    expect(hitsOf(findings, 'VLT-10')).toEqual(['VLT-10[openbao]@1', 'VLT-10[vault]@1']);
    expect(findings.find((f) => f.granularId === 'VLT-10[vault]')?.message).toBe(
      "disable_mlock = true but compose service 'vault' can swap (memswap_limit 1g differs from the memory limit)",
    );
  });

  it('flags mlock on while the compose Vault service lacks IPC_LOCK', async () => {
    const findings = await auditModel([
      ['vault-config', 'vault/config/vault.hcl', 'storage "file" {\n  path = "/vault/file"\n}\n'],
      [
        'compose',
        'docker-compose.yml',
        `
        services:
          vault:
            image: hashicorp/vault:1.17
            cap_drop: [ALL]
            cap_add: [SETUID]
        `,
      ],
    ]);
    expect(hitsOf(findings, 'VLT-10')).toEqual(['VLT-10[vault]@5']);
    expect(findings.find((f) => f.ruleId === 'VLT-10')?.file).toBe('docker-compose.yml');
  });

  it('passes raft with swap off, mlock on with IPC_LOCK, and raft alone (swap not visible)', async () => {
    const swapOff = await auditModel([
      ['vault-config', 'vault.hcl', rafted],
      ['compose', 'docker-compose.yml', 'services:\n  vault:\n    image: hashicorp/vault:1.17\n    deploy:\n      resources:\n        limits:\n          memory: 512M\n    memswap_limit: 536870912\n'],
    ]);
    const ipcLock = await auditModel([
      ['vault-config', 'vault.hcl', 'disable_mlock = false\nstorage "file" {\n  path = "/vault/file"\n}\n'],
      ['compose', 'docker-compose.yml', 'services:\n  vault:\n    image: hashicorp/vault:1.17\n    cap_add: [CAP_IPC_LOCK]\n'],
    ]);
    const alone = await auditVault('vault-config', rafted);
    expect([...hitsOf(swapOff, 'VLT-10'), ...hitsOf(ipcLock, 'VLT-10'), ...hitsOf(alone, 'VLT-10')]).toEqual([]);
  });
});

describe('VLT-13 lease TTLs', () => {
  it('flags long TTLs, 0 and an unset max_lease_ttl (Vault default 768h)', async () => {
    const long = await auditVault('vault-config', 'default_lease_ttl = "768h"\n');
    const zero = await auditVault('vault-config', 'default_lease_ttl = "30m"\nmax_lease_ttl = 0\n');
    const numeric = await auditVault('vault-config', 'default_lease_ttl = 7200\nmax_lease_ttl = "30d"\n');
    expect(hitsOf(long, 'VLT-13')).toEqual(['VLT-13[default_lease_ttl]@1', 'VLT-13[max_lease_ttl]@1']);
    expect(hitsOf(zero, 'VLT-13')).toEqual(['VLT-13[max_lease_ttl]@2']);
    expect(hitsOf(numeric, 'VLT-13')).toEqual(['VLT-13[default_lease_ttl]@1', 'VLT-13[max_lease_ttl]@2']);
    expect(long.filter((f) => f.ruleId === 'VLT-13').map((f) => f.message)).toEqual([
      'default_lease_ttl is 768h, above 1h',
      "max_lease_ttl is unset, so Vault's default of 768h applies",
    ]);
  });

  it('passes short TTLs as strings or seconds', async () => {
    const strings = await auditVault('vault-config', 'default_lease_ttl = "15m"\nmax_lease_ttl = "168h"\n');
    const seconds = await auditVault('vault-config', 'default_lease_ttl = 3600\nmax_lease_ttl = "86400"\n');
    expect([...hitsOf(strings, 'VLT-13'), ...hitsOf(seconds, 'VLT-13')]).toEqual([]);
  });
});
