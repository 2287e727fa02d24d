import { Construct } from 'constructs';
import { canonicalJson } from '../core/canonical-json';
import { checkedId } from '../core/names';
import { describeValue } from '../core/prop-rules';
import { VpsFile } from '../core/vps-file';
import type { VaultKvSecret, VaultTransitKey } from './vault-grants';
import { VaultPolicy } from './vault-policy';

/** Props of a {@link VaultCiRole}. */
export interface VaultCiRoleProps {
  /** Role (and policy) name: lower-case letters, digits and "-". */
  readonly name: string;
  /** The GitHub repository allowed to log in, `owner/name`. */
  readonly repository: string;
  /** The git ref allowed (`refs/heads/main`, `refs/tags/v*` as a glob). */
  readonly ref: string;
  /**
   * The GitHub Actions environment the job must run in (its protection rules apply).
   * @default none (any environment)
   */
  readonly environment?: string;
  /**
   * The audience the workflow requests in its OIDC token.
   * @default 'vault'
   */
  readonly audience?: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const REF = /^refs\/(heads|tags)\/[A-Za-z0-9_.\/-]{1,200}\*?$/;
const ENVIRONMENT = /^[A-Za-z0-9_.-]{1,100}$/;
/** GitHub's OIDC issuer. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * A JWT auth role for CI: GitHub Actions' OIDC token logs in only from one repository, one ref
 * (and one environment when given), for one audience, with a 10-minute token bound to a policy
 * of exactly what the role is allowed (`allowRead`, `allowWrite`, `allowSign`). The role definition is a JSON
 * file the bootstrap writes with `vault write auth/jwt/role/<name> @file`.
 */
export class VaultCiRole extends Construct {
  /** The role name. */
  public readonly roleName: string;
  /** Its own policy. */
  public readonly policy: VaultPolicy;
  /** The role definition file. */
  public readonly file: VpsFile;

  constructor(scope: Construct, id: string, props: VaultCiRoleProps) {
    super(scope, checkedId(scope, id));
    const p = props ?? ({} as VaultCiRoleProps);
    this.roleName = p.name;
    this.policy = new VaultPolicy(this, 'Policy', { name: `ci-${p.name}` });
    this.file = new VpsFile(this, 'Role', {
      path: `vault/auth/jwt-${p.name}.json`,
      content: () => canonicalJson({
        role_type: 'jwt',
        user_claim: 'repository',
        bound_audiences: [p.audience ?? 'vault'],
        bound_claims_type: p.ref.endsWith('*') ? 'glob' : 'string',
        bound_claims: { repository: p.repository, ref: p.ref, ...(p.environment ? { environment: p.environment } : {}) },
        token_policies: [this.policy.policyName],
        token_ttl: '10m',
        token_max_ttl: '15m',
        token_type: 'service',
        token_no_default_policy: true,
      }),
    });
    this.node.addValidation({
      validate: () => [
        ...(typeof p.name === 'string' && NAME.test(p.name) ? [] : [`prop 'name' must be lower-case letters, digits and "-" (got ${describeValue(p.name)})`]),
        ...(typeof p.repository === 'string' && REPOSITORY.test(p.repository) ? [] : [`prop 'repository' must be owner/name (got ${describeValue(p.repository)})`]),
        ...(typeof p.ref === 'string' && REF.test(p.ref) ? [] : [`prop 'ref' must be refs/heads/<branch> or refs/tags/<tag>, a trailing "*" at most (got ${describeValue(p.ref)})`]),
        ...(p.environment === undefined || (typeof p.environment === 'string' && ENVIRONMENT.test(p.environment)) ? [] : [`prop 'environment' must be letters, digits and "_.-" (got ${describeValue(p.environment)})`]),
        ...(p.audience === undefined || (typeof p.audience === 'string' && ENVIRONMENT.test(p.audience)) ? [] : [`prop 'audience' must be letters, digits and "_.-" (got ${describeValue(p.audience)})`]),
      ],
    });
  }

