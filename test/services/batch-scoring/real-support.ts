/**
 * Shared harness of the batch scoring real tests, without Vault: the bootstrap's certificates,
 * real PostgreSQL 15 servers from their generated configs and init SQL, and Benthos 4.27 running a
 * generated config. Overridden only what a test host must, each change recorded in `overrides`:
 * ports (databases, the model server, the PDP, a listen address, Benthos' metrics server),
 * /run/secrets paths (the delivered files) and /run/vault paths (what a test issued as the Vault
 * Agent would), and name resolution — Benthos runs in a private mount namespace whose /etc/hosts maps the
 * service names to 127.0.0.1, so it still connects by name and verifies each certificate for it.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { App, SecretsBootstrap, Testing } from '../../../lib';
import { expect } from 'vitest';
import { benthosBinary } from '../../support/real-servers/benthos';
import { PostgresServer as RunningPostgres, startPostgres } from '../../support/real-servers/postgres';
import { CommandResult, makeServerDir, removeServerDir, stopAll, trackChild } from '../../support/real-servers/process-registry';
import { bootstrapTier, DataTier } from '../data-tier-fixture';
import { scoringHost } from './support';

/** A running Benthos of the harness. */
export interface ScoringBenthos {
  readonly child: ChildProcess;
  /** Its output so far. */
  log(): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** The synthesized and bootstrapped scoring host, its running databases and its work folder. */
export class RealScoring {
  /** Synthesizes and bootstraps `scoringHost()` into fresh folders. */
  public static create(): RealScoring {
    benthosBinary(); // throws 'run npx projen test:deps' when missing
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-batch-scoring-real-'));
    fs.chmodSync(work, 0o755);
    return new RealScoring(bootstrapTier(scoringHost().app), work);
  }

  /**
   * Synthesizes the app `build` makes with an absolute secrets folder (compose then names each
   * secret file by its absolute path, as a harness that runs a compose service's secrets needs)
   * and bootstraps into it.
   */
  public static createWith(build: (app: App) => unknown): RealScoring {
    benthosBinary();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-batch-scoring-real-'));
    fs.chmodSync(work, 0o755);
    const secretsDir = path.join(work, 'secrets');
    const app = Testing.app({ secretsDir, outdir: path.join(work, 'synth-out') });
    build(app);
    const assembly = Testing.synth(app);
    SecretsBootstrap.run(app, { secretsDir, chown: false });
    const filePath = (service: string, name: string) => path.join(secretsDir, 'lab', 'deliver', service, name);
    return new RealScoring({
      app, assembly, secretsDir, filePath,
      file: (service, name) => fs.readFileSync(filePath(service, name)),
      generated: (rel) => assembly.file(`lab/${rel}`),
      cleanup: () => undefined, // inside `work`
    }, work);
  }

  /** Every change made to the generated configs and environments, for failure messages. */
  public readonly overrides: string[] = [];
  /** The started databases by service name. */
  public readonly pgs: Record<string, RunningPostgres> = {};
  /** The port of the model server stand-in, when a test runs one. */
  public modelPort?: number;
  /** The port of the PDP, when a test runs one. */
  public opaPort?: number;
  /** Where a test put the files a service's Vault Agent would render (`/run/vault/…`), by service name. */
  public readonly rendered: Record<string, string> = {};

  private constructor(public readonly tier: DataTier, public readonly work: string) {}

  /** Starts the generated PostgreSQL `service` and runs its init SQL as the image's entrypoint would. */
  public async startDb(service: string, settings: Record<string, string> = {}): Promise<RunningPostgres> {
    const t = this.tier;
    const files: Record<string, { content: string | Buffer | ((dir: string) => string); mode: number }> = {
      'postgresql.conf': { content: t.generated(`${service}/postgresql.conf`), mode: 0o644 },
      'pg_hba.conf': { content: t.generated(`${service}/pg_hba.conf`), mode: 0o644 },
      'pg_ident.conf': { content: t.generated(`${service}/pg_ident.conf`), mode: 0o644 },
      'init.sql': { content: t.generated(`${service}/initdb/10-mlsec-roles.sql`), mode: 0o644 },
      'wrapper.conf': {
        mode: 0o644,
        content: (dir) => [`include '${dir}/postgresql.conf'`, `hba_file = '${dir}/pg_hba.conf'`, `ident_file = '${dir}/pg_ident.conf'`,
          `ssl_cert_file = '${dir}/secrets/tls.crt'`, `ssl_key_file = '${dir}/secrets/tls.key'`, `ssl_ca_file = '${dir}/secrets/ca.crt'`, ''].join('\n'),
      },
    };
    for (const f of ['tls.crt', 'tls.key', 'ca.crt']) files[`secrets/${f}`] = { content: t.file(service, f), mode: 0o600 };
    for (const [k, v] of Object.entries(settings)) this.overrides.push(`${service} postgresql.conf ${k} → ${v}`);
    const pg = await startPostgres({ configFile: 'wrapper.conf', files, superuser: 'mlsec_admin', settings });
    this.pgs[service] = pg;
    pg.runSqlAsSuperuser(`\\i ${pg.dir}/init.sql`);
    return pg;
  }

