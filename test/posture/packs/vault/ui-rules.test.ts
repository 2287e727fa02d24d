import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditModel, auditVault } from './fixtures';

const UI_ON = `
  storage "raft" {
    path = "/vault/data"
  }
  ui = true
  `;

describe('VLT-11 UI without ipAllowList or forwardAuth', () => {
  it('flags ui = true when no Traefik router guards Vault', async () => {
    const findings = await auditVault('vault-config', UI_ON);
    expect(hitsOf(findings, 'VLT-11')).toEqual(['VLT-11[ui]@4']);
  });

  it('flags a router on the Vault service labels that has no guard', async () => {
    const findings = await auditModel([
      ['vault-config', 'vault.hcl', UI_ON],
      [
        'compose',
        'docker-compose.yml',
        `
        services:
          vault:
            image: hashicorp/vault:1.17
            labels:
              - traefik.enable=true
              - traefik.http.routers.secrets.rule=Host(\`secrets.lab.example\`)
              - traefik.http.routers.secrets.middlewares=security-headers@file
        `,
      ],
    ]);
    expect(hitsOf(findings, 'VLT-11')).toEqual(['VLT-11[secrets]@4', 'VLT-11[ui]@4']);
  });

  it('passes a dynamic-file router guarded by an ipAllowList, directly or through a chain', async () => {
    const findings = await auditModel([
      ['vault-config', 'vault.hcl', UI_ON],
      [
        'traefik-dynamic',
        'dynamic/vault.yml',
        `
        http:
          routers:
            vault-ui:
              rule: Host(\`vault.lab.example\`)
              service: vault@file
              middlewares: [vault-guard@file]
          middlewares:
            vault-guard:
              chain:
                middlewares: [admin-only, security-headers]
            admin-only:
              ipAllowList:
                sourceRange: [10.8.0.0/24]
            security-headers:
              headers:
                stsSeconds: 31536000
          services:
            vault:
              loadBalancer:
                servers:
                  - url: https://vault:8200
        `,
      ],
    ]);
    expect(hitsOf(findings, 'VLT-11')).toEqual([]);
  });

  it('passes label routers guarded by forwardAuth, entry-point guards, and ui = false', async () => {
    const labelled = await auditModel([
      ['vault-config', 'vault.hcl', UI_ON],
      [
        'compose',
        'docker-compose.yml',
        `
        services:
          vault:
            image: hashicorp/vault:1.17
            labels:
              traefik.http.routers.vault.rule: Host(\`vault.lab.example\`)
              traefik.http.routers.vault.middlewares: sso
              traefik.http.middlewares.sso.forwardauth.address: http://oauth2-proxy:4180
        `,
      ],
    ]);
    const entryPoint = await auditModel([
      ['vault-config', 'vault.hcl', UI_ON],
      ['traefik-static', 'traefik.yml', 'entryPoints:\n  websecure:\n    address: ":443"\n    http:\n      middlewares: [sso@file]\n'],
      [
        'traefik-dynamic',
        'dynamic.yml',
        'http:\n  routers:\n    vault:\n      rule: Host(`vault.lab.example`)\n      service: vault\n  middlewares:\n    sso:\n      forwardAuth:\n        address: http://oauth2-proxy:4180\n',
      ],
    ]);
    const off = await auditVault('vault-config', 'ui = false\n');
    expect([...hitsOf(labelled, 'VLT-11'), ...hitsOf(entryPoint, 'VLT-11'), ...hitsOf(off, 'VLT-11')]).toEqual([]);
  });
});
