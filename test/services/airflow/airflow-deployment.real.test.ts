/**
 * The generated Airflow deployment end to end on real servers: OpenBao bootstrapped by its
 * generated script, the metadata PostgreSQL and the broker Redis started from their generated
 * files with what their agents render, and Airflow 3.3.2 (tools/install-airflow.sh) — the
 * migration job, API server, scheduler, DAG processor and two Celery workers — each run by its
 * generated start script with its generated airflow.cfg, compose environment and what its own
 * agent renders. Re-pointed only what a test host must: /run/vault, /run/secrets, /etc/airflow
 * and the DAG folder; ports; and the service names, which resolve to loopback through glibc's
 * a sitecustomize stand-in for DNS (so libpq, redis-py and httpx still verify each certificate for its service name).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsBootstrap, Testing } from '../../../lib';
import { AirflowComponentRun, airflowBinDir, runAirflow, runAirflowScript, RunningAirflow, serviceNamesToLoopback, startAirflowComponent } from '../../support/real-servers/airflow';
import { freePorts } from '../../support/real-servers/free-port';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles, startGeneratedPostgres, startGeneratedVault } from '../../support/real-servers/generated-stack';
import { PostgresServer as RunningPostgres } from '../../support/real-servers/postgres';
import { stopAll } from '../../support/real-servers/process-registry';
import { RedisServer as RunningRedis, startRedis, withoutRedisDirectives } from '../../support/real-servers/redis';
import { orchestrationHost } from './support';

let host: GeneratedHost;
let compose: any;
let vault: GeneratedVault;
let pg: RunningPostgres;
let redis: RunningRedis;
let apiPort: number;
let work: string;
const runs = new Map<string, AirflowComponentRun>();
const running = new Map<string, RunningAirflow>();
const overrides: string[] = [];

/** Lays out a component: its agent's files, its airflow.cfg, scripts and DAGs, re-pointed; returns how to run it. */
async function prepare(service: string, extraEnv: Record<string, string> = {}): Promise<AirflowComponentRun> {
  const out = await renderAgentFiles(host, vault, service);
  const secrets = path.dirname(deliveredPath(host, service, 'x'));
  const dir = path.join(work, service);
  fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
  const dags = path.join(work, 'dags');
  const repoint = (text: string) => text.replace(/\/run\/vault\//g, `${out}/`).replace(/\/run\/secrets\//g, `${secrets}/`).replace(/\/etc\/airflow\//g, `${dir}/`)
    .replace(/\/opt\/airflow\/dags/g, dags).replace(/\/tmp\/airflow/g, path.join(dir, 'home'))
    .replace(/@airflow-db:5432\//g, `@airflow-db:${pg.port}/`).replace(/airflow-api-server:8080/g, `airflow-api-server:${apiPort}`).replace(/^port = 8080$/m, `port = ${apiPort}`);
  for (const rel of Object.keys(host.files).filter((r) => r.startsWith(`${service}/`))) fs.writeFileSync(path.join(dir, path.basename(rel)), repoint(host.files[rel]));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services[service].environment as Record<string, string>)) env[k] = repoint(String(v));
  if (env.BROKER_PORT) env.BROKER_PORT = String(redis.port);
  Object.assign(env, serviceNamesToLoopback(path.join(work, 'site'), ['airflow-db', 'airflow-broker', 'airflow-api-server']), extraEnv);
  const script = repoint(host.files[`${service}/start.sh`]).replace('--host 0.0.0.0 --port 8080', `--host 127.0.0.1 --port ${apiPort}`);
  const run = { name: service, script, env };
  runs.set(service, run);
  return run;
}

