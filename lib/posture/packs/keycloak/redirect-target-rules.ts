import type { Rule, RuleHit } from '../../rule';
import { allClients, clientPath, isBuiltIn, isOidc, stringsOf, usesRedirects } from './realm-fields';
import { clientUris, hostOf, isLoopback, schemeOf, uriLabel } from './redirect-uris';

/**
 * KC-04: a redirect or post-logout redirect URI uses `http://` to a host other than the loopback
 * interface (`localhost`, `127.0.0.0/8`, `[::1]`), so codes and assertions cross the network in clear.
 */
export const KC_04: Rule = {
  id: 'KC-04',
  title: 'Plain-HTTP redirect URI to a non-loopback host',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'The authorization response carries the code (or, for SAML, the assertion) in the redirect. Over plain HTTP anyone on the path reads it; ' +
    'only a loopback redirect for a native app stays on the machine.',
  remediation: 'Use `https://` for every redirect and post-logout URI; native apps may use `http://127.0.0.1:<port>/…`.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-23', 'IA-2'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter(usesRedirects)
      .flatMap((client) =>
        clientUris(client)
          .filter((uri) => schemeOf(uri.resolved) === 'http' && !isLoopback(hostOf(uri.resolved) ?? ''))
          .map((uri): RuleHit => ({
            document: client.realm.document,
            path: uri.path,
            granular: client.clientId,
            message: `client '${client.clientId}' has plain-HTTP ${uriLabel(uri)} '${uri.value}' to a non-loopback host`,
          })),
      ),
};

/**
 * KC-05: a redirect or post-logout redirect URI that cannot be audited because it has no scheme
 * (relative, and the client has no absolute `rootUrl`), or that uses a custom scheme (`myapp://`),
 * which any app on a phone may claim. Built-in Keycloak clients are skipped.
 */
export const KC_05: Rule = {
  id: 'KC-05',
  title: 'Redirect URI is relative or uses a custom scheme',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale:
    'A relative redirect URI is resolved against a root URL that is not in the file, so nobody can check where codes go from the realm alone. ' +
    'A custom URI scheme can be registered by any installed app, which may then intercept the authorization response.',
  remediation: 'Write absolute `https://` URIs (or set an absolute `rootUrl`); native apps should use claimed https links or a loopback redirect with PKCE.',
  controls: { 'nist-800-53-r5': ['CM-6', 'IA-2'], 'csa-aicm': ['IAM', 'AIS'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => usesRedirects(client) && !isBuiltIn(client))
      .flatMap((client) =>
        clientUris(client).flatMap((uri): RuleHit[] => {
          const scheme = schemeOf(uri.resolved);
          if (scheme === 'http' || scheme === 'https') return [];
          const message =
            scheme === undefined
              ? `client '${client.clientId}' has ${uriLabel(uri)} '${uri.value}' with no scheme, which cannot be audited`
              : `client '${client.clientId}' has ${uriLabel(uri)} '${uri.value}' with custom scheme '${scheme}'`;
          return [{ document: client.realm.document, path: uri.path, granular: client.clientId, message }];
        }),
      ),
};

/**
 * KC-06: an OIDC client with the standard or implicit flow on has no `redirectUris`. Built-in
 * Keycloak clients are skipped.
 */
export const KC_06: Rule = {
  id: 'KC-06',
  title: 'Redirect-flow client has no redirect URIs',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale:
    'A client that uses the browser flows but registers no redirect URI either cannot log anyone in, or is waiting for someone to add a ' +
    'broad URI under time pressure. Either the flow is not needed or the URIs are missing from the generated realm.',
  remediation: 'Register the exact callback URIs, or turn `standardFlowEnabled`/`implicitFlowEnabled` off for clients that do not log users in.',
  controls: { 'nist-800-53-r5': ['CM-6', 'IA-2'], 'csa-aicm': ['IAM', 'AIS'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter((client) => isOidc(client) && usesRedirects(client) && !isBuiltIn(client))
      .filter((client) => stringsOf(client.data.redirectUris).every((u) => u.value.trim() === ''))
      .map((client) => ({
        document: client.realm.document,
        path: clientPath(client, 'redirectUris'),
        granular: client.clientId,
        message: `client '${client.clientId}' uses a browser redirect flow but has no redirectUris`,
      })),
};
