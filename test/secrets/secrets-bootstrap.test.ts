/**
 * SecretsBootstrap end to end on a small data tier (a PostgresServer with a database and a
 * SCRAM grant, a RedisServer with a grant, a MinioServer with a bucket and a grant, all to one
 * consumer `reader`): what it writes (credentials 0600, deliveries 0400, one folder per service),
 * what the derived files hold (pgpass line, SCRAM verifier that really verifies, Redis ACL with
 * password hashes only), that it is idempotent, that rotation (deleting a credential) rewrites
 * exactly what derives from it, that a removed grant's files disappear, that synth output never
 * holds a credential, and (as root) that files are handed to the containers' users.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  App, Credential, HealthCheck, Image, MinioServer, MlsecError, PostgresServer, RedisServer, SecretDeliveries, SecretsBootstrap, SecretsBootstrapResult, Vps, Workload, Zone,
} from '../../lib';
import { RENDERING_ONLY, treeDigest } from '../support/fixtures';
import { tempDir } from '../property/support';

const dirs: string[] = [];
afterAll(() => {
  while (dirs.length > 0) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});
function freshDir(): string {
  const d = tempDir('mlsec-secrets-');
  dirs.push(d);
  return d;
}

/** Which grants the tier makes to `reader` (all by default). */
interface Grants {
  readonly pg?: boolean;
  readonly redis?: boolean;
  readonly minio?: boolean;
}

interface Tier {
  readonly app: App;
  readonly vps: Vps;
  readonly dir: string;
  readonly secretsDir: string;
  readonly outdir: string;
  run(chown?: boolean): SecretsBootstrapResult;
  /** A file below the secrets folder, e.g. `lab/deliver/reader/curated-db.pgpass`. */
  read(rel: string): Buffer;
  text(rel: string): string;
  credential(name: string): string;
}

function buildTier(dir: string, grants: Grants = {}): Tier {
  const secretsDir = path.join(dir, 'secrets');
  const outdir = path.join(dir, 'synth-out');
  const app = new App({ outdir, secretsDir, postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED });
  db.addDatabase('features', { schemas: ['fs_offline'] });
  const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const raw = lake.addBucket('Raw', { name: 'raw' });
  const reader = new Workload(vps, 'reader', {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('python', '3.12.7-slim-bookworm'),
    healthCheck: HealthCheck.command(['python', '-c', 'pass']),
  });
  if (grants.pg ?? true) db.grantConnect(reader, { database: 'features', privileges: ['SELECT'] });
  if (grants.redis ?? true) store.grantAccess(reader, { keys: ['features:*'], commands: ['read', 'connection'] });
  if (grants.minio ?? true) raw.grantRead(reader, { prefix: 'source-a/' });
  const read = (rel: string) => fs.readFileSync(path.join(secretsDir, rel));
  return {
    app, vps, dir, secretsDir, outdir, read,
    run: (chown = false) => SecretsBootstrap.run(app, { secretsDir, chown }),
    text: (rel) => read(rel).toString('utf8'),
    credential: (name) => read(`lab/credentials/${name}`).toString('utf8'),
  };
}

/** Every entry below `root`, relative, with its mode and owner. */
function entries(root: string): { rel: string; dir: boolean; mode: number; uid: number; gid: number }[] {
  const out: { rel: string; dir: boolean; mode: number; uid: number; gid: number }[] = [];
  const walk = (p: string) => {
    for (const name of fs.readdirSync(p).sort()) {
      const full = path.join(p, name);
      const st = fs.lstatSync(full);
      out.push({ rel: path.relative(root, full).split(path.sep).join('/'), dir: st.isDirectory(), mode: st.mode & 0o777, uid: st.uid, gid: st.gid });
      if (st.isDirectory()) walk(full);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out;
}

/** The credentials of the tree, by file name. */
function credentialNames(app: App): string[] {
  return Credential.allIn(app).map((c) => c.credentialName).sort();
}

/** Delivered files (relative to the secrets folder) that derive from each credential of `reader`'s grants. */
const DERIVED: Record<string, string[]> = {
  'curated-db-role-reader': ['lab/deliver/curated-db/role-reader.scram', 'lab/deliver/reader/curated-db.pgpass'],
  'feature-store-user-reader': ['lab/deliver/feature-store/users.acl', 'lab/deliver/reader/feature-store.password'],
  'lake-user-reader': ['lab/deliver/lake-bootstrap/user-reader.secret', 'lab/deliver/reader/lake.aws-credentials'],
  'curated-db-admin-password': ['lab/deliver/curated-db/admin-password'],
  'lake-root-password': ['lab/deliver/lake-bootstrap/root-password', 'lab/deliver/lake/root-password'],
  'lake-kms-key': ['lab/deliver/lake/kms-key'],
};

// --- SCRAM-SHA-256 (RFC 5802 §3, RFC 7677), recomputed with node's crypto -------------------

const B64 = '[A-Za-z0-9+/]+={0,2}';
const VERIFIER = new RegExp(`^SCRAM-SHA-256\\$(\\d+):(${B64})\\$(${B64}):(${B64})$`);

function hmac(key: Buffer, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}
function sha256(data: Buffer): Buffer {
  return crypto.createHash('sha256').update(data).digest();
}
function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i]));
}
function parseVerifier(text: string): { iterations: number; salt: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const m = VERIFIER.exec(text.replace(/\n$/, ''));
  expect(m, `not a SCRAM-SHA-256 verifier: ${JSON.stringify(text)}`).not.toBeNull();
  return { iterations: Number(m![1]), salt: Buffer.from(m![2], 'base64'), storedKey: Buffer.from(m![3], 'base64'), serverKey: Buffer.from(m![4], 'base64') };
}
/** SaltedPassword, ClientKey, StoredKey and ServerKey of `password` (RFC 5802 §3; ASCII passwords need no SASLprep). */
function scramKeys(password: string, salt: Buffer, iterations: number) {
  const salted = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}
