/**
 * The reference lab: what `npx projen synth` writes into synth-out/lab/. It grows issue by issue
 * into the full ten-zone platform; for now it is the edge, identity, the data tier and its first consumers:
 * - Z1 the gateway, the single public entry: the ingestion door (partners post transactions with
 *   client certificates to a contract-checking connector that writes to staging or quarantine)
 *   and the inference door (consumers call the model server with client certificates);
 * - Z8 identity: Keycloak (its realm imported from Vault-held secrets) on its own Postgres, its
 *   admin console behind an OIDC proxy, all sign-in routes limited to the operators' network;
 * - Z2 raw data lake: MinIO with the `raw` (WORM), `staging` (3-day expiry), `quarantine` and
 *   `backups` (WORM) buckets;
 * - Z3 curated data and feature store: PostgreSQL (`curated`, `features`) and the online feature
 *   store on Redis;
 * - consumers holding real grants: the online model server (Z6; reads features), the nightly
 *   backup of the curated database (Z3; read-only) and the job that ships the dumps to the lake
 *   (Z3; write-only on its prefix);
 * - Z8 Vault: the backup's database users are issued by Vault's database engine (5-minute
 *   leases), the Redis and MinIO credentials of the consumers live in KV, and each consumer reads
 *   them only from the files its Vault Agent sidecar renders.
 */
import { App, ArchitectureDiagram, Gateway, HealthCheck, Image, KeycloakServer, MinioServer, PostgresServer, RedisServer, RouteAuth, VaultServer, Vps, Workload, Z0Sources, Zone } from '../lib';

const Z3 = Zone.Z3_CURATED;
/** The bank's operator network (TEST-NET-2 here): the only source of admin and sign-in traffic. */
const OPERATORS = ['198.51.100.0/24'];

