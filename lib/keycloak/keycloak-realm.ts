import { Construct } from 'constructs';
import { checkedId } from '../core/names';
import { checkInteger, describeValue } from '../core/prop-rules';
import { StructuredText } from '../core/structured-text';
import { VpsFile } from '../core/vps-file';
import { KeycloakClient, KeycloakServiceAccountClientOptions, KeycloakWebClientOptions } from './keycloak-client';
import { ATTRIBUTE_VALUE, AUDIENCE, REALM_NAME, ROLE_NAME, SCOPE_NAME, baseUrlProblem, checkDescription, checkName } from './keycloak-checks';
import { ABAC_ATTRIBUTES, AbacAttribute, GROUP_CATALOG, HARDENED_REALM, MFA_REQUIRED_ROLE, ROLE_CATALOG, reservedRoles } from './realm-defaults';
import type { GroupRepresentation, RealmDocument, RoleRepresentation } from './realm-document';
import { BROWSER_FLOW, browserFlows, flowConfigs } from './realm-flows';
import { RESERVED_SCOPES, USER_PROFILE_PROVIDER, apiScope, identityScopes, userProfile } from './realm-scopes';

/** Props of a {@link KeycloakRealm}. */
export interface KeycloakRealmProps {
  /** Realm name: lower-case letters, digits, '-' (e.g. 'lab'); not `master`. */
  readonly realmName: string;
  /**
   * Public base URL of Keycloak as users see it (`https://auth.lab.example.com`), used as the
   * realm's `frontendUrl` (issuer and login-page links). Keycloak then takes every request of the
   * realm for https when it checks `sslRequired` (verified on 26.7.3: plain HTTP to its listener is
   * served), so its plain-HTTP listener must be reachable from the gateway only, or be off.
   * @default none: Keycloak derives URLs from its hostname settings
   */
  readonly frontendUrl?: string;
  /**
   * Name shown on the login page.
   * @default the realm name
   */
  readonly displayName?: string;
  /**
   * Access-token lifespan in seconds (Z8-K07: minutes, not hours).
   * @default 300 ; allowed 60..600
   */
  readonly accessTokenLifespanSeconds?: number;
  /**
   * SSO session idle timeout in seconds.
   * @default 1800 ; allowed 300..28800
   */
  readonly ssoSessionIdleSeconds?: number;
  /**
   * SSO session maximum lifespan in seconds; must be >= the idle timeout.
   * @default 28800 (8 h) ; allowed 300..28800
   */
  readonly ssoSessionMaxSeconds?: number;
  /**
   * Offline session maximum lifespan in seconds (always enforced: `offlineSessionMaxLifespanEnabled`).
   * @default 2592000 (30 d) ; allowed 3600..5184000
   */
  readonly offlineSessionMaxSeconds?: number;
  /**
   * Realm roles, name to description.
   * @default the catalog of CONTROLS.md §4.5 (admin, security, product, auditor, registrar, promoter, consumer, ml-trainer, ml-sec, reader, data-engineer, risk_analyst, risk_analyst_lead, fraud_analyst, risk-ops, core-banking)
   */
  readonly roles?: Readonly<Record<string, string>>;
  /**
   * Whether to create the lab's human groups (admin, security, ml-sec with MFA; ml-trainer,
   * data-engineer, reader, auditor, product), each with its roles and ABAC attributes.
   * @default true
   */
  readonly defaultGroups?: boolean;
  /**
   * The `tenant` attribute of every group that does not set its own.
   * @default the realm name
   */
  readonly tenant?: string;
  /**
   * The `env` attribute of every group that does not set its own.
   * @default 'lab'
   */
  readonly environment?: string;
}

/** Options of {@link KeycloakRealm.addGroup}. */
export interface KeycloakGroupOptions {
  /** Realm roles its members get. */
  readonly roles: string[];
  /**
   * ABAC attributes (`tenant`, `domain`, `purpose`, `data_clearance`, `project`, `env`), mapped
   * into tokens; `tenant` and `env` default to the realm's.
   * @default only tenant and env
   */
  readonly attributes?: Record<string, string[]>;
  /**
   * Whether members must log in with a one-time code (the browser flow's MFA condition).
   * @default false
   */
  readonly requireMfa?: boolean;
}

