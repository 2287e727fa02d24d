import { MlsecError } from '../core/errors';
import type { Rule } from './rule';

/** A named list of rules (as cdk-nag packs): `compose`, `traefik`, `vault`, `keycloak`, `zones`. */
export class RulePack {
  constructor(
    /** Pack name. */
    public readonly name: string,
    /** Its rules, in catalog order. */
    public readonly rules: readonly Rule[],
  ) {
    const seen = new Set<string>();
    for (const rule of rules) {
      if (seen.has(rule.id)) throw new MlsecError(`rule pack '${name}' lists rule ${rule.id} twice`);
      seen.add(rule.id);
    }
  }
}
