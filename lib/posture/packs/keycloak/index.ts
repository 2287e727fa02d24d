import { RulePack } from '../../rule-pack';
import { KC_24 } from './attribute-rules';
import { KC_25 } from './audit-rules';
import { KC_07, KC_08, KC_09, KC_16 } from './client-flow-rules';
import { KC_10, KC_11, KC_15 } from './client-trust-rules';
import { KC_22 } from './identity-provider-rules';
import { KC_17, KC_18, KC_19, KC_20 } from './login-rules';
import { KC_26 } from './privilege-rules';
import { KC_04, KC_05, KC_06 } from './redirect-target-rules';
import { KC_01, KC_02, KC_03 } from './redirect-wildcard-rules';
import { KC_23 } from './saml-client-rules';
import { KC_21 } from './secret-rules';
import { KC_12, KC_13, KC_14 } from './token-rules';

/**
 * The keycloak rule pack: RULES.md §2.4 (KC-01…KC-26) over `keycloak-realm` documents (realm
 * export/import JSON, `RealmRepresentation`).
 */
export const KEYCLOAK_PACK = new RulePack('keycloak', [
  KC_01, KC_02, KC_03, KC_04, KC_05, KC_06, KC_07, KC_08, KC_09, KC_10, KC_11, KC_12, KC_13,
  KC_14, KC_15, KC_16, KC_17, KC_18, KC_19, KC_20, KC_21, KC_22, KC_23, KC_24, KC_25, KC_26,
]);
