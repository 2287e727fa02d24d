/**
 * Redirect and post-logout URIs of a client, resolved the way Keycloak resolves them, and
 * classified by what their wildcard lets through. Keycloak's only wildcard is a trailing `*`
 * (prefix match); a relative URI (starting with `/`) is resolved against the client's `rootUrl`.
 */
import type { DocumentPath } from '../../source-document';
import { ClientView, asString, clientAttribute, clientPath, stringsOf } from './realm-fields';

/** One URI a client lets Keycloak redirect to. */
export interface ClientUri {
  /** As written. */
  readonly value: string;
  /** With a leading-`/` value prefixed by the client's `rootUrl` (when it has one). */
  readonly resolved: string;
  /** `redirect` (`redirectUris`) or `post-logout` (`attributes['post.logout.redirect.uris']`). */
  readonly kind: 'redirect' | 'post-logout';
  /** Where it is written. */
  readonly path: DocumentPath;
}

/** What a trailing `*` lets through. */
export type WildcardReach = 'any' | 'host' | 'path';

const POST_LOGOUT = 'post.logout.redirect.uris';

/** Label for messages: "redirect URI" or "post-logout redirect URI". */
export function uriLabel(uri: ClientUri): string {
  return uri.kind === 'redirect' ? 'redirect URI' : 'post-logout redirect URI';
}

/**
 * The client's redirect URIs (`redirectUris`) and, unless `redirectOnly`, its post-logout redirect
 * URIs (`##`-separated; `+` means "same as the redirect URIs" and is skipped).
 */
export function clientUris(client: ClientView, options: { redirectOnly?: boolean } = {}): ClientUri[] {
  const rootUrl = asString(client.data.rootUrl);
  const resolve = (value: string) => (value.startsWith('/') && rootUrl !== undefined ? rootUrl.replace(/\/+$/, '') + value : value);
  const out: ClientUri[] = stringsOf(client.data.redirectUris)
    .filter((u) => u.value.trim() !== '')
    .map((u) => ({ value: u.value, resolved: resolve(u.value.trim()), kind: 'redirect' as const, path: clientPath(client, 'redirectUris', u.index) }));
  if (options.redirectOnly) return out;
  const postLogout = clientAttribute(client, POST_LOGOUT);
  if (typeof postLogout === 'string') {
    for (const value of postLogout.split('##')) {
      const trimmed = value.trim();
      if (trimmed === '' || trimmed === '+') continue;
      out.push({ value: trimmed, resolved: resolve(trimmed), kind: 'post-logout', path: clientPath(client, 'attributes', POST_LOGOUT) });
    }
  }
  return out;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):(\/\/)?(.*)$/is;

/** The URI scheme, lower-case, or undefined for a relative URI. */
export function schemeOf(uri: string): string | undefined {
  const match = SCHEME.exec(uri);
  return match ? match[1].toLowerCase() : undefined;
}

/**
 * What a trailing-`*` URI matches: `any` URI (`*`, `https://*`, `http*`), any `host` starting
 * with the given text (`https://app.example.org*`, `https://app.example.org:*`, where
 * `https://app.example.org.attacker.tk` also matches), or any `path` under a fixed host. Undefined
 * when the URI has no wildcard.
 */
export function wildcardReach(uri: string): WildcardReach | undefined {
  if (!uri.endsWith('*')) return undefined;
  const prefix = uri.slice(0, -1);
  if (prefix === '') return 'any';
  const match = SCHEME.exec(prefix);
  if (match) {
    const rest = match[3];
    if (match[2] !== undefined) {
      if (rest === '') return 'any';
      return /[/?#]/.test(rest) ? 'path' : 'host';
    }
    return rest === '' || rest === '/' ? 'any' : 'path';
  }
  if (prefix.startsWith('/')) return 'path';
  // A bare scheme prefix ("h", "http", "https") matches every URI of every scheme starting so.
  if (/^[a-z][a-z0-9+-]*$/i.test(prefix)) return 'any';
  // "app.example.org*": a host without a scheme.
  return prefix.includes('/') ? 'path' : 'host';
}

/** The host of an absolute `scheme://` URI, lower-case, without user info or port. */
export function hostOf(uri: string): string | undefined {
  const match = SCHEME.exec(uri);
  if (!match || match[2] === undefined) return undefined;
  let authority = match[3].split(/[/?#]/, 1)[0];
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return (end >= 0 ? authority.slice(0, end + 1) : authority).toLowerCase();
  }
  return authority.split(':', 1)[0].toLowerCase();
}

/** Whether a host is the loopback interface (`localhost`, `127.0.0.0/8`, `[::1]`). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
