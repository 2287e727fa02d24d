import type { Rule, RuleHit } from '../../rule';
import {
  allClients,
  clientAttribute,
  clientPath,
  directAccessGrants,
  implicitFlow,
  isBearerOnly,
  isOidc,
  isPublic,
  isTrue,
  serviceAccounts,
  standardFlow,
  userFlows,
} from './realm-fields';

/** The client attribute that marks a client as part of an explicit test profile (KC-09). */
export const TEST_PROFILE_ATTRIBUTE = 'mlsec.test-profile';

const PKCE_METHOD = 'pkce.code.challenge.method';

/** KC-07: an OIDC client has `implicitFlowEnabled: true`. */
export const KC_07: Rule = {
  id: 'KC-07',
  title: 'Implicit flow enabled',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'The implicit grant returns access tokens in the URL fragment, where browser history, referrers and injected scripts can read them, and ' +
    'the tokens are not sender-constrained. OAuth 2.0 Security BCP and OAuth 2.1 drop it.',
  remediation: 'Set `implicitFlowEnabled: false` and use the authorization-code flow with PKCE S256.',
  controls: { 'nist-800-53-r5': ['IA-2', 'SC-23'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => isOidc(client) && !isBearerOnly(client) && implicitFlow(client))
      .map((client) => ({
        document: client.realm.document,
        path: clientPath(client, 'implicitFlowEnabled'),
        granular: client.clientId,
        message: `client '${client.clientId}' sets implicitFlowEnabled: true`,
      })),
};

/**
 * KC-08: an OIDC client with the standard (authorization-code) flow on, public or confidential,
 * does not pin `attributes['pkce.code.challenge.method']` to `S256`.
 */
export const KC_08: Rule = {
  id: 'KC-08',
  title: 'Authorization-code client does not enforce PKCE S256',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'Without PKCE an intercepted or injected authorization code can be redeemed by someone else; confidential clients are exposed to code ' +
    'injection too. Only `S256` binds the code to a secret the attacker never sees (`plain` sends it in the request).',
  remediation: "Set `attributes['pkce.code.challenge.method']` to `S256` on every client with `standardFlowEnabled` (the default).",
  controls: { 'nist-800-53-r5': ['IA-2', 'SC-23'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => isOidc(client) && !isBearerOnly(client) && standardFlow(client))
      .flatMap((client): RuleHit[] => {
        const method = clientAttribute(client, PKCE_METHOD);
        if (method === 'S256') return [];
        const kind = isPublic(client) ? 'public' : 'confidential';
        const message =
          typeof method === 'string' && method.trim() !== ''
            ? `${kind} client '${client.clientId}' uses PKCE method '${method}' instead of S256`
            : `${kind} client '${client.clientId}' has the standard flow on but does not enforce PKCE S256`;
        return [{ document: client.realm.document, path: clientPath(client, 'attributes', PKCE_METHOD), granular: client.clientId, message }];
      }),
};

/**
 * KC-09: an OIDC client has `directAccessGrantsEnabled: true` (the resource-owner password grant).
 * A client with `attributes['mlsec.test-profile']` = `"true"` is part of an explicit test profile:
 * its hit is reported with severity info instead of high.
 */
export const KC_09: Rule = {
  id: 'KC-09',
  title: 'Direct access grants (ROPC) enabled',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'The password grant hands the user\'s password to the client and skips the browser flow, so MFA, brute-force pacing and IdP redirects do not ' +
    'apply; it is the usual path for credential stuffing against an internet-facing IdP. OAuth 2.1 removes it.',
  remediation:
    'Set `directAccessGrantsEnabled: false`; use the authorization-code flow for users and client credentials for machines. For test-only ' +
    "clients, mark them with `attributes['mlsec.test-profile']: \"true\"` and keep them out of production realms.",
  controls: { 'nist-800-53-r5': ['IA-2', 'IA-5'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => isOidc(client) && !isBearerOnly(client) && directAccessGrants(client))
      .map((client): RuleHit => {
        const base = { document: client.realm.document, path: clientPath(client, 'directAccessGrantsEnabled'), granular: client.clientId };
        if (isTrue(clientAttribute(client, TEST_PROFILE_ATTRIBUTE))) {
          return { ...base, severity: 'info', message: `test-profile client '${client.clientId}' sets directAccessGrantsEnabled: true` };
        }
        return { ...base, message: `client '${client.clientId}' sets directAccessGrantsEnabled: true` };
      }),
};

/**
 * KC-16: a confidential OIDC client with a service account (`serviceAccountsEnabled`) also has a
 * user flow on (standard, implicit, direct access or device grant).
 */
export const KC_16: Rule = {
  id: 'KC-16',
  title: 'Service-account client also has a user flow',
  severity: 'low',
  level: 'info',
  priority: 'P2',
  rationale:
    'A machine client that can also log users in mixes two identities: its secret then opens both the service account\'s roles and user ' +
    'sessions, and its redirect surface exists for no reason. Note Keycloak turns the standard flow on when `standardFlowEnabled` is absent.',
  remediation: 'Set `standardFlowEnabled: false` (and the other user flows off) on machine-to-machine clients, or split the client in two.',
  controls: { 'nist-800-53-r5': ['AC-6', 'CM-7'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => isOidc(client) && !isPublic(client) && serviceAccounts(client))
      .flatMap((client): RuleHit[] => {
        const flows = userFlows(client);
        if (flows.length === 0) return [];
        return [
          {
            document: client.realm.document,
            path: clientPath(client, 'serviceAccountsEnabled'),
            granular: client.clientId,
            message: `service-account client '${client.clientId}' also has user flows on: ${flows.join(', ')}`,
          },
        ];
      }),
};
