import { Construct } from 'constructs';
import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { Zone } from '../workload/zone';
import { ArchitectureDiagram } from '../diagram/architecture-diagram';
import { WafMode } from '../services/waf/crs-waf';
import type { ScoredApiDecisionPoint } from '../services/batch-scoring/scored-api-authz';
import { FeatureGroup } from '../services/feature-api/feature-api';
import { OpaPolicy } from '../services/opa/opa-policy';
import { ServedModel } from '../services/model-serving/served-model';
import { VaultCiRoleProps } from '../vault/vault-auth-roles';
import { DataSourceProps } from './data-source';
import { ThresholdProfile } from './threshold-profile';
import { Z0Sources } from './z0-sources';
import { Z1Ingestion } from './z1-ingestion';
import { Z2RawLake } from './z2-raw-lake';
import { CuratedDatasetProps, Z3CuratedData } from './z3-curated-data';
import { Z4ModelFactory } from './z4-model-factory';
import { Z5ModelRegistry } from './z5-model-registry';
import { ServingLlmOptions, Z6Serving } from './z6-serving';
import { ConsumerOptions, Z7Consumers } from './z7-consumers';
import { Z8SecurityServices } from './z8-security-services';
import { AlertReceiver, Z9Observability } from './z9-observability';

/** How big the host is: resource limits of the heavier services scale with it. */
export type LabSizing = 'small' | 'standard';

/** The consumer scope that lets a business app read stored scores (the scored API asks OPA). */
export const SCORES_READ_SCOPE = 'scored:read';

/** A model scored in batch in the lab. */
export interface LabBatchScoring {
  /** The served model (one of `models`). */
  readonly model: string;
  /** The feature group (one of `featureGroups`) whose offline table it scores. */
  readonly featureGroup: string;
}

/** Props of {@link MlopsSecurityLab}. */
export interface MlopsSecurityLabProps {
  /** The lab's DNS domain; public hosts are `ingest.`, `infer.` and `auth.` under it. */
  readonly domain: string;
  /** The host address the gateway publishes 443 and 80 on. */
  readonly publicAddress: string;
  /** The operators' networks (CIDR): the only sources of sign-in and admin-UI traffic. */
  readonly operators: string[];
  /**
   * The data sources (Z0); each gets its Z1 connector and route.
   * @default none
   */
  readonly sources?: DataSourceProps[];
  /**
   * The business apps (Z7) and their API scopes.
   * @default none
   */
  readonly consumers?: ConsumerOptions[];
  /**
   * The models Z6 serves, one model server each (the artifact comes from the registry as the
   * release record in Vault names it, verified before the server starts).
   * @default none
   */
  readonly models?: ServedModel[];
  /**
   * The curated datasets (Z3 catalog); those with a `table` are created by Z3 and read by the
   * Z4 training pool only through the access broker.
   * @default none
   */
  readonly datasets?: CuratedDatasetProps[];
  /**
   * The online feature groups (Z3): served by the feature API to the model servers, written by
   * the Z3 curation pipelines only.
   * @default none (no feature API)
   */
  readonly featureGroups?: FeatureGroup[];
  /**
   * Models also scored in batch (Z6), each from one Z3 feature group; their scores are read
   * through the scored API on the inference door.
   * @default none (no scored store)
   */
  readonly batchScoring?: LabBatchScoring[];
  /**
   * The LLM gateway (Z6): its system prompt, filters, egress allow-list and models.
   * @default none (no LLM use, no egress at all)
   */
  readonly llm?: ServingLlmOptions;
  /**
   * The CI identity allowed to sign model releases with the `model-sign` key and write their
   * release records (GitHub OIDC); required to serve models.
   * @default none (nothing may sign)
   */
  readonly release?: VaultCiRoleProps;
  /**
   * The ingestion WAF's mode.
   * @default 'detect' (CONTROLS.md Z1-K08: start in detect, then block)
   */
  readonly wafMode?: WafMode;
  /**
   * The Z1 malware scan at promote (Z1-K09); off only with a reason, printed in the posture report.
   * @default on
   */
  readonly malwareScan?: { readonly enabled: false; readonly reason: string };
  /**
   * Where alerts go (SOAR webhooks, on-call): one receiver per severity S1–S4 at least.
   * @default none (alerts in Prometheus and Grafana only)
   */
  readonly alertReceivers?: AlertReceiver[];
  /**
   * Host size.
   * @default 'small'
   */
  readonly sizing?: LabSizing;
  /**
   * The thresholds of alerts, gates and credential TTLs.
   * @default ThresholdProfile.bank()
   */
  readonly thresholds?: ThresholdProfile;
  /**
   * Whether to draw `architecture.{dot,svg}`.
   * @default true
   */
  readonly diagram?: boolean;
}

