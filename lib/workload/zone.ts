/**
 * The ten security zones of the platform (CONTROLS.md §1). Every workload belongs to exactly one;
 * zones decide which internal networks exist and what the posture report groups by.
 */
export class Zone {
  /** Z0 — data sources (declarative; no runtime container). */
  public static readonly Z0_SOURCES = new Zone(0, 'Data sources');
  /** Z1 — ingestion and security gateway (one of the two public doors). */
  public static readonly Z1_INGESTION = new Zone(1, 'Ingestion and security gateway');
  /** Z2 — raw data lake (restricted). */
  public static readonly Z2_RAW_LAKE = new Zone(2, 'Raw data lake');
  /** Z3 — curated data and feature store. */
  public static readonly Z3_CURATED = new Zone(3, 'Curated data and feature store');
  /** Z4 — model factory (dev/train). */
  public static readonly Z4_FACTORY = new Zone(4, 'Model factory');
  /** Z5 — model registry and governance. */
  public static readonly Z5_REGISTRY = new Zone(5, 'Model registry and governance');
  /** Z6 — serving and inference (the other public door). */
  public static readonly Z6_SERVING = new Zone(6, 'Serving and inference');
  /** Z7 — consumers and business apps. */
  public static readonly Z7_CONSUMERS = new Zone(7, 'Consumers and business apps');
  /** Z8 — security and trust services. */
  public static readonly Z8_SECURITY = new Zone(8, 'Security and trust services');
  /** Z9 — observability and audit. */
  public static readonly Z9_OBSERVABILITY = new Zone(9, 'Observability and audit');

  /** All zones, Z0 to Z9. */
  public static all(): readonly Zone[] {
    return ALL;
  }

  /** Short id, `z0` … `z9`: used in network names and labels. */
  public readonly id: string;

  private constructor(
    /** Zone number, 0 to 9. */
    public readonly index: number,
    /** Human title. */
    public readonly title: string,
  ) {
    this.id = `z${index}`;
  }

  /** Whether `x` is one of the ten zones. */
  public static isZone(x: unknown): x is Zone {
    return ALL.includes(x as Zone);
  }

  /** Whether the zone is one of the two public doors (Z1 ingestion, Z6 serving). */
  public get isDoor(): boolean {
    return this.index === 1 || this.index === 6;
  }

  public toString(): string {
    return `${this.id.toUpperCase()} ${this.title}`;
  }
}

const ALL: readonly Zone[] = [
  Zone.Z0_SOURCES,
  Zone.Z1_INGESTION,
  Zone.Z2_RAW_LAKE,
  Zone.Z3_CURATED,
  Zone.Z4_FACTORY,
  Zone.Z5_REGISTRY,
  Zone.Z6_SERVING,
  Zone.Z7_CONSUMERS,
  Zone.Z8_SECURITY,
  Zone.Z9_OBSERVABILITY,
];
