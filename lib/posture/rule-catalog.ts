import { MlsecError } from '../core/errors';
import { COMPOSE_PACK } from './packs/compose';
import { KEYCLOAK_PACK } from './packs/keycloak';
import { TRAEFIK_PACK } from './packs/traefik';
import { VAULT_PACK } from './packs/vault';
import { ZONES_PACK } from './packs/zones';
import type { Rule } from './rule';
import type { RulePack } from './rule-pack';

/** Version of the rule catalog, printed in every report; bump it when rules change meaning. */
export const CATALOG_VERSION = '2026.11.2';

/** Every rule pack and rule mlsec-cdk checks. */
export class RuleCatalog {
  /** The packs, in report order. */
  public static packs(): readonly RulePack[] {
    return [COMPOSE_PACK, TRAEFIK_PACK, VAULT_PACK, KEYCLOAK_PACK, ZONES_PACK];
  }

  /** Every rule, pack by pack. */
  public static rules(): readonly Rule[] {
    return RuleCatalog.packs().flatMap((p) => p.rules);
  }

  /** One rule by id. */
  public static rule(id: string): Rule {
    const rule = RuleCatalog.rules().find((r) => r.id === id);
    if (!rule) throw new MlsecError(`no posture rule '${id}'; run \`npx mlsec rules\` for the catalog`);
    return rule;
  }
}