/**
 * One SCRAM-SHA-256 authentication exchange: the client knows only `password`, the server only
 * `verifier`. True when the server accepts the client's proof and the client accepts the
 * server's signature.
 */
function scramExchange(password: string, verifier: string): boolean {
  const v = parseVerifier(verifier);
  const nonce = crypto.randomBytes(18).toString('base64');
  const serverNonce = nonce + crypto.randomBytes(18).toString('base64');
  const authMessage = [`n=,r=${nonce}`, `r=${serverNonce},s=${v.salt.toString('base64')},i=${v.iterations}`, `c=biws,r=${serverNonce}`].join(',');
  // client
  const client = scramKeys(password, v.salt, v.iterations);
  const proof = xor(client.clientKey, hmac(client.storedKey, authMessage));
  // server: recovers ClientKey from the proof and checks it against StoredKey
  const recovered = xor(proof, hmac(v.storedKey, authMessage));
  const serverAccepts = sha256(recovered).equals(v.storedKey);
  // client: checks the server's signature
  const clientAccepts = hmac(v.serverKey, authMessage).equals(hmac(client.serverKey, authMessage));
  return serverAccepts && clientAccepts;
}

// --- the tier, bootstrapped once ------------------------------------------------------------

let tier: Tier;
let first: SecretsBootstrapResult;

beforeAll(() => {
  tier = buildTier(freshDir());
  first = tier.run();
  // Synthesized after the bootstrap, so the credentials exist on disk while synth runs.
  tier.app.synth();
});

