import type { Rule, RuleHit } from '../../rule';
import { allClients, authenticatesUsers, clientPath, flag, isBearerOnly, isBuiltIn, isOidc, isPublic, isTrue, stringsOf } from './realm-fields';

/** Client authenticators that prove possession of a key instead of sending a shared secret (KC-10). */
export const STRONG_CLIENT_AUTHENTICATORS: ReadonlySet<string> = new Set(['client-jwt', 'client-x509', 'federated-jwt']);

/** Client authenticators built on a shared secret (`client-secret` is Keycloak's default). */
const SHARED_SECRET_AUTHENTICATORS: ReadonlySet<string> = new Set(['client-secret', 'client-secret-jwt']);

/**
 * KC-10: a confidential OIDC client authenticates with a shared secret (`clientAuthenticatorType`
 * `client-secret`, the default, or `client-secret-jwt`) instead of `client-jwt` (private_key_jwt),
 * `client-x509` (mTLS) or `federated-jwt`. Built-in Keycloak clients are skipped.
 */
export const KC_10: Rule = {
  id: 'KC-10',
  title: 'Confidential client authenticates with a shared secret',
  severity: 'low',
  level: 'info',
  priority: 'P2',
  rationale:
    'A shared client secret is sent (or used as an HMAC key) on every token request, lives in both Keycloak and the client, and leaks with ' +
    'either. Signed JWT assertions and mTLS keep the private key on the client only and enable certificate-bound tokens.',
  remediation: 'Use `clientAuthenticatorType: client-jwt` (private_key_jwt, key from Vault PKI or Transit) or `client-x509` for confidential clients.',
  controls: { 'nist-800-53-r5': ['IA-5', 'IA-3'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => isOidc(client) && !isPublic(client) && !isBearerOnly(client) && !isBuiltIn(client))
      .flatMap((client): RuleHit[] => {
        const raw = client.data.clientAuthenticatorType;
        const type = typeof raw === 'string' && raw !== '' ? raw : 'client-secret';
        if (!SHARED_SECRET_AUTHENTICATORS.has(type)) return [];
        return [
          {
            document: client.realm.document,
            path: clientPath(client, 'clientAuthenticatorType'),
            granular: client.clientId,
            message: `confidential client '${client.clientId}' authenticates with ${type} instead of client-jwt, client-x509 or federated-jwt`,
          },
        ];
      }),
};

/** Whether a `webOrigins` entry is a bare origin: `scheme://host[:port]`, no path, query or fragment. */
function isOrigin(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#*\s]+$/i.test(value);
}

/**
 * KC-11: a client's `webOrigins` contains `*` (CORS from any site), or an entry that is not an
 * origin (`+` and `*` aside): one with a path, a trailing slash, no scheme, or an embedded `*`.
 */
export const KC_11: Rule = {
  id: 'KC-11',
  title: 'Web origin is a wildcard or invalid',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    '`*` lets any web page call Keycloak endpoints for this client with CORS and read the responses (tokens, userinfo). Keycloak silently ' +
    'ignores entries that are not origins, so a typo such as a trailing slash hides a CORS policy that is not the one intended.',
  remediation: 'List the exact origins (`https://app.example.org`), or `+` to allow the origins of the registered redirect URIs.',
  controls: { 'nist-800-53-r5': ['AC-4', 'CM-6'], 'csa-aicm': ['AIS', 'IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model).flatMap((client) =>
      stringsOf(client.data.webOrigins).flatMap(({ value, index }): RuleHit[] => {
        const origin = value.trim();
        if (origin === '' || origin === '+' || isOrigin(origin)) return [];
        const message =
          origin === '*'
            ? `client '${client.clientId}' allows CORS from any origin (webOrigins '*')`
            : `client '${client.clientId}' has invalid web origin '${value}' (expected scheme://host[:port])`;
        return [{ document: client.realm.document, path: clientPath(client, 'webOrigins', index), granular: client.clientId, message }];
      }),
    ),
};

/**
 * KC-15: a client that logs users in has `fullScopeAllowed: true` (Keycloak's default when the field
 * is absent), so its tokens carry every role of the user. Built-in Keycloak clients are skipped.
 */
export const KC_15: Rule = {
  id: 'KC-15',
  title: 'Full scope allowed',
  severity: 'low',
  level: 'info',
  priority: 'P2',
  rationale:
    'With full scope allowed, every access token the client obtains carries all realm and client roles of the user, whatever the client ' +
    'needs; a leaked token for a low-value app then works against every resource server that trusts those roles.',
  remediation: 'Set `fullScopeAllowed: false` and grant the client only the roles it needs through its scope mappings or client scopes.',
  controls: { 'nist-800-53-r5': ['AC-6'], 'csa-aicm': ['IAM'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => !isBuiltIn(client) && authenticatesUsers(client) && flag(client.data.fullScopeAllowed, true))
      .map((client) => ({
        document: client.realm.document,
        path: clientPath(client, 'fullScopeAllowed'),
        granular: client.clientId,
        message: isTrue(client.data.fullScopeAllowed)
          ? `client '${client.clientId}' sets fullScopeAllowed: true`
          : `client '${client.clientId}' does not set fullScopeAllowed: false, so Keycloak's default (true) applies`,
      })),
};
