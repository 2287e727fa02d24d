/**
 * The hardened, fixed part of every realm (what no prop weakens), and the role and group catalog
 * of CONTROLS.md §4.5 / Z8-K08. Each value was read back from a real Keycloak 26.7.3 after import.
 */
import type { RealmDocument, RealmEventType } from './realm-document';

/**
 * At least 14 characters of four classes, not the username or e-mail, not one of the last five,
 * hashed with Argon2 (Keycloak 24+'s memory-hard default, named so an older default cannot apply).
 */
export const PASSWORD_POLICY =
  'length(14) and upperCase(1) and lowerCase(1) and digits(1) and specialChars(1) and notUsername and notEmail and passwordHistory(5) and hashAlgorithm(argon2)';

/**
 * Realm events worth keeping: every login outcome, token and credential change, and lockouts.
 * @internal
 */
export const ENABLED_EVENT_TYPES: readonly RealmEventType[] = [
  'LOGIN', 'LOGIN_ERROR', 'LOGOUT', 'LOGOUT_ERROR',
  'CODE_TO_TOKEN', 'CODE_TO_TOKEN_ERROR', 'CLIENT_LOGIN', 'CLIENT_LOGIN_ERROR',
  'REFRESH_TOKEN', 'REFRESH_TOKEN_ERROR', 'INTROSPECT_TOKEN_ERROR', 'TOKEN_EXCHANGE', 'TOKEN_EXCHANGE_ERROR',
  'PERMISSION_TOKEN_ERROR', 'INVALID_SIGNATURE', 'INVALID_SIGNATURE_ERROR',
  'UPDATE_PASSWORD', 'UPDATE_PASSWORD_ERROR', 'UPDATE_TOTP', 'UPDATE_TOTP_ERROR', 'REMOVE_TOTP', 'REMOVE_TOTP_ERROR',
  'UPDATE_CREDENTIAL', 'UPDATE_CREDENTIAL_ERROR', 'REMOVE_CREDENTIAL', 'REMOVE_CREDENTIAL_ERROR',
  'UPDATE_EMAIL', 'UPDATE_PROFILE', 'VERIFY_EMAIL', 'SEND_RESET_PASSWORD', 'RESET_PASSWORD', 'RESET_PASSWORD_ERROR',
  'EXECUTE_ACTIONS', 'IMPERSONATE', 'IMPERSONATE_ERROR', 'REVOKE_GRANT', 'REGISTER', 'REGISTER_ERROR',
  'USER_DISABLED_BY_PERMANENT_LOCKOUT', 'USER_DISABLED_BY_TEMPORARY_LOCKOUT',
];

/** How long login and admin events are kept in Keycloak's database (90 days); Z9 keeps the log copy. */
export const EVENTS_EXPIRATION_SECONDS = 90 * 24 * 3600;

/** Keycloak 26's headers with framing forbidden outright (`DENY`, `frame-ancestors 'none'`). */
export const BROWSER_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  contentSecurityPolicy: "frame-src 'self'; frame-ancestors 'none'; object-src 'none';",
  contentSecurityPolicyReportOnly: '',
  referrerPolicy: 'no-referrer',
  strictTransportSecurity: 'max-age=31536000; includeSubDomains',
  xContentTypeOptions: 'nosniff',
  xFrameOptions: 'DENY',
  xRobotsTag: 'none',
};

/**
 * Everything of the realm that no prop changes. Brute force: 5 failures lock an account for 60 s,
 * doubling up to 15 min, counted over 12 h; never permanently (that would let anyone lock out an
 * admin). OTP stays HMAC-SHA1 TOTP (6 digits, 30 s): Google and Microsoft Authenticator ignore the
 * algorithm parameter and would show wrong codes for SHA-256, and HOTP/TOTP security rests on HMAC,
 * which SHA-1 still provides.
 * @internal
 */
export const HARDENED_REALM: Readonly<RealmDocument> = {
  enabled: true,
  sslRequired: 'all',
  registrationAllowed: false,
  registrationEmailAsUsername: false,
  // No SMTP server is configured: resets go through an admin (who logs in with MFA).
  resetPasswordAllowed: false,
  verifyEmail: true,
  loginWithEmailAllowed: true,
  duplicateEmailsAllowed: false,
  editUsernameAllowed: false,
  rememberMe: false,
  internationalizationEnabled: false,
  passwordPolicy: PASSWORD_POLICY,
  bruteForceProtected: true,
  bruteForceStrategy: 'MULTIPLE',
  permanentLockout: false,
  maxTemporaryLockouts: 0,
  failureFactor: 5,
  waitIncrementSeconds: 60,
  maxFailureWaitSeconds: 900,
  maxDeltaTimeSeconds: 12 * 3600,
  minimumQuickLoginWaitSeconds: 60,
  quickLoginCheckMilliSeconds: 1000,
  revokeRefreshToken: true,
  refreshTokenMaxReuse: 0,
  accessCodeLifespan: 60,
  accessCodeLifespanUserAction: 300,
  accessCodeLifespanLogin: 1800,
  actionTokenGeneratedByUserLifespan: 300,
  actionTokenGeneratedByAdminLifespan: 12 * 3600,
  offlineSessionMaxLifespanEnabled: true,
  otpPolicyType: 'totp',
  otpPolicyAlgorithm: 'HmacSHA1',
  otpPolicyDigits: 6,
  otpPolicyPeriod: 30,
  otpPolicyLookAheadWindow: 1,
  otpPolicyInitialCounter: 0,
  otpPolicyCodeReusable: false,
  webAuthnPolicySignatureAlgorithms: ['ES256', 'RS256'],
  webAuthnPolicyAttestationConveyancePreference: 'none',
  webAuthnPolicyAuthenticatorAttachment: 'not specified',
  webAuthnPolicyRequireResidentKey: 'not specified',
  webAuthnPolicyUserVerificationRequirement: 'required',
  webAuthnPolicyAvoidSameAuthenticatorRegister: true,
  eventsEnabled: true,
  eventsExpiration: EVENTS_EXPIRATION_SECONDS,
  eventsListeners: ['jboss-logging'],
  enabledEventTypes: [...ENABLED_EVENT_TYPES],
  adminEventsEnabled: true,
  adminEventsDetailsEnabled: true,
  browserSecurityHeaders: { ...BROWSER_SECURITY_HEADERS },
};

