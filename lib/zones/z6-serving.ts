import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { Gateway } from '../gateway/gateway';
import { RouteAuth } from '../gateway/route-auth';
import { LlmGateway, LlmGatewayProps, LlmModelOptions } from '../services/llm-gateway/llm-gateway';
import { BatchScoringJob, FeatureSource } from '../services/batch-scoring/batch-scoring-job';
import { SCORED_API_PORT, ScoredApi } from '../services/batch-scoring/scored-api';
import type { ScoredApiDecisionPoint } from '../services/batch-scoring/scored-api-authz';
import { SCORED_SCHEMA, scoredTableSql } from '../services/batch-scoring/scored-store';
import { FeatureApi } from '../services/feature-api/feature-api';
import { PostgresServer } from '../services/postgres/postgres-server';
import { RegistryGate } from '../services/registry-gate/registry-gate';
import { VaultServer } from '../vault/vault-server';
import { ModelServer } from '../services/model-serving/model-server';
import { ServedModel } from '../services/model-serving/served-model';
import { VaultCiRole } from '../vault/vault-auth-roles';
import { VaultTransitKey } from '../vault/vault-grants';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';

/** Options of {@link Z6Serving.addLlmGateway}. */
export interface ServingLlmOptions extends Omit<LlmGatewayProps, 'vault'> {
  /** The models it serves (each on an allowed host and region). */
  readonly models: LlmModelOptions[];
  /**
   * Public host name of the LLM door.
   * @default llm.<the Vps domain>
   */
  readonly host?: string;
}

/** One model scored in batch by {@link Z6Serving.addBatchScoring}. */
export interface BatchScoringOptions {
  /** The model server that scores (its model's name names the job and the score table). */
  readonly modelServer: ModelServer;
  /** The Z3 feature table it reads (only these columns). */
  readonly features: FeatureSource;
  /**
   * Rows per inference request.
   * @default 100
   */
  readonly batchSize?: number;
}

/** Props of {@link Z6Serving}. */
export interface Z6ServingProps {
  /** Vault: certificates, the release records and the LLM gateway's keys come from it. */
  readonly vault: VaultServer;
  /** The edge gateway: the inference door is one of its two public doors. */
  readonly gateway: Gateway;
  /**
   * The online feature API the model servers read features through (they hold no store credential).
   * @default none (the model servers read no features)
   */
  readonly featureApi?: FeatureApi;
  /** The Transit key models are signed with; the fetch jobs may only verify with it. */
  readonly modelSignKey: VaultTransitKey;
  /**
   * The registry gate model artifacts are fetched through (its readers' listener: only artifacts
   * of model versions in a servable lifecycle state; the fetch jobs never reach MLflow itself).
   * @default none: no model server can be added
   */
  readonly registry?: RegistryGate;
  /**
   * The CI role that signs releases and writes their records in Vault.
   * @default none: no model server can be added
   */
  readonly releaseRole?: VaultCiRole;
  /**
   * Public host name of the inference door.
   * @default infer.<the Vps domain>
   */
  readonly inferenceHost?: string;
  /**
   * The policy decision point the scored API asks, for every request, whether the caller (the
   * client certificate the gateway verified) may read that model's scores; it fails closed.
   * @default none (every client certificate the inference door admits reads every model's scores)
   */
  readonly scoresDecisionPoint?: ScoredApiDecisionPoint;
  /**
   * Memory of each model server, MiB.
   * @default 1024
   */
  readonly modelServerMemoryMiB?: number;
}

/**
 * Z6, serving and inference (L3; CONTROLS.md Z6): one model server per served model behind the
 * inference door (`POST /v2/models/<name>/…`, client certificates, 512 KiB bodies, per-client
 * limits). Each serves only what its one-shot fetch job installed: the artifact named by the
 * release record CI wrote to Vault, downloaded through the registry gate (Approved versions only), its digest checked and
 * its signature verified with the `model-sign` key, on a volume the server mounts read-only
 * (INV-06). The LLM gateway (`addLlmGateway`) is the platform's only egress.
 */
export class Z6Serving extends SecurityZone {
  /** The inference door's host name. */
  public readonly inferenceHost: string;
  private llm?: LlmGateway;
  private scored?: { readonly api: ScoredApi };
  private readonly servers: ModelServer[] = [];
  private readonly servingProps: Z6ServingProps;

  constructor(scope: Vps, id: string, props: Z6ServingProps) {
    super(scope, id, Zone.Z6_SERVING);
    const p = props ?? ({} as Z6ServingProps);
    this.servingProps = p;
    this.inferenceHost = p.inferenceHost ?? `infer.${Vps.of(this).domain}`;
    this.addControl({ id: 'INV-08', title: 'all LLM use goes through the LLM gateway, the only holder of provider keys', rules: ['ZONE-08'] });
    this.addControl({ id: 'INV-06', title: 'only signed registry models are served (fetch and verify before start)', gap: 'no model server is added to this zone' });
  }

  /** The model servers, in order. */
  public get modelServers(): readonly ModelServer[] {
    return this.servers;
  }

