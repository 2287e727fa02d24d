import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Assembly, MinioServer, Posture, PostgresServer, RedisServer, SecretsBootstrap, Testing, Vps, Zone } from '../../lib';
import { consumerWorkload } from './support';
import { RENDERING_ONLY } from '../support/fixtures';

/** A small data tier with one consumer per kind of grant, synthesized and bootstrapped. */
export interface DataTier {
  readonly app: App;
  readonly assembly: Assembly;
  /** The secrets folder the bootstrap wrote (certificates, credentials, deliveries). */
  readonly secretsDir: string;
  /** A delivered file of `service`, e.g. `file('curated-db', 'tls.key')`. */
  file(service: string, name: string): Buffer;
  /** Absolute path of a delivered file. */
  filePath(service: string, name: string): string;
  /** A generated file of synth-out, e.g. `generated('curated-db/pg_hba.conf')`. */
  generated(rel: string): string;
  /** Removes the secrets folder. */
  cleanup(): void;
}

const consumer = consumerWorkload;

/**
 * curated-db (databases `features` with schema fs_offline and `curated`): `reader` may SELECT on
 * features (SCRAM + client certificate), `builder` may SELECT, INSERT and CREATE on features (client
 * certificate only). feature-store: `reader` reads `features:*`, `builder` writes `features:*`.
 * lake: buckets raw (locked), staging (expiring), `builder` writes `staging/source-a/` and reads
 * `raw/source-a/`, `reader` reads `staging/`.
 */
export function buildDataTier(): DataTier {
  const app = Testing.app({ postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  buildServers(vps);
  return bootstrapTier(app);
}

/** Synthesizes `app` and runs the whole bootstrap into a fresh secrets folder. */
export function bootstrapTier(app: App): DataTier {
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-data-tier-'));
  fs.chmodSync(secretsDir, 0o755);
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  const filePath = (service: string, name: string) => path.join(secretsDir, 'lab', 'deliver', service, name);
  return {
    app, assembly, secretsDir, filePath,
    file: (service, name) => fs.readFileSync(filePath(service, name)),
    generated: (rel) => assembly.file(`lab/${rel}`),
    cleanup: () => fs.rmSync(secretsDir, { recursive: true, force: true }),
  };
}

function buildServers(vps: Vps): void {
  const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED });
  db.addDatabase('features', { schemas: ['fs_offline'] });
  db.addDatabase('curated');
  const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const raw = lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });

  const reader = consumer(vps, 'reader', Zone.Z6_SERVING);
  const builder = consumer(vps, 'builder', Zone.Z3_CURATED);
  db.grantConnect(reader, { database: 'features', privileges: ['SELECT'] });
  db.grantConnect(builder, { database: 'features', privileges: ['SELECT', 'INSERT', 'CREATE'], authentication: 'cert' });
  store.grantAccess(reader, { keys: ['features:*'], commands: ['read', 'string', 'connection'] });
  store.grantAccess(builder, { keys: ['features:*'], commands: ['read', 'write', 'string', 'keyspace', 'connection'] });
  staging.grantWrite(builder, { prefix: 'source-a/' });
  raw.grantRead(builder, { prefix: 'source-a/' });
  raw.grantWrite(builder, { prefix: 'source-a/' });
  // One identity exercises write grants on both buckets here; a platform keeps them apart (ZONE-04,
  // reported on the policy file the lake writes).
  Posture.of(lake).acknowledge('ZONE-04', 'a test fixture of the grant mechanics: one consumer writes staging and raw so a single real MinIO run covers both policies');
  staging.grantRead(reader);
}