describe('a first run', () => {
  it('generates every credential of the tree once, mode 0600, under <vps>/credentials/', () => {
    const names = credentialNames(tier.app);
    expect(names).toEqual(expect.arrayContaining(['curated-db-role-reader', 'feature-store-user-reader', 'lake-user-reader']));
    expect([...first.credentialsCreated].sort()).toEqual(names.map((n) => `lab/credentials/${n}`));
    expect(first.credentialsKept).toEqual([]);
    const files = entries(path.join(tier.secretsDir, 'lab', 'credentials'));
    expect(files.map((f) => f.rel)).toEqual(names);
    for (const f of files) expect({ file: f.rel, dir: f.dir, mode: f.mode.toString(8) }).toEqual({ file: f.rel, dir: false, mode: '600' });
    expect(fs.statSync(path.join(tier.secretsDir, 'lab', 'credentials')).mode & 0o777).toBe(0o700);
    for (const c of Credential.allIn(tier.app)) {
      // base64url of randomBytes random bytes, no padding, no newline.
      expect(tier.credential(c.credentialName)).toMatch(new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((c.randomBytes * 4) / 3)}}$`));
    }
    expect(new Set(names.map((n) => tier.credential(n))).size, 'every credential is its own random value').toBe(names.length);
  });

  it('delivers every planned file, mode 0400, under <vps>/deliver/<service>/ (folders 0700), and nothing else', () => {
    const planned = SecretDeliveries.of(tier.vps).all;
    expect(planned.length).toBeGreaterThan(0);
    for (const d of planned) expect(d.file).toBe(`lab/deliver/${d.serviceName}/${path.posix.basename(d.file)}`);
    expect([...first.deliveriesWritten].sort()).toEqual(planned.map((d) => d.file).sort());
    expect(first.deliveriesUnchanged).toEqual([]);
    expect(first.deliveriesRemoved).toEqual([]);
    const deliver = entries(path.join(tier.secretsDir, 'lab', 'deliver'));
    expect(deliver.filter((e) => !e.dir).map((e) => `lab/deliver/${e.rel}`).sort()).toEqual(planned.map((d) => d.file).sort());
    for (const e of deliver) expect({ entry: e.rel, mode: e.mode.toString(8) }).toEqual({ entry: e.rel, mode: e.dir ? '700' : '400' });
    expect(deliver.filter((e) => e.dir).map((e) => e.rel).sort()).toEqual(['curated-db', 'feature-store', 'lake', 'lake-bootstrap', 'reader']);
  });

  it('delivers the pgpass line <server>:5432:*:<role>:<password>', () => {
    expect(tier.text('lab/deliver/reader/curated-db.pgpass')).toBe(`curated-db:5432:*:reader:${tier.credential('curated-db-role-reader')}\n`);
  });

  it("gives the server the role's SCRAM-SHA-256 verifier (RFC 5803 form) that verifies the password, and never the password", () => {
    const password = tier.credential('curated-db-role-reader');
    const text = tier.text('lab/deliver/curated-db/role-reader.scram');
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}\n?$/);
    expect(text).not.toContain(password);
    const v = parseVerifier(text);
    expect(v.iterations).toBe(4096);
    expect(v.salt.length).toBeGreaterThanOrEqual(16);
    expect(v.storedKey.length).toBe(32);
    expect(v.serverKey.length).toBe(32);
    const keys = scramKeys(password, v.salt, v.iterations);
    expect(v.storedKey.toString('base64')).toBe(keys.storedKey.toString('base64'));
    expect(v.serverKey.toString('base64')).toBe(keys.serverKey.toString('base64'));
    expect(scramExchange(password, text), 'the password authenticates against the verifier').toBe(true);
    expect(scramExchange(`${password}x`, text), 'another password does not').toBe(false);
    expect(scramExchange(tier.credential('curated-db-admin-password'), text), 'the admin password does not').toBe(false);
  });

  it('writes the Redis users.acl with the default user off first and only the SHA-256 of each password', () => {
    const password = tier.credential('feature-store-user-reader');
    const acl = tier.text('lab/deliver/feature-store/users.acl');
    const lines = acl.split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^user default off /);
    expect(lines[0].split(' ')).not.toContain('on');
    expect(lines[0].split(' ')).not.toContain('nopass');
    const users = lines.filter((l) => l.startsWith('user '));
    expect(users.map((l) => l.split(' ')[1])).toEqual(['default', 'reader']);
    const reader = lines[1].split(' ');
    expect(reader).toContain('on');
    expect(reader).toContain(`#${crypto.createHash('sha256').update(password, 'utf8').digest('hex')}`);
    expect(reader).toContain('~features:*');
    expect(reader.filter((t) => t.startsWith('>') || t.startsWith('<') || t === 'nopass' || t === 'allkeys' || t === '~*' || t === '+@all')).toEqual([]);
    expect(acl).not.toContain(password);
    expect(tier.text('lab/deliver/reader/feature-store.password')).toBe(password);
  });

  it("delivers the MinIO user's key as an AWS shared-credentials file, and to the bootstrap job only its secret", () => {
    const secret = tier.credential('lake-user-reader');
    expect(tier.text('lab/deliver/reader/lake.aws-credentials')).toBe(`[default]\naws_access_key_id = reader\naws_secret_access_key = ${secret}\n`);
    expect(tier.text('lab/deliver/lake-bootstrap/user-reader.secret')).toBe(secret);
  });

  it('never writes a credential, or a delivered secret, into the synth outdir', () => {
    const files = entries(tier.outdir).filter((e) => !e.dir);
    expect(files.map((f) => f.rel)).toContain('lab/docker-compose.yml');
    const values = credentialNames(tier.app).map((n) => [`credential ${n}`, tier.credential(n)] as const);
    const secretDeliveries = SecretDeliveries.of(tier.vps).all
      .filter((d) => !d.file.endsWith('.crt'))
      .map((d) => [`delivered ${d.file}`, tier.text(d.file).trim()] as const);
    for (const f of files) {
      const content = fs.readFileSync(path.join(tier.outdir, f.rel)).toString('latin1');
      for (const [what, value] of [...values, ...secretDeliveries]) {
        expect(value.length).toBeGreaterThan(8);
        expect(content.includes(value), `${f.rel} contains ${what}`).toBe(false);
      }
      expect(content, `${f.rel} holds a private key`).not.toMatch(/PRIVATE KEY/);
    }
  });
});

