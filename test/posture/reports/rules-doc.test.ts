import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { renderRulesDoc, RuleCatalog, RULES_DOC_PATH } from '../../../lib';
import { TEST_PACKS } from './fixtures';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('docs/RULES.md', () => {
  it('is generated from the rule metadata and up to date', () => {
    const file = path.join(ROOT, RULES_DOC_PATH);
    const fresh = renderRulesDoc(RuleCatalog.packs());
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '<missing>';
    expect(committed === fresh, `${RULES_DOC_PATH} is stale: run \`npx projen gen:rules\` and commit it`).toBe(true);
  });

  it('lists per pack each rule with priority, severity, level, title, rationale, remediation and controls', () => {
    const doc = renderRulesDoc(TEST_PACKS);
    expect(doc).toContain('<!-- Generated from the rule metadata');
    expect(doc).toContain('| [compose](#compose-pack) | 3 | 2 | 1 | 0 | 2 |');
    expect(doc).toContain('| [CMP-01](#cmp-01-service-sets-privileged-true) | P1 | critical | error (unsuppressible) | Service sets privileged: true |');
    expect(doc).toContain(
      [
        '### CMP-13: Service sets read_only: false',
        '',
        '- Priority P2, severity medium, level warning',
        '- Reads: `compose`',
        '- Rationale: A service with read_only: false weakens isolation.',
        '- Remediation: Remove read_only from the service.',
        '- Controls: OWASP Machine Learning Security Top 10 2023: ML06; CIS Docker Benchmark v1.6.0: 5.13; NIST SP 800-53 Rev. 5: CM-6; CSA AI Controls Matrix (AICM) v1 domains: IVS',
      ].join('\n'),
    );
    expect(doc).toContain('- Priority P1, severity critical, level error, **unsuppressible**');
  });
});
