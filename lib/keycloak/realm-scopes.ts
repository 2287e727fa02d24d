/**
 * Client scopes and the user profile. A realm file that lists `clientScopes` replaces Keycloak's
 * built-in ones (checked on 26.7.3: only `offline_access` is added back), so the identity scopes
 * clients need are declared here, each with only the mappers it needs. The only audience mappers
 * are the explicit ones: no `audience resolve`, so a token names exactly the audiences declared.
 */
import { ABAC_ATTRIBUTES } from './realm-defaults';
import type { ClientScopeRepresentation, ProtocolMapperRepresentation, UserProfileAttribute, UserProfileConfig } from './realm-document';

const OIDC = 'openid-connect';

/** Scopes every client gets by default: `sub`, realm roles, groups and ABAC claims. */
export const BASE_SCOPES = ['basic', 'roles', 'abac'] as const;

/** Scopes clients that log users in also get: OIDC profile and e-mail claims, and `acr` for step-up. */
export const USER_SCOPES = ['profile', 'email', 'acr'] as const;

/** Names API scopes may not take. */
export const RESERVED_SCOPES: readonly string[] = [...BASE_SCOPES, ...USER_SCOPES, 'offline_access', 'openid'];

/** Where a mapper puts its claim. */
interface ClaimTargets {
  readonly access?: boolean;
  readonly id?: boolean;
  readonly userinfo?: boolean;
}

function claims(targets: ClaimTargets): Record<string, string> {
  return {
    'access.token.claim': String(targets.access ?? true),
    'id.token.claim': String(targets.id ?? false),
    'userinfo.token.claim': String(targets.userinfo ?? false),
    'introspection.token.claim': 'true',
  };
}

function mapper(name: string, protocolMapper: string, config: Record<string, string>): ProtocolMapperRepresentation {
  return { name, protocol: OIDC, protocolMapper, config };
}

/** A user-attribute claim (`aggregate.attrs` also reads the attribute from the user's groups). */
function attributeMapper(name: string, attribute: string, claim: string, targets: ClaimTargets, multivalued = false): ProtocolMapperRepresentation {
  return mapper(name, 'oidc-usermodel-attribute-mapper', {
    'user.attribute': attribute, 'claim.name': claim, 'jsonType.label': 'String',
    'multivalued': String(multivalued), 'aggregate.attrs': String(multivalued), ...claims(targets),
  });
}

/** An audience mapper adding `audience` to access tokens (a client id, or any resource-server name). */
export function audienceMapper(audience: string, kind: 'client' | 'custom'): ProtocolMapperRepresentation {
  const key = kind === 'client' ? 'included.client.audience' : 'included.custom.audience';
  return mapper(`audience ${audience}`, 'oidc-audience-mapper', { [key]: audience, ...claims({ access: true }) });
}

function scope(name: string, description: string, inTokenScope: boolean, mappers: ProtocolMapperRepresentation[]): ClientScopeRepresentation {
  return {
    name, description, protocol: OIDC,
    attributes: { 'include.in.token.scope': String(inTokenScope), 'display.on.consent.screen': 'false' },
    protocolMappers: mappers,
  };
}

/** The identity scopes (none has an audience mapper). */
export function identityScopes(): ClientScopeRepresentation[] {
  const everywhere = { access: true, id: true, userinfo: true };
  return [
    scope('basic', 'Subject and authentication time', false, [
      mapper('sub', 'oidc-sub-mapper', claims({ access: true })),
      mapper('auth_time', 'oidc-usersessionmodel-note-mapper', {
        'user.session.note': 'AUTH_TIME', 'claim.name': 'auth_time', 'jsonType.label': 'long', ...claims({ access: true, id: true }),
      }),
    ]),
    scope('roles', 'Realm roles the client may see (its scope mappings; full scope is off)', false, [
      // Also in userinfo: applications that sign users in themselves (Grafana) map roles from it.
      mapper('realm roles', 'oidc-usermodel-realm-role-mapper', {
        'claim.name': 'realm_access.roles', 'jsonType.label': 'String', 'multivalued': 'true', ...claims({ access: true, userinfo: true }),
      }),
    ]),
    scope('abac', 'Group names and the ABAC attributes of the user\'s groups', false, [
      mapper('groups', 'oidc-group-membership-mapper', { 'claim.name': 'groups', 'full.path': 'false', ...claims(everywhere) }),
      ...ABAC_ATTRIBUTES.map((a) => attributeMapper(a, a, a, everywhere, true)),
    ]),
    scope('profile', 'OpenID Connect profile claims', true, [
      attributeMapper('username', 'username', 'preferred_username', everywhere),
      attributeMapper('given name', 'firstName', 'given_name', everywhere),
      attributeMapper('family name', 'lastName', 'family_name', everywhere),
      mapper('full name', 'oidc-full-name-mapper', claims(everywhere)),
    ]),
    scope('email', 'OpenID Connect e-mail claims', true, [
      attributeMapper('email', 'email', 'email', everywhere),
      mapper('email verified', 'oidc-usermodel-property-mapper', {
        'user.attribute': 'emailVerified', 'claim.name': 'email_verified', 'jsonType.label': 'boolean', ...claims(everywhere),
      }),
    ]),
    scope('acr', 'Authentication context class (for step-up)', false, [mapper('acr loa level', 'oidc-acr-mapper', claims({ access: true, id: true }))]),
  ];
}

/** An API scope: requested by name, it adds exactly one audience. */
export function apiScope(name: string, audience: string, description: string): ClientScopeRepresentation {
  return scope(name, description, true, [audienceMapper(audience, 'custom')]);
}

const EVERYONE = { view: ['admin', 'user'], edit: ['admin', 'user'] };

/**
 * The declarative user profile: Keycloak 26's four standard attributes as it ships them, plus the
 * ABAC attributes, which only admins see and edit (KC-24) — users cannot grant themselves a tenant
 * or clearance that the token mappers would sign. Display names are plain text: `${…}` message keys
 * would be read as import placeholders.
 */
export function userProfile(): UserProfileConfig {
  const standard: UserProfileAttribute[] = [
    {
      name: 'username', displayName: 'Username', multivalued: false, permissions: EVERYONE,
      validations: { 'length': { min: 3, max: 255 }, 'username-prohibited-characters': {}, 'up-username-not-idn-homograph': {} },
    },
    { name: 'email', displayName: 'Email', multivalued: false, permissions: EVERYONE, required: { roles: ['user'] }, validations: { email: {}, length: { max: 255 } } },
    {
      name: 'firstName', displayName: 'First name', multivalued: false, permissions: EVERYONE, required: { roles: ['user'] },
      validations: { 'length': { max: 255 }, 'person-name-prohibited-characters': {} },
    },
    {
      name: 'lastName', displayName: 'Last name', multivalued: false, permissions: EVERYONE, required: { roles: ['user'] },
      validations: { 'length': { max: 255 }, 'person-name-prohibited-characters': {} },
    },
  ];
  const abac: UserProfileAttribute[] = ABAC_ATTRIBUTES.map((name) => ({
    name, displayName: name, multivalued: true, permissions: { view: ['admin'], edit: ['admin'] },
  }));
  return { attributes: [...standard, ...abac] };
}

/** The component holding the user profile, in the export format. */
export const USER_PROFILE_PROVIDER = 'org.keycloak.userprofile.UserProfileProvider';
