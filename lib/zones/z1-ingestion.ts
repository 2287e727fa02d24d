import { MlsecError } from '../core/errors';
import { checkOptOut, collect } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { Gateway } from '../gateway/gateway';
import { RouteAuth } from '../gateway/route-auth';
import { ClamavScanner } from '../services/clamav/clamav-scanner';
import { MalwareScanService } from '../services/clamav/malware-scan-service';
import { IngestionEndpoint, INGESTION_PORT } from '../services/ingestion/ingestion-endpoint';
import { StagingPromoter } from '../services/ingestion/staging-promoter';
import { CrsWaf, WafMode } from '../services/waf/crs-waf';
import { VaultServer } from '../vault/vault-server';
import { Zone } from '../workload/zone';
import { DataSource } from './data-source';
import { SecurityZone } from './security-zone';
import type { Z2RawLake } from './z2-raw-lake';

/** Props of {@link Z1Ingestion}. */
export interface Z1IngestionProps {
  /** The host address the gateway publishes 443 and 80 on (never 0.0.0.0). */
  readonly publicAddress: string;
  /** Vault: the gateway's and connectors' certificates and keys come from it. */
  readonly vault: VaultServer;
  /** The lake: connectors write its staging bucket, rejects its quarantine bucket. */
  readonly lake: Z2RawLake;
  /**
   * Public host name of the ingestion door.
   * @default ingest.<the Vps domain>
   */
  readonly ingestHost?: string;
  /**
   * Proxies in front of the gateway whose X-Forwarded-* headers are trusted.
   * @default none
   */
  readonly trustedProxies?: string[];
  /**
   * The OWASP CRS WAF hop in front of every connector: `detect` logs matches, `block` refuses
   * them (CONTROLS.md Z1-K08: start in detect, then block).
   * @default 'detect'
   */
  readonly wafMode?: WafMode;
  /**
   * The malware scan at promote (CONTROLS.md Z1-K09): clamd and the scan service, created with
   * the first source; every promote job sends each hash-checked object to it, and only `clean`
   * reaches raw. Off only with a reason, which the posture report prints as the zone's Z1-K09 gap.
   * @default on
   */
  readonly malwareScan?: { readonly enabled: false; readonly reason: string };
}

/**
 * Z1, ingestion and the security gateway (L3; CONTROLS.md Z1): the platform's single public
 * entry (Traefik on 443, and 80 that only redirects) and one contract-checking connector per Z0
 * source behind the ingestion door. `admit(source)` creates the source's connector (write-only on
 * `staging/<source>/` and `quarantine/<source>/`), puts the zone's OWASP CRS WAF (created with
 * the first source, so a zone without sources runs none) in front of it, gives it a promote job
 * that scans every object with the zone's clamd (also created with the first source)
 * and routes the door to the WAF: exact host and path, POST only, client certificates of the
 * internal CA, and the door's limits. The connector itself is never routed (the WAF refuses that
 * bypass at synth).
 */
export class Z1Ingestion extends SecurityZone {
  /** The edge gateway, which other zones expose their doors and UIs through. */
  public readonly gateway: Gateway;
  /** The ingestion door's host name. */
  public readonly ingestHost: string;
  private readonly admitted: IngestionEndpoint[] = [];
  private readonly promoterJobs: StagingPromoter[] = [];
  private wafHop?: CrsWaf;
  private scanService?: MalwareScanService;
  private readonly ingestionProps: Z1IngestionProps;

  constructor(scope: Vps, id: string, props: Z1IngestionProps) {
    super(scope, id, Zone.Z1_INGESTION);
    this.ingestionProps = props ?? ({} as Z1IngestionProps);
    this.ingestHost = this.ingestionProps.ingestHost ?? `ingest.${Vps.of(this).domain}`;
    this.gateway = new Gateway(this, 'gateway', { publicAddress: this.ingestionProps.publicAddress, vault: this.ingestionProps.vault, trustedProxies: this.ingestionProps.trustedProxies });
    this.addControl({ id: 'Z1-K08', title: 'OWASP CRS WAF hop in front of /ingest, detect then block', gap: 'no source is admitted, so there is no ingestion route to protect' });
    this.addControl({ id: 'Z2-K08', title: 'staging → raw promote by its own identity: SHA-256 recomputed against the hash the connector recorded, a mismatch quarantined', gap: 'no source is admitted, so nothing is promoted' });
    const scan = this.ingestionProps.malwareScan;
    this.addControl({
      id: 'Z1-K09', title: 'malware scan with the ClamAV limits before raw; infected or suspicious never reaches raw',
      gap: scan === undefined ? 'no source is admitted, so nothing is scanned' : `turned off: ${String(scan?.reason)}`,
    });
    this.node.addValidation({ validate: () => collect(checkOptOut('malwareScan', scan, 'the scan')) });
  }