/**
 * The whole platform on one VPS (L3; it *is* the host, so its files land in `<outdir>/<id>/`): the ten zones wired along the seed's flows — sources enter
 * through the Z1 door into the Z2 lake, Z3 holds curated data and features, Z6 serves behind the
 * inference door, Z7 consumers are API clients, Z8 holds trust (Vault, Keycloak) — each zone with
 * its safe defaults and its risks and controls in the posture report. Reach the parts through the
 * zone handles (`lab.lake.rawBucket`, `lab.serving.modelServer`, `lab.ingestion.gateway`).
 */
export class MlopsSecurityLab extends Vps {
  /** Z0: the source registry. */
  public readonly sources: Z0Sources;
  /** Z1: the gateway and the connectors. */
  public readonly ingestion: Z1Ingestion;
  /** Z2: the raw lake. */
  public readonly lake: Z2RawLake;
  /** Z3: curated data and features. */
  public readonly curated: Z3CuratedData;
  /** Z4: the model factory. */
  public readonly factory: Z4ModelFactory;
  /** Z5: the registry's stores. */
  public readonly registry: Z5ModelRegistry;
  /** Z6: serving. */
  public readonly serving: Z6Serving;
  /** Z7: consumers. */
  public readonly consumers: Z7Consumers;
  /** Z8: security services. */
  public readonly security: Z8SecurityServices;
  /** Z9: observability. */
  public readonly observability: Z9Observability;
  /** The thresholds in force. */
  public readonly thresholds: ThresholdProfile;

