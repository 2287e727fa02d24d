/**
 * IngestionEndpoint: the compose service, the generated Benthos config and the MinIO grants,
 * asserted field by field; then the config through `benthos lint` and the generated mapping
 * through `benthos blobl` on a table of records (Benthos 4.27.0 built by tools/install-benthos.sh).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Assembly, CONTENT_SHA256_METADATA, contractMapping, IngestionContract, IngestionEndpoint, MinioServer, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { benthosBinary, lintBenthos, runBlobl } from '../../support/real-servers/benthos';

/** The lab's contract (apps/lab.ts), plus a boolean field so that every type is covered. */
const CONTRACT: IngestionContract = {
  fields: {
    id: { type: 'string', min: 1, max: 64 },
    amount: { type: 'number', min: 0.01 },
    currency: { type: 'string', oneOf: ['BRL', 'USD', 'EUR'] },
    channel: { type: 'string', oneOf: ['APP', 'WEB', 'ATM'] },
    occurred_at: { type: 'timestamp' },
    customer_age: { type: 'integer', min: 0, max: 120, required: false },
    card_present: { type: 'boolean', required: false },
  },
};
const SERVICE = 'ingest-transactions';
const WRITE_ACTIONS = ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'];

interface Built {
  readonly assembly: Assembly;
  readonly lake: MinioServer;
  readonly endpoint: IngestionEndpoint;
  /** The Benthos config as text and parsed. */
  readonly configText: string;
  readonly config: any;
  /** The parsed docker-compose.yml. */
  readonly compose: any;
}

/** A Vps `lab` with a MinIO `lake` (staging, quarantine, raw) and the endpoint of source `transactions`. */
function build(options: { vault?: boolean; contract?: IngestionContract } = {}): Built {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = options.vault ? new VaultServer(vps, 'vault') : undefined;
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE, vault });
  lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  const endpoint = new IngestionEndpoint(vps, SERVICE, { source: 'transactions', contract: options.contract ?? CONTRACT, staging, quarantine, vault, senders: ['partner-a'] });
  const assembly = Testing.synth(app);
  const configText = assembly.file(`lab/${SERVICE}/benthos.yaml`);
  return { assembly, lake, endpoint, configText, config: parse(configText), compose: parse(assembly.file('lab/docker-compose.yml')) };
}

const plain = build();
const withVault = build({ vault: true });