beforeAll(async () => {
  airflowBinDir(); // throws, naming tools/install-airflow.sh, when missing
  const { app } = orchestrationHost();
  const assembly = Testing.synth(app);
  const secretsDir = fs.mkdtempSync('/tmp/mlsec-airflow-');
  fs.chmodSync(secretsDir, 0o755);
  SecretsBootstrap.run(app, { secretsDir, chown: false });
  host = { files: Object.fromEntries(assembly.paths().map((p) => [p.slice('lab/'.length), assembly.file(p)])), secretsDir, vps: 'lab' };
  compose = parse(host.files['docker-compose.yml']);
  const [pgPort, redisPort, port] = await freePorts(3);
  apiPort = port;
  vault = await startGeneratedVault(host, 'vault', { postgres: { 'airflow-db': pgPort } });
  pg = await startGeneratedPostgres(host, 'airflow-db', { renderedDir: await renderAgentFiles(host, vault, 'airflow-db'), port: pgPort });
  const brokerOut = await renderAgentFiles(host, vault, 'airflow-broker');
  const rendered = (name: string, mode = 0o600) => ({ content: fs.readFileSync(path.join(brokerOut, name)), mode });
  redis = await startRedis({
    configFile: 'redis.conf', port: redisPort,
    files: {
      'redis.conf': { content: withoutRedisDirectives(host.files['airflow-broker/redis.conf']), mode: 0o644 },
      'users.acl': rendered('users.acl'), 'tls.crt': rendered('vault-tls.crt', 0o644), 'tls.key': rendered('vault-tls.key'),
      'ca.crt': { content: fs.readFileSync(deliveredPath(host, 'airflow-broker', 'ca.crt')), mode: 0o644 },
    },
    args: ['--tls-port', String(redisPort), '--tls-cert-file', 'tls.crt', '--tls-key-file', 'tls.key', '--tls-ca-cert-file', 'ca.crt', '--aclfile', 'users.acl'],
  });
  work = path.join(vault.bao.dir, 'airflow');
  fs.mkdirSync(path.join(work, 'dags'), { recursive: true });
  for (const rel of Object.keys(host.files).filter((r) => r.startsWith('airflow/dags/'))) fs.writeFileSync(path.join(work, 'dags', path.basename(rel)), host.files[rel]);
  overrides.push('service names → 127.0.0.1 (sitecustomize getaddrinfo stand-in); ports: postgres, redis, api-server re-pointed; container paths re-pointed');
  for (const s of ['airflow-db-migrate', 'airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor']) await prepare(s);
  await prepare('airflow-worker-curation', { MLSEC_WORKER_NAME: 'worker-curation' });
  await prepare('airflow-worker-training', { MLSEC_WORKER_NAME: 'worker-training' });
}, 400_000);

afterAll(async () => {
  for (const r of running.values()) await r.stop();
  await redis?.stop();
  await vault?.bao.stop();
  await pg?.stop();
  await stopAll();
  if (host) fs.rmSync(host.secretsDir, { recursive: true, force: true });
}, 120_000);

const sql = (q: string) => pg.runSqlAsSuperuser(q, 'airflow');