  /**
   * Serves `model` (MLServer): its fetch job installs the released, verified artifact; the server
   * reads features and is routed on the inference door at `/v2/models/<name>/`.
   */
  public addModelServer(model: ServedModel): ModelServer {
    const p = this.servingProps;
    if (!p.registry || !p.releaseRole) {
      throw new MlsecError(`[${this.node.path}] addModelServer('${model?.name}'): props 'registry' (the RegistryGate in front of MLflow) and 'releaseRole' (the CI role that signs releases) are required to serve a model`);
    }
    const server = new ModelServer(this, this.servers.length === 0 ? 'model-server' : `model-${model?.name}`, {
      model, release: { ciRole: p.releaseRole }, registry: p.registry, signingKey: p.modelSignKey, vault: p.vault,
      resources: { memoryMiB: p.modelServerMemoryMiB ?? 1024, cpus: 1 },
    });
    this.servers.push(server);
    p.featureApi?.allowClient(server);
    p.gateway?.expose(server, {
      host: this.inferenceHost, pathPrefix: `/v2/models/${model?.name}/`, methods: ['POST'], auth: RouteAuth.mtls(),
      plainHttpBackendReason: 'MLServer 1.6 serves plain HTTP only; the hop stays on the internal z1-z6 network, which only the gateway and the serving workloads join',
    });
    this.cover('INV-06', { builtBy: 'ModelServer (fetch job: release record from Vault, download through the registry gate, digest and Transit signature checked, read-only volume)' });
    return server;
  }

  /** The scored API, once batch scoring is added. */
  public get scoredApi(): ScoredApi | undefined {
    return this.scored?.api;
  }

  /**
   * Adds batch scoring (CONTROLS.md Z6-K09..K11): the governed scored store (its own PostgreSQL,
   * database `scored`, an append-only `<model>_scores` table per model created by the owner role),
   * one one-shot `batch-<model>` job per model (SELECT on its feature columns, INSERT only on the
   * scores), and the read-only scored API, routed on the inference door as
   * `GET /scores/<model>/<entity>` for client certificates of the internal CA.
   */
  public addBatchScoring(...models: BatchScoringOptions[]): ScoredApi {
    if (this.scored) throw new MlsecError(`[${this.node.path}] addBatchScoring: batch scoring is added already; pass every model in one call`);
    const p = this.servingProps;
    const db = new PostgresServer(this, 'scored-db', { zone: Zone.Z6_SERVING, vault: p.vault });
    db.addDatabase('scored', { schemas: [SCORED_SCHEMA] });
    const store = { server: db, database: 'scored' };
    for (const m of models) {
      const job = new BatchScoringJob(this, `batch-${m?.modelServer?.model?.name}`, { modelServer: m?.modelServer, features: m?.features, scored: store, batchSize: m?.batchSize, vault: p.vault });
      db.addSchemaObjects('scored', scoredTableSql(store, job.modelName));
    }
    const api = new ScoredApi(this, 'scored-api', { scored: store, models: models.map((m) => m?.modelServer?.model?.name), vault: p.vault, decisionPoint: p.scoresDecisionPoint });
    p.gateway?.expose(api, { host: this.inferenceHost, pathPrefix: '/scores/', methods: ['GET'], port: SCORED_API_PORT, auth: RouteAuth.mtls() });
    this.scored = { api };
    this.addControl({ id: 'Z6-K10', title: 'scored store: writers only the batch jobs (INSERT), no direct read grants to apps, TLS only', builtBy: 'Z6Serving.addBatchScoring (scored-db: INSERT-only job roles, SELECT-only API role, certificate login)' });
    this.addControl({
      id: 'Z6-K11', title: 'consumers read scores only through the scored API, each only the models it is granted',
      ...(p.scoresDecisionPoint
        ? { builtBy: `ScoredApi (GET /scores/<model>/<entity>, bound parameters only, mTLS door; every request decided by OPA package ${p.scoresDecisionPoint.package}, fail closed)` }
        : { gap: 'no decision point: every client certificate the inference door admits reads every model\'s scores' }),
    });
    return api;
  }

  /** The LLM gateway, once added. */
  public get llmGateway(): LlmGateway | undefined {
    return this.llm;
  }

  /**
   * Adds the LLM gateway (the platform's only egress and only holder of provider keys) and routes
   * it as part of the Z6 door: `POST /v1/chat/completions` on its own host, client certificates,
   * the door's per-client rate and in-flight limits, then a WAF hop (`llm-waf`, block mode) that
   * lets only JSON bodies of `LLM_REQUEST_FIELDS` through — so no client field reaches
   * LiteLLM's own request options (a `prompt_id` would replace the fixed system prompt) — in front
   * of the gateway key.
   */
  public addLlmGateway(options: ServingLlmOptions): LlmGateway {
    if (this.llm) throw new MlsecError(`[${this.node.path}] addLlmGateway: the zone has its LLM gateway already ('${this.llm.node.path}'); one gateway holds all provider keys`);
    const { models, host, ...props } = options ?? ({} as ServingLlmOptions);
    this.llm = new LlmGateway(this, 'llm-gateway', { ...props, vault: this.servingProps.vault });
    for (const model of models ?? []) this.llm.addModel(model);
    const route = this.llm.addRequestFieldFilter('llm-waf');
    this.servingProps.gateway?.expose(route.workload, {
      host: host ?? `llm.${Vps.of(this).domain}`, pathPrefix: route.pathPrefix, methods: ['POST'], port: route.port, auth: RouteAuth.mtls(),
      rateLimit: { average: 5, burst: 10 }, inFlight: 4,
    });
    this.addControl({ id: 'Z6-K07', title: 'LLM gateway: fixed system prompt, input and output filters, model and host allow-lists, spend cap per period, no message logging', builtBy: 'LlmGateway (LiteLLM content-filter guardrails, deployment budgets answering 429 past the cap; request-rate limits at the door) behind llm-waf, which refuses every request field but the chat-completion ones (no client prompt_id, metadata or api_base reaches LiteLLM)' });
    return this.llm;
  }
}