describe('a second run', () => {
  it('creates and writes nothing, and every credential keeps its value', () => {
    const before = treeDigest(tier.secretsDir);
    const values = credentialNames(tier.app).map((n) => tier.credential(n));
    const again = tier.run();
    expect(again.credentialsCreated).toEqual([]);
    expect([...again.credentialsKept].sort()).toEqual(credentialNames(tier.app).map((n) => `lab/credentials/${n}`));
    expect(again.deliveriesWritten).toEqual([]);
    expect(again.deliveriesRemoved).toEqual([]);
    expect([...again.deliveriesUnchanged].sort()).toEqual(SecretDeliveries.of(tier.vps).all.map((d) => d.file).sort());
    expect(again.pki.issued).toBe(0);
    expect(treeDigest(tier.secretsDir)).toEqual(before);
    expect(credentialNames(tier.app).map((n) => tier.credential(n))).toEqual(values);
  });
});

describe('rotation: deleting a credential file and re-running', () => {
  it.each(Object.entries(DERIVED))('generates a new %s and rewrites exactly the deliveries derived from it', (name, derived) => {
    const t = buildTier(freshDir());
    t.run();
    const credentialFile = `lab/credentials/${name}`;
    const old = t.credential(name);
    const before = treeDigest(t.secretsDir);
    fs.rmSync(path.join(t.secretsDir, credentialFile));

    const r = t.run();
    expect(r.credentialsCreated).toEqual([credentialFile]);
    expect([...r.deliveriesWritten].sort()).toEqual([...derived].sort());
    expect(r.deliveriesRemoved).toEqual([]);
    const fresh = t.credential(name);
    expect(fresh).not.toBe(old);
    expect(fs.statSync(path.join(t.secretsDir, credentialFile)).mode & 0o777).toBe(0o600);

    const after = treeDigest(t.secretsDir);
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
    expect(changed).toEqual([credentialFile, ...derived].sort());
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const file of derived) {
      expect(fs.statSync(path.join(t.secretsDir, file)).mode & 0o777).toBe(0o400);
      expect(t.text(file)).not.toContain(old);
    }
    if (name === 'curated-db-role-reader') {
      expect(t.text('lab/deliver/reader/curated-db.pgpass')).toBe(`curated-db:5432:*:reader:${fresh}\n`);
      expect(scramExchange(fresh, t.text('lab/deliver/curated-db/role-reader.scram'))).toBe(true);
      expect(scramExchange(old, t.text('lab/deliver/curated-db/role-reader.scram'))).toBe(false);
    }
  });
});

describe('a removed grant', () => {
  it.each([
    ['the Postgres grant', { pg: false }, ['lab/deliver/curated-db/role-reader.scram', 'lab/deliver/reader/curated-db.pgpass'], []],
    ['the Redis grant', { redis: false }, ['lab/deliver/reader/feature-store.password'], ['lab/deliver/feature-store/users.acl']],
    ['the MinIO grant', { minio: false }, ['lab/deliver/lake-bootstrap/user-reader.secret', 'lab/deliver/reader/lake.aws-credentials'], []],
    [
      'every grant',
      { pg: false, redis: false, minio: false },
      [
        'lab/deliver/curated-db/role-reader.scram',
        'lab/deliver/lake-bootstrap/user-reader.secret',
        'lab/deliver/reader/ca.crt',
        'lab/deliver/reader/clienttls.crt',
        'lab/deliver/reader/clienttls.key',
        'lab/deliver/reader/curated-db.pgpass',
        'lab/deliver/reader/feature-store.password',
        'lab/deliver/reader/lake.aws-credentials',
      ],
      ['lab/deliver/feature-store/users.acl'],
    ],
  ] as [string, Grants, string[], string[]][])('%s: its delivered files are removed on the next run, the rest stays', (_label, grants, removed, rewritten) => {
    const dir = freshDir();
    const full = buildTier(dir);
    full.run();
    const before = treeDigest(path.join(full.secretsDir, 'lab', 'deliver'));

    const reduced = buildTier(dir, grants);
    const r = reduced.run();
    expect([...r.deliveriesRemoved].sort()).toEqual(removed);
    expect([...r.deliveriesWritten].sort()).toEqual(rewritten);
    for (const file of removed) expect(fs.existsSync(path.join(dir, 'secrets', file)), file).toBe(false);
    const after = treeDigest(path.join(full.secretsDir, 'lab', 'deliver'));
    const key = (f: string) => f.replace(/^lab\/deliver\//, '');
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).filter((k) => !removed.map(key).includes(k)).sort());
    for (const k of Object.keys(after)) {
      if (!rewritten.map(key).includes(k)) expect(after[k], `${k} must stay as it was`).toBe(before[k]);
    }
    if (grants.redis === false) {
      const acl = reduced.text('lab/deliver/feature-store/users.acl').split('\n').filter((l) => l !== '');
      expect(acl).toHaveLength(1);
      expect(acl[0]).toMatch(/^user default off /);
    }
    if (grants.pg === false && grants.redis === false && grants.minio === false) {
      expect(fs.existsSync(path.join(dir, 'secrets', 'lab', 'deliver', 'reader')), 'the folder of a service with no secrets left').toBe(false);
    }
    // And the run after that changes nothing.
    const again = reduced.run();
    expect(again.deliveriesWritten).toEqual([]);
    expect(again.deliveriesRemoved).toEqual([]);
  });
});

