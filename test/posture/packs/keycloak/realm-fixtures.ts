/**
 * Fixtures for the keycloak pack: the compliant lab realm (test/posture/fixtures/keycloak), variants
 * of it, and a way to find the line a finding must point at.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Finding } from '../../../../lib';
import { KEYCLOAK_PACK } from '../../../../lib/posture/packs/keycloak';
import { audit } from '../../support';

/** The compliant realm export, as text. */
export const COMPLIANT_TEXT = fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'keycloak', 'compliant-realm.json'), 'utf8');

/** A fresh, mutable copy of the compliant realm. */
export function compliantRealm(): any {
  return JSON.parse(COMPLIANT_TEXT);
}

/** The compliant realm changed by `mutate`, as pretty-printed JSON (2 spaces, one value per line). */
export function variant(mutate: (realm: any) => void): string {
  const realm = compliantRealm();
  mutate(realm);
  return JSON.stringify(realm, null, 2);
}

/** The client with this clientId in a realm object. */
export function clientOf(realm: any, clientId: string): any {
  const found = realm.clients.find((c: any) => c.clientId === clientId);
  if (!found) throw new Error(`fixture has no client ${clientId}`);
  return found;
}

/** 1-based line of the `occurrence`-th line containing `needle` (throws when there is none). */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(needle) && ++seen === occurrence) return i + 1;
  }
  throw new Error(`fixture text has no occurrence ${occurrence} of ${JSON.stringify(needle)}`);
}

let compliant: Promise<Finding[]> | undefined;

/** The findings of the compliant realm (audited once per test file). */
export function compliantFindings(): Promise<Finding[]> {
  compliant ??= check(COMPLIANT_TEXT);
  return compliant;
}

/** Audits a realm text with the keycloak pack only. */
export function check(text: string): Promise<Finding[]> {
  return audit('keycloak-realm', text, { pack: KEYCLOAK_PACK });
}
