import { checkNumber, collect, describeValue } from '../../core/prop-rules';

/** A Traefik service name as its metrics label it: `name@provider`. */
const TRAEFIK_SERVICE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}(?:@[a-z0-9]{1,30})?$/;

/**
 * The numbers the security alert rules compare against. CONTROLS.md §5 #8 asks for thresholds
 * as construct parameters with one named profile; {@link ALERT_THRESHOLDS_BANK_DEFAULT} is that
 * profile (Z9-K04 SLO/alert defaults, Z2-K10, Z3-K09).
 */
export interface AlertThresholds {
  /**
   * Availability objective over 30 days; the error budget is `1 - availability` (Z9-K04).
   * @default 0.999
   */
  readonly availability?: number;
  /**
   * p95 latency limit for tabular inference, in seconds (§5 #8).
   * @default 0.25
   */
  readonly p95TabularSeconds?: number;
  /**
   * p95 latency limit for LLM routes, in seconds (§5 #8).
   * @default 0.8
   */
  readonly p95LlmSeconds?: number;
  /**
   * p99 latency limit for tabular inference, in seconds (Z9-K04).
   * @default 0.8
   */
  readonly p99TabularSeconds?: number;
  /**
   * Traefik service names (the `service` label, e.g. `llm-gateway@file`) of LLM routes: they get
   * the LLM p95 limit, every other service the tabular limits.
   * @default ['llm-gateway@file']
   */
  readonly llmServices?: readonly string[];
  /**
   * Share of ingested records rejected that alerts (Z9-K04 "ingest reject ≤1%").
   * @default 0.01
   */
  readonly ingestRejectRatio?: number;
  /**
   * Share of AV scans found infected or suspicious per hour that alerts (Z9-K04 ">0.5%/h").
   * @default 0.005
   */
  readonly avRejectRatio?: number;
  /**
   * OPA denies or WAF blocks per 10 minutes that alert (Z9-K04 "+100/10 min").
   * @default 100
   */
  readonly denyBurstPer10m?: number;
  /**
   * Unauthorized-client ingest rejections per 10 minutes that alert (Z1-K05, Z1-K13 reason counts).
   * @default 20
   */
  readonly unauthorizedClientsPer10m?: number;
  /**
   * MinIO requests rejected for authentication per 5 minutes that alert (Z2-K10 ">N auth failures/5 min").
   * @default 20
   */
  readonly minioAuthFailuresPer5m?: number;
  /**
   * Maximum age of the active OPA bundle, in seconds, at most 7 days (Z9-K04 "OPA bundle age >86 400 s").
   * @default 86400
   */
  readonly opaBundleMaxAgeSeconds?: number;
  /**
   * Days before a certificate the gateway serves for public names expires that alert (Z9-K07
   * Z8.PKI.CERT_EXPIRY_WINDOW).
   * @default 30
   */
  readonly certificateExpiryDays?: number;
  /**
   * Dataset freshness SLA in seconds (Z3-K09 "e.g. 15 min").
   * @default 900
   */
  readonly datasetFreshnessSeconds?: number;
}

/** The lab's named profile (CONTROLS.md §5 #8 defaults). */
export const ALERT_THRESHOLDS_BANK_DEFAULT: Required<AlertThresholds> = {
  availability: 0.999,
  p95TabularSeconds: 0.25,
  p95LlmSeconds: 0.8,
  p99TabularSeconds: 0.8,
  llmServices: ['llm-gateway@file'],
  ingestRejectRatio: 0.01,
  avRejectRatio: 0.005,
  denyBurstPer10m: 100,
  unauthorizedClientsPer10m: 20,
  minioAuthFailuresPer5m: 20,
  opaBundleMaxAgeSeconds: 86400,
  certificateExpiryDays: 30,
  datasetFreshnessSeconds: 900,
};

/** The profile with `overrides` applied. */
export function resolveThresholds(overrides: AlertThresholds | undefined): Required<AlertThresholds> {
  const out: Record<string, unknown> = { ...ALERT_THRESHOLDS_BANK_DEFAULT };
  for (const [k, v] of Object.entries(overrides ?? {})) if (v !== undefined) out[k] = v;
  return out as Required<AlertThresholds>;
}

/** Problems with `overrides`, each naming `alertThresholds.<field>` and the allowed range. */
export function thresholdProblems(overrides: AlertThresholds | undefined): string[] {
  if (overrides === undefined) return [];
  if (overrides === null || typeof overrides !== 'object') return ["prop 'alertThresholds' must be an object of thresholds"];
  const t = resolveThresholds(overrides);
  const p = (k: keyof AlertThresholds) => `alertThresholds.${k}`;
  const known = new Set(Object.keys(ALERT_THRESHOLDS_BANK_DEFAULT));
  return collect(
    ...Object.keys(overrides).filter((k) => !known.has(k)).map((k) => `prop 'alertThresholds' has no field '${k}' (known: ${[...known].join(', ')})`),
    checkNumber(p('availability'), t.availability, 0.95, 0.99999),
    checkNumber(p('p95TabularSeconds'), t.p95TabularSeconds, 0.001, 60),
    checkNumber(p('p95LlmSeconds'), t.p95LlmSeconds, 0.001, 600),
    checkNumber(p('p99TabularSeconds'), t.p99TabularSeconds, 0.001, 60),
    Array.isArray(t.llmServices) && t.llmServices.length > 0 && t.llmServices.every((s) => typeof s === 'string' && TRAEFIK_SERVICE.test(s)) ? undefined
      : `prop '${p('llmServices')}' must be a non-empty list of Traefik service names (letters, digits, "-", "_", "." and one "@provider") (got ${describeValue(t.llmServices)})`,
    checkNumber(p('ingestRejectRatio'), t.ingestRejectRatio, 0.0001, 0.5),
    checkNumber(p('avRejectRatio'), t.avRejectRatio, 0.0001, 0.5),
    checkNumber(p('denyBurstPer10m'), t.denyBurstPer10m, 1, 1_000_000),
    checkNumber(p('unauthorizedClientsPer10m'), t.unauthorizedClientsPer10m, 1, 1_000_000),
    checkNumber(p('minioAuthFailuresPer5m'), t.minioAuthFailuresPer5m, 1, 1_000_000),
    checkNumber(p('opaBundleMaxAgeSeconds'), t.opaBundleMaxAgeSeconds, 60, 7 * 86400),
    checkNumber(p('certificateExpiryDays'), t.certificateExpiryDays, 1, 365),
    checkNumber(p('datasetFreshnessSeconds'), t.datasetFreshnessSeconds, 60, 30 * 86400),
  );
}