describe('the generated Airflow deployment on real PostgreSQL, Redis and OpenBao', () => {
  it('reads its generated config (secrets only through _cmd) and migrates the metadata database over a certificate login', () => {
    const job = runs.get('airflow-db-migrate')!;
    const listed = runAirflow(job.env, ['config', 'get-value', 'api', 'expose_config']);
    expect(listed.output.trim().split('\n').filter(Boolean).pop(), listed.output).toBe('False');
    const migrate = runAirflow(job.env, ['db', 'migrate'], 300_000);
    expect(migrate.status, migrate.output.slice(-4000)).toBe(0);
    expect(sql("select count(*) > 50 from pg_tables where schemaname = 'airflow'")).toBe('t');
    expect(sql("select count(*) from pg_tables where schemaname = 'airflow' and tableowner <> 'airflow_db_migrate'")).toBe('0');
    expect(pg.log()).toMatch(/connection authorized: user=airflow_db_migrate database=airflow SSL enabled/);
    expect(sql("select rolpassword is null from pg_authid where rolname = 'airflow_db_migrate'")).toBe('t');
    // The scheduler's role reads and writes the tables, but may not create any.
    const scheduler = runs.get('airflow-scheduler')!;
    const check = runAirflow(scheduler.env, ['db', 'check']);
    expect(check.status, check.output.slice(-3000)).toBe(0);
    const list = runAirflow(scheduler.env, ['config', 'list', '--section', 'celery']);
    expect(list.status, list.output.slice(-3000)).toBe(0);
    expect(list.output).not.toMatch(/rediss:\/\/[^:]+:[^@<]+@/);
  }, 400_000);

  it('runs a DAG whose two tasks each land on the worker of their own queue', async () => {
    const start = (name: string, ready?: () => Promise<boolean>) => startAirflowComponent({ ...runs.get(name)!, ready, startTimeoutMs: 180_000 }).then((r) => running.set(name, r));
    await start('airflow-api-server', async () => pg.log().includes('user=airflow_api_server database=airflow SSL enabled'));
    await new Promise((r) => setTimeout(r, 5000));
    await start('airflow-dag-processor');
    await start('airflow-scheduler');
    await start('airflow-worker-curation');
    await start('airflow-worker-training');
    let states = '';
    for (const until = Date.now() + 360_000; Date.now() < until;) {
      states = sql("select task_id || ':' || coalesce(state, 'none') || ':' || queue from airflow.task_instance where dag_id = 'split_by_domain' order by task_id");
      if (/^curate:success:curation\ntrain:success:training$/.test(states) || /failed/.test(states)) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const logs = [...running.entries()].map(([n, r]) => `--- ${n} ---\n${r.log().slice(-3000)}`).join('\n');
    expect(states, `${logs}\n--- overrides ---\n${overrides.join('\n')}`).toBe('curate:success:curation\ntrain:success:training');
    const xcom = (task: string) => JSON.parse(sql(`select value from airflow.xcom where dag_id = 'split_by_domain' and task_id = '${task}' and key = 'return_value'`));
    expect(xcom('curate')).toMatchObject({ queue: 'curation', ran_on: 'worker-curation', sees_s3_keys: true });
    expect(xcom('train')).toMatchObject({ queue: 'training', ran_on: 'worker-training', after: 'worker-curation' });
  }, 600_000);

  it("keeps data credentials out of the scheduler: neither its compose environment nor its process has any", () => {
    const env = compose.services['airflow-scheduler'].environment as Record<string, string>;
    expect(Object.keys(env).filter((k) => /^(AWS_|PG|REDIS_)|CREDENTIALS|SERVICEFILE/.test(k))).toEqual([]);
    expect(compose.services['airflow-worker-curation'].environment.AWS_SHARED_CREDENTIALS_FILE).toMatch(/^\/run\/vault\//);
    expect(running.has('airflow-scheduler'), 'the scheduler runs (previous test)').toBe(true);
    const pid = running.get('airflow-scheduler')!.pid;
    const live = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').map((kv) => kv.split('=')[0]);
    expect(live.filter((k) => /^(AWS_|PG|REDIS_)|CREDENTIALS/.test(k))).toEqual([]);
    // What its agent renders: its certificate, its broker password and the task-token key; no S3 keys, no fernet key.
    expect(Object.keys(host.files).filter((f) => f.startsWith('vault/agent/airflow-scheduler/') && f.endsWith('.ctmpl')).map((f) => path.basename(f)).sort())
      .toEqual(['airflowjwt-jwt-secret.ctmpl', 'redis-airflow-broker-airflow-scheduler-password.ctmpl', 'vault-tls.crt.ctmpl']);
  });

  it("confines each worker's Redis user to its own queue", () => {
    const out = (svc: string) => runs.get(svc)!.env;
    const cli = (svc: string, ...cmd: string[]) => {
      const e = out(svc);
      return redis.cli(['--tls', '--cacert', e.BROKER_TLS_CA_FILE, '--cert', e.BROKER_TLS_CERT_FILE, '--key', e.BROKER_TLS_KEY_FILE, '--user', e.BROKER_USERNAME, '--pass', fs.readFileSync(e.BROKER_PASSWORD_FILE, 'utf8').trim(), ...cmd]).stdout;
    };
    expect(cli('airflow-worker-curation', 'LLEN', 'airflow:curation')).not.toMatch(/NOPERM/);
    expect(cli('airflow-worker-curation', 'LLEN', 'airflow:training')).toMatch(/NOPERM/);
    expect(cli('airflow-worker-training', 'LPUSH', 'airflow:curation', 'x')).toMatch(/NOPERM/);
    expect(cli('airflow-worker-curation', 'HGETALL', 'airflow:unacked.training')).toMatch(/NOPERM/);
  });

  it('refuses to start when a secret file is empty', async () => {
    const api = runs.get('airflow-api-server')!;
    const empty = path.join(work, 'empty');
    fs.writeFileSync(empty, '');
    const r = await runAirflowScript({ ...api, env: { ...api.env, AIRFLOW_FERNET_KEY_FILE: empty } });
    expect(r.status).toBe(1);
    expect(r.output).toContain(`${empty} is missing or empty; refusing to start`);
  }, 60_000);
});
