import { Construct } from 'constructs';
import { checkedId } from '../core/names';
import { Vps } from '../core/vps';
import { IZoneProfileSource, ZoneProfile, ZoneProfiles } from '../posture/zone-profile';
import { Zone } from '../workload/zone';
import { ZONE_CATALOG, ZoneControl, ZoneControlCoverage, ZoneRisk } from './zone-risk-catalog';

/**
 * The base of the L3 zones (`Z0Sources` … `Z9Observability`): a construct that owns one zone's
 * services and carries the zone's risks and controls (CONTROLS.md §1) as data, which the posture
 * report prints per zone with the state of each control in that synth.
 */
export abstract class SecurityZone extends Construct implements IZoneProfileSource {
  /** The zone. */
  public readonly zone: Zone;
  private readonly extraControls: ZoneControl[] = [];

  protected constructor(scope: Vps, id: string, zone: Zone) {
    super(scope, checkedId(scope, id));
    this.zone = zone;
    ZoneProfiles.register(this);
  }

  /** The zone's threats. */
  public get risks(): readonly ZoneRisk[] {
    return ZONE_CATALOG[this.zone.index].risks;
  }

  /** The zone's controls: the catalog's, then those added with {@link addControl}. */
  public get controls(): readonly ZoneControl[] {
    return [...ZONE_CATALOG[this.zone.index].controls, ...this.extraControls];
  }

  /** Records a control this zone's parts add beyond the catalog (e.g. an optional service). */
  public addControl(control: ZoneControl): void {
    this.extraControls.push(control);
  }

  /** Changes how an added control is covered (a gap that a part, built later, closes). */
  protected cover(id: string, coverage: ZoneControlCoverage): void {
    const i = this.extraControls.findIndex((c) => c.id === id);
    if (i >= 0) this.extraControls[i] = { id, title: this.extraControls[i].title, ...coverage };
  }

  /** @internal */
  public zoneProfile(): ZoneProfile {
    return { zone: this.zone.id, title: this.zone.title, construct: this.node.path, risks: this.risks, controls: this.controls };
  }
}