/** Options of {@link KeycloakRealm.addClientScope}. */
export interface KeycloakClientScopeOptions {
  /** The one audience this scope adds to tokens (the resource server, e.g. `inference-gw`). */
  readonly audience: string;
  /**
   * What the scope grants.
   * @default "Adds the audience <audience>"
   */
  readonly description?: string;
}

interface GroupEntry {
  readonly name: string;
  readonly options: KeycloakGroupOptions;
  readonly origin: string;
}

/**
 * A Keycloak realm (L1/L2): `keycloak/realm-<name>.json`, a `RealmRepresentation` Keycloak imports
 * with `--import-realm`, hardened by default (`sslRequired: all`, brute-force lockout, Argon2
 * password policy, 5-minute access tokens, refresh-token rotation with reuse 0, bounded SSO and
 * offline sessions, login and admin events, strict browser headers, no self-registration), with
 * roles, groups carrying ABAC attributes mapped into tokens, a browser flow requiring OTP for
 * privileged groups, and clients derived from routes (exact redirect URIs, PKCE S256) and callers.
 *
 * No secret is in the file. Each client's `secret` is `${MLSEC_KC_CLIENT_SECRET_<CLIENT_ID>}`
 * (see {@link KeycloakClient.secretVariable}, all listed in {@link secretVariables}); Keycloak 26
 * substitutes `${NAME}` from its environment when it imports the file. The container's entrypoint
 * exports each variable from the Vault-Agent-rendered file just before `kc.sh start --import-realm`,
 * and must refuse to start when one is unset or empty: Keycloak keeps an unresolved `${NAME}`
 * literally, which would make that text the secret. `${env.NAME}` is NOT resolved (verified on
 * 26.7.3), and `${NAME:default}` would put a default in the file. The import runs only while the
 * realm does not exist yet; later changes need a new import or the admin API.
 */
export class KeycloakRealm extends Construct {
  /** The realm name. */
  public readonly realmName: string;
  /** The realm file, `keycloak/realm-<realmName>.json` (kind `keycloak-realm`, audited at synth). */
  public readonly file: VpsFile;
  private readonly props: KeycloakRealmProps;
  private readonly roleMap = new Map<string, { description: string; origin: string }>();
  private readonly groups: GroupEntry[] = [];
  private readonly apiScopes: { name: string; options: KeycloakClientScopeOptions; origin: string }[] = [];
  private readonly clientList: KeycloakClient[] = [];
  private readonly problemsFound: string[] = [];

  constructor(scope: Construct, id: string, props: KeycloakRealmProps) {
    super(scope, checkedId(scope, id));
    this.props = props ?? ({} as KeycloakRealmProps);
    this.realmName = this.props.realmName;
    const roles = this.props.roles ?? ROLE_CATALOG;
    if (roles === null || typeof roles !== 'object' || Array.isArray(roles)) {
      this.problemsFound.push(`prop 'roles' must map role names to descriptions (got ${describeValue(roles)})`);
    } else {
      for (const [name, description] of Object.entries(roles)) this.addRoleFrom(name, description, `prop 'roles'`);
    }
    if (this.props.defaultGroups ?? true) {
      for (const [name, group] of Object.entries(GROUP_CATALOG)) {
        this.groups.push({ name, origin: `default group ${describeValue(name)}`, options: { roles: [...group.roles], requireMfa: group.requireMfa, attributes: copyAttributes(group.attributes) } });
      }
    }
    this.file = new VpsFile(this, 'File', {
      path: `keycloak/realm-${typeof this.realmName === 'string' && REALM_NAME.test(this.realmName) ? this.realmName : 'invalid'}.json`,
      kind: 'keycloak-realm',
      // Canonical JSON (sorted keys, two-space indent), with the realm's identity first for readers.
      content: () => StructuredText.json(this.document(), ['realm', 'displayName', 'enabled']),
    });
    this.node.addValidation({ validate: () => [...this.problemsFound, ...this.propProblems(), ...this.referenceProblems()] });
  }

  /** All clients (for cross-artifact checks: redirect URIs vs router hosts). */
  public get clients(): readonly KeycloakClient[] {
    return [...this.clientList];
  }

