import type { Rule, RuleHit } from '../../rule';
import {
  RealmView,
  allClients,
  asNumber,
  authenticatesUsers,
  clientAttribute,
  clientPath,
  flag,
  isBuiltIn,
  isFalse,
  realmName,
  realmPath,
  realmsOf,
  stringsOf,
} from './realm-fields';

/** Longest access-token lifespan accepted (s); the lab targets 300 (KC-12). */
export const MAX_ACCESS_TOKEN_SECONDS = 600;

/** Longest SSO idle timeout or SSO max lifespan accepted (s): 8 h, the upper end of CONTROLS.md §4.5 (KC-14). */
export const MAX_SSO_SECONDS = 8 * 3600;

/** Keycloak's values when the realm does not set them. */
const SSO_DEFAULTS: Readonly<Record<string, number>> = { ssoSessionIdleTimeout: 1800, ssoSessionMaxLifespan: 36000 };

const ACCESS_TOKEN_LIFESPAN = 'access.token.lifespan';
const OFFLINE_ACCESS = 'offline_access';

function lifespanProblem(seconds: number): string | undefined {
  if (seconds <= 0) return `${seconds} s (never expires)`;
  if (seconds > MAX_ACCESS_TOKEN_SECONDS) return `${seconds} s, above ${MAX_ACCESS_TOKEN_SECONDS} s`;
  return undefined;
}

/**
 * KC-12: the realm `accessTokenLifespan`, or a client's `attributes['access.token.lifespan']`
 * override, is above 600 s or is 0 or negative (no expiry). Absent values inherit (realm default 300 s).
 */