describe('something the bootstrap did not write in the deliver folder', () => {
  it.each([
    ['a file directly in <vps>/deliver/', (deliver: string) => fs.writeFileSync(path.join(deliver, 'README'), 'notes\n'), 'lab/deliver/README'],
    ['a folder in a service folder', (deliver: string) => fs.mkdirSync(path.join(deliver, 'curated-db', 'old')), 'lab/deliver/curated-db/old'],
  ])('%s ends in success or in an MlsecError naming it, never in a raw fs error', (_label, plant, rel) => {
    const t = buildTier(freshDir());
    t.run();
    plant(path.join(t.secretsDir, 'lab', 'deliver'));
    let error: unknown;
    try {
      t.run();
    } catch (err) {
      error = err;
    }
    if (error !== undefined) {
      expect(error, `${(error as Error).name}: ${(error as Error).message}`).toBeInstanceOf(MlsecError);
      expect((error as Error).message).toContain(rel.split('/').pop());
    }
  });
});

describe('handing the files to the containers (chown)', () => {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const reason = `chown needs root; this process runs as uid ${typeof process.getuid === 'function' ? process.getuid() : 'unknown'}`;

  it('as root, with chown: true, every delivered file is owned by its container user (999:999 for Postgres and Redis), and a second run changes nothing', (ctx) => {
    if (!isRoot) {
      console.warn(`skipped: ${reason}`);
      ctx.skip(reason);
    }
    const t = buildTier(freshDir());
    const r = t.run(true);
    expect(r.warnings.filter((w) => /not handed to their containers/.test(w))).toEqual([]);
    const planned = SecretDeliveries.of(t.vps).all;
    for (const d of planned) {
      const st = fs.statSync(path.join(t.secretsDir, d.file));
      expect({ file: d.file, owner: `${st.uid}:${st.gid}`, mode: (st.mode & 0o777).toString(8) }).toEqual({ file: d.file, owner: d.owner, mode: '400' });
    }
    const owner = (rel: string) => {
      const st = fs.statSync(path.join(t.secretsDir, rel));
      return `${st.uid}:${st.gid}`;
    };
    expect(owner('lab/deliver/curated-db/role-reader.scram')).toBe('999:999');
    expect(owner('lab/deliver/curated-db/tls.key')).toBe('999:999');
    expect(owner('lab/deliver/feature-store/users.acl')).toBe('999:999');
    expect(owner('lab/deliver/reader/curated-db.pgpass')).toBe('10001:10001');
    expect(owner('lab/deliver/lake/root-password')).toBe('10001:10001');
    // Credentials stay the operator's.
    expect(owner('lab/credentials/curated-db-role-reader')).toBe('0:0');

    const again = t.run(true);
    expect(again.deliveriesWritten).toEqual([]);
    expect([...again.deliveriesUnchanged].sort()).toEqual(planned.map((d) => d.file).sort());
  });

  it('as root, a chown: true run after a chown: false run hands every file over, then changes nothing', (ctx) => {
    if (!isRoot) {
      console.warn(`skipped: ${reason}`);
      ctx.skip(reason);
    }
    const t = buildTier(freshDir());
    const plain = t.run(false);
    expect(plain.warnings.some((w) => /not handed to their containers' users/.test(w))).toBe(true);
    const before = treeDigest(t.secretsDir);
    const handed = t.run(true);
    const planned = SecretDeliveries.of(t.vps).all.map((d) => d.file).sort();
    expect([...handed.deliveriesWritten].sort()).toEqual(planned);
    expect(treeDigest(t.secretsDir), 'the content does not change, only the owner').toEqual(before);
    expect(t.run(true).deliveriesWritten).toEqual([]);
  });
});