  /** The environment variables the import needs (one client secret each), sorted. */
  public get secretVariables(): readonly string[] {
    return this.clientList.map((c) => c.secretVariable).sort();
  }

  /** A realm role. */
  public addRole(name: string, description: string): void {
    this.addRoleFrom(name, description, `addRole(${describeValue(name)})`);
  }

  /** A group whose members get `roles`, its ABAC attributes in their tokens and, optionally, mandatory MFA. */
  public addGroup(name: string, options: KeycloakGroupOptions): void {
    const origin = `addGroup(${describeValue(name)})`;
    const clash = this.groups.find((g) => g.name === name);
    if (clash) this.problemsFound.push(`${origin}: group ${describeValue(name)} already exists (${clash.origin}${clash.origin.startsWith('default group') ? '; set defaultGroups: false to define your own' : ''})`);
    else this.groups.push({ name, options: options ?? ({} as KeycloakGroupOptions), origin });
  }

  /** Confidential client for an OIDC proxy / UI (authorization code + PKCE S256 only). */
  public addWebClient(id: string, options: KeycloakWebClientOptions): KeycloakClient {
    return this.track(new KeycloakClient(this, id, { ...(options ?? ({} as KeycloakWebClientOptions)), kind: 'web' }));
  }

  /** M2M client: service account only, no user flows. */
  public addServiceAccountClient(id: string, options: KeycloakServiceAccountClientOptions): KeycloakClient {
    return this.track(new KeycloakClient(this, id, { ...(options ?? ({} as KeycloakServiceAccountClientOptions)), kind: 'service-account' }));
  }

  /** A client scope with exactly one audience mapper, requested by clients that list it in `scopes`. */
  public addClientScope(name: string, options: KeycloakClientScopeOptions): void {
    const origin = `addClientScope(${describeValue(name)})`;
    if (this.apiScopes.some((s) => s.name === name)) this.problemsFound.push(`${origin}: client scope ${describeValue(name)} already exists`);
    else this.apiScopes.push({ name, options: options ?? ({} as KeycloakClientScopeOptions), origin });
  }

  private track(client: KeycloakClient): KeycloakClient {
    const clash = this.clientList.find((c) => c.clientId === client.clientId);
    if (clash) this.problemsFound.push(`add client ${describeValue(client.node.id)}: prop 'clientId' ${describeValue(client.clientId)} is already the client '${clash.node.path}'`);
    const sameVariable = this.clientList.find((c) => c.clientId !== client.clientId && c.secretVariable === client.secretVariable);
    if (sameVariable) {
      this.problemsFound.push(`add client ${describeValue(client.node.id)}: prop 'clientId' ${describeValue(client.clientId)} and '${sameVariable.clientId}' share the secret variable ${client.secretVariable}; rename one`);
    }
    this.clientList.push(client);
    return client;
  }

  private addRoleFrom(name: string, description: string, origin: string): void {
    const problems = [
      ...checkName(`${origin}.name`, name, ROLE_NAME, 'a role name: a lower-case letter, then lower-case letters, digits, "_" or "-" (at most 63)'),
      ...checkDescription(`${origin}.description`, description),
    ];
    if (typeof name === 'string' && reservedRoles(String(this.realmName)).includes(name)) problems.push(`${origin}: role ${describeValue(name)} is reserved (Keycloak or the MFA flow owns it)`);
    if (this.roleMap.has(name)) problems.push(`${origin}: role ${describeValue(name)} already exists (${this.roleMap.get(name)!.origin})`);
    this.problemsFound.push(...problems);
    if (problems.length === 0) this.roleMap.set(name, { description, origin });
  }

