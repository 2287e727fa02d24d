import type { Rule, RuleHit } from '../../rule';
import { minimumIterations, parsePasswordPolicy } from './password-policy';
import { RealmView, asNumber, flag, isTrue, realmName, realmPath, realmsOf } from './realm-fields';

/** Shortest password length accepted (KC-17). */
export const MIN_PASSWORD_LENGTH = 12;

/** Most consecutive failed logins before lockout (PCI DSS v4 8.3.4 allows at most 10) (KC-18). */
export const MAX_FAILURE_FACTOR = 10;

/** Keycloak's `failureFactor` when the realm does not set it. */
const DEFAULT_FAILURE_FACTOR = 30;

function passwordPolicyHits(realm: RealmView): RuleHit[] {
  const path = realmPath(realm, 'passwordPolicy');
  const name = realmName(realm);
  const raw = realm.data.passwordPolicy;
  const hit = (granular: string, message: string): RuleHit => ({ document: realm.document, path, granular, message: `realm '${name}' ${message}` });
  if (typeof raw !== 'string' || raw.trim() === '') return [hit('passwordPolicy', 'has no passwordPolicy')];
  const policy = parsePasswordPolicy(raw);
  const hits: RuleHit[] = [];
  const length = asNumber(policy.get('length'));
  if (!policy.has('length')) hits.push(hit('length', `has no length(${MIN_PASSWORD_LENGTH}) password policy`));
  else if (length === undefined || length < MIN_PASSWORD_LENGTH) {
    hits.push(hit('length', `requires passwords of length(${policy.get('length') || 8}), below ${MIN_PASSWORD_LENGTH}`));
  }
  if (!policy.has('notUsername')) hits.push(hit('notUsername', 'has no notUsername password policy'));
  const history = policy.get('passwordHistory');
  if (history === undefined) hits.push(hit('passwordHistory', 'has no passwordHistory password policy'));
  else if ((asNumber(history) ?? 3) < 1) hits.push(hit('passwordHistory', `sets passwordHistory(${history}), which keeps no history`));
  const iterations = asNumber(policy.get('hashIterations'));
  const algorithm = policy.get('hashAlgorithm');
  const minimum = minimumIterations(algorithm);
  if (iterations !== undefined && minimum !== undefined && iterations < minimum) {
    const alg = algorithm ? algorithm : 'PBKDF2';
    hits.push(hit('hashIterations', `hashes passwords with ${alg} at hashIterations(${iterations}), below the OWASP minimum ${minimum}`));
  }
  return hits;
}

/**
 * KC-17: `passwordPolicy` is missing or empty, or lacks `length(>=12)`, `notUsername` or
 * `passwordHistory`, or sets `hashIterations` below the OWASP minimum for its PBKDF2 algorithm
 * (pbkdf2-sha512 210 000, pbkdf2-sha256 600 000, pbkdf2 1 300 000; argon2 is not judged).
 */
