import { App, HealthCheck, Image, SecretSource, Testing, Vps, Workload, Zone } from '../../lib';

/** A small real lab: a model API (Z6) that reads a curated database (Z3) over a declared flow. */
export function twoTierLab(): { app: App; vps: Vps; api: Workload; db: Workload } {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const db = new Workload(vps, 'db', {
    zone: Zone.Z3_CURATED,
    image: Image.fromRegistry('postgres', '15.8-bookworm'),
    user: '999:999',
    ports: [5432],
    writablePaths: ['/tmp', '/var/run/postgresql'],
    healthCheck: HealthCheck.command(['pg_isready', '-h', '127.0.0.1']),
  });
  db.addSecret(SecretSource.bootstrapFile('db-password'), { envVar: 'POSTGRES_PASSWORD_FILE' });
  db.addDataVolume('data', '/var/lib/postgresql/data');
  const api = new Workload(vps, 'api', {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
    ports: [8080],
    environment: { MLSERVER_HTTP_PORT: '8080' },
    healthCheck: HealthCheck.command(['true']),
  });
  api.connections.allowTo(db, { port: 5432 });
  return { app, vps, api, db };
}

/** The message of the Error `fn` throws; fails the test when it does not throw. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the call to throw');
}
