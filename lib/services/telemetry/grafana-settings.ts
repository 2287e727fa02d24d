import type { TlsFiles } from '../../workload/mounts';
import { fileValue, IniSection } from './grafana-ini';

/** Realm roles mapped to Grafana's organisation roles. */
export interface GrafanaRoleMapping {
  /** Realm roles that make a user an organisation Admin. */
  readonly admin: readonly string[];
  /** Realm roles that make a user an Editor. */
  readonly editor: readonly string[];
  /** Realm roles that make a user a Viewer. */
  readonly viewer: readonly string[];
}

/** What grafana.ini is made of. */
export interface GrafanaSettingsInput {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly tls: TlsFiles;
  /** Container paths of the agent-rendered client secret and encryption key. */
  readonly files: { readonly clientSecret: string; readonly secretKey: string };
  readonly roles: GrafanaRoleMapping;
  readonly idleMinutes: number;
  readonly oidc: {
    readonly issuerUrl: string;
    readonly clientId: string;
    /** `https://<idp service>:<port>/realms/<realm>/protocol/openid-connect`: back-channel calls stay internal. */
    readonly internalBase: string;
  };
}

/**
 * The JMESPath Grafana evaluates on the token claims: the first level whose realm roles the user
 * holds, else `false`, which `role_attribute_strict` turns into a refused login.
 */
export function roleAttributePath(roles: GrafanaRoleMapping): string {
  const branch = (list: readonly string[], grafanaRole: string) =>
    list.length === 0 ? [] : [`(${list.map((r) => `contains(realm_access.roles[*], '${r}')`).join(' || ')}) && '${grafanaRole}'`];
  return [...branch(roles.admin, 'Admin'), ...branch(roles.editor, 'Editor'), ...branch(roles.viewer, 'Viewer')].join(' || ');
}

/** grafana.ini, section by section (every value documented in Grafana's configuration reference). */
export function grafanaSettings(c: GrafanaSettingsInput): Array<[string, IniSection]> {
  const publicBase = `${c.oidc.issuerUrl}/protocol/openid-connect`;
  return [
    ['paths', { data: c.dataDir, plugins: `${c.dataDir}/plugins`, provisioning: '/etc/grafana/provisioning' }],
    ['server', {
      protocol: 'https',
      http_port: c.port,
      domain: c.host,
      root_url: `https://${c.host}/`,
      cert_file: c.tls.certificate,
      cert_key: c.tls.privateKey,
      min_tls_version: 'TLS1.2',
      router_logging: false,
      enable_gzip: false,
    }],
    ['database', { type: 'sqlite3', wal: true }],
    ['analytics', { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false, feedback_links_enabled: false }],
    ['security', {
      // No local admin/admin account: administrators come from the realm's role mapping.
      disable_initial_admin_creation: true,
      secret_key: fileValue(c.files.secretKey),
      cookie_secure: true,
      // Lax, not Strict: the OIDC callback is a cross-site top-level navigation that must carry the state cookie.
      cookie_samesite: 'lax',
      disable_gravatar: true,
      strict_transport_security: true,
      strict_transport_security_max_age_seconds: 31536000,
      x_content_type_options: true,
      x_xss_protection: true,
      content_security_policy: true,
      allow_embedding: false,
    }],
    ['snapshots', { enabled: false, external_enabled: false }],
    ['public_dashboards', { enabled: false }],
    ['users', { allow_sign_up: false, allow_org_create: false, auto_assign_org: true }],
    ['auth', {
      disable_login_form: true,
      login_maximum_inactive_lifetime_duration: `${c.idleMinutes}m`,
      login_maximum_lifetime_duration: '8h',
      token_rotation_interval_minutes: 10,
      oauth_allow_insecure_email_lookup: false,
    }],
    ['auth.basic', { enabled: false }],
    ['auth.anonymous', { enabled: false }],
    ['auth.proxy', { enabled: false }],
    ['auth.generic_oauth', {
      enabled: true,
      name: 'Keycloak',
      // Accounts are created on first OIDC login (the realm decides who exists); [users] sign-up stays off.
      allow_sign_up: true,
      auto_login: true,
      client_id: c.oidc.clientId,
      client_secret: fileValue(c.files.clientSecret),
      scopes: 'openid profile email',
      empty_scopes: false,
      // The browser goes to the public login page; code redemption and user info stay on the internal network.
      auth_url: `${publicBase}/auth`,
      token_url: `${c.oidc.internalBase}/token`,
      api_url: `${c.oidc.internalBase}/userinfo`,
      signout_redirect_url: `${publicBase}/logout?client_id=${c.oidc.clientId}&post_logout_redirect_uri=https%3A%2F%2F${c.host}%2Flogin`,
      use_pkce: true,
      use_refresh_token: true,
      login_attribute_path: 'preferred_username',
      email_attribute_path: 'email',
      name_attribute_path: 'name',
      role_attribute_path: roleAttributePath(c.roles),
      role_attribute_strict: true,
      allow_assign_grafana_admin: false,
      skip_org_role_sync: false,
      tls_skip_verify_insecure: false,
      tls_client_ca: c.tls.caBundle,
    }],
    ['plugins', { plugin_admin_enabled: false, public_key_retrieval_disabled: true }],
    ['news', { news_feed_enabled: false }],
    ['log', { mode: 'console', level: 'info' }],
    ['log.console', { format: 'json' }],
  ];
}