  /** The scan service every promote job calls (created with the first source unless `malwareScan` is off). */
  public get malwareScan(): MalwareScanService | undefined {
    return this.scanService;
  }

  /** The WAF hop between the gateway and the connectors, created with the first admitted source. */
  public get waf(): CrsWaf | undefined {
    return this.wafHop;
  }

  /** The connectors admitted so far. */
  public get connectors(): readonly IngestionEndpoint[] {
    return this.admitted;
  }

  /** The staging → raw promote jobs, one per admitted source. */
  public get promoters(): readonly StagingPromoter[] {
    return this.promoterJobs;
  }

  /**
   * Creates the source's connector and routes it through the ingestion door (mTLS) and the WAF,
   * and its promote job (`promote-<source>`, a one-shot run by the host's scheduler).
   */
  public admit(source: DataSource): IngestionEndpoint {
    const { lake, vault } = this.ingestionProps;
    if (!lake) throw new MlsecError(`[${this.node.path}] admit('${source?.sourceName}'): prop 'lake' is required (the Z2RawLake whose staging and quarantine buckets the connector writes)`);
    const connector = source.addIngestion({ staging: lake.stagingBucket, quarantine: lake.quarantineBucket, vault });
    if (!this.wafHop) {
      this.wafHop = new CrsWaf(this, 'waf', { mode: this.ingestionProps.wafMode ?? 'detect', vault });
      this.cover('Z1-K08', { builtBy: `CrsWaf (mode ${this.wafHop.mode}; the gateway reaches connectors only through it)` });
      this.addControl({
        id: 'Z1-K07', title: 'content-type allow-list on the ingestion routes (JSON records: application/json only)',
        builtBy: `CrsWaf (CRS rule 920420 against the routes' media types; ${this.wafHop.mode === 'block' ? 'refused' : 'logged only, in detect mode'})`,
      });
    }
    const hop = this.wafHop.protect(connector, { port: INGESTION_PORT, pathPrefix: connector.path });
    this.gateway.expose(hop.workload, { name: `ingest-${connector.source}`, host: this.ingestHost, pathPrefix: hop.pathPrefix, port: hop.port, auth: RouteAuth.mtls(), methods: ['POST'] });
    this.admitted.push(connector);
    if (!this.scanService && this.ingestionProps.malwareScan === undefined) {
      const scanner = new ClamavScanner(this, 'clamav');
      this.scanService = new MalwareScanService(this, 'scan-service', { scanner, vault });
      const l = scanner.limits;
      this.cover('Z1-K09', { builtBy: `MalwareScanService in front of ClamavScanner (limits: depth ${l.maxRecursion}, ${l.maxScanSizeMiB} MiB, ${l.maxFiles} files, ${l.maxScanTimeSeconds} s): each promote job scans every hash-checked object; infected or suspicious → quarantine/<source>/scan-rejected/, no verdict → left in staging; known-bad SHA-256 digests (malwareScan.denyKnownBad) are infected whatever clamd says` });
    }
    this.promoterJobs.push(new StagingPromoter(this, `promote-${connector.source}`, {
      source: connector.source, staging: lake.stagingBucket, raw: lake.rawBucket, quarantine: lake.quarantineBucket, vault, scan: this.scanService,
    }));
    this.cover('Z2-K08', { builtBy: 'StagingPromoter (one job per source, role raw-promoter: reads and deletes its staging prefix, writes its raw prefix; hash mismatch → quarantine/<source>/promote-rejected/)' });
    return connector;
  }
}
