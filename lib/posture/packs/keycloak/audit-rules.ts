import type { Rule, RuleHit } from '../../rule';
import { RealmView, flag, isRecord, realmName, realmPath, realmsOf } from './realm-fields';

/** What is wrong with a header value (undefined when it is fine). */
type HeaderCheck = (value: string) => string | undefined;

const HEADER_CHECKS: readonly { readonly key: string; readonly header: string; readonly check: HeaderCheck }[] = [
  {
    key: 'strictTransportSecurity',
    header: 'Strict-Transport-Security',
    check: (value) => {
      const maxAge = /max-age\s*=\s*"?(\d+)/i.exec(value);
      return maxAge && Number(maxAge[1]) > 0 ? undefined : `'${value}' has no positive max-age`;
    },
  },
  {
    key: 'xFrameOptions',
    header: 'X-Frame-Options',
    check: (value) => (/^(deny|sameorigin)$/i.test(value) ? undefined : `'${value}' is neither DENY nor SAMEORIGIN`),
  },
  {
    key: 'contentSecurityPolicy',
    header: 'Content-Security-Policy',
    check: (value) => {
      const directive = value
        .split(';')
        .map((d) => d.trim())
        .find((d) => /^frame-ancestors(\s|$)/i.test(d));
      if (directive === undefined) return `'${value}' has no frame-ancestors directive`;
      return /(^|\s)\*(\s|$)/.test(directive) ? `'${value}' lets any site frame the login pages (frame-ancestors *)` : undefined;
    },
  },
];

function headerHits(realm: RealmView): RuleHit[] {
  const headers = realm.data.browserSecurityHeaders;
  // Absent: Keycloak applies its defaults (HSTS, SAMEORIGIN, frame-ancestors 'self'). Present: only what it lists is sent.
  if (!isRecord(headers)) return [];
  const hits: RuleHit[] = [];
  for (const { key, header, check } of HEADER_CHECKS) {
    const raw = headers[key];
    const value = typeof raw === 'string' ? raw.trim() : '';
    const problem = value === '' ? 'is empty or missing, so the header is not sent' : check(value);
    if (problem === undefined) continue;
    hits.push({
      document: realm.document,
      path: realmPath(realm, 'browserSecurityHeaders', key),
      granular: key,
      message: `realm '${realmName(realm)}' browserSecurityHeaders.${key} (${header}) ${problem}`,
    });
  }
  return hits;
}

function eventHits(realm: RealmView): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const key of ['eventsEnabled', 'adminEventsEnabled']) {
    if (flag(realm.data[key], false)) continue;
    const what = key === 'eventsEnabled' ? 'login events' : 'admin events';
    hits.push({
      document: realm.document,
      path: realmPath(realm, key),
      granular: key,
      message: `realm '${realmName(realm)}' does not set ${key}: true, so ${what} are not recorded`,
    });
  }
  return hits;
}

/**
 * KC-25: no audit trail (`eventsEnabled` or `adminEventsEnabled` not true; both default to off), or
 * `browserSecurityHeaders` that drop HSTS (`strictTransportSecurity` without a positive max-age),
 * clickjacking protection (`xFrameOptions` not DENY/SAMEORIGIN) or a CSP with `frame-ancestors`
 * (`contentSecurityPolicy`). An absent `browserSecurityHeaders` keeps Keycloak's safe defaults.
 */
export const KC_25: Rule = {
  id: 'KC-25',
  title: 'No audit events or weak browser security headers',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    'Without login and admin events there is no record of who logged in, failed, changed a client or granted a role, so an intrusion through ' +
    'the IdP cannot be investigated (the Vault audit device has the same role). Without HSTS and frame-ancestors the login page can be ' +
    'downgraded or framed for clickjacking.',
  remediation:
    'Set `eventsEnabled: true` and `adminEventsEnabled: true` (with `adminEventsDetailsEnabled`) and ship events to Z9; leave ' +
    "`browserSecurityHeaders` out, or keep HSTS `max-age=31536000; includeSubDomains`, `xFrameOptions: DENY` and a CSP with `frame-ancestors 'self'`.",
  controls: { 'nist-800-53-r5': ['AU-2', 'AU-12', 'SC-8', 'CM-6'], 'csa-aicm': ['LOG', 'AIS'] },
  kinds: ['keycloak-realm'],
  check: (model) => realmsOf(model).flatMap((realm) => [...eventHits(realm), ...headerHits(realm)]),
};
