/** The compliant lab realm (test/posture/fixtures/keycloak/compliant-realm.json) passes the whole pack. */
import { describe, expect, it } from 'vitest';
import { compliantFindings } from './realm-fixtures';

describe('compliant lab realm', () => {
  it('yields no finding of any keycloak rule', async () => {
    expect((await compliantFindings()).map((f) => `${f.granularId}@${f.line}: ${f.message}`)).toEqual([]);
  });
});
