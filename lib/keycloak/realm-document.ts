/**
 * The realm import document, typed with Keycloak's own representations (types only: nothing of
 * the admin client is loaded at runtime). Where the published types lag the server, the gaps are
 * filled here, each checked against a real Keycloak 26.7.3 export.
 */
import type AuthenticationExecutionExportRepresentation from '@keycloak/keycloak-admin-client/lib/defs/authenticationExecutionExportRepresentation';
import type AuthenticationFlowRepresentation from '@keycloak/keycloak-admin-client/lib/defs/authenticationFlowRepresentation';
import type AuthenticatorConfigRepresentation from '@keycloak/keycloak-admin-client/lib/defs/authenticatorConfigRepresentation';
import type ClientScopeRepresentation from '@keycloak/keycloak-admin-client/lib/defs/clientScopeRepresentation';
import type ComponentExportRepresentation from '@keycloak/keycloak-admin-client/lib/defs/componentExportRepresentation';
import type EventType from '@keycloak/keycloak-admin-client/lib/defs/eventTypes';
import type RealmRepresentation from '@keycloak/keycloak-admin-client/lib/defs/realmRepresentation';

export type { default as ClientRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/clientRepresentation';
export type { default as GroupRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/groupRepresentation';
export type { default as ProtocolMapperRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/protocolMapperRepresentation';
export type { default as RoleRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/roleRepresentation';
export type { default as UserRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation';
export type { UserProfileAttribute, UserProfileConfig } from '@keycloak/keycloak-admin-client/lib/defs/userProfileMetadata';
export type { AuthenticatorConfigRepresentation, ClientScopeRepresentation };

/**
 * An execution as Keycloak 26 exports it: the admin client only knows the misspelt
 * `autheticatorFlow`; the server reads (and writes) `authenticatorFlow`.
 */
export type FlowExecution = AuthenticationExecutionExportRepresentation & { readonly authenticatorFlow: boolean };

/** A flow whose executions use {@link FlowExecution}. */
export type FlowDefinition = Omit<AuthenticationFlowRepresentation, 'authenticationExecutions'> & {
  readonly authenticationExecutions: FlowExecution[];
};

/** Event types the server knows beyond the admin client's union (brute-force lockouts, Keycloak 24+). */
export type RealmEventType = EventType | 'USER_DISABLED_BY_PERMANENT_LOCKOUT' | 'USER_DISABLED_BY_TEMPORARY_LOCKOUT';

/** WebAuthn (second factor) policy fields of the realm, missing from the admin client's type. */
export interface WebAuthnPolicyFields {
  readonly webAuthnPolicyRpEntityName?: string;
  readonly webAuthnPolicySignatureAlgorithms?: string[];
  readonly webAuthnPolicyAttestationConveyancePreference?: string;
  readonly webAuthnPolicyAuthenticatorAttachment?: string;
  readonly webAuthnPolicyRequireResidentKey?: string;
  readonly webAuthnPolicyUserVerificationRequirement?: string;
  readonly webAuthnPolicyAvoidSameAuthenticatorRegister?: boolean;
}

/** A component as exported: its config values are lists (Keycloak's multivalued map). */
export type ComponentDefinition = Omit<ComponentExportRepresentation, 'config'> & { config?: Record<string, string[]> };

/**
 * The realm file: `RealmRepresentation` with the export format's `components` (a list per
 * provider type, not one component), typed flows, client scopes and event types.
 */
export type RealmDocument = Omit<RealmRepresentation, 'components' | 'authenticationFlows' | 'authenticatorConfig' | 'clientScopes' | 'enabledEventTypes'> &
  WebAuthnPolicyFields & {
    components?: Record<string, ComponentDefinition[]>;
    authenticationFlows?: FlowDefinition[];
    authenticatorConfig?: AuthenticatorConfigRepresentation[];
    clientScopes?: ClientScopeRepresentation[];
    enabledEventTypes?: RealmEventType[];
  };
