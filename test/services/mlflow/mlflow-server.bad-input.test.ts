/** Bad inputs of MlflowServer: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Image, MinioServer, PostgresServer, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { MlflowServer, MlflowServerProps } from '../../../lib/services/mlflow';
import { expectClearError } from '../../property/support';
import { factoryHost } from './support';

const PATH = 'lab/mlflow';

/** The factory host with `props` over valid defaults; synth must fail clearly. */
function rejects(props: Partial<MlflowServerProps> | Record<string, unknown>, prop: string | RegExp, allowed: RegExp) {
  const { app } = factoryHost(props as Partial<MlflowServerProps>);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], prop, allowed });
}

describe('MlflowServer bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    expect(() => Testing.synth(factoryHost().app)).not.toThrow();
    expect(() => Testing.synth(factoryHost({ publicHostname: 'mlflow.lab.example.com', workers: 8, maxConcurrency: 1024 }).app)).not.toThrow();
  });

  it.each([['MLflow.lab.example.com'], ['mlflow'], ['https://mlflow.lab.example.com'], ['*.lab.example.com'], ['mlflow.lab.example.com/'], [''], [42]])('refuses the public host name %j', (publicHostname) => {
    rejects({ publicHostname }, "prop 'publicHostname'", /lower-case DNS name/);
  });

  it.each([[0], [9], [1.5], [-1], ['2'], [null]])('refuses %j workers', (workers) => {
    rejects({ workers }, "prop 'workers'", /integer from 1 to 8/);
  });

  it.each([[0], [3], [1025], [2.5], ['64']])('refuses a concurrency cap of %j', (maxConcurrency) => {
    rejects({ maxConcurrency }, "prop 'maxConcurrency'", /integer from 4 to 1024/);
  });

  it.each([
    ['database', /prop 'database' must be the PostgresServer/],
    ['artifacts', /prop 'artifacts' must be the MinioBucket/],
    ['vault', /prop 'vault' must be the VaultServer/],
  ])('refuses a missing %s at construction, naming the construct path', (missing, message) => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    const database = new PostgresServer(vps, 'factory-db', { zone: Zone.Z4_FACTORY, vault });
    const artifacts = new MinioServer(vps, 'model-store', { zone: Zone.Z4_FACTORY, vault }).addBucket('A', { name: 'mlflow-artifacts' });
    const props: Record<string, unknown> = { database, artifacts, vault, [missing]: { not: 'a construct' } };
    expectClearError(() => new MlflowServer(vps, 'mlflow', props as unknown as MlflowServerProps), { paths: [PATH], prop: `prop '${missing}'`, allowed: message });
  });

  it('refuses a bucket of a MinioServer without Vault (its S3 keys would be a bootstrap file)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    const database = new PostgresServer(vps, 'factory-db', { zone: Zone.Z4_FACTORY, vault });
    const artifacts = new MinioServer(vps, 'model-store', { zone: Zone.Z4_FACTORY }).addBucket('A', { name: 'mlflow-artifacts' });
    new MlflowServer(vps, 'mlflow', { database, artifacts, vault });
    expectClearError(() => Testing.synth(app), { paths: [PATH], prop: "prop 'artifacts'", allowed: /MinioServer given 'vault'/ });
  });

  it('refuses a PostgresServer without Vault (its client certificate would be a bootstrap file)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    const database = new PostgresServer(vps, 'factory-db', { zone: Zone.Z4_FACTORY });
    const artifacts = new MinioServer(vps, 'model-store', { zone: Zone.Z4_FACTORY, vault }).addBucket('A', { name: 'mlflow-artifacts' });
    new MlflowServer(vps, 'mlflow', { database, artifacts, vault });
    expectClearError(() => Testing.synth(app), { paths: [PATH], prop: "prop 'database'", allowed: /PostgresServer given 'vault'/ });
  });

  it('refuses allowClient of something that is not a workload', () => {
    const { mlflow } = factoryHost();
    expectClearError(() => mlflow.allowClient({ node: { path: 'x' } } as never), { paths: [PATH], prop: 'allowClient', allowed: /must be a Workload/ });
  });

  it('refuses an image with a floating tag', () => {
    rejects({ image: Image.fromRegistry('ghcr.io/mlflow/mlflow', 'latest') }, /image/, /exact version tag|latest/);
  });
});
