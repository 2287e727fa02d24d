import type { Rule, RuleHit } from '../../rule';
import { allClients, clientAttribute, clientPath, isSaml, isTrue } from './realm-fields';

/** SAML client attributes that must be `"true"`, with what each one protects (Keycloak defaults them to false). */
export const SAML_CLIENT_REQUIRED: readonly { readonly key: string; readonly what: string }[] = [
  { key: 'saml.assertion.signature', what: 'does not sign assertions' },
  { key: 'saml.client.signature', what: 'does not require signed client requests' },
  { key: 'saml.encrypt', what: 'does not encrypt assertions' },
  { key: 'saml.onetimeuse.condition', what: 'does not add the OneTimeUse condition' },
];

/** Signature algorithms considered broken (SHA-1). */
export const WEAK_SAML_ALGORITHMS: ReadonlySet<string> = new Set(['RSA_SHA1', 'DSA_SHA1']);

/** Keycloak's attribute for the signature algorithm, and the underscore spelling some tools write. */
const ALGORITHM_KEYS: readonly string[] = ['saml.signature.algorithm', 'saml_signature_algorithm'];

/**
 * KC-23: a SAML client does not sign assertions (`saml.assertion.signature`), does not require
 * client signatures (`saml.client.signature`), does not encrypt assertions (`saml.encrypt`), does not
 * add OneTimeUse (`saml.onetimeuse.condition`), or signs with RSA_SHA1/DSA_SHA1
 * (`saml.signature.algorithm`).
 */
export const KC_23: Rule = {
  id: 'KC-23',
  title: 'SAML client without signatures, encryption or OneTimeUse',
  severity: 'high',
  level: 'error',
  priority: 'P2',
  rationale:
    'An unsigned assertion lets anyone who handles it change the NameID or roles; unsigned AuthnRequests let an attacker start logins on the ' +
    'client\'s behalf; unencrypted assertions expose user attributes to the browser and intermediaries; without OneTimeUse an intercepted ' +
    'assertion can be replayed; SHA-1 signatures can be forged with chosen-prefix collisions.',
  remediation:
    'Set `saml.assertion.signature`, `saml.client.signature`, `saml.encrypt` and `saml.onetimeuse.condition` to `"true"` and ' +
    '`saml.signature.algorithm` to `RSA_SHA256` or stronger.',
  controls: { 'nist-800-53-r5': ['SC-23', 'SC-8', 'SC-13'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['keycloak-realm'],
  check: (model) =>
    allClients(model)
      .filter(isSaml)
      .flatMap((client): RuleHit[] => {
        const hits: RuleHit[] = [];
        const hit = (key: string, problem: string) =>
          hits.push({ document: client.realm.document, path: clientPath(client, 'attributes', key), granular: client.clientId, message: `SAML client '${client.clientId}' ${problem}` });
        for (const { key, what } of SAML_CLIENT_REQUIRED) {
          if (!isTrue(clientAttribute(client, key))) hit(key, `${what} (${key} is not "true")`);
        }
        for (const key of ALGORITHM_KEYS) {
          const algorithm = clientAttribute(client, key);
          if (typeof algorithm === 'string' && WEAK_SAML_ALGORITHMS.has(algorithm.trim().toUpperCase())) hit(key, `signs with weak algorithm ${algorithm}`);
        }
        return hits;
      }),
};
