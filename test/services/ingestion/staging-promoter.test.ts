/**
 * StagingPromoter: the compose service (a one-shot Z1 job), the generated Benthos config and its
 * own MinIO identity, asserted field by field, next to the connector of the same source; then the
 * config through `benthos lint` (Benthos 4.27.0 built by tools/install-benthos.sh).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Assembly, IngestionEndpoint, MinioServer, PROMOTE_REJECTED, SCAN_REJECTED, StagingPromoter, Testing, VaultServer, Vps, Zone } from '../../../lib';
import { ClamavScanner, MalwareScanService } from '../../../lib/services/clamav';
import { benthosBinary, lintBenthos } from '../../support/real-servers/benthos';

const SERVICE = 'promote-transactions';
const CONNECTOR = 'ingest-transactions';

interface Built {
  readonly assembly: Assembly;
  readonly lake: MinioServer;
  readonly promoter: StagingPromoter;
  readonly configText: string;
  readonly config: any;
  readonly compose: any;
}

/** A Vps `lab` with a lake (raw locked, staging, quarantine), the connector and the promoter of source `transactions`. */
function build(options: { vault?: boolean; scan?: boolean } = {}): Built {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = options.vault ? new VaultServer(vps, 'vault') : undefined;
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE, vault });
  const raw = lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  new IngestionEndpoint(vps, CONNECTOR, { source: 'transactions', staging, quarantine, vault, senders: ['partner-a'], contract: { fields: { id: { type: 'string' } } } });
  const scan = options.scan ? new MalwareScanService(vps, 'scan-service', { scanner: new ClamavScanner(vps, 'clamav'), vault }) : undefined;
  const promoter = new StagingPromoter(vps, SERVICE, { source: 'transactions', staging, raw, quarantine, vault, scan });
  const assembly = Testing.synth(app);
  const configText = assembly.file(`lab/${SERVICE}/benthos.yaml`);
  return { assembly, lake, promoter, configText, config: parse(configText), compose: parse(assembly.file('lab/docker-compose.yml')) };
}

const plain = build();
const withVault = build({ vault: true });
const both = [['without Vault', plain], ['with Vault', withVault]] as const;
const scanned = build({ scan: true });
const scannedWithVault = build({ scan: true, vault: true });

describe('StagingPromoter: the compose service', () => {
  it.each(both)('is a hardened one-shot Z1 job with the raw-promoter role, no port and no health check (%s)', (_label, b) => {
    const svc = b.compose.services[SERVICE];
    expect(svc.labels).toEqual({ 'mlsec.zone': 'z1' });
    expect(svc['x-mlsec'].zone).toBe('z1');
    expect(svc['x-mlsec'].role).toBe('raw-promoter');
    expect(svc['x-mlsec'].construct).toBe(`lab/${SERVICE}`);
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc.command).toEqual(['-c', '/etc/benthos/benthos.yaml']);
    expect(svc.expose).toBeUndefined();
    expect(svc.ports).toBeUndefined();
    expect(svc.healthcheck).toBeUndefined();
    expect(svc.user).toBe('10001:10001');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.cap_add).toBeUndefined();
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.deploy.resources.limits).toEqual({ cpus: '0.5', memory: '256M' });
    expect((svc.volumes as any[]).every((v) => v.read_only === true)).toBe(true);
    expect(b.promoter.source).toBe('transactions');
  });

  it.each(both)('flows only to the lake on 9000, on the z1-z2 network alone, and nothing flows to it (%s)', (_label, b) => {
    const svc = b.compose.services[SERVICE];
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'lake', port: 9000 }]);
    expect(svc.networks).toEqual(['z1-z2']);
    const inbound = Object.entries(b.compose.services as Record<string, any>).filter(([, s]) => (s['x-mlsec']?.flows ?? []).some((f: any) => f.to === SERVICE));
    expect(inbound).toEqual([]);
  });

  it('gets its own lake credentials (its service name as access key), delivered without Vault and agent-rendered with it', () => {
    expect(plain.compose.services[SERVICE].environment).toEqual({
      AWS_CA_BUNDLE: '/run/secrets/ca.crt',
      AWS_ENDPOINT_URL: 'https://lake:9000',
      AWS_REGION: 'us-east-1',
      AWS_SHARED_CREDENTIALS_FILE: '/run/secrets/lake.aws-credentials',
      SSL_CERT_FILE: '/run/secrets/ca.crt',
    });
    expect(withVault.compose.services[SERVICE].environment.AWS_SHARED_CREDENTIALS_FILE).toBe(`/run/vault/minio-lake-${SERVICE}.aws-credentials`);
    expect(withVault.compose.services[SERVICE].secrets).toEqual([{ source: `${SERVICE}.ca.crt`, target: 'ca.crt' }]);
  });
});

