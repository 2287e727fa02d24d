import { App, Gateway, PostgresServer, RouteAuth, Testing, Workload, Zone } from '../../../lib';
import { OpaPolicy, OpaServer } from '../../../lib/services/opa';
import { BatchScoringJob, BatchScoringJobProps, FeatureSource, SCORED_API_PORT, ScoredApi, ScoredApiProps, ScoredStore } from '../../../lib/services/batch-scoring';
import { consumerWorkload } from '../support';
import { ServingHost, servingHost } from '../model-serving/support';

/** The serving host plus a Z3 feature database and a Z6 scored database. */
export interface ScoringServers extends ServingHost {
  readonly featuresDb: PostgresServer;
  readonly scoredDb: PostgresServer;
  readonly features: FeatureSource;
  readonly scored: ScoredStore;
}

/** The servers plus the job, the API and a Z7 consumer. */
export interface ScoringHost extends ScoringServers {
  readonly job: BatchScoringJob;
  readonly api: ScoredApi;
  readonly consumer: Workload;
}

/** The feature columns the model reads (the Z6-K09 column allow-list example). */
export const FEATURE_COLUMNS = ['amount_30d', 'count_30d', 'tenure_days'];

/**
 * The serving host (model server `fraud-score`) with `features-db` (database `features`, schema
 * `fs_offline`, table `tx_2025`) and `scored-db` (database `scored`, schema `scored_core`), without Vault.
 */
export function scoringServers(app: App = Testing.app()): ScoringServers {
  const h = servingHost({}, {}, app);
  const featuresDb = new PostgresServer(h.vps, 'features-db', { zone: Zone.Z3_CURATED });
  featuresDb.addDatabase('features', { schemas: ['fs_offline'] });
  const scoredDb = new PostgresServer(h.vps, 'scored-db', { zone: Zone.Z6_SERVING });
  scoredDb.addDatabase('scored', { schemas: ['scored_core'] });
  const features: FeatureSource = { server: featuresDb, database: 'features', schema: 'fs_offline', table: 'tx_2025', entityColumn: 'cust_id_hmac', columns: FEATURE_COLUMNS };
  return { ...h, featuresDb, scoredDb, features, scored: { server: scoredDb, database: 'scored' } };
}

/**
 * Builds the host: `features-db` (database `features`, schema `fs_offline`, table `tx_2025`) and
 * `scored-db` (database `scored`, schema `scored_core`) without Vault, the job `batch-scoring` of
 * the model `fraud-score`, the API `scored-api` and a Z7 consumer allowed to call it.
 */
export function scoringHost(options: { job?: Partial<BatchScoringJobProps>; api?: Partial<ScoredApiProps> } = {}, app: App = Testing.app()): ScoringHost {
  const h = scoringServers(app);
  const job = new BatchScoringJob(h.vps, 'batch-scoring', { modelServer: h.server, features: h.features, scored: h.scored, ...options.job });
  const api = new ScoredApi(h.vps, 'scored-api', { scored: h.scored, models: ['fraud-score'], ...options.api });
  const consumer = consumerWorkload(h.vps, 'core-banking', Zone.Z7_CONSUMERS);
  api.allowClient(consumer);
  return { ...h, job, api, consumer };
}

/** The package of the scores policy in the PDP hosts. */
export const SCORES_PACKAGE = 'z6.scores';

/** The public host of the scores route on the gateway. */
export const SCORES_HOST = 'scores.lab.example.com';

/**
 * The servers plus a PDP (`opa`, Vault-certified) serving `z6.scores`: a route allow-map granting
 * `core-banking` GET on `/scores/fraud-score/` only; the API `scored-api` (models `fraud-score`
 * and `churn`) asks it about every request. No job and no allowClient: callers come through the
 * gateway's mTLS route `scores.lab.example.com/scores/`, as Z7 consumers `core-banking` and
 * `fraud-engine` (each with a client certificate from the internal CA).
 */
export function pdpScoringHost(options: { api?: Partial<ScoredApiProps> } = {}, app: App = Testing.app()) {
  const h = scoringServers(app);
  const opa = new OpaServer(h.vps, 'opa', { vault: h.vault });
  opa.addPolicy(OpaPolicy.routeAllowList({ package: SCORES_PACKAGE, routes: [{ client: 'core-banking', pathPrefix: '/scores/fraud-score/', methods: ['GET'] }] }));
  const api = new ScoredApi(h.vps, 'scored-api', { scored: h.scored, models: ['fraud-score', 'churn'], decisionPoint: { server: opa, package: SCORES_PACKAGE }, ...options.api });
  const gateway = new Gateway(h.vps, 'gateway', { publicAddress: '203.0.113.10' });
  gateway.expose(api, { host: SCORES_HOST, pathPrefix: '/scores/', methods: ['GET'], port: SCORED_API_PORT, auth: RouteAuth.mtls() });
  const consumers = ['core-banking', 'fraud-engine'].map((id) => {
    const c = consumerWorkload(h.vps, id, Zone.Z7_CONSUMERS);
    c.addTlsIdentity({ usage: 'client' });
    return c;
  });
  return { ...h, opa, api, gateway, consumers };
}
