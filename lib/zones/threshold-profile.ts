import { checkNumber, collect } from '../core/prop-rules';

/** The thresholds of one profile (CONTROLS.md §5 #8: where the docs disagree, one named set). */
export interface ThresholdValues {
  /** Minimum AUC a model must reach to be promotable. */
  readonly aucMin: number;
  /** PSI drift: watch from, hold from, demote from. */
  readonly psi: { readonly watch: number; readonly hold: number; readonly demote: number };
  /** p95 latency objective, ms, of tabular models and of the LLM gateway. */
  readonly p95Ms: { readonly tabular: number; readonly llm: number };
  /** Largest acceptable ratio of 5xx responses (0.001 = 0.1%). */
  readonly maxErrorRatio: number;
  /** Largest ratio of rejected ingestion records before an alert. */
  readonly maxIngestRejectRatio: number;
  /** Largest `/search` window of the scored API, hours. */
  readonly searchWindowHours: number;
  /** TTL of the access broker's database credentials, and of all others, minutes. */
  readonly credentialTtlMinutes: { readonly broker: number; readonly others: number };
}

/**
 * A named set of thresholds the zones read (alerts, gates, credential TTLs). `ThresholdProfile.bank()`
 * is CONTROLS.md §5 #8's default; `with()` overrides single values and keeps the name honest.
 */
export class ThresholdProfile {
  /** The catalog's default profile: AUC ≥ 0.82, PSI 0.10/0.20/0.25, p95 250/800 ms, 5xx ≤ 0.1%. */
  public static bank(): ThresholdProfile {
    return new ThresholdProfile('bank-default', {
      aucMin: 0.82,
      psi: { watch: 0.1, hold: 0.2, demote: 0.25 },
      p95Ms: { tabular: 250, llm: 800 },
      maxErrorRatio: 0.001,
      maxIngestRejectRatio: 0.01,
      searchWindowHours: 168,
      credentialTtlMinutes: { broker: 5, others: 30 },
    });
  }

  private constructor(
    /** The profile's name, printed where its values are used. */
    public readonly name: string,
    /** The values. */
    public readonly values: ThresholdValues,
  ) {}

  /** A copy named `name` with some values replaced. */
  public with(name: string, overrides: Partial<ThresholdValues>): ThresholdProfile {
    return new ThresholdProfile(name, { ...this.values, ...overrides });
  }

  /** What is wrong with the values, for validation. */
  public problems(): string[] {
    const v = this.values;
    return collect(
      checkNumber('thresholds.aucMin', v.aucMin, 0.5, 1),
      checkNumber('thresholds.maxErrorRatio', v.maxErrorRatio, 0, 1),
      checkNumber('thresholds.maxIngestRejectRatio', v.maxIngestRejectRatio, 0, 1),
      v.psi && v.psi.watch < v.psi.hold && v.psi.hold <= v.psi.demote ? undefined : "prop 'thresholds.psi' must satisfy watch < hold <= demote",
    );
  }
}
