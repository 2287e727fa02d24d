/**
 * MlflowServer: the compose service, the generated start script (checked by `sh -n` and by
 * assertions next to its snapshot), the grants it makes on PostgreSQL, MinIO and Vault, and
 * `allowClient`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { MLFLOW_FILE_VARIABLES, MLFLOW_PORT, MLFLOW_TLS_CIPHERS, MLFLOW_VERSION } from '../../../lib/services/mlflow';
import { factoryHost } from './support';

function build(props: Parameters<typeof factoryHost>[0] = {}) {
  const h = factoryHost(props);
  const assembly = Testing.synth(h.app);
  const compose = parse(assembly.file('lab/docker-compose.yml'));
  return { ...h, assembly, compose, svc: compose.services.mlflow, script: assembly.file('lab/mlflow/start.sh') };
}

const b = build();
const pub = build({ publicHostname: 'mlflow.lab.example.com', workers: 4, maxConcurrency: 32 });

describe('MlflowServer: the compose service', () => {
  it('is a hardened Z4 service on the pinned -full image, listening on 5000 only to its networks', () => {
    const svc = b.svc;
    expect(MLFLOW_VERSION).toBe('3.17.2');
    expect(svc.image).toBe('ghcr.io/mlflow/mlflow:v3.17.2-full');
    expect(svc['x-mlsec'].zone).toBe('z4');
    expect(svc.expose).toEqual([String(MLFLOW_PORT)]);
    expect(svc.ports).toBeUndefined();
    expect(svc.user).toBe('10001:10001');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.cap_add).toBeUndefined();
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.deploy.resources.limits).toEqual({ cpus: '1', memory: '1536M' });
    expect(svc.pids_limit).toBe(256);
    expect(svc.tmpfs).toEqual(['/tmp:rw,noexec,nosuid,size=512m']);
    expect(svc.working_dir).toBe('/tmp');
    expect(svc.entrypoint).toEqual(['/bin/sh', '/etc/mlflow/start.sh']);
    expect(svc.command).toBeUndefined();
    expect(svc.volumes).toContainEqual({ type: 'bind', source: './mlflow/start.sh', target: '/etc/mlflow/start.sh', read_only: true });
    expect((svc.volumes as { read_only: boolean }[]).every((v) => v.read_only)).toBe(true);
    expect(b.svc.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'python3', '-c']);
    expect(b.svc.healthcheck.test[3]).toContain("load_cert_chain(os.environ['MLSEC_TLS_CERT_FILE'], os.environ['MLSEC_TLS_KEY_FILE'])");
    expect(b.svc.healthcheck.test[3]).toContain("https://127.0.0.1:5000/health");
    expect(b.svc['x-mlsec'].overrides).toBeUndefined();
  });

  it('flows to its database and its bucket only, and takes every secret from its agent (only the public CA bundle is a bootstrap file)', () => {
    expect(b.svc['x-mlsec'].flows).toEqual([{ to: 'factory-db', port: 5432 }, { to: 'model-store', port: 9000 }]);
    expect(b.svc.secrets).toEqual([{ source: 'mlflow.ca.crt', target: 'ca.crt' }]);
    expect(b.svc.depends_on['mlflow-vault-agent']).toEqual({ condition: 'service_healthy' });
    const env = b.svc.environment as Record<string, string>;
    expect(env.AWS_SHARED_CREDENTIALS_FILE).toBe('/run/vault/minio-model-store-mlflow.aws-credentials');
    expect(env.MLSEC_TLS_CERT_FILE).toBe('/run/vault/vault-tls.crt');
    expect(env.MLSEC_TLS_KEY_FILE).toBe('/run/vault/vault-tls.key');
    expect(env.BACKEND_PGSSLCERT).toBe('/run/vault/vault-tls.crt');
    expect(env.BACKEND_PGSSLKEY).toBe('/run/vault/vault-tls.key');
    expect(env.BACKEND_PGSSLROOTCERT).toBe('/run/secrets/ca.crt');
    expect(env.MLSEC_TLS_CLIENT_CA_FILE).toBe('/run/secrets/ca.crt');
    expect(env.BACKEND_PGUSER).toBe('mlflow');
    expect(env.BACKEND_PGDATABASE).toBe('mlflow');
    expect(env.MLFLOW_S3_ENDPOINT_URL).toBe('https://model-store:9000');
    expect(env.AWS_CA_BUNDLE).toBe('/run/secrets/ca.crt');
    expect(env.MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE).toBe('path');
    // Nothing in the environment is a secret value, and no libpq password file or password variable exists.
    expect(Object.keys(env).filter((k) => /PASS|SECRET|TOKEN|_KEY$/.test(k))).toEqual([]);
    expect(Object.keys(env).filter((k) => /^PG/.test(k))).toEqual([]);
  });

  it('turns off telemetry, the AI gateway, job execution, custom scorers and the remote assistant', () => {
    expect(b.svc.environment).toMatchObject({
      MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', MLFLOW_ENABLE_AI_GATEWAY: 'false', MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      MLFLOW_SERVER_ENABLE_CUSTOM_SCORERS: 'false', MLFLOW_ENABLE_REMOTE_ASSISTANT: 'false', MLFLOW_ENABLE_ASSISTANT_SANDBOX: 'false',
      MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '2', MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '1', HOME: '/tmp',
    });
  });
});

describe('MlflowServer: the start script', () => {
  it('is valid POSIX sh (dash -n)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-mlflow-sh-'));
    try {
      fs.writeFileSync(path.join(dir, 'start.sh'), b.script);
      const r = spawnSync('/bin/sh', ['-n', path.join(dir, 'start.sh')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks every file it reads before it starts, and builds a password-less verify-full backend URI', () => {
    const check = b.script.split('\n').find((l) => l.startsWith('for f in '))!;
    for (const v of [...MLFLOW_FILE_VARIABLES, 'BACKEND_PGSSLROOTCERT', 'BACKEND_PGSSLCERT', 'BACKEND_PGSSLKEY']) expect(check).toMatch(new RegExp(`\\$\\{?${v}\\}?"`));
    expect(b.script).toContain('[ -s "$f" ] ||');
    expect(b.script).toContain("grep -Eq '^aws_secret_access_key = [^[:space:]]+'");
    expect(b.script).toContain('--backend-store-uri "postgresql+psycopg2://${BACKEND_PGUSER}@${BACKEND_PGHOST}:${BACKEND_PGPORT}/${BACKEND_PGDATABASE}?sslmode=verify-full&');
    expect(b.script).not.toMatch(/PGPASS|password/i);
    expect(b.script).toContain("--serve-artifacts --artifacts-destination 's3://mlflow-artifacts/'");
    expect(b.script).not.toContain('--dev');
    expect(b.script).not.toContain('--disable-security-middleware');
    expect(b.script).toContain("--allowed-hosts 'mlflow,mlflow:5000' --cors-allowed-origins 'https://mlflow:5000' --x-frame-options DENY");
    expect(b.script).toContain('--workers 2');
  });

  it('serves HTTPS with a required client certificate, AEAD suites and bounded connections', () => {
    const opts = /--uvicorn-opts "([^"]*)"/.exec(b.script)![1];
    expect(opts).toContain('--ssl-certfile $MLSEC_TLS_CERT_FILE --ssl-keyfile $MLSEC_TLS_KEY_FILE');
    expect(opts).toContain('--ssl-ca-certs $MLSEC_TLS_CLIENT_CA_FILE --ssl-cert-reqs 2');
    expect(opts).toContain(`--ssl-ciphers ${MLFLOW_TLS_CIPHERS}`);
    expect(MLFLOW_TLS_CIPHERS).not.toMatch(/CBC|SHA1|RSA\b|!|TLSv1/);
    expect(opts).toContain('--limit-concurrency 64');
    expect(opts).toContain('--timeout-keep-alive 5');
    expect(opts).toContain('--no-proxy-headers --no-server-header');
  });

  it('takes the public host into the allowed hosts and makes it the only CORS origin', () => {
    expect(pub.script).toContain("--allowed-hosts 'mlflow,mlflow:5000,mlflow.lab.example.com' --cors-allowed-origins 'https://mlflow.lab.example.com'");
    expect(pub.script).toContain('--workers 4');
    expect(pub.script).toContain('--limit-concurrency 32');
  });

  it('matches its snapshot (every line asserted above)', () => {
    expect(b.script).toMatchSnapshot();
  });
});

describe('MlflowServer: grants', () => {
  it('gets a certificate-login role on its own database with DDL and no TRUNCATE, and a pg_hba cert line', () => {
    const grant = b.db.grantsMade.find((g) => g.serviceName === 'mlflow')!;
    expect(grant).toMatchObject({ role: 'mlflow', database: 'mlflow', authentication: 'cert', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE'], connectionLimit: 8 });
    expect(b.assembly.file('lab/factory-db/pg_hba.conf')).toMatch(/^hostssl\s+mlflow\s+mlflow\s+samenet\s+cert map=mlsec$/m);
    expect(b.assembly.file('lab/factory-db/pg_ident.conf')).toContain('mlsec mlflow mlflow');
    const sql = b.assembly.file('lab/factory-db/initdb/10-mlsec-roles.sql');
    expect(sql).toContain('ALTER ROLE "mlflow" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 8 PASSWORD NULL;');
    expect(sql).toContain('ALTER ROLE "mlflow" IN DATABASE "mlflow" SET search_path = "mlflow";');
  });

  it('reads and writes the artifact bucket, and can never delete', () => {
    const policy = b.store.policyOf('mlflow') as { Statement: { Action: string[]; Resource: string[] }[] };
    const actions = policy.Statement.flatMap((s) => s.Action).sort();
    expect(actions).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:ListMultipartUploadParts', 's3:PutObject']);
    expect(policy.Statement.flatMap((s) => s.Resource).every((r) => r.startsWith('arn:aws:s3:::mlflow-artifacts'))).toBe(true);
  });

  it('holds a Vault policy of its own certificate role and its S3 key only', () => {
    const hcl = b.assembly.file('lab/vault/policies/mlflow.hcl');
    const paths = [...hcl.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]);
    expect(paths).toEqual(['kv/data/lab/core/mlflow/model-store', 'pki_int/issue/mlflow']);
    const role = JSON.parse(b.assembly.file('lab/vault/pki/mlflow.json'));
    expect(role).toMatchObject({ allowed_domains: ['mlflow'], server_flag: true, client_flag: true, ttl: '48h' });
  });
});

describe('MlflowServer.allowClient', () => {
  it('gives the client the flow, a Vault-issued client certificate and the tracking variables', () => {
    const trainer = b.compose.services.trainer;
    expect(trainer['x-mlsec'].flows).toEqual([{ to: 'mlflow', port: 5000 }]);
    expect(trainer.depends_on.mlflow).toEqual({ condition: 'service_healthy' });
    expect(trainer.environment).toEqual({
      MLFLOW_TRACKING_URI: 'https://mlflow:5000',
      MLFLOW_TRACKING_SERVER_CERT_PATH: '/run/secrets/ca.crt',
      MLSEC_MLFLOW_CLIENT_CERT_FILE: '/run/vault/vault-tls.crt',
      MLSEC_MLFLOW_CLIENT_KEY_FILE: '/run/vault/vault-tls.key',
    });
    const role = JSON.parse(b.assembly.file('lab/vault/pki/trainer.json'));
    expect(role).toMatchObject({ allowed_domains: ['trainer'], server_flag: false, client_flag: true });
    expect(b.mlflow.trackingUri).toBe('https://mlflow:5000');
  });

  it('is deterministic: two synths give the same bytes', () => {
    const again = build();
    expect(again.script).toBe(b.script);
    expect(again.assembly.file('lab/docker-compose.yml')).toBe(b.assembly.file('lab/docker-compose.yml'));
  });
});