  private propProblems(): string[] {
    const p = this.props;
    const out = [
      ...checkName('realmName', p.realmName, REALM_NAME, 'lower-case letters, digits and "-" (at most 36, starting and ending with a letter or digit)'),
      ...(p.realmName === 'master' ? ["prop 'realmName' must not be 'master' (Keycloak refuses to import it; it is the admin realm)"] : []),
      ...(p.frontendUrl === undefined || baseUrlProblem(p.frontendUrl) === undefined ? [] : [`prop 'frontendUrl' ${baseUrlProblem(p.frontendUrl)} (got ${describeValue(p.frontendUrl)})`]),
      ...checkDescription('displayName', p.displayName),
      ...(p.tenant === undefined ? [] : checkName('tenant', p.tenant, ATTRIBUTE_VALUE, 'an attribute value of letters, digits and "._:-"')),
      ...(p.environment === undefined ? [] : checkName('environment', p.environment, ATTRIBUTE_VALUE, 'an attribute value of letters, digits and "._:-"')),
    ];
    const seconds = this.seconds();
    out.push(
      ...[
        checkInteger('accessTokenLifespanSeconds', seconds.access, 60, 600),
        checkInteger('ssoSessionIdleSeconds', seconds.idle, 300, 28800),
        checkInteger('ssoSessionMaxSeconds', seconds.max, 300, 28800),
        checkInteger('offlineSessionMaxSeconds', seconds.offline, 3600, 5184000),
      ].filter((m): m is string => m !== undefined),
    );
    if (typeof seconds.idle === 'number' && typeof seconds.max === 'number' && seconds.max < seconds.idle) {
      out.push(`prop 'ssoSessionMaxSeconds' (${seconds.max}) must be at least prop 'ssoSessionIdleSeconds' (${seconds.idle})`);
    }
    return out;
  }

  /** Groups, clients and scopes name only roles and scopes that exist; groups and scopes are well-formed. */
  private referenceProblems(): string[] {
    const out: string[] = [];
    const unknownRoles = (origin: string, roles: readonly unknown[]) =>
      roles.filter((r) => typeof r === 'string' && !this.roleMap.has(r))
        .map((r) => `${origin}: prop 'roles' names unknown realm role ${describeValue(r)} (add it with addRole or the 'roles' prop)`);
    for (const group of this.groups) {
      const o = group.options;
      out.push(...checkName(`${group.origin}.name`, group.name, ROLE_NAME, 'a group name: a lower-case letter, then lower-case letters, digits, "_" or "-" (at most 63)'));
      if (!Array.isArray(o.roles)) out.push(`${group.origin}: prop 'roles' must be a list of realm role names (got ${describeValue(o.roles)})`);
      else out.push(...unknownRoles(group.origin, o.roles));
      if (o.requireMfa !== undefined && typeof o.requireMfa !== 'boolean') out.push(`${group.origin}: prop 'requireMfa' must be true or false (got ${describeValue(o.requireMfa)})`);
      out.push(...attributeProblems(group.origin, o.attributes));
    }
    for (const s of this.apiScopes) {
      out.push(...checkName(`${s.origin}.name`, s.name, SCOPE_NAME, 'a scope name of lower-case letters, digits and ":._-" (e.g. predict:online)'));
      if (RESERVED_SCOPES.includes(s.name)) out.push(`${s.origin}: scope name ${describeValue(s.name)} is reserved for the realm's identity scopes`);
      out.push(...checkName(`${s.origin}.audience`, s.options.audience, AUDIENCE, 'a resource-server name (lower-case, digits, ":._-") or an https URL'));
      out.push(...checkDescription(`${s.origin}.description`, s.options.description));
    }
    const scopeNames = new Set(this.apiScopes.map((s) => s.name));
    for (const client of this.clientList) {
      const origin = `client '${client.node.path}'`;
      out.push(...unknownRoles(origin, client.roles));
      out.push(...client.scopes.filter((s) => typeof s === 'string' && !scopeNames.has(s))
        .map((s) => `${origin}: prop 'scopes' names unknown client scope ${describeValue(s)} (add it with addClientScope)`));
    }
    return out;
  }

  private seconds() {
    const p = this.props;
    return {
      access: p.accessTokenLifespanSeconds ?? 300,
      idle: p.ssoSessionIdleSeconds ?? 1800,
      max: p.ssoSessionMaxSeconds ?? 28800,
      offline: p.offlineSessionMaxSeconds ?? 2592000,
    };
  }

