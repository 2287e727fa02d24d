/**
 * The reference lab: what `npx projen synth` writes into synth-out/lab/. It grows issue by issue
 * into the full ten-zone platform; for now it is the curated data tier (Z3), an online model
 * server (Z6) reading the feature store, and a metrics exporter (Z9) for the feature store.
 */
import { App, ComposeVolume, HealthCheck, Image, SecretSource, Vps, Workload, Zone } from '../lib';

/** Builds the reference lab into `app`; returns its Vps. */
export function createLab(app: App): Vps {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });

  const curatedDb = new Workload(vps, 'curated-db', {
    zone: Zone.Z3_CURATED,
    image: Image.fromRegistry('postgres', '15.8-bookworm'),
    user: '999:999', // the image's postgres user, owner of the data directory
    ports: [5432],
    writablePaths: ['/tmp', '/var/run/postgresql'],
    resources: { memoryMiB: 512, cpus: 1 },
    environment: { POSTGRES_USER: 'curated_admin', POSTGRES_DB: 'curated' },
    healthCheck: HealthCheck.command(['pg_isready', '-h', '127.0.0.1', '-U', 'curated_admin', '-d', 'curated']),
  });
  curatedDb.addSecret(SecretSource.bootstrapFile('curated-db-admin-password'), { envVar: 'POSTGRES_PASSWORD_FILE' });
  curatedDb.addDataVolume('data', '/var/lib/postgresql/data');

  const featureStore = new Workload(vps, 'feature-store', {
    zone: Zone.Z3_CURATED,
    image: Image.fromRegistry('redis', '7.2.5-bookworm'),
    user: '999:999', // the image's redis user, owner of /data
    ports: [6379],
    command: ['redis-server', '--appendonly', 'yes', '--protected-mode', 'yes'],
    healthCheck: HealthCheck.command(['redis-cli', 'ping']),
  });
  featureStore.addDataVolume('data', '/data');

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
  modelServer.mountVolume(new ComposeVolume(vps, 'models'), '/mnt/models', { readOnly: true });
  modelServer.connections.allowTo(featureStore, { port: 6379 });

  const featureStoreExporter = new Workload(vps, 'feature-store-exporter', {
    zone: Zone.Z9_OBSERVABILITY,
    image: Image.fromRegistry('oliver006/redis_exporter', 'v1.62.0'),
    ports: [9121],
    resources: { memoryMiB: 64, cpus: 0.1 },
    environment: { REDIS_ADDR: 'redis://feature-store:6379' },
    healthCheck: HealthCheck.command(['/redis_exporter', '--version']),
  });
  featureStoreExporter.connections.allowTo(featureStore, { port: 6379 });

  // TLS identities: `npx projen bootstrap` issues their certificates into secrets/lab/pki/.
  curatedDb.addTlsIdentity({ usage: 'server' });
  featureStore.addTlsIdentity({ usage: 'server' });
  modelServer.addTlsIdentity({ usage: 'server-and-client' });
  featureStoreExporter.addTlsIdentity({ usage: 'client' });
  return vps;
}

if (require.main === module) {
  const app = new App();
  createLab(app);
  app.synth();
}
