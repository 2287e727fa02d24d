import { RulePack } from '../../rule-pack';
import { ZONE_11, ZONE_13 } from './baseline-rules';
import { ZONE_01, ZONE_02, ZONE_14 } from './door-rules';
import { ZONE_04, ZONE_05, ZONE_10, ZONE_18 } from './data-grant-rules';
import { ZONE_03, ZONE_08, ZONE_30 } from './isolation-rules';
import { ZONE_06 } from './serving-rules';
import { ZONE_15 } from './transport-rules';

/**
 * The zone invariants of CONTROLS.md §2 that can be checked at synth time, as `ZONE-nn` rules
 * numbered after their `INV-nn`. ZONE-30 is the effective-reachability audit.
 */
export const ZONES_PACK = new RulePack('zones', [ZONE_01, ZONE_02, ZONE_03, ZONE_04, ZONE_05, ZONE_06, ZONE_08, ZONE_10, ZONE_11, ZONE_13, ZONE_14, ZONE_15, ZONE_18, ZONE_30]);
