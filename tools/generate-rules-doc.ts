/**
 * Writes docs/RULES.md from the rule metadata (`npx projen gen:rules`). The file is never edited by
 * hand: test/posture/reports/rules-doc.test.ts fails when it differs from a fresh render.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RuleCatalog } from '../lib/posture/rule-catalog';
import { renderRulesDoc, RULES_DOC_PATH } from '../lib/posture/reports/rules-doc';

const ROOT = path.join(__dirname, '..');

if (require.main === module) {
  const target = path.join(ROOT, RULES_DOC_PATH);
  const text = renderRulesDoc(RuleCatalog.packs());
  const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
  if (before === text) {
    console.log(`${RULES_DOC_PATH} is up to date`);
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    console.log(`wrote ${RULES_DOC_PATH} (${RuleCatalog.rules().length} rules)`);
  }
}