export const KC_17: Rule = {
  id: 'KC-17',
  title: 'Password policy missing or weak',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'Keycloak enforces no password rule at all unless the realm has a policy. Short passwords, passwords equal to the username and recycled ' +
    'passwords fall to spraying; a low PBKDF2 iteration count makes a leaked credential table cheap to crack.',
  remediation:
    'Set e.g. `passwordPolicy: "length(12) and notUsername(undefined) and notEmail(undefined) and passwordHistory(5) and hashAlgorithm(argon2)"`.',
  controls: { 'nist-800-53-r5': ['IA-5'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['keycloak-realm'],
  check: (model) => realmsOf(model).flatMap(passwordPolicyHits),
};

/**
 * KC-18: `bruteForceProtected` is not true (Keycloak's default is off), or lockout starts only after
 * more than 10 failures (`failureFactor`, default 30). kcwarden rates this info; the lab is internet-facing.
 */
export const KC_18: Rule = {
  id: 'KC-18',
  title: 'Brute-force protection off or weak',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'Without brute-force detection Keycloak answers password guesses as fast as they arrive. Behind a public Traefik entrypoint that is an ' +
    'open password-spraying endpoint; a high failure factor lets each account take many guesses per lockout window.',
  remediation: `Set \`bruteForceProtected: true\` and \`failureFactor\` between 1 and ${MAX_FAILURE_FACTOR} (with temporary lockout and increasing wait).`,
  controls: { 'nist-800-53-r5': ['AC-7'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    realmsOf(model).flatMap((realm): RuleHit[] => {
      const name = realmName(realm);
      if (!flag(realm.data.bruteForceProtected, false)) {
        return [
          {
            document: realm.document,
            path: realmPath(realm, 'bruteForceProtected'),
            granular: 'bruteForceProtected',
            message: `realm '${name}' does not set bruteForceProtected: true`,
          },
        ];
      }
      const explicit = asNumber(realm.data.failureFactor);
      const factor = explicit ?? DEFAULT_FAILURE_FACTOR;
      if (factor > 0 && factor <= MAX_FAILURE_FACTOR) return [];
      const what = explicit === undefined ? `leaves failureFactor to Keycloak's default ${factor}` : `sets failureFactor ${factor}`;
      const why = factor <= 0 ? 'which never locks out' : `above ${MAX_FAILURE_FACTOR}`;
      return [{ document: realm.document, path: realmPath(realm, 'failureFactor'), granular: 'failureFactor', message: `realm '${name}' ${what}, ${why}` }];
    }),
};

/** KC-19: `registrationAllowed: true` (lab realms are invite-only), or `verifyEmail` not true. */
export const KC_19: Rule = {
  id: 'KC-19',
  title: 'Self-registration on or e-mail not verified',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    'With self-registration anyone on the internet gets an account, and whatever default roles and groups the realm grants. Without e-mail ' +
    'verification an account can claim an address it does not own, which downstream apps and account linking may trust.',
  remediation: 'Set `registrationAllowed: false` (create users by invitation or through the IdP) and `verifyEmail: true`.',
  controls: { 'nist-800-53-r5': ['AC-2', 'IA-12'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    realmsOf(model).flatMap((realm): RuleHit[] => {
      const hits: RuleHit[] = [];
      const name = realmName(realm);
      if (isTrue(realm.data.registrationAllowed)) {
        hits.push({
          document: realm.document,
          path: realmPath(realm, 'registrationAllowed'),
          granular: 'registrationAllowed',
          message: `realm '${name}' sets registrationAllowed: true`,
        });
      }
      if (!flag(realm.data.verifyEmail, false)) {
        hits.push({
          document: realm.document,
          path: realmPath(realm, 'verifyEmail'),
          granular: 'verifyEmail',
          message: `realm '${name}' does not set verifyEmail: true`,
        });
      }
      return hits;
    }),
};

/**
 * KC-20: `sslRequired` is `none` (or any value other than `external` or `all`). Keycloak's default
 * when the field is absent is `external`.
 */
export const KC_20: Rule = {
  id: 'KC-20',
  title: 'SSL not required',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'With `sslRequired: none` Keycloak serves logins, tokens and session cookies over plain HTTP to any address, and marks cookies without ' +
    'Secure, so a misrouted or downgraded request leaks credentials.',
  remediation: 'Set `sslRequired: "all"` (Keycloak sits behind the TLS-terminating Traefik) or at least `"external"`.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-23'], 'csa-aicm': ['CEK', 'IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    realmsOf(model).flatMap((realm): RuleHit[] => {
      const raw = realm.data.sslRequired;
      if (raw === undefined || raw === null) return [];
      if (typeof raw === 'string' && ['external', 'all'].includes(raw.trim().toLowerCase())) return [];
      return [
        {
          document: realm.document,
          path: realmPath(realm, 'sslRequired'),
          granular: 'sslRequired',
          message: `realm '${realmName(realm)}' sets sslRequired: ${JSON.stringify(raw)} instead of "external" or "all"`,
        },
      ];
    }),
};
