import { spawnSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { App, AtomicWriter, ComposeTemplate, Match, Testing } from '../../lib';
import { dockerComposeConfig } from '../support/docker-compose';

const ROOT = path.join(__dirname, '..', '..');

function labAssembly() {
  const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
  createLab(app);
  return Testing.synth(app);
}

describe('reference lab (apps/lab.ts)', () => {
  it('matches the committed synth-out/ byte for byte', () => {
    const drift = new AtomicWriter().diff(labAssembly(), path.join(ROOT, 'synth-out'));
    expect(drift, 'synth-out/ is stale: run `npx projen synth` and commit it').toEqual({ missing: [], changed: [], extra: [] });
  });

  it('can fire the alert rules on the doors, the edge certificate and the scores PDP: what they read is scraped (Z9-K02)', () => {
    const report = JSON.parse(labAssembly().file('lab/posture/report.json'));
    const k02 = report.zones.flatMap((z: { controls: { id: string; gap?: string }[] }) => z.controls).find((c: { id: string }) => c.id === 'Z9-K02');
    for (const live of ['VaultSealed', 'ApiBurstWithLimitRejects', 'AvRejectRatioHigh', 'IngestMalwareDetected', 'IngestUnauthorizedClients', 'IngestRejectRatioHigh', 'CertificateExpiringSoon', 'OpaDenyBurst']) expect(k02.gap, live).not.toContain(`${live} (`);
    expect(k02.gap).toContain('8 alert rules cannot fire here');
  });

  it('passes `npx projen synth:check` as a whole process', () => {
    const result = spawnSync('npx', ['projen', 'synth:check'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(result.status, result.stderr).toBe(0);
  });

  it('keeps every container hardened and every network internal but the edge, which only the gateway joins', () => {
    const compose = ComposeTemplate.fromAssembly(labAssembly(), 'lab');
    compose.allServices(Match.objectLike({
      read_only: true,
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      pids_limit: Match.anyValue(),
      deploy: { resources: { limits: { cpus: Match.anyValue(), memory: Match.anyValue() } } },
      restart: 'on-failure:5',
      logging: { driver: 'json-file', options: { 'max-size': Match.anyValue(), 'max-file': Match.anyValue() } },
      privileged: Match.absent(),
    }));
    // Two doors, one gateway: only it publishes, 443 and 80 (redirect) on the public address.
    const published = Object.entries(compose.findServices(Match.anyValue()) as Record<string, any>).filter(([, s]) => s.ports !== undefined);
    expect(published.map(([n, s]) => [n, s.ports])).toEqual([['gateway', ['203.0.113.10:443:8443/tcp', '203.0.113.10:80:8080/tcp']]]);
    // Long-running services: non-root, no capability, a health check.
    const jobs = ['airflow-db-migrate', 'backup-shipper', 'batch-fraud-score', 'curated-backup', 'lake-bootstrap', 'lake-volume-init', 'model-server-fetch', 'model-server-fetch-volume-init', 'model-store-bootstrap', 'model-store-volume-init', 'promote-transactions'];
    // Images with nothing in them that can probe (FROM scratch, distroless); each reason says so.
    const unprobed = ['data-broker', 'feature-api', 'ingest-transactions', 'loki', 'opa', 'otel-collector', 'registry-gate', 'scored-api'];
    for (const name of unprobed) expect(compose.service(name)['x-mlsec'].overrides.find((o: { control: string }) => o.control === 'healthcheck')?.reason, name).toMatch(/FROM scratch|distroless|no shell/);
    for (const [name, service] of Object.entries(compose.findServices(Match.anyValue())) as [string, any][]) {
      if (jobs.includes(name) || unprobed.includes(name)) continue;
      expect(service.user, name).toMatch(/^[1-9][0-9]*:[0-9]+$/);
      expect(service.cap_add, name).toBeUndefined();
      expect(service.healthcheck?.test, name).toBeDefined();
    }
    // One-shot jobs go without a health check, each with its reason; only the volume-init job is root, with CHOWN alone and no network.
    for (const job of jobs) {
      const overrides = compose.service(job)['x-mlsec'].overrides as { control: string; reason: string }[];
      expect(overrides.find((o) => o.control === 'healthcheck')?.reason, job).toMatch(/one-shot/);
    }
    compose.hasService('lake-volume-init', Match.objectLike({ user: '0:0', cap_add: ['CHOWN'], network_mode: 'none', entrypoint: ['chown', '-R', '10001:10001', '/data'] }));
    compose.hasService('lake', Match.objectLike({ user: '10001:10001', depends_on: { 'lake-volume-init': { condition: 'service_completed_successfully' } } }));
    for (const [name, network] of Object.entries(compose.toJSON().networks as Record<string, unknown>)) expect(network, name).toEqual({ internal: name !== 'edge' && name !== 'egress' });
    for (const [name, service] of Object.entries(compose.findServices(Match.anyValue())) as [string, any][]) {
      expect((service.networks ?? []).includes('edge'), name).toBe(name === 'gateway');
      expect((service.networks ?? []).includes('egress'), name).toBe(name === 'llm-gateway'); // the one way out (ZONE-08)
    }
  });

  it('connects zones only by the flows its grants declare', () => {
    const compose = ComposeTemplate.fromAssembly(labAssembly(), 'lab');
    const zones = new Set(Object.values(compose.findServices(Match.anyValue())).map((s: any) => s.labels['mlsec.zone']));
    expect([...zones].sort()).toEqual(['z1', 'z2', 'z3', 'z4', 'z5', 'z6', 'z8', 'z9']);
    const networks = Object.fromEntries(Object.entries(compose.findServices(Match.anyValue())).map(([n, s]: [string, any]) => [n, s.networks ?? s.network_mode]));
    expect(networks).toEqual({
      'airflow-api-server': ['z3-z4', 'z4'],
      'airflow-api-server-vault-agent': ['z8'],
      'airflow-broker': ['z3-z4', 'z4'],
      'airflow-broker-vault-agent': ['z8'],
      'airflow-dag-processor': ['z4'],
      'airflow-dag-processor-vault-agent': ['z8'],
      'airflow-db': ['z4', 'z4-z8'],
      'airflow-db-migrate': ['z4'],
      'airflow-db-migrate-vault-agent': ['z8'],
      'airflow-db-vault-agent': ['z8'],
      'airflow-scheduler': ['z4'], // the metadata database and the broker only: no data network (CONTROLS.md §5 #22)
      'airflow-scheduler-vault-agent': ['z8'],
      'airflow-worker-curation': ['z2-z3', 'z3', 'z3-z4'], // Z3 curation: the lake (raw, read) and the curated database
      'airflow-worker-curation-vault-agent': ['z8'],
      'airflow-worker-training': ['z3-z4', 'z4'], // MLflow, and curated data only through the access broker (z3-z4)
      'airflow-worker-training-vault-agent': ['z8'],
      'backup-shipper': ['z2-z3'],
      'backup-shipper-vault-agent': ['z8'],
      'batch-fraud-score': ['z3-z6', 'z6'], // the offline features (Z3, SELECT) and the model server; writes the scored store
      'batch-fraud-score-vault-agent': ['z8'],
      clamav: ['z1'], // clamd: its one client, the scan service, is on z1 (internal)
      'curated-backup': ['z3'],
      'curated-backup-vault-agent': ['z8'],
      'curated-db': ['z3', 'z3-z6', 'z3-z8'], // Vault's database engine manages its users
      'curated-db-vault-agent': ['z8'],
      'data-broker': ['z3', 'z3-z4', 'z3-z9'], // the factory's only path to curated data (z3-z4)
      'data-broker-vault-agent': ['z8'],
      'feature-api': ['z3', 'z3-z6', 'z3-z9'], // the online store's only reader; the model servers call it (z3-z6)
      'feature-api-vault-agent': ['z8'],
      'feature-store': ['z3'], // reached only by the feature API and the curation pool (its writer)
      'feature-store-vault-agent': ['z8'], // the store's own certificate and ACL hashes come from Vault
      'gateway': ['edge', 'z1', 'z1-z4', 'z1-z6', 'z1-z8', 'z1-z9'], // the doors (z1: the WAF; z6: model server, the LLM gateway's field filter), the UIs (z4 MLflow, z9 Grafana), the IdP and its OIDC proxies (z8); never Vault or a data store
      'gateway-vault-agent': ['z8'],
      'grafana': ['z1-z9', 'z8-z9', 'z9'],
      'grafana-vault-agent': ['z8'],
      'identity-db': ['z8'],
      'identity-db-vault-agent': ['z8'],
      'ingest-transactions': ['z1', 'z1-z2', 'z1-z9'], // the WAF in front, the lake's staging and quarantine behind
      'ingest-transactions-vault-agent': ['z8'],
      'keycloak': ['z1-z8', 'z8', 'z8-z9'],
      'keycloak-vault-agent': ['z8'],
      'lake': ['z1-z2', 'z2', 'z2-z3'],
      'lake-bootstrap': ['z2'],
      'lake-bootstrap-vault-agent': ['z8'],
      'lake-vault-agent': ['z8'],
      'lake-volume-init': 'none',
      'llm-gateway': ['egress', 'z6'], // the only service with egress; clients reach it through llm-waf only
      'llm-gateway-vault-agent': ['z8'],
      'llm-waf': ['z1-z6', 'z6'], // the LLM door's request-field filter
      'llm-waf-vault-agent': ['z8'],
      'loki': ['z9'],
      'loki-vault-agent': ['z8'],
      'mlflow': ['z1-z4', 'z4', 'z4-z5'], // the UI through the gateway; its database and artifact store in Z5, never the lake or Z3 (ZONE-05)
      'mlflow-vault-agent': ['z8'],
      'model-server': ['z1-z6', 'z3-z6', 'z6'], // the door and the feature store only: no registry, no Vault Transit
      'model-server-fetch': ['z5-z6', 'z6-z8'], // the registry (MLflow, mTLS) and Vault (release record, signature check)
      'model-server-fetch-vault-agent': ['z8'],
      'model-server-fetch-volume-init': 'none',
      'model-store': ['z4-z5', 'z5'],
      'model-store-bootstrap': ['z5'],
      'model-store-bootstrap-vault-agent': ['z8'],
      'model-store-vault-agent': ['z8'],
      'model-store-volume-init': 'none',
      'opa': ['z6-z8'], // the decision point: only its enforcement point (the scored API) reaches it (z6-z8)
      'opa-vault-agent': ['z8'],
      'otel-collector': ['z9'],
      'otel-collector-vault-agent': ['z8'],
      'prometheus': ['z1-z9', 'z3-z9', 'z5-z9', 'z6-z9', 'z8-z9', 'z9'], // scrapes the Benthos-based services' metrics over HTTPS (z1, z3, z5, z6) and Vault's (z8)
      'prometheus-vault-agent': ['z8'],
      'promote-transactions': ['z1', 'z1-z2'], // staging → raw on the lake network; the scan service on z1
      'promote-transactions-vault-agent': ['z8'],
      'registry-db': ['z4-z5', 'z5-z8'],
      'registry-db-vault-agent': ['z8'],
      'registry-gate': ['z4-z5', 'z5-z6', 'z5-z9'], // MLflow behind it (z4-z5), the fetch jobs in front (z5-z6)
      'registry-gate-vault-agent': ['z8'],
      'scan-service': ['z1', 'z1-z9'], // z1-z9: Prometheus reads its /metrics
      'scan-service-vault-agent': ['z8'],
      'scored-api': ['z1-z6', 'z6', 'z6-z8', 'z6-z9'], // the inference door (z1-z6) and the scored store
      'scored-api-vault-agent': ['z8'],
      'scored-db': ['z6', 'z6-z8'],
      'scored-db-vault-agent': ['z8'],
      'sso-auth': ['z1-z8', 'z8'],
      'sso-auth-vault-agent': ['z8'],
      'sso-grafana': ['z1-z8', 'z8'],
      'sso-grafana-vault-agent': ['z8'],
      'sso-mlflow': ['z1-z8', 'z8'],
      'sso-mlflow-vault-agent': ['z8'],
      'vault': ['z3-z8', 'z4-z8', 'z5-z8', 'z6-z8', 'z8', 'z8-z9'], // z8-z9: Prometheus scrapes its telemetry
      'waf': ['z1'],
      'waf-vault-agent': ['z8'],
    });
    compose.hasService('model-server', Match.objectLike({ depends_on: { 'feature-api': { condition: 'service_started' }, 'model-server-fetch': { condition: 'service_completed_successfully' } } }));
    expect(compose.service('model-server').volumes).toContainEqual({ type: 'volume', source: 'model-server-models', target: '/mnt/models', read_only: true });
  });

  it('grants exactly what each consumer needs, and delivers its credentials as files', () => {
    const assembly = labAssembly();
    const compose = ComposeTemplate.fromAssembly(assembly, 'lab');
    expect(JSON.parse(assembly.file('lab/lake/policies/backup-shipper.json'))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Write1', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: ['arn:aws:s3:::backups/curated/*'] }],
    });
    // The ingestion connector writes (only) its source's prefixes of staging and quarantine; never raw.
    expect(JSON.parse(assembly.file('lab/lake/policies/ingest-transactions.json')).Statement.map((x: { Action: string[]; Resource: string[] }) => [x.Action, x.Resource])).toEqual([
      [['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], ['arn:aws:s3:::quarantine/transactions/*']],
      [['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], ['arn:aws:s3:::staging/transactions/*']],
    ]);
    expect(assembly.paths().filter((p) => p.startsWith('lab/lake/policies/'))).toEqual(['lab/lake/policies/airflow-worker-curation.json', 'lab/lake/policies/backup-shipper.json', 'lab/lake/policies/ingest-transactions.json', 'lab/lake/policies/promote-transactions.json']);
    // The promote job reads and deletes its staging prefix and writes its raw prefix (and rejects to quarantine); it never reads raw.
    expect(JSON.parse(assembly.file('lab/lake/policies/promote-transactions.json')).Statement.flatMap((x: { Resource: string[] }) => x.Resource).sort()).toEqual([
      'arn:aws:s3:::quarantine/transactions/*', 'arn:aws:s3:::raw/transactions/*', 'arn:aws:s3:::staging', 'arn:aws:s3:::staging/transactions/*',
    ]);
    // Z3 curation reads raw and nothing else of the lake: no write, no other bucket.
    expect(JSON.parse(assembly.file('lab/lake/policies/airflow-worker-curation.json')).Statement.map((x: { Action: string[]; Resource: string[] }) => [x.Action, x.Resource])).toEqual([
      [['s3:GetObject'], ['arn:aws:s3:::raw/*']], [['s3:ListBucket'], ['arn:aws:s3:::raw']],
    ]);
    const hba = assembly.file('lab/curated-db/pg_hba.conf');
    expect(hba.split('\n').filter((l) => l.startsWith('hostssl ') && !l.includes('reject'))).toEqual([
      'hostssl   postgres vault_admin              samenet scram-sha-256',
      'hostssl   curated  +airflow_worker_curation samenet scram-sha-256 clientcert=verify-ca',
      'hostssl   features batch_fraud_score        samenet cert map=mlsec',
      'hostssl   curated  +curated_backup          samenet scram-sha-256 clientcert=verify-ca',
      'hostssl   curated  data_broker              samenet cert map=mlsec',
    ]);
    const sql = assembly.file('lab/curated-db/initdb/10-mlsec-roles.sql');
    // Curation writes curated tables; it never gets DELETE or DDL.
    expect(sql).toMatch(/GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "curated_core" TO "airflow_worker_curation";/);
    expect(sql).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA "curated_core" TO "curated_backup";');
    expect(sql).toContain('ALTER ROLE "curated_backup" NOLOGIN'); // a group: Vault issues its short-lived members
    // Every consumer credential comes from a file its Vault Agent renders (memory-only volume at /run/vault).
    compose.hasService('curated-backup', Match.objectLike({
      environment: Match.objectLike({ PGSERVICE: 'curated-db', PGSERVICEFILE: '/run/vault/curated-db.pg_service.conf', PGSSLMODE: 'verify-full' }),
      depends_on: Match.objectLike({ 'curated-backup-vault-agent': { condition: 'service_healthy' } }),
    }));
    // The model server reads features only through the feature API: no store credential at all.
    expect(compose.service('model-server').environment).toEqual({
      FEATURE_API_CA_FILE: '/run/secrets/ca.crt', FEATURE_API_URL: 'https://feature-api:8443/features', MLSERVER_GRPC_PORT: '8081', MLSERVER_HTTP_PORT: '8080', MLSERVER_METRICS_PORT: '8082',
    });
    compose.hasService('backup-shipper', Match.objectLike({
      environment: Match.objectLike({ AWS_SHARED_CREDENTIALS_FILE: '/run/vault/minio-lake-backup-shipper.aws-credentials', AWS_ENDPOINT_URL: 'https://lake:9000' }),
    }));
    // Exactly the Vault paths each grant implies.
    const policy = (name: string) => assembly.file(`lab/vault/policies/${name}.hcl`).split('\n').filter((l) => l.startsWith('path ')).map((l) => l.slice(5, -2));
    // Client certificates for mTLS to the data services are Vault-issued too (its own name only).
    expect(policy('curated-backup')).toEqual(['"database/creds/curated-db-curated-backup"', '"pki_int/issue/curated-backup"']);
    expect(assembly.paths()).not.toContain('lab/vault/policies/model-server.hcl');
    // The fetch job, not the server, reads the release record and verifies the signature (it cannot
    // sign); its registry-gate token is its own KV secret, and the gate reads only the token's digest.
    expect(policy('model-server-fetch')).toEqual(['"kv/data/lab/core/model-server-fetch/registry-gate"', '"kv/data/lab/release/fraud-score/record"', '"transit/verify/model-sign"']);
    expect(policy('registry-gate')).toContain('"kv/data/lab/core/registry-gate/token-model-server-fetch"');
    expect(policy('registry-gate')).not.toContain('"kv/data/lab/core/model-server-fetch/registry-gate"');
    // CI signs a release and writes its record; it can read neither back, nor anything else.
    expect(policy('ci-release')).toEqual(['"kv/data/lab/release/fraud-score/record"', '"transit/sign/model-sign"']);
    expect(policy('backup-shipper')).toEqual(['"kv/data/lab/core/backup-shipper/lake"']);
  });

  it('lets no workload but Vault itself read a secret from a bootstrap file', () => {
    const compose = ComposeTemplate.fromAssembly(labAssembly(), 'lab');
    const fromBootstrap: Record<string, string[]> = {};
    for (const [name, service] of Object.entries(compose.findServices(Match.anyValue())) as [string, any][]) {
      // CA bundles are public; an agent's own AppRole role ID and wrapped secret ID are how it logs in at all.
      const secret = (service.secrets ?? []).map((x: { target: string }) => x.target)
        .filter((t: string) => t !== 'ca.crt' && !(name.endsWith('-vault-agent') && ['role-id', 'secret-id'].includes(t)));
      if (secret.length > 0) fromBootstrap[name] = secret.sort();
    }
    // Vault's own TLS key precedes Vault, and the seeds are what the bootstrap puts into it. The
    // gateway's public certificate names the public hosts, which no Vault role may issue.
    expect(fromBootstrap).toEqual({
      'gateway': ['publictls.crt', 'publictls.key'],
      'vault': ['seed-airflow-api-secret-key', 'seed-airflow-broker-user-airflow-scheduler', 'seed-airflow-broker-user-airflow-scheduler.sha256', 'seed-airflow-broker-user-airflow-worker-curation', 'seed-airflow-broker-user-airflow-worker-curation.sha256', 'seed-airflow-broker-user-airflow-worker-training', 'seed-airflow-broker-user-airflow-worker-training.sha256', 'seed-airflow-db-admin-password', 'seed-airflow-db-vault-admin-password', 'seed-airflow-db-vault-admin.scram', 'seed-airflow-fernet-key', 'seed-airflow-jwt-secret', 'seed-curated-db-admin-password', 'seed-curated-db-vault-admin-password', 'seed-curated-db-vault-admin.scram', 'seed-data-broker-client-airflow-worker-training', 'seed-data-broker-client-airflow-worker-training.sha256', 'seed-feature-store-user-airflow-worker-curation', 'seed-feature-store-user-airflow-worker-curation.sha256', 'seed-feature-store-user-feature-api', 'seed-feature-store-user-feature-api.sha256', 'seed-grafana-secret-key', 'seed-identity-db-admin-password', 'seed-identity-db-vault-admin-password', 'seed-identity-db-vault-admin.scram', 'seed-keycloak-bootstrap-admin', 'seed-keycloak-client-core-banking', 'seed-keycloak-client-fraud-engine', 'seed-keycloak-client-grafana', 'seed-keycloak-client-sso-auth', 'seed-keycloak-client-sso-grafana', 'seed-keycloak-client-sso-mlflow', 'seed-lake-kms-key', 'seed-lake-root-password', 'seed-lake-root-user', 'seed-lake-user-airflow-worker-curation', 'seed-lake-user-backup-shipper', 'seed-lake-user-ingest-transactions', 'seed-lake-user-promote-transactions', 'seed-llm-gateway-api-key-sk', 'seed-model-store-kms-key', 'seed-model-store-root-password', 'seed-model-store-root-user', 'seed-model-store-user-mlflow', 'seed-pki-intermediate.pem', 'seed-registry-db-admin-password', 'seed-registry-db-vault-admin-password', 'seed-registry-db-vault-admin.scram', 'seed-registry-gate-reader-model-server-fetch', 'seed-registry-gate-reader-model-server-fetch.sha256', 'seed-scored-db-admin-password', 'seed-scored-db-vault-admin-password', 'seed-scored-db-vault-admin.scram', 'seed-sso-auth-cookie-secret', 'seed-sso-grafana-cookie-secret', 'seed-sso-mlflow-cookie-secret', 'tls.crt', 'tls.key'],
    });
  });

  it('holds no secret value: secrets are files from the operator folder outside synth-out', () => {
    const assembly = labAssembly();
    const compose = ComposeTemplate.fromAssembly(assembly, 'lab');
    for (const secret of Object.values(compose.toJSON().secrets as Record<string, { file: string }>)) {
      expect(secret.file).toMatch(/^\.\.\/\.\.\/secrets\/lab\//);
    }
    for (const service of Object.values(compose.findServices(Match.anyValue())) as any[]) {
      for (const [name, value] of Object.entries(service.environment ?? {})) {
        if (/PASS|SECRET|TOKEN|KEY|CRED/i.test(name)) expect(value, name).toMatch(/^\/run\/(secrets|vault)\//);
      }
    }
    expect(assembly.allFiles().map((f) => f.content).join('\n')).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it('is accepted by docker-compose 1.29', () => {
    const result = dockerComposeConfig(labAssembly().file('lab/docker-compose.yml'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