describe('StagingPromoter: its MinIO identity', () => {
  it.each(both)('reads and deletes staging/<source>/*, writes raw/<source>/* and quarantine/<source>/* — and nothing else (%s)', (_label, b) => {
    const policy = JSON.parse(b.assembly.file(`lab/lake/policies/${SERVICE}.json`));
    expect(b.lake.policyOf(SERVICE)).toEqual(policy);
    expect(policy.Statement).toEqual([
      { Sid: 'Write1', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: ['arn:aws:s3:::quarantine/transactions/*'] },
      { Sid: 'Write2', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: ['arn:aws:s3:::raw/transactions/*'] },
      { Sid: 'ReadDelete3', Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject'], Resource: ['arn:aws:s3:::staging/transactions/*'] },
      { Sid: 'ReadDelete3List', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::staging'], Condition: { StringLike: { 's3:prefix': ['transactions/*'] } } },
    ]);
    // Never read, list or delete raw; never bypass its lock.
    const onRaw = (policy.Statement as any[]).filter((s) => s.Resource.some((r: string) => r.startsWith('arn:aws:s3:::raw')));
    expect(onRaw.flatMap((s) => s.Action)).not.toEqual(expect.arrayContaining(['s3:GetObject']));
    expect(JSON.stringify(onRaw)).not.toMatch(/Get|List(?!MultipartUploadParts)|Delete|Bypass|s3:\*/);
    expect(JSON.stringify(policy)).not.toMatch(/Bypass|DeleteObjectVersion|s3:\*|admin:/);
  });

  it('is another identity than the connector, which holds no raw grant and no delete', () => {
    const connector = plain.lake.policyOf(CONNECTOR) as any;
    expect(JSON.stringify(connector)).not.toMatch(/raw|Delete|GetObject/);
    const script = plain.assembly.file('lab/lake/bootstrap.sh');
    expect(script).toContain(`mc admin user add mlsec ${SERVICE} < "$S/user-${SERVICE}.secret"`);
    expect(script).toContain(`mc admin user add mlsec ${CONNECTOR} < "$S/user-${CONNECTOR}.secret"`);
  });
});

describe('StagingPromoter: the Benthos config', () => {
  it.each(both)('drains staging/<source>/ once, deleting each object only after its write (%s)', (_label, b) => {
    const c = b.config;
    expect(Object.keys(c).sort()).toEqual(['http', 'input', 'logger', 'metrics', 'output', 'pipeline']);
    expect(c.http).toEqual({ enabled: false });
    expect(c.input).toEqual({
      aws_s3: {
        bucket: 'staging', prefix: 'transactions/', delete_objects: true, scanner: { to_the_end: {} },
        endpoint: '${AWS_ENDPOINT_URL}', region: '${AWS_REGION}', force_path_style_urls: true, credentials: { profile: 'default' },
      },
    });
  });

  it('checks the hash without touching the bytes, then keeps only the key, content type and the hash of the bytes as metadata', () => {
    const [check, meta] = plain.config.pipeline.processors;
    expect(plain.config.pipeline.processors).toHaveLength(2);
    expect(Object.keys(check)).toEqual(['mapping']);
    expect(check.mapping).not.toMatch(/^root/m);
    expect(check.mapping).toContain('let actual = content().hash("sha256").encode("hex")');
    expect(check.mapping).toContain('let claimed = @content_sha256.or("")');
    expect(check.mapping).toMatch(/if \$claimed == "" \{\n\s+throw\(/);
    expect(check.mapping).toMatch(/\} else if \$claimed != \$actual \{\n\s+throw\(/);
    expect(Object.keys(meta)).toEqual(['mapping']);
    expect(meta.mapping).toContain('meta = deleted()');
    expect(meta.mapping.match(/^meta \w+ = /gm)).toEqual(['meta s3_key = ', 'meta s3_content_type = ', 'meta content_sha256 = ']);
    expect(withVault.config.pipeline).toEqual(plain.config.pipeline);
  });

  it('writes errored objects to quarantine/<source>/promote-rejected/ first, the rest to raw under the same key, storing only the hash', () => {
    const cases = plain.config.output.switch.cases as any[];
    expect(cases).toHaveLength(2);
    expect(cases[0].check).toBe('errored()');
    expect(cases[0].output.aws_s3.bucket).toBe('quarantine');
    expect(cases[0].output.aws_s3.path).toBe(`transactions/${PROMOTE_REJECTED}/\${! @s3_key.trim_prefix("transactions/") }`);
    expect(cases[1].check).toBeUndefined();
    expect(cases[1].output.aws_s3.bucket).toBe('raw');
    expect(cases[1].output.aws_s3.path).toBe('${! @s3_key }');
    for (const c of cases) {
      const s3 = c.output.aws_s3;
      expect(s3.metadata).toEqual({ exclude_prefixes: ['s3_'] });
      expect(s3.content_type).toBe('${! @s3_content_type }');
      expect(s3.force_path_style_urls).toBe(true);
      expect(s3.credentials).toEqual({ profile: 'default' });
    }
    expect(withVault.config.output).toEqual(plain.config.output);
  });

  it('reads like this (snapshot)', async () => {
    await expect(plain.configText).toMatchFileSnapshot('__snapshots__/staging-promoter.benthos.yaml');
  });
});

describe('StagingPromoter with a malware scan (Z1-K09)', () => {
  const svc = scanned.compose.services[SERVICE];
  it('is a declared client of the scan service: a flow on 8443 and its SPIFFE ID in the allow-list', () => {
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'lake', port: 9000 }, { to: 'scan-service', port: 8443 }]);
    expect(JSON.parse(scanned.assembly.file('lab/scan-service/scan-service.json')).allowedClients).toEqual([`spiffe://lab/ns/z1/sa/${SERVICE}`]);
    expect(svc.secrets.map((s: any) => s.target).sort()).toEqual(['ca.crt', 'lake.aws-credentials', 'tls.crt', 'tls.key']);
  });

  it('scans only hash-checked objects, sending their bytes unchanged and taking back only the verdict and signature', () => {
    const processors = scanned.config.pipeline.processors as any[];
    expect(processors.slice(0, 2)).toEqual(plain.config.pipeline.processors);
    expect(processors).toHaveLength(5);
    // The branch maps its result back like a mutation (which re-serializes JSON): the bytes are stashed around it.
    expect(processors[2]).toEqual({ mapping: 'meta mlsec_scan_bytes = content()\n' });
    expect(processors[4]).toEqual({ mapping: 'root = @mlsec_scan_bytes\nmeta mlsec_scan_bytes = deleted()\n' });
    const branch = processors[3].branch;
    expect(branch.request_map).toBe('root = if errored() { deleted() } else { content() }');
    const [http, caught] = branch.processors;
    expect(http.http).toMatchObject({
      url: 'https://scan-service:8443/scan', verb: 'POST', headers: { 'Content-Type': 'application/octet-stream' },
      tls: { enabled: true, root_cas_file: '/run/secrets/ca.crt', client_certs: [{ cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key' }] },
    });
    expect(http.http.tls.skip_cert_verify).toBeUndefined();
    // A failed call becomes "no verdict", never clean.
    expect(caught.catch[1]).toEqual({ mapping: 'root = {"verdict": "none"}' });
    expect(branch.result_map).toBe('meta mlsec_scan_verdict = this.verdict.catch("none")\nmeta mlsec_scan_signature = this.signature.catch("").or("")\n');
    expect(scannedWithVault.config.pipeline.processors[3].branch.processors[0].http.tls.client_certs).toEqual([{ cert_file: `/run/vault/vault-tls.crt`, key_file: '/run/vault/vault-tls.key' }]);
  });

  it('sends only "clean" to raw: infected or suspicious to quarantine/<source>/scan-rejected/ with the signature, anything else is nacked and stays in staging', () => {
    const cases = scanned.config.output.switch.cases as any[];
    expect(cases.map((c) => c.check)).toEqual(['errored()', '@mlsec_scan_verdict == "infected" || @mlsec_scan_verdict == "suspicious"', '@mlsec_scan_verdict != "clean"', undefined]);
    expect(cases[0].output.aws_s3).toMatchObject({ bucket: 'quarantine', path: `transactions/${PROMOTE_REJECTED}/\${! @s3_key.trim_prefix("transactions/") }`, metadata: { exclude_prefixes: ['s3_', 'mlsec_scan_'] } });
    expect(cases[1].output.aws_s3).toMatchObject({ bucket: 'quarantine', path: `transactions/${SCAN_REJECTED}/\${! @s3_key.trim_prefix("transactions/") }`, metadata: { exclude_prefixes: ['s3_', 'mlsec_scan_verdict'] } });
    expect(cases[2].output).toEqual({ reject: 'no scan verdict for ${! @s3_key }: left in staging' });
    expect(cases[3].output.aws_s3).toMatchObject({ bucket: 'raw', path: '${! @s3_key }', metadata: { exclude_prefixes: ['s3_', 'mlsec_scan_'] } });
  });

  it('reads like this (snapshot)', async () => {
    await expect(scanned.configText).toMatchFileSnapshot('__snapshots__/staging-promoter-scanned.benthos.yaml');
  });
});

describe('StagingPromoter: Benthos 4.27 accepts the config', () => {
  let dir: string;
  beforeAll(() => {
    benthosBinary();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-promoter-'));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([...both, ['with a scan', scanned], ['with a scan and Vault', scannedWithVault]] as const)('passes `benthos lint` as generated (%s)', (label, b) => {
    const file = path.join(dir, `${label.replace(/\W/g, '-')}.yaml`);
    fs.writeFileSync(file, b.configText);
    const r = lintBenthos(file, { AWS_ENDPOINT_URL: 'https://lake:9000', AWS_REGION: 'us-east-1' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
  });
});
