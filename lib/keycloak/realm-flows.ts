/**
 * The browser flow with MFA for privileged users: Keycloak's `browser` flow reduced to the cookie
 * and the username/password form, followed by a conditional sub-flow that asks for a one-time code
 * whenever the user holds {@link MFA_REQUIRED_ROLE} (granted by the groups that require MFA).
 *
 * OTP is REQUIRED inside the condition: a privileged user without a configured authenticator is
 * sent to the CONFIGURE_TOTP required action at first login. Offering WebAuthn as an ALTERNATIVE
 * next to it was tried on Keycloak 26.7.3 and fails the login outright for users who have set up
 * neither, so WebAuthn is configured in the realm policy but not required by the flow.
 */
import { MFA_REQUIRED_ROLE } from './realm-defaults';
import type { AuthenticatorConfigRepresentation, FlowDefinition, FlowExecution } from './realm-document';

/** Alias of the realm's browser flow. */
export const BROWSER_FLOW = 'mlsec-browser';
const FORMS_FLOW = 'mlsec-browser-forms';
const MFA_FLOW = 'mlsec-browser-mfa';
const MFA_CONDITION = 'mlsec-mfa-required-role';

function step(authenticator: string, requirement: string, priority: number, authenticatorConfig?: string): FlowExecution {
  return { authenticator, authenticatorFlow: false, requirement, priority, userSetupAllowed: false, ...(authenticatorConfig ? { authenticatorConfig } : {}) };
}

function subFlow(flowAlias: string, requirement: string, priority: number): FlowExecution {
  return { flowAlias, authenticatorFlow: true, requirement, priority, userSetupAllowed: false };
}

function flow(alias: string, description: string, topLevel: boolean, authenticationExecutions: FlowExecution[]): FlowDefinition {
  return { alias, description, providerId: 'basic-flow', topLevel, builtIn: false, authenticationExecutions };
}

/**
 * The three flows of the MFA browser login. Keycloak still creates its own built-in flows next to them.
 * @internal
 */
export function browserFlows(): FlowDefinition[] {
  return [
    flow(BROWSER_FLOW, 'Browser login: SSO cookie, or password then OTP for privileged users', true, [
      step('auth-cookie', 'ALTERNATIVE', 10),
      subFlow(FORMS_FLOW, 'ALTERNATIVE', 20),
    ]),
    flow(FORMS_FLOW, 'Username and password, then MFA when required', false, [
      step('auth-username-password-form', 'REQUIRED', 10),
      subFlow(MFA_FLOW, 'CONDITIONAL', 20),
    ]),
    flow(MFA_FLOW, `One-time code for holders of the ${MFA_REQUIRED_ROLE} role`, false, [
      step('conditional-user-role', 'REQUIRED', 10, MFA_CONDITION),
      step('auth-otp-form', 'REQUIRED', 20),
    ]),
  ];
}

/**
 * The configuration of the role condition.
 * @internal
 */
export function flowConfigs(): AuthenticatorConfigRepresentation[] {
  return [{ alias: MFA_CONDITION, config: { condUserRole: MFA_REQUIRED_ROLE, negate: 'false' } }];
}
