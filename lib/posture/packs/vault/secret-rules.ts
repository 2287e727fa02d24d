import type { Rule, RuleHit } from '../../rule';
import { commandWords, composeServices, environmentOf, VAULT_IMAGE } from './compose-vault';
import { labelledBlocks } from './hcl-values';

/** Seal parameters that hold credentials (awskms, alicloudkms, azurekeyvault, transit, pkcs11, …). */
export const SEAL_CREDENTIAL_KEY = /^(access_key|secret_key|session_token|client_secret|pin|token|password|secret|secret_id|private_key|api_key|[a-z_]*_(secret|password|token))$/i;

/** VLT-05: a `seal` stanza carries a literal credential (access/secret key, client secret, PIN, token, inline JSON credentials). */
export const VLT_05: Rule = {
  id: 'VLT-05',
  title: 'Literal credentials in the seal stanza',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'The seal credential unseals Vault; written in the config file it is readable by anyone who reads the file, its backups or the image.',
  remediation: 'Remove the credential from the file: use the platform identity (instance role, managed identity) or the seal\'s environment variables fed from a secret.',
  controls: { 'nist-800-53-r5': ['IA-5', 'SC-12', 'SC-28'], 'csa-aicm': ['CEK'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['vault-config'],
  unsuppressible: true,
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('vault-config')) {
      for (const seal of [...labelledBlocks(document.data?.seal, ['seal']), ...labelledBlocks(document.data?.hsm, ['hsm'])]) {
        for (const [key, value] of Object.entries(seal.data)) {
          const literal = (typeof value === 'string' && value.trim() !== '') || typeof value === 'number';
          const inlineJson = key === 'credentials' && typeof value === 'string' && value.trim().startsWith('{');
          if (!literal || (!SEAL_CREDENTIAL_KEY.test(key) && !inlineJson)) continue;
          hits.push({ document, path: [...seal.path, key], granular: `${seal.label}.${key}`, message: `seal '${seal.label}' sets ${key} to a literal value` });
        }
      }
    }
    return hits;
  },
};

/** Compose interpolation (`${VAR}`, `$VAR`); `$$` is an escaped literal dollar. */
const INTERPOLATION = /(^|[^$])(\$\$)*\$(\{|[A-Za-z_])/;

/** Whether a command word turns dev mode on (`-dev`, `--dev`, `-dev=true`, `-dev-root-token-id=…`). */
function isDevFlag(word: string): boolean {
  return /^--?dev(-[\w-]+)?(=.*)?$/.test(word) && !/^--?dev=(false|0|f)$/i.test(word);
}

/**
 * VLT-06: Vault in dev mode (`server -dev`, `VAULT_DEV_ROOT_TOKEN_ID`) or a literal `VAULT_TOKEN`
 * in compose. Not checkable here: whether the bootstrap revokes the initial root token (the
 * bootstrap script is not parsed).
 */
export const VLT_06: Rule = {
  id: 'VLT-06',
  title: 'Vault dev mode or static token in compose',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Dev mode runs unsealed, in memory, with a root token known in advance; a literal VAULT_TOKEN is a long-lived credential in a file.',
  remediation: 'Run `vault server -config=…`, drop VAULT_DEV_* variables, and deliver tokens through Vault Agent or a secret file; revoke the initial root token after bootstrap.',
  controls: { 'nist-800-53-r5': ['IA-5', 'AC-6', 'CM-6'], 'csa-aicm': ['IAM', 'CEK'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['compose'],
  unsuppressible: true,
  check(model) {
    const hits: RuleHit[] = [];
    for (const service of composeServices(model)) {
      const image = typeof service.data.image === 'string' ? service.data.image : '';
      for (const key of ['command', 'entrypoint']) {
        const words = commandWords(service.data[key]);
        const vaultish = VAULT_IMAGE.test(image) || words.some((w) => /(^|\/)(vault|bao)$/.test(w));
        const flag = words.find(isDevFlag);
        if (vaultish && flag !== undefined) {
          hits.push({ document: service.document, path: ['services', service.name, key], granular: `${service.name}:dev`, message: `service '${service.name}' runs Vault in dev mode (${flag})` });
        }
      }
      for (const env of environmentOf(service)) {
        if (env.name === 'VAULT_DEV_ROOT_TOKEN_ID') {
          hits.push({ document: service.document, path: env.path, granular: `${service.name}:${env.name}`, message: `service '${service.name}' sets VAULT_DEV_ROOT_TOKEN_ID, a dev-mode root token` });
        } else if (env.name === 'VAULT_TOKEN' && env.value !== undefined && env.value.trim() !== '' && !INTERPOLATION.test(env.value)) {
          hits.push({ document: service.document, path: env.path, granular: `${service.name}:${env.name}`, message: `service '${service.name}' sets a literal VAULT_TOKEN` });
        }
      }
    }
    return hits;
  },
};
