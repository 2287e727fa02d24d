import type { Rule, RuleHit } from '../../rule';
import { RealmView, asArray, asRecord, asString, isFalse, isRecord, isTrue, realmPath, realmsOf } from './realm-fields';

/** OIDC broker provider ids whose signature and PKCE settings Keycloak exposes. */
const OIDC_PROVIDERS: ReadonlySet<string> = new Set(['oidc', 'keycloak-oidc']);

/** SAML identity-provider settings that must be on, with what each one protects. */
export const SAML_IDP_REQUIRED: readonly { readonly key: string; readonly what: string }[] = [
  { key: 'validateSignature', what: 'does not validate signatures' },
  { key: 'wantAssertionsSigned', what: 'does not require signed assertions' },
  { key: 'wantAssertionsEncrypted', what: 'does not require encrypted assertions' },
  { key: 'wantAuthnRequestsSigned', what: 'does not sign AuthnRequests' },
  { key: 'postBindingResponse', what: 'does not use the POST binding for responses' },
];

function mode(value: unknown): string {
  return typeof value === 'string' ? value.trim().toUpperCase() : '';
}

/** Names of the mappers of `alias` that do not end up in sync mode FORCE. */
function mappersNotForced(realm: RealmView, alias: string, idpMode: string): string[] {
  const out: string[] = [];
  asArray(realm.data.identityProviderMappers).forEach((mapper, i) => {
    if (!isRecord(mapper) || mapper.identityProviderAlias !== alias) return;
    const own = mode(asRecord(mapper.config).syncMode);
    const effective = own === '' || own === 'INHERIT' ? idpMode : own;
    if (effective !== 'FORCE') out.push(asString(mapper.name) ?? `identityProviderMappers[${i}]`);
  });
  return out;
}

function idpHits(realm: RealmView): RuleHit[] {
  const hits: RuleHit[] = [];
  asArray(realm.data.identityProviders).forEach((idp, i) => {
    if (!isRecord(idp) || isFalse(idp.enabled)) return;
    const alias = asString(idp.alias) ?? `identityProviders[${i}]`;
    const providerId = asString(idp.providerId) ?? '';
    const config = asRecord(idp.config);
    const hit = (key: string, message: string) =>
      hits.push({ document: realm.document, path: realmPath(realm, 'identityProviders', i, 'config', key), granular: alias, message });
    if (OIDC_PROVIDERS.has(providerId)) {
      if (!isTrue(config.validateSignature)) hit('validateSignature', `OIDC identity provider '${alias}' does not set validateSignature: "true"`);
      if (!isTrue(config.pkceEnabled)) hit('pkceEnabled', `OIDC identity provider '${alias}' does not enable PKCE (pkceEnabled)`);
      else if (config.pkceMethod !== 'S256') {
        hit('pkceMethod', `OIDC identity provider '${alias}' uses PKCE method '${String(config.pkceMethod ?? 'plain')}' instead of S256`);
      }
    } else if (providerId === 'saml') {
      for (const { key, what } of SAML_IDP_REQUIRED) {
        if (!isTrue(config[key])) hit(key, `SAML identity provider '${alias}' ${what} (${key} is not "true")`);
      }
    }
    const idpMode = mode(config.syncMode) || 'LEGACY';
    if (idpMode !== 'FORCE') {
      const stale = mappersNotForced(realm, alias, idpMode);
      if (stale.length > 0) {
        const names = stale.map((m) => `'${m}'`).join(', ');
        hit('syncMode', `identity provider '${alias}' has syncMode ${idpMode} while mappers ${names} import upstream data only once`);
      }
    }
  });
  return hits;
}

/**
 * KC-22: an enabled upstream identity provider is weakened: an OIDC broker (`oidc`,
 * `keycloak-oidc`) without `validateSignature: "true"` or without PKCE S256 (`pkceEnabled`,
 * `pkceMethod`); a SAML broker without `validateSignature`, `wantAssertionsSigned`,
 * `wantAssertionsEncrypted`, `wantAuthnRequestsSigned` or `postBindingResponse`; or an IdP whose
 * `identityProviderMappers` import roles and attributes only once (IdP `syncMode` not `FORCE` and the
 * mapper's own `syncMode` not `FORCE`).
 */
export const KC_22: Rule = {
  id: 'KC-22',
  title: 'Upstream identity provider weakened',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale:
    'Keycloak trusts what the upstream IdP asserts. Without signature validation a forged ID token or assertion logs anyone in as anyone; ' +
    'without PKCE the broker login is open to code injection; unsigned or unencrypted SAML assertions can be altered or read in transit; ' +
    'and with one-time sync, a role or group the upstream IdP revoked stays on the Keycloak user.',
  remediation:
    'OIDC brokers: `validateSignature: "true"` (with `useJwksUrl`), `pkceEnabled: "true"`, `pkceMethod: "S256"`. SAML brokers: turn all five ' +
    'signature/encryption/POST settings on. Set `syncMode: "FORCE"` on the IdP (or on each mapper that carries authorization data).',
  controls: { 'nist-800-53-r5': ['IA-8', 'SC-23', 'SC-13'], 'csa-aicm': ['IAM', 'STA'] },
  kinds: ['keycloak-realm'],
  check: (model) => realmsOf(model).flatMap(idpHits),
};
