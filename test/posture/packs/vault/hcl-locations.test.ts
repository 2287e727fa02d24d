import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { auditVault } from './fixtures';

/**
 * Regression tests for two former defects of lib/posture/hcl-locator.ts: `/*` inside a quoted
 * string (`path "kv/data/*"`) was taken for a block comment, and the closing `}` of a multi-line
 * map attribute (`x = {` … `}`) closed the enclosing block. Both must locate the right lines.
 */
const SLASH_STAR = `
  path "secret/*" {
    capabilities = ["read", "list"]
  }
  path "secret/data/*" {
    capabilities = ["read"]
  }
  path "/*" {
    capabilities = ["read"]
  }
  path "+/*" {
    capabilities = ["update"]
  }
  `;

describe('rules on patterns containing "/*" (hcl-locator defect 1)', () => {
  it('reports /* and +/* root globs and slash-star broad globs', async () => {
    const findings = await auditVault('vault-policy', SLASH_STAR);
    const ids = (rule: string) => findings.filter((f) => f.ruleId === rule).map((f) => f.granularId).sort();
    expect(ids('VLT-14')).toEqual(['VLT-14[+/*]', 'VLT-14[/*]']);
    expect(ids('VLT-20')).toEqual(['VLT-20[secret/*]', 'VLT-20[secret/data/*]']);
  });

  it('locates blocks whose pattern contains "/*"', async () => {
    const findings = await auditVault('vault-policy', SLASH_STAR);
    expect(hitsOf(findings, 'VLT-20')).toEqual(['VLT-20[secret/*]@2', 'VLT-20[secret/data/*]@5']);
  });
});

describe('attributes after a multi-line map (hcl-locator defect 2)', () => {
  const AFTER_MAP = `
    listener "tcp" {
      address = "0.0.0.0:8200"
      custom_response_headers = {
        default = {
          Strict-Transport-Security = ["max-age=31536000"]
        }
      }
      tls_disable = true
    }
    `;

  it('still reports the finding', async () => {
    const findings = await auditVault('vault-config', AFTER_MAP);
    expect(findings.filter((f) => f.ruleId === 'VLT-01').map((f) => f.path)).toEqual(['listener.tcp.0.tls_disable']);
  });

  it('locates it on its own line', async () => {
    expect(hitsOf(await auditVault('vault-config', AFTER_MAP), 'VLT-01')).toEqual(['VLT-01[0.0.0.0:8200]@8']);
  });
});