  constructor(scope: Construct, id: string, props: MlopsSecurityLabProps) {
    super(scope, id, { domain: props?.domain });
    const p = props ?? ({} as MlopsSecurityLabProps);
    const standard = p.sizing === 'standard';
    this.thresholds = p.thresholds ?? ThresholdProfile.bank();
    const vps = this;
    // First: its Graphviz engine loads on the other core while the zones are built, and synth
    // validates it first, so the layout starts before the rest of the tree is validated.
    if (p.diagram ?? true) new ArchitectureDiagram(vps);

    this.security = new Z8SecurityServices(vps, 'Z8');
    const vault = this.security.vault;
    this.lake = new Z2RawLake(vps, 'Z2', { vault });
    this.curated = new Z3CuratedData(vps, 'Z3', { vault, lake: this.lake, featureStoreMemoryMiB: standard ? 1024 : 512, featureGroups: p.featureGroups });
    this.ingestion = new Z1Ingestion(vps, 'Z1', { publicAddress: p.publicAddress, vault, lake: this.lake, wafMode: p.wafMode, malwareScan: p.malwareScan });
    this.sources = new Z0Sources(vps, 'Z0');
    for (const [i, source] of (p.sources ?? []).entries()) this.ingestion.admit(this.sources.addSource(`Source${i + 1}`, source));
    this.registry = new Z5ModelRegistry(vps, 'Z5', { vault });
    this.factory = new Z4ModelFactory(vps, 'Z4', { vault, registry: this.registry });
    // Z3 curation runs on its own Airflow pool: reads raw, writes curated; nothing else does either.
    const curation = this.factory.airflow.addWorkerPool('Curation', { queue: 'curation', zone: Zone.Z3_CURATED });
    this.lake.rawBucket.grantRead(curation.worker);
    this.curated.curatedDb.grantConnect(curation.worker, { database: 'curated', privileges: ['SELECT', 'INSERT', 'UPDATE'] });
    if (this.curated.featureApi) this.curated.grantFeatureWrite(curation.worker);
    for (const dataset of p.datasets ?? []) this.curated.addDataset(dataset);
    if ((p.datasets ?? []).some((d) => d?.table !== undefined)) this.curated.grantDatasetRead(this.factory.trainingPool.worker);
    // The model servers give it exactly what a release needs: sign with model-sign, write the record.
    const releaseRole = p.release ? vault.addCiRole('Release', p.release) : undefined;
    this.serving = new Z6Serving(vps, 'Z6', {
      scoresDecisionPoint: this.scoresDecisionPoint(p),
      vault, gateway: this.ingestion.gateway, featureApi: this.curated.featureApi, modelSignKey: this.security.modelSignKey,
      registry: (p.models ?? []).length > 0 ? this.registry.addGate(this.factory.mlflow) : undefined, releaseRole, modelServerMemoryMiB: standard ? 2048 : 1024,
    });
    for (const model of p.models ?? []) this.serving.addModelServer(model);
    if ((p.batchScoring ?? []).length > 0) {
      this.serving.addBatchScoring(...p.batchScoring!.map((b) => {
        const modelServer = this.serving.modelServers.find((s) => s.model.name === b?.model);
        if (!modelServer) throw new MlsecError(`[${this.node.path}] prop 'batchScoring': model '${b?.model}' is not one of prop 'models' (${this.serving.modelServers.map((s) => s.model.name).join(', ') || 'none'})`);
        return { modelServer, features: this.curated.offlineFeatures(b.featureGroup) };
      }));
    }
    if (p.llm) this.serving.addLlmGateway(p.llm);
    this.security.exposeSignIn(this.ingestion.gateway, { allowFrom: p.operators });
    this.factory.exposeUi(this.ingestion.gateway, { allowFrom: p.operators });
    this.consumers = new Z7Consumers(vps, 'Z7', { keycloak: this.security.keycloak });
    for (const [i, consumer] of (p.consumers ?? []).entries()) this.consumers.addConsumer(`Consumer${i + 1}`, consumer);
    this.observability = new Z9Observability(vps, 'Z9', { vault, keycloak: this.security.keycloak, thresholds: this.thresholds, alertReceivers: p.alertReceivers });
    this.observability.exposeUi(this.ingestion.gateway, { allowFrom: p.operators });
    this.observability.scrapeGateway(this.ingestion.gateway);
    if (this.ingestion.malwareScan) this.observability.scrapeMalwareScan(this.ingestion.malwareScan);
    // Every long-running Benthos-based service serves its metrics (per-stage counts, errors, latency) for Z9.
    for (const service of [...this.ingestion.connectors, this.curated.featureApi, this.curated.dataBroker, this.registry.gate, this.serving.scoredApi]) {
      if (service) this.observability.scrape(service);
    }
    this.node.addValidation({ validate: () => this.thresholds.problems() });
  }

  /**
   * With batch scoring, OPA decides who reads which stored scores: every consumer holding the
   * scope `scored:read` may GET every batch model's scores, nobody else (Z6-K11, INV-20). A
   * consumer's mTLS client certificate carries its client id as CN.
   */
  private scoresDecisionPoint(p: MlopsSecurityLabProps): ScoredApiDecisionPoint | undefined {
    const models = (p.batchScoring ?? []).map((b) => b?.model);
    if (models.length === 0) return undefined;
    const readers = (p.consumers ?? []).filter((c) => (c?.scopes ?? []).includes(SCORES_READ_SCOPE)).map((c) => c.clientId);
    if (readers.length === 0) throw new MlsecError(`[${this.node.path}] prop 'batchScoring': no consumer may read the scores — give at least one of prop 'consumers' the scope '${SCORES_READ_SCOPE}'`);
    const pkg = 'z6.scores';
    const routes = readers.flatMap((client) => models.map((model) => ({ client, pathPrefix: `/scores/${model}/`, methods: ['GET' as const] })));
    return { server: this.security.addPolicyDecisionPoint(OpaPolicy.routeAllowList({ package: pkg, routes })), package: pkg };
  }
}