/** Builds the reference lab into `app`; returns its Vps. */
export function createLab(app: App): Vps {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });

  // Z8: Vault, the trust authority. Every credential a workload uses reaches it through its Vault Agent.
  const vault = new VaultServer(vps, 'vault');

  // Z2: the raw data lake.
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE, vault });
  lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 365 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  const backups = lake.addBucket('Backups', { name: 'backups', objectLock: { mode: 'COMPLIANCE', days: 35 } });

  // Z3: curated data (offline features included) and the online feature store.
  const curatedDb = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED, vault });
  curatedDb.addDatabase('curated', { schemas: ['curated_core'] });
  curatedDb.addDatabase('features', { schemas: ['fs_offline'] });
  const featureStore = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store', resources: { memoryMiB: 512 }, vault });

  // Z3: nightly logical backup of the curated database (read-only; `docker-compose run curated-backup`).
  const backup = new Workload(vps, 'curated-backup', {
    zone: Zone.Z3_CURATED,
    image: Image.fromRegistry('postgres', '15.8-bookworm'),
    user: '999:999',
    entrypoint: ['sh', '-c', 'pg_dump --format=custom --file="/backups/curated-$(date -u +%Y%m%dT%H%M%SZ).dump" curated'],
    resources: { memoryMiB: 256, cpus: 0.5 },
  });
  backup.noHealthCheck('a one-shot job run by the scheduler; it exits when the dump is written');
  const backupVolume = backup.addDataVolume('backups', '/backups');
  curatedDb.grantConnect(backup, { database: 'curated', privileges: ['SELECT'] });

  // Z3: ships the dumps to the lake's backup bucket (write-only, its own prefix; the bucket is WORM).
  const shipper = new Workload(vps, 'backup-shipper', {
    zone: Z3,
    image: Image.fromRegistry('minio/mc', 'RELEASE.2025-04-16T18-13-26Z'),
    // mc reads its credentials from MC_HOST_<alias>; they come from the delivered AWS credentials file, never argv.
    entrypoint: ['/bin/sh', '-ec', [
      'export MC_CONFIG_DIR=/tmp/mc && mkdir -p /tmp/mc/certs/CAs && cp "$AWS_CA_BUNDLE" /tmp/mc/certs/CAs/',
      'k=$(sed -n "s/^aws_access_key_id = //p" "$AWS_SHARED_CREDENTIALS_FILE"); s=$(sed -n "s/^aws_secret_access_key = //p" "$AWS_SHARED_CREDENTIALS_FILE")',
      'export MC_HOST_lake="https://$k:$s@${AWS_ENDPOINT_URL#https://}"',
      // cp, not mirror: mirror lists the target first, which a write-only grant may not (and it then copies nothing).
      'mc cp --recursive --newer-than 2d /backups/ lake/backups/curated/',
    ].join('\n')],
    resources: { memoryMiB: 128, cpus: 0.5 },
  });
  shipper.noHealthCheck('a one-shot job run by the scheduler after each dump; it exits when the upload is done');
  shipper.mountVolume(backupVolume, '/backups', { readOnly: true });
  backups.grantWrite(shipper, { prefix: 'curated/' });

  // Z6: the online model server reads its features from the feature store.
  const modelServer = new Workload(vps, 'model-server', {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
    ports: [8080],
    command: ['mlserver', 'start', '/mnt/models'],
    resources: { memoryMiB: 1024, cpus: 1 },
    environment: { MLSERVER_HTTP_PORT: '8080', MLSERVER_GRPC_PORT: '8081', MLSERVER_METRICS_PORT: '8082' },
    healthCheck: HealthCheck.command([
      'python', '-c', "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/v2/health/ready', timeout=3)",
    ]),
  });
  modelServer.addDataVolume('models', '/mnt/models');
  featureStore.grantAccess(modelServer, { keys: ['features:*'], commands: ['read', 'string', 'hash', 'connection'] });

  // Z8 Transit keys, one per purpose (CONTROLS.md §4.1): models are signed at release by CI and
  // verified by the server before loading; PII tokenization is convergent per context.
  const modelSign = vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
  modelSign.grantVerify(modelServer);
  vault.addTransitKey('Pii', { name: 'pii', derived: true });
  vault.addTransitKey('AuditLog', { name: 'audit-log' });
  vault.addTransitKey('EnvelopeRawCore', { name: 'envelope-raw-core' }); // envelope (KEK) per data domain
  vault.addTransitKey('EnvelopeCurated', { name: 'envelope-curated' });
  // Z1 edge: the single public entry (443, and 80 which only redirects). Z6 inference door: model
  // consumers (Z7) present client certificates of the internal CA.
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10', vault });
  gateway.expose(modelServer, {
    host: 'infer.lab.example.com', pathPrefix: '/v2/models/', methods: ['POST'], auth: RouteAuth.mtls(),
    plainHttpBackendReason: 'MLServer 1.6 serves plain HTTP only; the hop stays on the internal z1-z6 network until the Z6 model server L2 (mTLS) replaces it',
  });

  // Z1 ingestion door: partners post transactions with client certificates; the connector checks
  // each record against the contract and writes it to staging (or, rejected, to quarantine).
  // Z0 declares the source (owner, classification, purpose, sender, contract); its connector is its only way in.
  const transactions = new Z0Sources(vps).addSource('Transactions', {
    name: 'transactions',
    owner: 'payments-data@bank.example',
    classification: 'confidential',
    purpose: 'card and account transactions sent by partner banks, for fraud and credit scoring under the partner agreement',
    identity: 'partner-a',
    contract: {
      fields: {
        id: { type: 'string', min: 1, max: 64 },
        amount: { type: 'number', min: 0.01 },
        currency: { type: 'string', oneOf: ['BRL', 'USD', 'EUR'] },
        channel: { type: 'string', oneOf: ['APP', 'WEB', 'ATM'] },
        occurred_at: { type: 'timestamp' },
        customer_age: { type: 'integer', min: 0, max: 120, required: false },
      },
    },
  });
  const ingest = transactions.addIngestion({ staging, quarantine, vault });
  gateway.expose(ingest, { host: 'ingest.lab.example.com', pathPrefix: ingest.path, auth: RouteAuth.mtls() });

  // Z8 identity: Keycloak on its own Postgres (certificate login), the realm's login endpoints
  // and the admin console routed for the operators only, the console behind the OIDC proxy.
  const identityDb = new PostgresServer(vps, 'identity-db', { zone: Zone.Z8_SECURITY, vault });
  const keycloak = new KeycloakServer(vps, 'keycloak', { hostname: 'auth.lab.example.com', realm: { realmName: 'lab' }, database: identityDb, vault });
  keycloak.exposeVia(gateway, { allowFrom: OPERATORS });

  // The picture of it all: synth-out/lab/architecture.{dot,svg}, drawn from this tree.
  new ArchitectureDiagram(vps);

  vault.addCiRole('Release', { name: 'release', repository: 'acme/mlsec-lab', ref: 'refs/heads/main', environment: 'production' }).allowSign(modelSign);
  return vps;
}

if (require.main === module) {
  const app = new App();
  createLab(app);
  app.synth();
}
