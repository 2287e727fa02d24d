import { RulePack } from '../../rule-pack';
import { VLT_01, VLT_02, VLT_03, VLT_04, VLT_12 } from './listener-rules';
import { VLT_17, VLT_21 } from './policy-authoring-rules';
import { VLT_14, VLT_20, VLT_22 } from './policy-scope-rules';
import { VLT_15, VLT_16, VLT_18, VLT_19 } from './privilege-rules';
import { VLT_05, VLT_06 } from './secret-rules';
import { VLT_08, VLT_09, VLT_10, VLT_13 } from './server-rules';
import { VLT_11 } from './ui-rules';

/**
 * The vault rule pack: server config (`vault-config`), ACL policies (`vault-policy`) and the
 * Vault service in compose. VLT-07 (audit devices enabled by the bootstrap) is not here: Vault
 * has no audit stanza in its server config, and the bootstrap script is not parsed.
 */
export const VAULT_PACK = new RulePack('vault', [
  VLT_01,
  VLT_02,
  VLT_03,
  VLT_04,
  VLT_05,
  VLT_06,
  VLT_08,
  VLT_09,
  VLT_10,
  VLT_11,
  VLT_12,
  VLT_13,
  VLT_14,
  VLT_15,
  VLT_16,
  VLT_17,
  VLT_18,
  VLT_19,
  VLT_20,
  VLT_21,
  VLT_22,
]);