/** The realm roles of CONTROLS.md §4.5, with what each may do. */
export const ROLE_CATALOG: Readonly<Record<string, string>> = {
  'admin': 'Platform administrator: operates the lab; cannot promote models',
  'security': 'Security operations: revokes, quarantines, answers incidents',
  'product': 'Product owner: reads model cards, metrics and decisions',
  'auditor': 'Read-only access to evidence, audit logs and registry history',
  'registrar': 'CI registrar: creates candidate model versions',
  'promoter': 'Promotion pipeline: moves approved versions between stages',
  'consumer': 'Consumer application: calls inference APIs within its scopes',
  'ml-trainer': 'Trains and evaluates models in the model factory (Z4)',
  'ml-sec': 'ML security: adversarial tests, security gates, signing approvals',
  'reader': 'Read-only access to curated data and registry metadata',
  'data-engineer': 'Builds and runs ingestion and curation pipelines',
  'risk_analyst': 'Credit-risk analyst: reads scores and explanations',
  'risk_analyst_lead': 'Credit-risk lead: approves overrides of risk decisions',
  'fraud_analyst': 'Fraud analyst: reviews fraud scores and cases',
  'risk-ops': 'Risk operations: runs batch scoring and monitors drift',
  'core-banking': 'Core banking system: consumes decisions (machine identity)',
};

/** The realm role the MFA condition checks: groups that require MFA grant it. */
export const MFA_REQUIRED_ROLE = 'mfa-required';

/** Roles Keycloak or this library own; addRole refuses them. */
export function reservedRoles(realmName: string): readonly string[] {
  return [MFA_REQUIRED_ROLE, 'offline_access', 'uma_authorization', `default-roles-${realmName}`];
}

/** The attribute-based access control attributes groups may carry; each becomes a token claim. */
export const ABAC_ATTRIBUTES = ['tenant', 'domain', 'purpose', 'data_clearance', 'project', 'env'] as const;

/** One ABAC attribute name. */
export type AbacAttribute = (typeof ABAC_ATTRIBUTES)[number];

/** A default group: its roles, the ABAC attributes it adds to the realm-wide ones, and whether MFA is required. */
export interface CatalogGroup {
  readonly roles: readonly string[];
  readonly attributes: Readonly<Partial<Record<AbacAttribute, readonly string[]>>>;
  readonly requireMfa: boolean;
}

/** The human groups of the lab (Z8-K08); privileged ones require MFA. */
export const GROUP_CATALOG: Readonly<Record<string, CatalogGroup>> = {
  'admin': { roles: ['admin'], requireMfa: true, attributes: { domain: ['platform'], purpose: ['platform-operations'], data_clearance: ['restricted'] } },
  'security': { roles: ['security', 'auditor'], requireMfa: true, attributes: { domain: ['security'], purpose: ['security-operations'], data_clearance: ['restricted'] } },
  'ml-sec': { roles: ['ml-sec'], requireMfa: true, attributes: { domain: ['ml-security'], purpose: ['model-security'], data_clearance: ['confidential'] } },
  'ml-trainer': { roles: ['ml-trainer'], requireMfa: false, attributes: { domain: ['ml'], purpose: ['model-development'], data_clearance: ['confidential'] } },
  'data-engineer': { roles: ['data-engineer'], requireMfa: false, attributes: { domain: ['data'], purpose: ['data-engineering'], data_clearance: ['confidential'] } },
  'reader': { roles: ['reader'], requireMfa: false, attributes: { domain: ['ml'], purpose: ['analytics'], data_clearance: ['internal'] } },
  'auditor': { roles: ['auditor'], requireMfa: false, attributes: { domain: ['governance'], purpose: ['audit'], data_clearance: ['confidential'] } },
  'product': { roles: ['product'], requireMfa: false, attributes: { domain: ['business'], purpose: ['product-management'], data_clearance: ['internal'] } },
};
