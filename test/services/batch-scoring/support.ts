import { App, PostgresServer, Testing, Workload, Zone } from '../../../lib';
import { BatchScoringJob, BatchScoringJobProps, FeatureSource, ScoredApi, ScoredApiProps, ScoredStore } from '../../../lib/services/batch-scoring';
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