  /** Lets the CI job read `secret`. */
  public allowRead(secret: VaultKvSecret): void {
    this.policy.addRule(secret.dataPath, ['read']);
  }

  /**
   * Lets the CI job write `secret` (`create` and `update` on exactly its `kv/data/<path>`, no read,
   * no delete, no metadata), e.g. a model's release record at release.
   */
  public allowWrite(secret: VaultKvSecret): void {
    this.policy.addRule(secret.dataPath, ['create', 'update']);
  }

  /** Lets the CI job sign with `key` (e.g. model signing at release). */
  public allowSign(key: VaultTransitKey): void {
    this.policy.addRule(`${key.transitMountPath}/sign/${key.keyName}`, ['update']);
  }
}

/** Props of a {@link VaultOidcLogin}. */
export interface VaultOidcLoginProps {
  /** The IdP's issuer (Keycloak realm URL), https. */
  readonly issuer: string;
  /** The OIDC client of Vault at the IdP. */
  readonly clientId: string;
  /** Its client secret (a credential the bootstrap hands to Vault; never in synth-out). */
  readonly clientSecret: import('../secrets/credential').Credential;
  /** Exact redirect URIs: the UI callback over https and, for the CLI, the loopback listener. */
  readonly redirectUris: string[];
}

/**
 * Human login through the IdP (OIDC, Keycloak): one role with exact redirect URIs, the `groups`
 * claim mapped to external identity groups, each holding the policies given with `mapGroup`.
 * Tokens last an hour at most.
 */
export class VaultOidcLogin extends Construct {
  /** The role definition file. */
  public readonly file: VpsFile;
  /** Props. */
  public readonly props: VaultOidcLoginProps;
  private readonly groups = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: VaultOidcLoginProps) {
    super(scope, checkedId(scope, id));
    this.props = props;
    this.file = new VpsFile(this, 'Role', {
      path: 'vault/auth/oidc-human.json',
      content: () => canonicalJson({
        role_type: 'oidc',
        user_claim: 'sub',
        groups_claim: 'groups',
        oidc_scopes: ['openid', 'profile', 'email'],
        bound_audiences: [props.clientId],
        allowed_redirect_uris: [...props.redirectUris],
        token_ttl: '30m',
        token_max_ttl: '1h',
        token_type: 'service',
        token_no_default_policy: false,
        verbose_oidc_logging: false,
      }),
    });
    this.node.addValidation({
      validate: () => [
        ...(typeof props?.issuer === 'string' && /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/.test(props.issuer) ? [] : [`prop 'issuer' must be an https URL (got ${describeValue(props?.issuer)})`]),
        ...(typeof props?.clientId === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(props.clientId) ? [] : [`prop 'clientId' must be letters, digits and "_.-" (got ${describeValue(props?.clientId)})`]),
        ...(Array.isArray(props?.redirectUris) && props.redirectUris.length > 0 ? [] : ["prop 'redirectUris' must list the exact callback URLs"]),
        ...(props?.redirectUris ?? []).filter((u) => !/^(https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?|http:\/\/(localhost|127\.0\.0\.1):8250)\/[A-Za-z0-9._~\/-]*$/.test(u) || u.includes('*'))
          .map((u) => `prop 'redirectUris': ${describeValue(u)} must be an exact https URL (or the CLI's http://localhost:8250/… callback), no wildcard`),
        ...[...this.groups.keys()].filter((g) => !/^[A-Za-z0-9_.-]{1,64}$/.test(g)).map((g) => `mapGroup: group ${describeValue(g)} must be letters, digits and "_.-"`),
      ],
    });
  }

  /** Members of IdP group `group` get `policy`. */
  public mapGroup(group: string, policy: VaultPolicy): void {
    this.groups.set(group, [...(this.groups.get(group) ?? []), policy.policyName]);
  }

  /** Group → policy names, sorted. */
  public get groupMap(): [string, string[]][] {
    return [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}