  /** The realm document, as written to the file. */
  private document(): RealmDocument {
    const p = this.props;
    const s = this.seconds();
    const clients = [...this.clientList].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    // Keycloak adds its default-roles-<realm> composite itself (offline_access, uma_authorization and the
    // account-console roles, even when the file declares it empty): offline tokens stay out of reach
    // because no client has the offline_access scope, and users need the account console for their OTP.
    const roles: RoleRepresentation[] = [
      ...[...this.roleMap].map(([name, r]) => ({ name, description: r.description })),
      { name: MFA_REQUIRED_ROLE, description: 'Marker: holders must complete OTP at every browser login (granted by groups that require MFA)' },
    ].sort(byName);
    const attributes: Record<string, string> = { adminEventsExpiration: String(HARDENED_REALM.eventsExpiration) };
    if (p.frontendUrl !== undefined) attributes.frontendUrl = p.frontendUrl;
    return {
      ...HARDENED_REALM,
      realm: this.realmName,
      displayName: p.displayName ?? this.realmName,
      attributes,
      accessTokenLifespan: s.access,
      accessTokenLifespanForImplicitFlow: s.access,
      ssoSessionIdleTimeout: s.idle,
      ssoSessionMaxLifespan: s.max,
      offlineSessionMaxLifespan: s.offline,
      offlineSessionIdleTimeout: Math.min(7 * 24 * 3600, s.offline),
      webAuthnPolicyRpEntityName: p.displayName ?? this.realmName,
      browserFlow: BROWSER_FLOW,
      authenticationFlows: browserFlows(),
      authenticatorConfig: flowConfigs(),
      roles: { realm: roles },
      groups: this.groups.map((g) => this.groupRepresentation(g)).sort(byName),
      components: { [USER_PROFILE_PROVIDER]: [{ providerId: 'declarative-user-profile', subComponents: {}, config: { 'kc.user.profile.config': [JSON.stringify(userProfile())] } }] },
      clientScopes: [...identityScopes(), ...this.apiScopes.map((x) => apiScope(x.name, x.options.audience, x.options.description ?? `Adds the audience ${x.options.audience}`))].sort(byName),
      // Only what each client lists; nothing by default for clients created later through the admin API.
      defaultDefaultClientScopes: [],
      defaultOptionalClientScopes: [],
      clients: clients.map((c) => c._representation()),
      users: clients.map((c) => c._serviceAccountUser()).filter((u) => u !== undefined),
      scopeMappings: clients.filter((c) => c.roles.length > 0).map((c) => ({ client: c.clientId, roles: [...c.roles].sort() })),
    };
  }

  private groupRepresentation(g: GroupEntry): GroupRepresentation {
    const attributes: Record<string, string[]> = {
      tenant: [this.props.tenant ?? this.realmName],
      env: [this.props.environment ?? 'lab'],
      ...copyAttributes(g.options.attributes ?? {}),
    };
    const roles = [...(Array.isArray(g.options.roles) ? g.options.roles : []), ...(g.options.requireMfa ? [MFA_REQUIRED_ROLE] : [])];
    return { name: g.name, path: `/${g.name}`, realmRoles: [...new Set(roles)].sort(), attributes, subGroups: [] };
  }
}

function byName<T extends { name?: string }>(a: T, b: T): number {
  const x = a.name ?? '';
  const y = b.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function copyAttributes(attributes: Readonly<Record<string, readonly string[] | undefined>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(attributes ?? {})) if (Array.isArray(v)) out[k] = [...v];
  return out;
}

function attributeProblems(origin: string, attributes: unknown): string[] {
  if (attributes === undefined) return [];
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    return [`${origin}: prop 'attributes' must map ABAC attribute names to lists of values (got ${describeValue(attributes)})`];
  }
  const out: string[] = [];
  for (const [key, values] of Object.entries(attributes)) {
    if (!(ABAC_ATTRIBUTES as readonly string[]).includes(key)) {
      out.push(`${origin}: prop 'attributes.${key}' is not an ABAC attribute; use ${ABAC_ATTRIBUTES.join(', ')} (only these are declared admin-only and mapped into tokens)`);
      continue;
    }
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string' || !ATTRIBUTE_VALUE.test(v))) {
      out.push(`${origin}: prop 'attributes.${key as AbacAttribute}' must be a non-empty list of values of letters, digits and "._:-" (got ${describeValue(values)})`);
    }
  }
  return out;
}
