import { describe, expect, it } from 'vitest';
import { ComposeTemplate, HealthCheck, Image, Match, MinioServer, s3PolicyProblems, Testing, VaultServer, Workload, Zone } from '../../../lib';
import { dockerComposeConfig } from '../../support/docker-compose';
import { labApp } from '../../support/fixtures';

function app() {
  const { app, vps } = labApp();
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const raw = lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'COMPLIANCE', days: 365 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const client = (id: string) => new Workload(vps, id, { zone: Zone.Z3_CURATED, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
  const promote = client('promote');
  staging.grantRead(promote, { prefix: 'source-a/' });
  raw.grantWrite(promote, { prefix: 'source-a/' });
  const assembly = Testing.synth(app);
  return { lake, assembly, compose: ComposeTemplate.fromAssembly(assembly, 'lab') };
}

describe('MinioServer', () => {
  it('writes one least-privilege policy per grantee, valid in the S3 policy grammar', () => {
    const { assembly } = app();
    const policy = JSON.parse(assembly.file('lab/lake/policies/promote.json'));
    expect(s3PolicyProblems(policy)).toEqual([]);
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Write1', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: ['arn:aws:s3:::raw/source-a/*'] },
        { Sid: 'Read2', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::staging/source-a/*'] },
        { Sid: 'Read2List', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::staging'], Condition: { StringLike: { 's3:prefix': ['source-a/*'] } } },
      ],
    });
    expect(JSON.stringify(policy)).not.toMatch(/s3:\*|Delete|Bypass|admin:/);
  });

  it('gives a read-delete grant GetObject and DeleteObject on the prefix and a listing of that prefix only: no version delete, no lock bypass', () => {
    const { app: a, vps } = labApp();
    const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
    const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
    const mover = new Workload(vps, 'mover', { zone: Zone.Z1_INGESTION, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) });
    staging.grantReadDelete(mover, { prefix: 'source-a/' });
    const policy = JSON.parse(Testing.synth(a).file('lab/lake/policies/mover.json'));
    expect(s3PolicyProblems(policy)).toEqual([]);
    expect(policy.Statement).toEqual([
      { Sid: 'ReadDelete1', Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject'], Resource: ['arn:aws:s3:::staging/source-a/*'] },
      { Sid: 'ReadDelete1List', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::staging'], Condition: { StringLike: { 's3:prefix': ['source-a/*'] } } },
    ]);
    expect(JSON.stringify(policy)).not.toMatch(/s3:\*|DeleteObjectVersion|Bypass|Put/);
  });

  it('emits an idempotent mc bootstrap with lock, versioning, encryption, lifecycle and one user per grantee', () => {
    const { assembly } = app();
    const script = assembly.file('lab/lake/bootstrap.sh');
    expect(script).toMatchSnapshot();
    expect(script).toContain('mc mb --ignore-existing --with-lock mlsec/raw');
    expect(script).toContain('mc retention set --default COMPLIANCE 365d mlsec/raw');
    expect(script).toContain('mc ilm import mlsec/staging < "$C/lifecycle/staging.json"');
    // Secrets only from files: through mc's environment and stdin, never argv or the script.
    expect(script).toContain('mc admin user add mlsec promote < "$S/user-promote.secret"');
    expect(script).not.toMatch(/MINIO_ROOT_PASSWORD=|--secret-key/);
    expect(JSON.parse(assembly.file('lab/lake/lifecycle/staging.json'))).toEqual({
      Rules: [{ ID: 'expire-staging', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 3 }, NoncurrentVersionExpiration: { NoncurrentDays: 3 } }],
    });
  });

  it('serves S3 over TLS with root credentials and the KMS key from files, console off', () => {
    const { compose, assembly } = app();
    compose.hasService('lake', Match.objectLike({
      user: '10001:10001',
      read_only: true,
      command: ['server', '/data', '--address', ':9000', '--certs-dir', '/run/secrets'],
      environment: Match.objectLike({
        MINIO_BROWSER: 'off',
        MINIO_ROOT_USER_FILE: '/run/secrets/root-user',
        MINIO_ROOT_PASSWORD_FILE: '/run/secrets/root-password',
        MINIO_KMS_SECRET_KEY_FILE: '/run/secrets/kms-key',
      }),
      secrets: Match.arrayWith([{ source: 'lake.public.crt', target: 'public.crt' }, { source: 'lake.private.key', target: 'private.key' }]),
    }));
    const env = compose.service('lake').environment as Record<string, string>;
    expect(Object.keys(env).filter((k) => /ROOT_(USER|PASSWORD)$|SECRET_KEY$/.test(k))).toEqual([]);
    expect(dockerComposeConfig(assembly.file('lab/docker-compose.yml')).status).toBe(0);
  });

  it('runs the bootstrap and the volume hand-over as one-shot jobs with reasons', () => {
    const { compose } = app();
    compose.hasService('lake-bootstrap', Match.objectLike({
      entrypoint: ['/bin/sh', '/etc/mlsec/minio/bootstrap.sh'],
      depends_on: { lake: { condition: 'service_healthy' } },
      secrets: Match.arrayWith([{ source: 'lake-bootstrap.user-promote.secret', target: 'user-promote.secret' }]),
    }));
    compose.hasService('lake-volume-init', Match.objectLike({ user: '0:0', cap_add: ['CHOWN'], network_mode: 'none' }));
    compose.hasService('promote', Match.objectLike({
      environment: Match.objectLike({ AWS_SHARED_CREDENTIALS_FILE: '/run/secrets/lake.aws-credentials', AWS_ENDPOINT_URL: 'https://lake:9000', AWS_CA_BUNDLE: '/run/secrets/ca.crt' }),
    }));
  });
});

describe('MinioServer with Vault', () => {
  it('reads its root keys, KMS key and certificate only from its own agent; the job reads what it needs from its own', () => {
    const { app, vps } = labApp();
    const vault = new VaultServer(vps, 'vault');
    const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE, vault });
    const raw = lake.addBucket('Raw', { name: 'raw' });
    raw.grantWrite(new Workload(vps, 'ingest', { zone: Zone.Z1_INGESTION, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), healthCheck: HealthCheck.command(['true']) }), { prefix: 'source-a/' });
    const assembly = Testing.synth(app);
    const compose = ComposeTemplate.fromAssembly(assembly, 'lab');
    compose.hasService('lake', Match.objectLike({
      command: ['server', '/data', '--address', ':9000', '--certs-dir', '/run/vault'],
      environment: Match.objectLike({ MINIO_ROOT_USER_FILE: '/run/vault/root-user', MINIO_ROOT_PASSWORD_FILE: '/run/vault/root-password', MINIO_KMS_SECRET_KEY_FILE: '/run/vault/kms-key' }),
      secrets: [{ source: 'lake.ca.crt', target: 'ca.crt' }],
      depends_on: Match.objectLike({ 'lake-vault-agent': { condition: 'service_healthy' } }),
    }));
    compose.hasService('lake-bootstrap', Match.objectLike({ environment: Match.objectLike({ MLSEC_FILES_DIR: '/run/vault' }), secrets: [{ source: 'lake-bootstrap.ca.crt', target: 'ca.crt' }] }));
    const paths = (name: string) => assembly.file(`lab/vault/policies/${name}.hcl`).split('\n').filter((l) => l.startsWith('path ')).map((l) => l.slice(6, -3));
    expect(paths('lake')).toEqual(['kv/data/lab/core/lake/root', 'pki_int/issue/lake']);
    expect(paths('lake-bootstrap')).toEqual(['kv/data/lab/core/ingest/lake', 'kv/data/lab/core/lake/root']);
    expect(paths('ingest')).toEqual(['kv/data/lab/core/ingest/lake']);
    expect(assembly.file('lab/vault/agent/lake-bootstrap/user-ingest.secret.ctmpl')).toContain('{{- with secret "kv/data/lab/core/ingest/lake" -}}{{ .Data.data.secret_key }}{{- end -}}');
  });
});
