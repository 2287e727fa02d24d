/**
 * Who may edit a user attribute, from the realm's declarative user profile
 * (`components['org.keycloak.userprofile.UserProfileProvider'][0].config['kc.user.profile.config'][0]`,
 * a JSON string with `attributes[].permissions.edit` and `unmanagedAttributePolicy`).
 */
import { RealmView, asArray, asRecord, asString, isRecord, isTrue } from './realm-fields';

const PROVIDER = 'org.keycloak.userprofile.UserProfileProvider';

/** First Keycloak major version where the declarative user profile is always on (unmanaged attributes disabled by default). */
export const ALWAYS_ON_USER_PROFILE_MAJOR = 24;

/** Attributes every Keycloak user has, mapped to standard OIDC claims; they are not sensitive inputs (kcwarden's list). */
export const STANDARD_USER_ATTRIBUTES: ReadonlySet<string> = new Set([
  'username', 'email', 'emailVerified', 'firstName', 'lastName', 'middleName', 'nickname', 'locale', 'zoneinfo', 'picture',
  'birthdate', 'website', 'gender', 'updatedAt', 'profile', 'phoneNumber', 'phoneNumberVerified', 'mobile_number',
]);

/** The parsed user-profile configuration of a realm, or undefined when it has none (or it does not parse). */
function userProfileConfig(realm: RealmView): Record<string, unknown> | undefined {
  const provider = asArray(asRecord(realm.data.components)[PROVIDER]).find(isRecord);
  if (!provider) return undefined;
  const raw = asRecord(provider.config)['kc.user.profile.config'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The Keycloak major version the realm was exported from (`keycloakVersion`), if it says. */
export function keycloakMajor(realm: RealmView): number | undefined {
  const match = /^\s*(\d+)\./.exec(asString(realm.data.keycloakVersion) ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Why users can edit `attribute` on their own (account console, registration, update-profile),
 * or undefined when they cannot.
 */
export function whyUsersCanEdit(realm: RealmView, attribute: string): string | undefined {
  const config = userProfileConfig(realm);
  if (config) {
    const declared = asArray(config.attributes).find((a) => isRecord(a) && a.name === attribute);
    if (isRecord(declared)) {
      const edit = asArray(asRecord(declared.permissions).edit);
      return edit.includes('user') ? 'the user profile lets users edit it' : undefined;
    }
    const policy = asString(config.unmanagedAttributePolicy) ?? 'DISABLED';
    return policy === 'ENABLED' ? 'it is not declared in the user profile and unmanagedAttributePolicy is ENABLED' : undefined;
  }
  if (isTrue(asRecord(realm.data.attributes).userProfileEnabled)) return undefined;
  const major = keycloakMajor(realm);
  if (major !== undefined && major >= ALWAYS_ON_USER_PROFILE_MAJOR) return undefined;
  return major === undefined
    ? 'the realm has no user-profile configuration (and no keycloakVersion showing Keycloak 24+)'
    : `Keycloak ${major} without a user profile lets users edit any attribute`;
}
