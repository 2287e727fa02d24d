import { describe, expect, it } from 'vitest';
import { findingsOf, hits } from './compose-audit';

// Fake credentials in the shapes scanners know (the AWS one is AWS's documented example).
const GITHUB = 'ghp_' + 'A1b2C3d4E5'.repeat(4);
const OPENAI = 'sk-proj-' + 'q8Zt3Kx0Wm'.repeat(3);
const RANDOM = 'Zx9Qw2Lp7Rt4Mn8Vb3Kc6Hd1Jf5Gs0Ty';

describe('CMP-24 secrets in environment', () => {
  const text = `services:
  api:
    image: app:1
    environment:
      POSTGRES_PASSWORD: hunter2
      API_KEY: 12345
      AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE
      GITHUB: ${GITHUB}
      OPENAI: ${OPENAI}
      DATABASE_URL: postgres://app:s3cret@db:5432/app
      SESSION: ${RANDOM}
      DB_PASSWORD: \${DB_PASSWORD}
      ADMIN_PASSWORD: \${ADMIN_PASSWORD:-changeme}
      POSTGRES_PASSWORD_FILE: /run/secrets/db-password
      TOKEN_TTL: 3600
      VAULT_ADDR: https://vault:8200
      SECRET_NAME: db-password
      PASSTHROUGH_TOKEN:
      LOG_LEVEL: debug
  worker:
    image: w:1
    environment:
      - KC_BOOTSTRAP_ADMIN_PASSWORD=admin
      - HF_TOKEN
      - MINIO_ROOT_PASSWORD_FILE=/run/secrets/minio-root-password
      - PRIVATE=-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEA
      - MODEL_SHA256=${'ab12'.repeat(16)}
    build:
      context: ./worker
      args:
        NPM_TOKEN: npm_notreal
`;
  it('detects secrets by name and by value in map and list syntax and build args', async () => {
    expect(await hits(text, 'CMP-24')).toEqual([
      'CMP-24[api/POSTGRES_PASSWORD]@5',
      'CMP-24[api/API_KEY]@6',
      'CMP-24[api/AWS_ACCESS_KEY_ID]@7',
      'CMP-24[api/GITHUB]@8',
      'CMP-24[api/OPENAI]@9',
      'CMP-24[api/DATABASE_URL]@10',
      'CMP-24[api/SESSION]@11',
      'CMP-24[api/DB_PASSWORD]@12',
      'CMP-24[api/ADMIN_PASSWORD]@13',
      'CMP-24[worker/KC_BOOTSTRAP_ADMIN_PASSWORD]@23',
      'CMP-24[worker/PRIVATE]@26',
      'CMP-24[worker/NPM_TOKEN]@31',
    ]);
  });
  it('rates ${VAR} interpolation medium and a literal ${VAR:-default} critical', async () => {
    const severities = (await findingsOf(text, 'CMP-24')).filter((f) => f.line === 12 || f.line === 13).map((f) => f.severity);
    expect(severities).toEqual(['medium', 'critical']);
  });
  it('never prints the secret value', async () => {
    const messages = (await findingsOf(text, 'CMP-24')).map((f) => f.message).join('\n');
    for (const secret of ['hunter2', 'AKIAIOSFODNN7EXAMPLE', GITHUB, OPENAI, 's3cret', RANDOM, 'changeme', 'MIIEow']) expect(messages).not.toContain(secret);
  });
  it('passes *_FILE pointers, pass-through variables and plain configuration', async () => {
    const compliant = `services:
  db:
    image: postgres:16.4
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db-password
      POSTGRES_USER: curated_admin
      PGDATA: /var/lib/postgresql/data/pgdata
      OIDC_TOKEN_ENDPOINT: https://idp.example.org/token
      HF_TOKEN:
      REDIS_ADDR: redis://feature-store:6379
      JAVA_OPTS: -Xmx512m -XX:+UseG1GC
      SERVICE_CLASS: OrderServiceV2Deployment
      AUTH_REQUIRED_TOKEN_ENABLED: "true"
    secrets: [db-password]
secrets:
  db-password:
    file: ../secrets/db-password
`;
    expect(await hits(compliant, 'CMP-24')).toEqual([]);
  });
});

describe('CMP-25 secret definitions', () => {
  it('flags inline, source-less and undeclared secrets, and secret files inside a build context', async () => {
    const text = `services:
  api:
    image: app:1
    build: .
    secrets:
      - db-password
      - source: missing-secret
        target: x
  web:
    image: w:1
    secrets: [undeclared]
secrets:
  db-password:
    file: ./secrets/db-password
  inline:
    content: hunter2
  empty: {}
  env-secret:
    environment: DB_PASSWORD
  ext:
    external: true
`;
    expect(await hits(text, 'CMP-25')).toEqual(['CMP-25[api/missing-secret]@7', 'CMP-25[web/undeclared]@11', 'CMP-25[db-password]@14', 'CMP-25[inline]@16', 'CMP-25[empty]@17']);
  });
  it('passes file secrets outside every build context, environment and external secrets', async () => {
    const text = `services:
  api:
    image: app:1
    build:
      context: ./app
    secrets: [db-password, token, ext]
secrets:
  db-password:
    file: ./secrets/db-password
  token:
    environment: API_TOKEN
  ext:
    external: true
`;
    expect(await hits(text, 'CMP-25')).toEqual([]);
  });
});
