import { RulePack } from '../../rule-pack';
import { TRF_08, TRF_14, TRF_15, TRF_18 } from './access-rules';
import { TRF_11, TRF_12, TRF_13 } from './abuse-limit-rules';
import { TRF_01, TRF_02 } from './api-rules';
import { TRF_09, TRF_10 } from './header-rules';
import { TRF_19, TRF_20, TRF_22 } from './operations-rules';
import { TRF_03, TRF_04 } from './provider-rules';
import { TRF_21 } from './schema-rules';
import { TRF_05, TRF_06, TRF_07 } from './tls-rules';
import { TRF_16, TRF_17 } from './trust-rules';

/** The traefik rule pack: TRF-01…TRF-22 over `traefik.yml`, dynamic files and Traefik's compose service. */
export const TRAEFIK_PACK = new RulePack('traefik', [
  TRF_01, TRF_02, TRF_03, TRF_04, TRF_05, TRF_06, TRF_07, TRF_08, TRF_09, TRF_10, TRF_11,
  TRF_12, TRF_13, TRF_14, TRF_15, TRF_16, TRF_17, TRF_18, TRF_19, TRF_20, TRF_21, TRF_22,
]);
