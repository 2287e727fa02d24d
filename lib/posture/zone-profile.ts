import { IConstruct } from 'constructs';

/** A control of a zone as the posture report prints it. */
export interface ZoneProfileControl {
  /** Catalog id (`Z1-K03`, `INV-05`). */
  readonly id: string;
  /** What it asserts. */
  readonly title: string;
  /** Posture rules that check it at synth. */
  readonly rules?: readonly string[];
  /** The construct that builds it in. */
  readonly builtBy?: string;
  /** Why it is not covered. */
  readonly gap?: string;
}

/** What a zone construct tells the posture report: its zone, risks and controls. */
export interface ZoneProfile {
  /** Zone id, `z0` … `z9`. */
  readonly zone: string;
  /** Zone title. */
  readonly title: string;
  /** The zone construct's path. */
  readonly construct: string;
  /** Threats of the zone. */
  readonly risks: readonly { readonly id: string; readonly title: string }[];
  /** Controls of the zone and how each is covered. */
  readonly controls: readonly ZoneProfileControl[];
}

/** A construct that describes a zone (the L3 zones of `lib/zones`). */
export interface IZoneProfileSource extends IConstruct {
  /** Its profile, read after validation. */
  zoneProfile(): ZoneProfile;
}

const MARK = Symbol.for('mlsec-cdk.zone-profile-source');

/** The zone profiles in a construct tree; the posture layer never imports the zones above it. */
export class ZoneProfiles {
  /** Marks `source` as a zone the report describes. */
  public static register(source: IZoneProfileSource): void {
    Object.defineProperty(source, MARK, { value: true });
  }

  /** Profiles of the zones under `scope`, by zone then construct path. */
  public static of(scope: IConstruct): ZoneProfile[] {
    return scope.node.findAll()
      .filter((c): c is IZoneProfileSource => (c as unknown as Record<symbol, unknown>)[MARK] === true)
      .map((c) => c.zoneProfile())
      .sort((a, b) => (a.zone === b.zone ? (a.construct < b.construct ? -1 : 1) : a.zone < b.zone ? -1 : 1));
  }
}
