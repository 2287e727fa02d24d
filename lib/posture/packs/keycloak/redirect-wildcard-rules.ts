import type { Rule, RuleHit } from '../../rule';
import { ClientView, allClients, isBuiltIn, usesRedirects } from './realm-fields';
import { ClientUri, WildcardReach, clientUris, uriLabel, wildcardReach } from './redirect-uris';

/** Hits for every redirect or post-logout URI of a redirecting client whose wildcard reaches `reach`. */
function wildcardHits(client: ClientView, reach: WildcardReach, say: (uri: ClientUri) => string): RuleHit[] {
  if (!usesRedirects(client)) return [];
  return clientUris(client)
    .filter((uri) => wildcardReach(uri.resolved) === reach)
    .map((uri) => ({ document: client.realm.document, path: uri.path, granular: client.clientId, message: say(uri) }));
}

/**
 * KC-01: a redirect (or post-logout redirect) URI of an OIDC or SAML client is `*`, `scheme://*` or
 * another prefix that stops before the host, so Keycloak sends codes and assertions anywhere.
 */
export const KC_01: Rule = {
  id: 'KC-01',
  title: 'Redirect URI is a global wildcard',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale:
    'Keycloak only sends authorization codes, tokens and SAML assertions to URIs that prefix-match a registered redirect URI. ' +
    'A registered `*` or `https://*` matches every URI, so an attacker who starts a login with their own redirect_uri receives the victim\'s code.',
  remediation: 'Register the exact callback URIs of the application (e.g. `https://mlflow.lab.example.org/oauth2/callback`), never a wildcard.',
  controls: { 'nist-800-53-r5': ['IA-2', 'SC-23', 'CM-6'], 'csa-aicm': ['IAM', 'AIS'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model).flatMap((client) =>
      wildcardHits(client, 'any', (uri) => `client '${client.clientId}' has ${uriLabel(uri)} '${uri.value}', which matches any URI`),
    ),
};

/**
 * KC-02: a redirect URI with the wildcard in the host (`https://app.example.org*`), which also
 * matches `https://app.example.org.attacker.tk`; OIDC and SAML clients.
 */
export const KC_02: Rule = {
  id: 'KC-02',
  title: 'Redirect URI has a wildcard in the host',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale:
    'A trailing `*` right after the host (or port) is a prefix match on the host name: `https://app.example.org*` accepts ' +
    '`https://app.example.org.attacker.tk/` and `https://app.example.org:@attacker.tk/`, so codes and assertions leak to any domain that starts the same way.',
  remediation: 'Put the wildcard behind a slash at the very least (`https://app.example.org/*`); better, register the exact callback URI.',
  controls: { 'nist-800-53-r5': ['IA-2', 'SC-23', 'CM-6'], 'csa-aicm': ['IAM', 'AIS'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model).flatMap((client) =>
      wildcardHits(client, 'host', (uri) => `client '${client.clientId}' has ${uriLabel(uri)} '${uri.value}' with a wildcard in the host, which matches other domains`),
    ),
};

/**
 * KC-03: any other trailing-`*` redirect URI (a path wildcard). The generator writes exact URIs,
 * so any wildcard is a regression. Built-in Keycloak clients (whose `/realms/<realm>/account/*`
 * URIs are Keycloak's own) are skipped; global and host wildcards are KC-01/KC-02, not repeated here.
 */
export const KC_03: Rule = {
  id: 'KC-03',
  title: 'Redirect URI uses a wildcard',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    'A path wildcard lets a login end on any page of the host, including open redirectors and user-controlled pages, which turns a code-leaking ' +
    'redirect into an account takeover. OAuth 2.0 Security BCP requires exact string matching of redirect URIs.',
  remediation: 'Replace the wildcard with the exact callback URI(s) the application uses.',
  controls: { 'nist-800-53-r5': ['IA-2', 'SC-23', 'CM-6'], 'csa-aicm': ['IAM', 'AIS'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => !isBuiltIn(client))
      .flatMap((client) => wildcardHits(client, 'path', (uri) => `client '${client.clientId}' has wildcard ${uriLabel(uri)} '${uri.value}' instead of an exact URI`)),
};
