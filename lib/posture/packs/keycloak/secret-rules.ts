import type { Rule, RuleHit } from '../../rule';
import { RealmView, asArray, asRecord, asString, clientPath, clientsOf, isRecord, realmName, realmPath, realmsOf } from './realm-fields';
import { isPlaintextSecret } from './secret-placeholders';

/** Client attributes that hold secrets: the rotated client secret and SAML signing/encryption private keys. */
export const SECRET_CLIENT_ATTRIBUTES: readonly string[] = ['client.secret.rotated', 'saml.signing.private.key', 'saml.encryption.private.key'];

/** Component `config` keys that hold secrets (LDAP bind password, key-provider keys, keystore passwords). */
export const SECRET_COMPONENT_KEYS: readonly string[] = ['bindCredential', 'privateKey', 'secret', 'keystorePassword', 'keyPassword', 'clientSecret'];

function clientSecretHits(realm: RealmView): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const client of clientsOf(realm)) {
    if (isPlaintextSecret(client.data.secret)) {
      hits.push({
        document: realm.document,
        path: clientPath(client, 'secret'),
        granular: client.clientId,
        message: `client '${client.clientId}' has a plaintext secret instead of a placeholder`,
      });
    }
    for (const key of SECRET_CLIENT_ATTRIBUTES) {
      if (!isPlaintextSecret(asRecord(client.data.attributes)[key])) continue;
      hits.push({
        document: realm.document,
        path: clientPath(client, 'attributes', key),
        granular: client.clientId,
        message: `client '${client.clientId}' has a plaintext attributes['${key}']`,
      });
    }
  }
  return hits;
}

function userCredentialHits(realm: RealmView): RuleHit[] {
  const hits: RuleHit[] = [];
  asArray(realm.data.users).forEach((user, i) => {
    if (!isRecord(user)) return;
    const username = asString(user.username) ?? `users[${i}]`;
    asArray(user.credentials).forEach((credential, j) => {
      if (!isRecord(credential) || !isPlaintextSecret(credential.value)) return;
      const type = asString(credential.type) ?? 'credential';
      hits.push({
        document: realm.document,
        path: realmPath(realm, 'users', i, 'credentials', j, 'value'),
        granular: username,
        message: `user '${username}' has a plaintext ${type} value in the realm file`,
      });
    });
  });
  return hits;
}

function serverSecretHits(realm: RealmView): RuleHit[] {
  const hits: RuleHit[] = [];
  if (isPlaintextSecret(asRecord(realm.data.smtpServer).password)) {
    hits.push({
      document: realm.document,
      path: realmPath(realm, 'smtpServer', 'password'),
      granular: 'smtpServer',
      message: `realm '${realmName(realm)}' has a plaintext smtpServer.password`,
    });
  }
  asArray(realm.data.identityProviders).forEach((idp, i) => {
    if (!isRecord(idp) || !isPlaintextSecret(asRecord(idp.config).clientSecret)) return;
    const alias = asString(idp.alias) ?? `identityProviders[${i}]`;
    hits.push({
      document: realm.document,
      path: realmPath(realm, 'identityProviders', i, 'config', 'clientSecret'),
      granular: alias,
      message: `identity provider '${alias}' has a plaintext config.clientSecret`,
    });
  });
  for (const [type, components] of Object.entries(asRecord(realm.data.components))) {
    asArray(components).forEach((component, i) => {
      if (!isRecord(component)) return;
      const name = asString(component.name) ?? asString(component.id) ?? `${type}[${i}]`;
      const config = asRecord(component.config);
      for (const key of SECRET_COMPONENT_KEYS) {
        const values = Array.isArray(config[key]) ? (config[key] as unknown[]) : [config[key]];
        values.forEach((value, k) => {
          if (!isPlaintextSecret(value)) return;
          const path = Array.isArray(config[key]) ? [key, k] : [key];
          hits.push({
            document: realm.document,
            path: realmPath(realm, 'components', type, i, 'config', ...path),
            granular: name,
            message: `component '${name}' (${type}) has a plaintext config.${key}`,
          });
        });
      }
    });
  }
  return hits;
}

/**
 * KC-21 (unsuppressible): the realm file carries a plaintext secret: a client `secret`, a secret
 * client attribute (`client.secret.rotated`, `saml.signing.private.key`,
 * `saml.encryption.private.key`), a `users[].credentials[].value`, `smtpServer.password`, an
 * identity provider's `config.clientSecret`, or a component secret (LDAP `bindCredential`,
 * key-provider `privateKey`/`secret`, keystore passwords). Placeholders are accepted: see
 * `secret-placeholders.ts` (`${vault.key}`, `${env.NAME}`, `${NAME}`, `$(env:NAME)`,
 * `$(file:path)`, `**********`).
 */
export const KC_21: Rule = {
  id: 'KC-21',
  title: 'Plaintext secret in the realm file',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale:
    'A realm file is copied into images, repositories, CI logs and backups. A secret written in it is disclosed to everyone who can read any ' +
    'of those, cannot be rotated without editing the file, and bypasses Vault\'s audit trail.',
  remediation:
    'Replace the value with a placeholder resolved at import or at runtime: `${vault.<key>}` (Keycloak vault SPI fed by Vault Agent), ' +
    '`${ENV_NAME}` filled from a Vault-rendered env file, or leave it out and set it through the admin API from Vault.',
  controls: {
    'nist-800-53-r5': ['IA-5', 'SC-28', 'SC-12'],
    'csa-aicm': ['CEK', 'IAM', 'DSP'],
    'cis-docker-1.6': ['4.10'],
    'owasp-llm-2025': ['LLM02'],
  },
  kinds: ['keycloak-realm'],
  check: (model) => realmsOf(model).flatMap((realm) => [...clientSecretHits(realm), ...userCredentialHits(realm), ...serverSecretHits(realm)]),
};
