/**
 * Reading Keycloak realm exports (`RealmRepresentation`, `ClientRepresentation`) defensively: a
 * realm file is arbitrary user input, so every accessor tolerates missing sections, `null` and
 * wrong types, and applies the default Keycloak itself applies on import when a field is absent.
 */
import type { PostureModel } from '../../posture-model';
import type { DocumentPath, SourceDocument } from '../../source-document';

/** One realm inside a `keycloak-realm` document. */
export interface RealmView {
  /** The document holding it. */
  readonly document: SourceDocument;
  /** The realm object. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Path of the realm object in the document: `[]`, or `[i]` for a multi-realm export (an array). */
  readonly base: DocumentPath;
}

/** One client of a realm (`clients[i]`). */
export interface ClientView {
  /** The realm it belongs to. */
  readonly realm: RealmView;
  /** The client object. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Its `clientId`, or `clients[i]` when it has none. */
  readonly clientId: string;
  /** Path of the client object. */
  readonly path: DocumentPath;
  /** `protocol`; Keycloak defaults to `openid-connect`. */
  readonly protocol: string;
}

/**
 * Clients Keycloak creates in every realm. Their URIs are relative to Keycloak's own base URL and
 * their defaults are Keycloak's, so hygiene rules skip them; rules for dangerous settings (implicit
 * flow, ROPC, wildcard or plain-HTTP URIs, secrets) still check them.
 */
export const BUILT_IN_CLIENTS: ReadonlySet<string> = new Set([
  'account',
  'account-console',
  'admin-cli',
  'broker',
  'realm-management',
  'security-admin-console',
]);

/** Whether a value is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value as an array, or empty when it is not one. */
export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as an object, or empty when it is not one. */
export function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return isRecord(value) ? value : {};
}

/** Whether a Keycloak flag is on: `true` or the string `"true"` (attributes are strings). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** Whether a Keycloak flag is explicitly off: `false` or `"false"`. */
export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false');
}

/** A flag with Keycloak's default for an absent (or unreadable) value. */
export function flag(value: unknown, fallback: boolean): boolean {
  if (isTrue(value)) return true;
  if (isFalse(value)) return false;
  return fallback;
}

/** A finite number, or an integer written as a string (attributes are strings); else undefined. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

/** A non-empty string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The strings of a list, with their index in it (non-strings skipped). */
export function stringsOf(value: unknown): { readonly value: string; readonly index: number }[] {
  const out: { value: string; index: number }[] = [];
  asArray(value).forEach((v, index) => {
    if (typeof v === 'string') out.push({ value: v, index });
  });
  return out;
}

/** Every realm of every `keycloak-realm` document (a file holds one realm, or an array of them). */
export function realmsOf(model: PostureModel): RealmView[] {
  const out: RealmView[] = [];
  for (const document of model.ofKind('keycloak-realm')) {
    const data: unknown = document.data;
    if (Array.isArray(data)) {
      data.forEach((realm, i) => {
        if (isRecord(realm)) out.push({ document, data: realm, base: [i] });
      });
    } else if (isRecord(data)) {
      out.push({ document, data, base: [] });
    }
  }
  return out;
}

/** The data path of a realm-level key (or deeper). */
export function realmPath(realm: RealmView, ...rest: (string | number)[]): DocumentPath {
  return [...realm.base, ...rest];
}

/** The realm's name, for messages. */
export function realmName(realm: RealmView): string {
  return asString(realm.data.realm) ?? 'realm';
}

/** The clients of a realm (entries that are not objects are skipped). */
export function clientsOf(realm: RealmView): ClientView[] {
  const out: ClientView[] = [];
  asArray(realm.data.clients).forEach((data, i) => {
    if (!isRecord(data)) return;
    const clientId = typeof data.clientId === 'string' && data.clientId !== '' ? data.clientId : `clients[${i}]`;
    const protocol = typeof data.protocol === 'string' && data.protocol !== '' ? data.protocol : 'openid-connect';
    out.push({ realm, data, clientId, path: realmPath(realm, 'clients', i), protocol });
  });
  return out;
}

/** Every client of every realm in the model. */
export function allClients(model: PostureModel): ClientView[] {
  return realmsOf(model).flatMap(clientsOf);
}

/** The path of a client's key (or deeper). */
export function clientPath(client: ClientView, ...rest: (string | number)[]): DocumentPath {
  return [...client.path, ...rest];
}

/** A client attribute (`attributes[key]`), raw. */
export function clientAttribute(client: ClientView, key: string): unknown {
  return asRecord(client.data.attributes)[key];
}

/** Whether the client speaks OpenID Connect. */
export function isOidc(client: ClientView): boolean {
  return client.protocol === 'openid-connect';
}

/** Whether the client speaks SAML. */
export function isSaml(client: ClientView): boolean {
  return client.protocol === 'saml';
}

/** Whether it is one of the clients Keycloak creates itself. */
export function isBuiltIn(client: ClientView): boolean {
  return BUILT_IN_CLIENTS.has(client.clientId);
}

/** `publicClient` (default false). */
export function isPublic(client: ClientView): boolean {
  return flag(client.data.publicClient, false);
}

/** `bearerOnly` (default false): such a client never obtains tokens. */
export function isBearerOnly(client: ClientView): boolean {
  return flag(client.data.bearerOnly, false);
}

/** `standardFlowEnabled`: Keycloak turns the authorization-code flow on when the field is absent. */
export function standardFlow(client: ClientView): boolean {
  return flag(client.data.standardFlowEnabled, true);
}

/** `implicitFlowEnabled` (default false). */
export function implicitFlow(client: ClientView): boolean {
  return flag(client.data.implicitFlowEnabled, false);
}

/** `directAccessGrantsEnabled` (default false). */
export function directAccessGrants(client: ClientView): boolean {
  return flag(client.data.directAccessGrantsEnabled, false);
}

/** `serviceAccountsEnabled` (default false). */
export function serviceAccounts(client: ClientView): boolean {
  return flag(client.data.serviceAccountsEnabled, false);
}

/** The device-authorization grant (`attributes['oauth2.device.authorization.grant.enabled']`). */
export function deviceGrant(client: ClientView): boolean {
  return flag(clientAttribute(client, 'oauth2.device.authorization.grant.enabled'), false);
}

/** The user-facing flows an OIDC client has on, by Keycloak field name. */
export function userFlows(client: ClientView): string[] {
  if (!isOidc(client) || isBearerOnly(client)) return [];
  const flows: string[] = [];
  if (standardFlow(client)) flows.push('standardFlowEnabled');
  if (implicitFlow(client)) flows.push('implicitFlowEnabled');
  if (directAccessGrants(client)) flows.push('directAccessGrantsEnabled');
  if (deviceGrant(client)) flows.push('oauth2.device.authorization.grant.enabled');
  return flows;
}

/** Whether users log in through this client (any user-facing flow on). */
export function authenticatesUsers(client: ClientView): boolean {
  return userFlows(client).length > 0;
}

/** Whether Keycloak sends browsers back to this client's redirect URIs (OIDC code/implicit, or SAML). */
export function usesRedirects(client: ClientView): boolean {
  if (isSaml(client)) return true;
  return isOidc(client) && !isBearerOnly(client) && (standardFlow(client) || implicitFlow(client));
}
