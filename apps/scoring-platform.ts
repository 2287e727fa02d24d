/**
 * A second, smaller platform composed from individual zones — how a user picks parts instead of
 * taking the whole `MlopsSecurityLab`. A card issuer scores transactions with models trained
 * elsewhere: it needs the ingestion door (two partner feeds, the WAF still in detect mode), the
 * raw lake, curated data and features, the registry its models are released into, online serving
 * and its consumer app, on Vault and Keycloak. No model factory runs here (no Z4): the posture
 * report lists no factory controls and the diagram draws no factory.
 *
 * `npx projen synth:example` writes it to synth-out-scoring/ (not committed; its posture is
 * pinned by test/apps/scoring-platform.test.ts).
 */
import { App, ArchitectureDiagram, DataSourceProps, MlflowServer, Vps, Z0Sources, Z1Ingestion, Z2RawLake, Z3CuratedData, Z5ModelRegistry, Z6Serving, Z7Consumers, Z8SecurityServices, Zone } from '../lib';

const CARD_CONTRACT: DataSourceProps['contract'] = {
  fields: {
    authorization_id: { type: 'string', min: 8, max: 40 },
    amount: { type: 'number', min: 0.01, max: 100000 },
    currency: { type: 'string', oneOf: ['BRL', 'USD'] },
    mcc: { type: 'string', min: 4, max: 4 },
    authorized_at: { type: 'timestamp' },
  },
};

/** Builds the scoring platform into `app`; returns its host. */
export function createScoringPlatform(app: App): Vps {
  const vps = new Vps(app, 'scoring', { domain: 'scoring.example.com' });
  const security = new Z8SecurityServices(vps, 'Security', { dataDomains: ['cards'] });
  const lake = new Z2RawLake(vps, 'Lake', { vault: security.vault, rawRetentionDays: 730 });
  const ingestion = new Z1Ingestion(vps, 'Ingestion', { publicAddress: '192.0.2.40', vault: security.vault, lake });

  const sources = new Z0Sources(vps, 'Sources');
  ingestion.admit(sources.addSource('Authorizations', {
    name: 'card-authorizations', owner: 'card-risk@issuer.example', classification: 'confidential', identity: 'acquirer-b',
    purpose: 'card authorizations from the acquirer, for real-time fraud scoring under the acquiring contract',
    contract: CARD_CONTRACT,
  }));
  ingestion.admit(sources.addSource('Chargebacks', {
    name: 'chargebacks', owner: 'card-risk@issuer.example', classification: 'confidential', identity: 'card-network',
    purpose: 'chargeback notices from the card network, the fraud labels of the scoring models', retentionDays: 1825,
    contract: { fields: { authorization_id: { type: 'string', min: 8, max: 40 }, reason_code: { type: 'string', oneOf: ['10.4', '13.1', '13.2'] }, notified_at: { type: 'timestamp' } } },
  }));

  const curated = new Z3CuratedData(vps, 'Curated', { vault: security.vault, lake });
  curated.addDataset({
    name: 'cards_authorizations_v1', owner: 'card-risk@issuer.example', classification: 'restricted', piiColumns: ['pan_token'],
    purpose: 'fraud features per card', legalBasis: 'LGPD art. 7, IX (legitimate interest: fraud prevention)', retentionDays: 730,
  });
  // Models are trained elsewhere; this platform keeps only the registry they are released into (no
  // Z4 factory): MLflow on the Z5 stores, and the CI role that signs each release.
  const registry = new Z5ModelRegistry(vps, 'Registry', { vault: security.vault });
  const mlflow = new MlflowServer(registry, 'mlflow', { zone: Zone.Z5_REGISTRY, database: registry.registryDb, artifacts: registry.artifactsBucket, vault: security.vault });
  const releaseRole = security.vault.addCiRole('Release', { name: 'release', repository: 'issuer/card-models', ref: 'refs/heads/main', environment: 'production' });
  const serving = new Z6Serving(vps, 'Serving', {
    vault: security.vault, gateway: ingestion.gateway, featureApi: curated.featureApi, modelSignKey: security.modelSignKey, registry: registry.addGate(mlflow), releaseRole,
  });
  serving.addModelServer({ name: 'card-fraud' });
  security.exposeSignIn(ingestion.gateway, { allowFrom: ['198.51.100.64/26'] });
  const consumers = new Z7Consumers(vps, 'Consumers', { keycloak: security.keycloak });
  consumers.addConsumer('Authorizer', { clientId: 'card-authorizer', purpose: 'fraud_prevention', scopes: ['predict:online'] });
  new ArchitectureDiagram(vps);
  return vps;
}

if (require.main === module) {
  const app = new App({ outdir: process.env.MLSEC_OUTDIR ?? 'synth-out-scoring' });
  createScoringPlatform(app);
  app.synth();
}
