import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { orchestrationHost } from './support';

function synth() {
  const h = orchestrationHost();
  const a = Testing.synth(h.app);
  return { ...h, file: (rel: string) => a.file(`lab/${rel}`), compose: parse(a.file('lab/docker-compose.yml')) };
}

describe('AirflowDeployment', () => {
  const s = synth();
  const env = (svc: string) => s.compose.services[svc].environment as Record<string, string>;

  it('gives the scheduler metadata-database and broker credentials only, no data grant and no fernet key', () => {
    expect(Object.keys(env('airflow-scheduler')).filter((k) => /^(AWS_|PG|REDIS_)|CREDENTIALS|FERNET/.test(k))).toEqual([]);
    const cfg = s.file('airflow-scheduler/airflow.cfg');
    expect(cfg).toContain('sql_alchemy_conn = postgresql+psycopg://airflow_scheduler@airflow-db:5432/airflow?sslmode=verify-full&');
    expect(cfg).toContain('jwt_secret_cmd = cat /run/vault/');
    expect(cfg).not.toContain('fernet_key');
    expect(cfg).toContain('broker_url_cmd = python3 /etc/airflow/redis_url.py');
  });

  it('puts each worker in its zone, on its queue only, with the data grants and no metadata database', () => {
    for (const [svc, queue, zone] of [['airflow-worker-curation', 'curation', 'z3'], ['airflow-worker-training', 'training', 'z4']]) {
      const cfg = s.file(`${svc}/airflow.cfg`);
      expect(cfg).not.toMatch(/sql_alchemy_conn|fernet_key|jwt_secret|secret_key/);
      expect(cfg).toContain('client_use_public_certs = False');
      expect(s.file(`${svc}/start.sh`)).toContain(`exec airflow celery worker --queues ${queue} --concurrency 2 --skip-serve-logs --without-mingle --without-gossip`);
      expect(s.compose.services[svc]['x-mlsec'].zone).toMatch(new RegExp(`^${zone}`, 'i'));
      expect(Object.keys(env(svc)).filter((k) => k.startsWith('METADB_'))).toEqual([]);
    }
    expect(env('airflow-worker-curation').AWS_SHARED_CREDENTIALS_FILE).toMatch(/^\/run\/vault\//);
    expect(env('airflow-worker-training').AWS_SHARED_CREDENTIALS_FILE).toBeUndefined();
    // The two workers share no network: each reaches only the broker and the API server.
    const nets = (svc: string): string[] => { const n = s.compose.services[svc].networks ?? []; return Array.isArray(n) ? n : Object.keys(n); };
    expect(nets('airflow-worker-curation').length).toBeGreaterThan(0);
    expect(nets('airflow-worker-curation').filter((n) => nets('airflow-worker-training').includes(n))).toEqual([]);
  });

  it('serves the API over HTTPS requiring client certificates, with the config hidden', () => {
    const cfg = s.file('airflow-api-server/airflow.cfg');
    expect(cfg).toMatch(/ssl_cert_reqs = required/);
    expect(cfg).toMatch(/expose_config = False/);
    expect(cfg).toMatch(/fernet_key_cmd = cat \/run\/vault\//);
    expect(cfg).toMatch(/simple_auth_manager_users =\n/);
    expect(s.compose.services['airflow-api-server'].ports).toBeUndefined();
  });

  it('confines each Redis user to its keys', () => {
    const acl = s.file('vault/agent/airflow-broker/users.acl.ctmpl');
    expect(acl).toMatch(/user airflow-worker-curation .*~airflow:curation ~airflow:_kombu\.binding\.curation ~celery-task-meta-\* /);
    expect(acl).toMatch(/user airflow-scheduler .*~airflow:\* ~celery-task-meta-\* /);
    expect(acl).not.toMatch(/\+@admin|\+@dangerous|\+eval/);
  });

  it('writes no secret into synth output and is stable', () => {
    for (const svc of ['airflow-scheduler', 'airflow-api-server', 'airflow-worker-curation']) expect(s.file(`${svc}/airflow.cfg`)).not.toMatch(/rediss:\/\/|:[^@/\s]+@airflow/);
    expect({ scheduler: s.file('airflow-scheduler/airflow.cfg'), worker: s.file('airflow-worker-curation/airflow.cfg'), redisUrl: s.file('airflow-worker-curation/redis_url.py') }).toMatchSnapshot();
  });
});
