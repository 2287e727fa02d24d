import { canonicalJson } from '../core/canonical-json';
import { Vps } from '../core/vps';
import { VpsFile } from '../core/vps-file';
import { Gateway } from '../gateway/gateway';
import { IngestionEndpoint } from '../services/ingestion/ingestion-endpoint';
import { CrsWaf } from '../services/waf/crs-waf';
import { Zone } from '../workload/zone';
import { DataSource, DataSourceProps } from './data-source';
import { SecurityZone } from './security-zone';

/**
 * Z0, the data sources (L3; CONTROLS.md Z0): declarative, no container. A registry of the sources
 * the platform accepts data from, written to `sources/catalog.json` (owner, classification,
 * purpose, sender identity, contract fields, ingestion route). Its invariant holds both ways at
 * synth: every source has an ingestion connector routed through the gateway, and every
 * ingestion connector on the host belongs to a registered source.
 */
export class Z0Sources extends SecurityZone {
  /** The catalog file. */
  public readonly catalog: VpsFile;
  private readonly list: DataSource[] = [];

  constructor(scope: Vps, id = 'Z0Sources') {
    super(scope, id, Zone.Z0_SOURCES);
    this.catalog = new VpsFile(this, 'Catalog', { path: 'sources/catalog.json', content: () => canonicalJson(this.render()) });
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The registered sources, in order. */
  public get sources(): readonly DataSource[] {
    return this.list;
  }

  /** Registers a source. */
  public addSource(id: string, props: DataSourceProps): DataSource {
    const source = new DataSource(this, id, props);
    this.list.push(source);
    return source;
  }

  private routesOf(endpoint: IngestionEndpoint): { host: string; path: string }[] {
    const vps = Vps.of(this);
    // Routed directly, or to a WAF hop that forwards the route's path to the connector.
    const reaches = (target: unknown, path: string | undefined) =>
      target === endpoint || (target instanceof CrsWaf && target.routes.some((w) => w.backend === endpoint && w.pathPrefix === path));
    return vps.node.findAll().filter((c): c is Gateway => c instanceof Gateway)
      .flatMap((g) => g.routes.filter((r) => reaches(r.target, r.rule.pathPrefix)).map((r) => ({ host: r.rule.host, path: r.rule.pathPrefix })));
  }

  private problems(): string[] {
    const out: string[] = [];
    const names = new Map<string, string>();
    for (const s of this.list) {
      const known = names.get(s.sourceName);
      if (known) out.push(`source '${s.sourceName}' is registered twice ('${known}' and '${s.node.path}')`);
      names.set(s.sourceName, s.node.path);
      if (!s.ingestion) out.push(`source '${s.sourceName}' (${s.node.path}) has no ingestion connector: call addIngestion() and expose it through the gateway`);
      else if (this.routesOf(s.ingestion).length === 0) out.push(`source '${s.sourceName}': its connector '${s.ingestion.node.path}' is not routed: expose it through the gateway (the Z1 door)`);
    }
    const vps = Vps.of(this);
    for (const endpoint of vps.node.findAll().filter((c): c is IngestionEndpoint => c instanceof IngestionEndpoint)) {
      if (!this.list.some((s) => s.ingestion === endpoint)) {
        out.push(`ingestion connector '${endpoint.node.path}' (source '${endpoint.source}') belongs to no registered source: create it with Z0Sources.addSource(…).addIngestion(…)`);
      }
    }
    return out;
  }

  private render(): object {
    return {
      sources: this.list.map((s) => ({
        name: s.sourceName,
        owner: s.props.owner,
        classification: s.props.classification,
        purpose: s.props.purpose,
        identity: s.props.identity,
        retentionDays: s.props.retentionDays ?? 365,
        contract: s.props.contract,
        ingestion: s.ingestion ? { service: s.ingestion.serviceName, routes: this.routesOf(s.ingestion) } : undefined,
      })),
    };
  }
}