describe('IngestionEndpoint: the compose service', () => {
  it.each([['without Vault', plain], ['with Vault', withVault]])('is a hardened Z1 service, exposed on 8443 (records) and 4195 (metrics) only to its networks (%s)', (_label, b) => {
    const svc = b.compose.services[SERVICE];
    expect(svc.labels).toEqual({ 'mlsec.zone': 'z1' });
    expect(svc['x-mlsec'].zone).toBe('z1');
    expect(svc['x-mlsec'].construct).toBe(`lab/${SERVICE}`);
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc.command).toEqual(['-c', '/etc/benthos/benthos.yaml']);
    expect(svc.expose).toEqual(['8443', '4195']);
    expect(svc.ports).toBeUndefined();
    expect(svc.network_mode).toBeUndefined();
    // Hardened.
    expect(svc.user).toBe('10001:10001');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.cap_add).toBeUndefined();
    expect(svc.privileged).toBeUndefined();
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.pids_limit).toBeGreaterThan(0);
    expect(svc.deploy.resources.limits).toEqual({ cpus: '0.5', memory: '256M' });
    // The config, read-only, where the command reads it.
    const config = (svc.volumes as any[]).filter((v) => v.target === '/etc/benthos/benthos.yaml');
    expect(config).toEqual([{ type: 'bind', source: `./${SERVICE}/benthos.yaml`, target: '/etc/benthos/benthos.yaml', read_only: true }]);
    expect((svc.volumes as any[]).every((v) => v.read_only === true)).toBe(true);
  });

  it.each([['without Vault', plain], ['with Vault', withVault]])('flows only to the lake on 9000, on the z1-z2 network alone (%s)', (_label, b) => {
    const svc = b.compose.services[SERVICE];
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'lake', port: 9000 }]);
    expect(svc.networks).toEqual(['z1-z2']);
    const onZ1Z2 = Object.entries(b.compose.services as Record<string, any>).filter(([, s]) => (s.networks ?? []).includes('z1-z2')).map(([name]) => name).sort();
    expect(onZ1Z2).toEqual([SERVICE, 'lake'].sort());
    expect(Object.keys(svc.depends_on).filter((d) => !d.endsWith('-vault-agent'))).toEqual(['lake']);
    // Nobody else has a flow to it (the gateway would, in the lab).
    const inbound = Object.entries(b.compose.services as Record<string, any>).filter(([, s]) => (s['x-mlsec']?.flows ?? []).some((f: any) => f.to === SERVICE));
    expect(inbound).toEqual([]);
  });

  it('gets its certificate, CA bundle and lake credentials as bootstrap-delivered secrets without Vault', () => {
    const svc = plain.compose.services[SERVICE];
    expect(svc.secrets).toEqual([
      { source: `${SERVICE}.tls.crt`, target: 'tls.crt' },
      { source: `${SERVICE}.tls.key`, target: 'tls.key' },
      { source: `${SERVICE}.ca.crt`, target: 'ca.crt' },
      { source: `${SERVICE}.lake.aws-credentials`, target: 'lake.aws-credentials' },
    ]);
    expect(svc.environment).toEqual({
      AWS_CA_BUNDLE: '/run/secrets/ca.crt',
      AWS_ENDPOINT_URL: 'https://lake:9000',
      AWS_REGION: 'us-east-1',
      AWS_SHARED_CREDENTIALS_FILE: '/run/secrets/lake.aws-credentials',
      SSL_CERT_FILE: '/run/secrets/ca.crt',
    });
  });

  it('gets its certificate and lake credentials from its Vault Agent with Vault, only the CA bundle from the bootstrap', () => {
    const svc = withVault.compose.services[SERVICE];
    expect(svc.secrets).toEqual([{ source: `${SERVICE}.ca.crt`, target: 'ca.crt' }]);
    expect(svc.environment.AWS_SHARED_CREDENTIALS_FILE).toBe('/run/vault/minio-lake-ingest-transactions.aws-credentials');
    expect(svc.environment.AWS_ENDPOINT_URL).toBe('https://lake:9000');
    expect(svc.volumes).toContainEqual({ type: 'volume', source: `${SERVICE}-vault`, target: '/run/vault', read_only: true });
    expect(svc.depends_on[`${SERVICE}-vault-agent`]).toEqual({ condition: 'service_healthy' });
    expect(withVault.assembly.paths()).toContain(`lab/vault/pki/${SERVICE}.json`);
  });
});