  /** Copies the delivered files of `service` (0600) into the work folder and returns it. */
  public delivered(service: string): string {
    const dir = path.join(this.work, `${service}-secrets`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const from = path.dirname(this.tier.filePath(service, 'x'));
    for (const name of fs.readdirSync(from)) fs.writeFileSync(path.join(dir, name), fs.readFileSync(path.join(from, name)), { mode: 0o600 });
    return dir;
  }

  /**
   * The generated Benthos config of `service`, with /run/secrets, the started databases' ports and
   * the model server's port re-pointed, then `patch`; and its compose environment, re-rooted.
   * Benthos' own metrics server (0.0.0.0:4195 in compose) moves to `metricsPort` on loopback, so
   * parallel test files never share 4195; a config that has one needs it.
   */
  public testConfig(service: string, patch: (config: any) => void = () => {}, metricsPort?: number): { file: string; env: Record<string, string> } {
    const secrets = this.delivered(service);
    let text = this.tier.generated(`${service}/benthos.yaml`);
    const swap = (from: string, to: string) => {
      if (!text.includes(from)) return;
      this.overrides.push(`${service}/benthos.yaml: ${from} → ${to}`);
      text = text.split(from).join(to);
    };
    swap('/run/secrets/', `${secrets}/`);
    if (this.rendered[service]) swap('/run/vault/', `${this.rendered[service]}/`);
    if (this.opaPort !== undefined) swap('https://opa:8181/', `https://opa:${this.opaPort}/`);
    for (const [db, pg] of Object.entries(this.pgs)) swap(`@${db}:5432/`, `@${db}:${pg.port}/`);
    if (this.modelPort !== undefined) swap('http://model-server:8080/', `http://model-server:${this.modelPort}/`);
    const config = parse(text);
    patch(config);
    if (config.http?.enabled) {
      if (metricsPort === undefined) throw new Error(`${service} serves metrics on ${config.http.address}: give testConfig a free metricsPort`);
      this.overrides.push(`${service}/benthos.yaml http.address: ${config.http.address} → 127.0.0.1:${metricsPort}`);
      config.http.address = `127.0.0.1:${metricsPort}`;
    }
    const file = path.join(this.work, `${service}.yaml`);
    fs.writeFileSync(file, stringify(config));
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/\/run\/(secrets|vault)\//);
    const compose = parse(this.tier.generated('docker-compose.yml')).services[service];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(compose.environment as Record<string, string>)) env[k] = v.replace(/^\/run\/secrets\//, `${secrets}/`);
    return { file, env };
  }

  /** `benthos -c <file>` with `env`, in a private mount namespace whose /etc/hosts maps the service names to 127.0.0.1 (the compose DNS). */
  public spawnBenthos(name: string, file: string, env: Record<string, string>): ScoringBenthos {
    const dir = makeServerDir('benthos-scoring');
    const hosts = path.join(dir, 'hosts');
    fs.writeFileSync(hosts, '127.0.0.1 localhost features-db scored-db model-server scored-api opa\n');
    const logFile = path.join(dir, 'benthos.log');
    const out = fs.openSync(logFile, 'a');
    const child = spawn('unshare', ['-m', '/bin/sh', '-c', 'mount --bind "$1" /etc/hosts && exec "$2" -c "$3"', 'sh', hosts, benthosBinary(), file], {
      cwd: dir, env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: dir, ...env }, stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    const stop = trackChild(name, child, () => removeServerDir(dir));
    return { child, log, stop };
  }

  /** psql as `role` with the client certificate delivered to `service` (certificate login, verify-full). */
  public sqlAs(service: string, role: string, db: string, database: string, query: string): CommandResult {
    const secrets = path.join(this.work, `${service}-secrets`);
    const cert = fs.existsSync(path.join(secrets, 'clienttls.crt')) ? 'clienttls' : 'tls';
    const conn = [`host=${db}`, 'hostaddr=127.0.0.1', `port=${this.pgs[db].port}`, `user=${role}`, `dbname=${database}`, 'sslmode=verify-full',
      `sslrootcert=${secrets}/ca.crt`, `sslcert=${secrets}/${cert}.crt`, `sslkey=${secrets}/${cert}.key`, 'connect_timeout=10'].join(' ');
    return this.pgs[db].psql(['-At', conn, '-c', query]);
  }

  /** Stops the databases and anything left running, then removes the folders. */
  public async cleanup(): Promise<void> {
    try {
      for (const pg of Object.values(this.pgs)) await pg.stop();
      await stopAll();
    } finally {
      fs.rmSync(this.work, { recursive: true, force: true });
      this.tier.cleanup();
    }
  }
}