export const KC_12: Rule = {
  id: 'KC-12',
  title: 'Access token lifespan too long',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'Access tokens are bearer tokens that resource servers accept until they expire; Keycloak cannot recall them. A long lifespan widens the ' +
    'window in which a leaked token (logs, browser storage, a compromised model server) is usable after logout or role removal.',
  remediation: 'Set `accessTokenLifespan: 300` and remove per-client `access.token.lifespan` overrides above 600 s; refresh tokens renew sessions.',
  controls: { 'nist-800-53-r5': ['AC-12', 'IA-11'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) => {
    const hits: RuleHit[] = [];
    for (const realm of realmsOf(model)) {
      const seconds = asNumber(realm.data.accessTokenLifespan);
      const problem = seconds === undefined ? undefined : lifespanProblem(seconds);
      if (problem) {
        hits.push({
          document: realm.document,
          path: realmPath(realm, 'accessTokenLifespan'),
          granular: 'accessTokenLifespan',
          message: `realm '${realmName(realm)}' sets accessTokenLifespan ${problem}`,
        });
      }
    }
    for (const client of allClients(model)) {
      const seconds = asNumber(clientAttribute(client, ACCESS_TOKEN_LIFESPAN));
      const problem = seconds === undefined ? undefined : lifespanProblem(seconds);
      if (problem) {
        hits.push({
          document: client.realm.document,
          path: clientPath(client, 'attributes', ACCESS_TOKEN_LIFESPAN),
          granular: client.clientId,
          message: `client '${client.clientId}' overrides access.token.lifespan to ${problem}`,
        });
      }
    }
    return hits;
  },
};

/**
 * KC-13: refresh tokens are not rotated (`revokeRefreshToken` false, Keycloak's default), or a
 * refresh token may be reused (`refreshTokenMaxReuse` above 0).
 */
export const KC_13: Rule = {
  id: 'KC-13',
  title: 'Refresh tokens not rotated',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    'Without rotation a stolen refresh token keeps minting access tokens for the whole session, and nobody notices. With rotation and a reuse ' +
    'count of 0, the second use of a refresh token is detected and the session is revoked.',
  remediation: 'Set `revokeRefreshToken: true` and `refreshTokenMaxReuse: 0`.',
  controls: { 'nist-800-53-r5': ['AC-12', 'SC-23'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    realmsOf(model).flatMap((realm): RuleHit[] => {
      const hits: RuleHit[] = [];
      if (!flag(realm.data.revokeRefreshToken, false)) {
        hits.push({
          document: realm.document,
          path: realmPath(realm, 'revokeRefreshToken'),
          granular: 'revokeRefreshToken',
          message: `realm '${realmName(realm)}' does not set revokeRefreshToken: true, so refresh tokens are not rotated`,
        });
      }
      const reuse = asNumber(realm.data.refreshTokenMaxReuse);
      if (reuse !== undefined && reuse > 0) {
        hits.push({
          document: realm.document,
          path: realmPath(realm, 'refreshTokenMaxReuse'),
          granular: 'refreshTokenMaxReuse',
          message: `realm '${realmName(realm)}' lets a refresh token be reused ${reuse} time(s) (refreshTokenMaxReuse ${reuse})`,
        });
      }
      return hits;
    }),
};

function sessionHits(realm: RealmView): RuleHit[] {
  const hits: RuleHit[] = [];
  if (!flag(realm.data.offlineSessionMaxLifespanEnabled, false)) {
    hits.push({
      document: realm.document,
      path: realmPath(realm, 'offlineSessionMaxLifespanEnabled'),
      granular: 'offlineSessionMaxLifespanEnabled',
      message: `realm '${realmName(realm)}' does not set offlineSessionMaxLifespanEnabled: true, so offline sessions never end`,
    });
  }
  for (const key of Object.keys(SSO_DEFAULTS)) {
    const explicit = asNumber(realm.data[key]);
    const seconds = explicit ?? SSO_DEFAULTS[key];
    if (seconds > 0 && seconds <= MAX_SSO_SECONDS) continue;
    const what = explicit === undefined ? `leaves ${key} to Keycloak's default ${seconds} s` : `sets ${key} ${seconds} s`;
    const why = seconds <= 0 ? 'which is unbounded' : `above ${MAX_SSO_SECONDS} s`;
    hits.push({ document: realm.document, path: realmPath(realm, key), granular: key, message: `realm '${realmName(realm)}' ${what}, ${why}` });
  }
  return hits;
}

/**
 * KC-14: offline tokens without need or without end: `offline_access` in the default scopes of a
 * client that logs users in, or in its optional scopes while it uses refresh tokens;
 * `offlineSessionMaxLifespanEnabled` not true; an SSO idle timeout or max lifespan that is 0 or
 * negative (unbounded) or above 8 h. Built-in Keycloak clients are skipped.
 */
export const KC_14: Rule = {
  id: 'KC-14',
  title: 'Offline access or sessions unbounded',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    'Offline tokens outlive the SSO session and survive logout; with no maximum lifespan they can be renewed forever. A client that gets ' +
    '`offline_access` by default hands such a token to every login. Unbounded SSO sessions keep a stolen session cookie valid indefinitely.',
  remediation:
    'Remove `offline_access` from client scopes unless the client needs offline use (acknowledge it then), set ' +
    '`offlineSessionMaxLifespanEnabled: true`, and keep `ssoSessionIdleTimeout` and `ssoSessionMaxLifespan` between 1 and 8 hours.',
  controls: { 'nist-800-53-r5': ['AC-12', 'IA-11'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) => {
    const hits: RuleHit[] = realmsOf(model).flatMap(sessionHits);
    for (const client of allClients(model)) {
      if (isBuiltIn(client) || !authenticatesUsers(client)) continue;
      for (const { value, index } of stringsOf(client.data.defaultClientScopes)) {
        if (value !== OFFLINE_ACCESS) continue;
        hits.push({
          document: client.realm.document,
          path: clientPath(client, 'defaultClientScopes', index),
          granular: client.clientId,
          message: `client '${client.clientId}' has offline_access in its default client scopes`,
        });
      }
      if (isFalse(clientAttribute(client, 'use.refresh.tokens'))) continue;
      for (const { value, index } of stringsOf(client.data.optionalClientScopes)) {
        if (value !== OFFLINE_ACCESS) continue;
        hits.push({
          document: client.realm.document,
          path: clientPath(client, 'optionalClientScopes', index),
          granular: client.clientId,
          message: `client '${client.clientId}' has offline_access in its optional client scopes`,
        });
      }
    }
    return hits;
  },
};