describe('IngestionEndpoint: the Benthos config', () => {
  it.each([['without Vault', plain, '/run/secrets/tls.crt', '/run/secrets/tls.key'], ['with Vault', withVault, '/run/vault/vault-tls.crt', '/run/vault/vault-tls.key']])('serves POST /ingest/<source> over TLS only, and Benthos’ own server only for metrics, over TLS, without debug endpoints (%s)', (_label, b, cert, key) => {
    const c = b.config;
    expect(Object.keys(c).sort()).toEqual(['http', 'input', 'logger', 'metrics', 'output', 'pipeline']);
    expect(c.http).toEqual({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false, cert_file: cert, key_file: key });
    expect(c.metrics).toEqual({ prometheus: {} });
    expect(b.endpoint.metricsPort).toBe(4195);
    expect(c.input).toEqual({
      http_server: {
        address: '0.0.0.0:8443',
        path: '/ingest/transactions',
        ws_path: '',
        allowed_verbs: ['POST'],
        timeout: '10s',
        cert_file: cert,
        key_file: key,
        // A refused sender gets the refusal (403); everyone else 200 once the record is written.
        sync_response: { status: '${! meta("http_status").or("200") }', headers: { 'Content-Type': 'application/json' } },
      },
    });
    expect(b.endpoint.path).toBe('/ingest/transactions');
  });

  it('admits only its senders by the forwarded certificate CN, maps their records with exactly the contract’s mapping, keeps only the SHA-256 as metadata, and counts each by result and reason', () => {
    const [check, gate, metric] = plain.config.pipeline.processors;
    expect(plain.config.pipeline.processors).toHaveLength(3);
    // The sender check: the strict CN of the gateway's header, then no request header left, then the verdict.
    expect(check.mapping).toContain('metadata("X-Forwarded-Tls-Client-Cert-Info")');
    expect(check.mapping).toContain('meta = deleted()\nmeta reason = if $cn != "" && ["partner-a"].contains($cn) { "" } else { "UNAUTHORIZED_CLIENT" }');
    expect(gate.switch).toEqual([
      { check: '@reason == "UNAUTHORIZED_CLIENT"', processors: [{ mapping: 'root = {"error": "forbidden"}\nmeta = deleted()\nmeta http_status = "403"\nmeta reason = "UNAUTHORIZED_CLIENT"\n' }] },
      {
        processors: [
          { mapping: contractMapping(CONTRACT) },
          // A mapping (not a mutation, which would re-serialize a quarantined JSON body) that leaves the hash alone.
          { mapping: 'let sum = content().hash("sha256").encode("hex")\nmeta = deleted()\nmeta content_sha256 = $sum\n' },
        ],
      },
    ]);
    // The series the Z1 alert rules read (reject ratio, refused senders per source).
    expect(metric).toEqual({
      metric: {
        type: 'counter', name: 'ingest_records_total',
        labels: {
          source: 'transactions',
          result: '${! if errored() || @reason == "UNAUTHORIZED_CLIENT" { "rejected" } else { "accepted" } }',
          reason: '${! if @reason == "UNAUTHORIZED_CLIENT" { "UNAUTHORIZED_CLIENT" } else if errored() { "INVALID_SCHEMA" } else { "" } }',
        },
      },
    });
    expect(plain.endpoint.providedMetrics).toEqual(['ingest_records_total{source,result,reason}']);
    expect(CONTENT_SHA256_METADATA).toBe('content_sha256');
    expect(withVault.config.pipeline).toEqual(plain.config.pipeline);
  });

  it('routes errored records to quarantine first, the rest to staging, both under <source>/ with path-style S3 and the default profile', () => {
    const [refused, ...cases] = plain.config.output.switch.cases as any[];
    expect(Object.keys(plain.config.output)).toEqual(['switch']);
    // A refused sender's request is answered, never stored, not even in quarantine.
    expect(refused).toEqual({ check: '@reason == "UNAUTHORIZED_CLIENT"', output: { sync_response: {} } });
    expect(cases).toHaveLength(2);
    expect(cases[0].check).toBe('errored()');
    expect(cases[0].output.aws_s3.bucket).toBe('quarantine');
    expect(cases[1].check).toBeUndefined();
    expect(cases[1].output.aws_s3.bucket).toBe('staging');
    for (const c of cases) {
      expect(Object.keys(c.output)).toEqual(['aws_s3']);
      const s3 = c.output.aws_s3;
      expect(s3.force_path_style_urls).toBe(true);
      // Request headers (Authorization, Cookie…) rode in the metadata; the last processor left only the hash, which is stored.
      expect(s3.metadata).toEqual({ exclude_prefixes: [] });
      expect(s3.endpoint).toBe('${AWS_ENDPOINT_URL}');
      expect(s3.region).toBe('${AWS_REGION}');
      expect(s3.credentials).toEqual({ profile: 'default' });
      expect(s3.path).toMatch(/^transactions\//);
      expect(s3.path).toBe('transactions/${! now().ts_format("2006-01-02") }/${! uuid_v4() }.json');
      expect(s3.content_type).toBe('application/json');
    }
    expect(withVault.config.output).toEqual(plain.config.output);
  });

  it('reads like this (snapshot)', async () => {
    await expect(plain.configText).toMatchFileSnapshot('__snapshots__/benthos.yaml');
  });
});

describe('IngestionEndpoint: the MinIO grants', () => {
  it.each([['without Vault', plain], ['with Vault', withVault]])('are write-only on exactly staging/<source>/* and quarantine/<source>/* (%s)', (_label, b) => {
    const policy = JSON.parse(b.assembly.file(`lab/lake/policies/${SERVICE}.json`));
    expect(b.lake.policyOf(SERVICE)).toEqual(policy);
    const statements = policy.Statement as any[];
    expect(statements.every((s) => s.Effect === 'Allow' && s.Condition === undefined)).toBe(true);
    for (const s of statements) expect(s.Action).toEqual(WRITE_ACTIONS);
    expect(statements.flatMap((s) => s.Resource).sort()).toEqual(['arn:aws:s3:::quarantine/transactions/*', 'arn:aws:s3:::staging/transactions/*']);
    const actions = statements.flatMap((s) => s.Action as string[]);
    for (const forbidden of ['s3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:*']) expect(actions).not.toContain(forbidden);
  });

  it('creates its MinIO user in the lake bootstrap', () => {
    expect(plain.assembly.file('lab/lake/bootstrap.sh')).toContain(SERVICE);
  });
});

describe('IngestionEndpoint: Benthos 4.27 accepts the config and runs the mapping', () => {
  let dir: string;
  let mappingFile: string;
  beforeAll(() => {
    benthosBinary(); // a missing build fails here, loudly
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-ingestion-'));
    mappingFile = path.join(dir, 'mapping.blobl');
    fs.writeFileSync(mappingFile, plain.config.pipeline.processors[1].switch[1].processors[0].mapping); // the contract mapping
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The compose environment Benthos substitutes into `${VAR}` (lint refuses unset variables). */
  const envOf = (b: Built) => {
    const env = b.compose.services[SERVICE].environment as Record<string, string>;
    return { AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL, AWS_REGION: env.AWS_REGION };
  };

  it.each([['without Vault', plain], ['with Vault', withVault]])('passes `benthos lint` as generated (%s)', (label, b) => {
    // No path needs rewriting: lint reads neither the certificate nor the key.
    const file = path.join(dir, `${label.replace(/\W/g, '-')}.yaml`);
    fs.writeFileSync(file, b.configText);
    const r = lintBenthos(file, envOf(b));
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
  });

  it('and `benthos lint` does catch a broken config (the check above has teeth)', () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, plain.configText.replace('allowed_verbs:', 'allowed_verb:'));
    const r = lintBenthos(file, envOf(plain));
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/allowed_verb/);
  });

  const valid = { id: 'tx-1', amount: 12.5, currency: 'BRL', channel: 'APP', occurred_at: '2026-11-26T10:00:00Z', customer_age: 42, card_present: true };

  it.each<[string, unknown, Record<string, unknown>]>([
    ['a full record, extra and nested fields dropped', { ...valid, extra: 'x', nested: { a: 1 }, password: 's3cret' }, valid],
    ['an optional field absent → accepted without it', { id: 'tx-2', amount: 1, currency: 'USD', channel: 'WEB', occurred_at: '2026-11-26T10:00:00Z' }, { id: 'tx-2', amount: 1, currency: 'USD', channel: 'WEB', occurred_at: '2026-11-26T10:00:00Z' }],
    ['an optional field null → accepted without it', { ...valid, customer_age: null, card_present: null }, { id: 'tx-1', amount: 12.5, currency: 'BRL', channel: 'APP', occurred_at: '2026-11-26T10:00:00Z' }],
    ['bounds met exactly', { ...valid, id: 'x'.repeat(64), amount: 0.01, customer_age: 120 }, { ...valid, id: 'x'.repeat(64), amount: 0.01, customer_age: 120 }],
    ['the lower integer bound', { ...valid, customer_age: 0, card_present: false }, { ...valid, customer_age: 0, card_present: false }],
    ['an RFC 3339 timestamp with fraction and offset', { ...valid, occurred_at: '2026-11-26T10:00:00.123-03:00' }, { ...valid, occurred_at: '2026-11-26T10:00:00.123-03:00' }],
  ])('accepts %s, keeping only the contract’s fields', async (_label, record, expected) => {
    const r = await runBlobl(mappingFile, JSON.stringify(record));
    expect(r.error).toBeUndefined();
    const out = JSON.parse(r.output!);
    expect(out).toEqual(expected);
    expect(Object.keys(out).every((k) => k in CONTRACT.fields)).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['a missing required field (id)', JSON.stringify({ ...valid, id: undefined }), /field id is required/],
    ['a missing required timestamp', JSON.stringify({ ...valid, occurred_at: undefined }), /field occurred_at is required/],
    ['a required field that is null', JSON.stringify({ ...valid, currency: null }), /field currency is required/],
    ['a number as a string (wrong type)', JSON.stringify({ ...valid, amount: '12.5' }), /field amount violates/],
    ['a string field given a number (wrong type)', JSON.stringify({ ...valid, id: 7 }), /field id/],
    ['a boolean given a string (wrong type)', JSON.stringify({ ...valid, card_present: 'true' }), /field card_present violates/],
    ['an integer given a boolean (wrong type)', JSON.stringify({ ...valid, customer_age: true }), /field customer_age violates/],
    ['a number below min (out of range)', JSON.stringify({ ...valid, amount: 0 }), /field amount violates/],
    ['a negative amount (out of range)', JSON.stringify({ ...valid, amount: -5 }), /field amount violates/],
    ['an integer above max (out of range)', JSON.stringify({ ...valid, customer_age: 121 }), /field customer_age violates/],
    ['an integer below min (out of range)', JSON.stringify({ ...valid, customer_age: -1 }), /field customer_age violates/],
    ['a string shorter than min', JSON.stringify({ ...valid, id: '' }), /field id violates/],
    ['a string longer than max', JSON.stringify({ ...valid, id: 'x'.repeat(65) }), /field id violates/],
    ['a value not in oneOf', JSON.stringify({ ...valid, currency: 'GBP' }), /field currency violates/],
    ['a value in oneOf only case-insensitively', JSON.stringify({ ...valid, channel: 'app' }), /field channel violates/],
    ['a non-integer for an integer', JSON.stringify({ ...valid, customer_age: 30.5 }), /field customer_age violates/],
    ['an unparseable timestamp (month 13)', JSON.stringify({ ...valid, occurred_at: '2026-13-01T00:00:00Z' }), /field occurred_at violates/],
    ['a date without time', JSON.stringify({ ...valid, occurred_at: '2026-11-26' }), /field occurred_at violates/],
    ['a timestamp in words', JSON.stringify({ ...valid, occurred_at: 'yesterday' }), /field occurred_at violates/],
    ['a timestamp as epoch seconds', JSON.stringify({ ...valid, occurred_at: 1764151200 }), /field occurred_at violates/],
    ['a JSON array body (non-object)', JSON.stringify([valid]), /must be a JSON object/],
    ['a JSON string body (non-object)', JSON.stringify('hello'), /must be a JSON object/],
    ['a JSON number body (non-object)', '42', /must be a JSON object/],
    ['a JSON null body (non-object)', 'null', /must be a JSON object/],
    ['a body that is not JSON', 'id=tx-1&amount=12.5', /json|parse/i],
  ])('rejects %s', async (_label, line, why) => {
    const r = await runBlobl(mappingFile, line);
    expect(r.output, `accepted: ${r.output}`).toBeUndefined();
    expect(r.error).toMatch(why);
  });

  // JavaScript prints 1e-7 in exponent notation, which Bloblang cannot parse: bounds are written as plain decimals.
  it('writes a bound such as min 1e-7 as a plain decimal that `benthos lint` accepts', () => {
    const b = build({ contract: { fields: { amount: { type: 'number', min: 1e-7 } } } });
    const file = path.join(dir, 'exponent.yaml');
    fs.writeFileSync(file, b.configText);
    const r = lintBenthos(file, envOf(b));
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  });
});
