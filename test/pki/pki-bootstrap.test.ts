/**
 * The PKI bootstrap end to end: what it writes (layout, modes, state), that every certificate is
 * right according to Node's X509Certificate and to `openssl verify`, and that it is idempotent
 * (a second run issues nothing; only what changed, is missing or is due is re-issued; CAs are
 * never regenerated while present; nothing it did not write is overwritten).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlsecError, Testing } from '../../lib';
import { PkiBootstrap, PkiRunResult, TlsIdentity } from '../../lib/pki';
import {
  BACKDATE, buildLab, cert, copyTree, digest, HAVE_OPENSSL, HOUR, modes, openssl, opensslExt, pkiDir, removeTempDirs, T0, tempDir, workload,
} from './support';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The expected leaves of the test lab, by host and name. */
const LEAVES: Record<'lab' | 'edge', Record<string, { usage: 'server' | 'client' | 'server-and-client'; ttl: number; sans: string[] }>> = {
  'lab': {
    'curated-db.tls': { usage: 'server', ttl: 72, sans: ['DNS:curated-db', 'DNS:db.lab.internal'] },
    'model-server.tls': { usage: 'server-and-client', ttl: 48, sans: ['DNS:model-server', 'URI:spiffe://lab/ns/z6/sa/model-server'] },
    'exporter.client': { usage: 'client', ttl: 12, sans: ['DNS:exporter', 'URI:spiffe://lab/ns/z9/sa/exporter'] },
    'ingress': { usage: 'server', ttl: 24, sans: ['DNS:lab.example.com', 'DNS:api.lab.example.com'] },
  },
  'edge': {
    'gateway.tls': { usage: 'server', ttl: 72, sans: ['DNS:gateway'] },
  },
};

let base: string; // a PKI issued once at T0, copied by the scenarios
let first: PkiRunResult;

beforeAll(() => {
  base = tempDir();
  first = PkiBootstrap.run(buildLab({ dir: base }).app, { now: T0 });
});
afterAll(removeTempDirs);

/** A copy of the base PKI in a fresh folder. */
function scenario(): string {
  const dir = tempDir();
  copyTree(path.join(base, 'secrets'), path.join(dir, 'secrets'));
  return dir;
}

function leafItems(r: PkiRunResult, vps = 'lab') {
  return Object.fromEntries(r.items.filter((i) => i.vps === vps && i.kind === 'leaf').map((i) => [i.name, i]));
}

function leafFile(dir: string, name: string, ext: 'crt' | 'key', vps = 'lab'): string {
  return path.join(pkiDir(dir, vps), 'leaves', `${name}.${ext}`);
}

describe('a first run', () => {
  it('creates a root CA, an intermediate CA, a bundle and one leaf per TlsIdentity, per host', () => {
    for (const vps of ['lab', 'edge'] as const) {
      const items = first.items.filter((i) => i.vps === vps);
      expect(items.map((i) => `${i.kind}:${i.name}:${i.action}`)).toEqual([
        'root-ca:root-ca:created',
        'intermediate-ca:intermediate-ca:created',
        'ca-bundle:ca-bundle:created',
        ...Object.keys(LEAVES[vps]).sort().map((n) => `leaf:${n}:created`),
        'state:state:created',
      ]);
      const files = fs.readdirSync(pkiDir(base, vps)).sort();
      expect(files).toEqual(['ca-bundle.crt', 'intermediate-ca.crt', 'intermediate-ca.key', 'leaves', 'root-ca.crt', 'root-ca.key', 'state.json']);
      expect(fs.readdirSync(path.join(pkiDir(base, vps), 'leaves')).sort()).toEqual(
        Object.keys(LEAVES[vps]).flatMap((n) => [`${n}.crt`, `${n}.key`]).sort(),
      );
    }
    expect(first.issued).toBe(2 * 2 + 5);
    expect(first.warnings).toEqual([]);
  });

  it('names leaves after the construct tree and reports their construct paths', () => {
    const items = leafItems(first);
    expect(items['curated-db.tls'].constructPath).toBe('lab/curated-db/Tls');
    expect(items['exporter.client'].constructPath).toBe('lab/exporter/Client');
    expect(items.ingress.constructPath).toBe('lab/ingress');
  });

  it('makes every directory 0700 and every file 0600', () => {
    const entries = modes(path.join(base, 'secrets'));
    expect(entries.length).toBeGreaterThan(20);
    for (const e of entries) expect({ path: e.path, mode: e.mode.toString(8) }).toEqual({ path: e.path, mode: e.dir ? '700' : '600' });
  });

  it('sets the modes explicitly, whatever the umask', () => {
    const dir = tempDir();
    const previous = process.umask(0o000);
    try {
      PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    } finally {
      process.umask(previous);
    }
    for (const e of modes(path.join(dir, 'secrets'))) expect(e.mode.toString(8), e.path).toBe(e.dir ? '700' : '600');
  });

  it('records what it issued in state.json: SANs, usage, serial, validity, sha256 of each certificate', () => {
    const state = JSON.parse(fs.readFileSync(path.join(pkiDir(base), 'state.json'), 'utf8'));
    expect(state.stateVersion).toBe(1);
    for (const [name, want] of Object.entries(LEAVES.lab)) {
      const rec = state.leaves[name];
      const file = leafFile(base, name, 'crt');
      const x = cert(file);
      expect(rec.serialNumber).toBe(x.serialNumber);
      expect(rec.certSha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
      expect(rec.notAfter).toBe(new Date(x.validTo).toISOString());
      expect(rec.usage).toBe(want.usage);
      expect(rec.ttlHours).toBe(want.ttl);
      expect([...rec.dnsNames.map((d: string) => `DNS:${d}`), ...rec.uris.map((u: string) => `URI:${u}`)]).toEqual(want.sans);
      const keySpki = crypto.createPublicKey(fs.readFileSync(leafFile(base, name, 'key'))).export({ type: 'spki', format: 'der' });
      expect(rec.keySpkiSha256).toBe(crypto.createHash('sha256').update(keySpki).digest('hex'));
    }
    expect(state.ca.root.serialNumber).toBe(cert(path.join(pkiDir(base), 'root-ca.crt')).serialNumber);
    expect(JSON.stringify(state)).not.toContain('PRIVATE');
  });
});

describe("certificates, checked with Node's X509Certificate", () => {
  const ca = (vps: string) => ({
    root: cert(path.join(pkiDir(base, vps), 'root-ca.crt')),
    int: cert(path.join(pkiDir(base, vps), 'intermediate-ca.crt')),
  });

  it('root: self-signed CA, ECDSA P-256, 10 years from now − 5 min', () => {
    const { root } = ca('lab');
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new Date(root.validFrom).getTime()).toBe(T0.getTime() - BACKDATE);
    expect(new Date(root.validTo).getTime()).toBe(T0.getTime() + 87_600 * HOUR);
    expect(root.subject).toContain('CN=lab root CA');
  });

  it('intermediate: CA issued by the root, 8760 h', () => {
    const { root, int } = ca('lab');
    expect(int.ca).toBe(true);
    expect(int.checkIssued(root)).toBe(true);
    expect(int.verify(root.publicKey)).toBe(true);
    expect(new Date(int.validTo).getTime()).toBe(T0.getTime() + 8_760 * HOUR);
  });

  it('each host has its own CA', () => {
    expect(ca('lab').root.fingerprint256).not.toBe(ca('edge').root.fingerprint256);
    const gateway = cert(leafFile(base, 'gateway.tls', 'crt', 'edge'));
    expect(gateway.verify(ca('edge').int.publicKey)).toBe(true);
    expect(gateway.verify(ca('lab').int.publicKey)).toBe(false);
  });

  it('the bundle is the intermediate then the root', () => {
    const bundle = fs.readFileSync(path.join(pkiDir(base), 'ca-bundle.crt'), 'utf8');
    const { root, int } = ca('lab');
    expect(bundle).toBe(int.toString() + root.toString());
  });

  for (const [vps, leaves] of Object.entries(LEAVES)) {
    for (const [name, want] of Object.entries(leaves)) {
      it(`${vps}/${name}: chain, EKU, SANs, validity, key`, () => {
        const x = cert(leafFile(base, name, 'crt', vps));
        const { int } = ca(vps);
        expect(x.ca).toBe(false);
        expect(x.checkIssued(int)).toBe(true);
        expect(x.verify(int.publicKey)).toBe(true);
        expect(x.subjectAltName?.split(', ')).toEqual(want.sans);
        const eku = [...(x.keyUsage ?? [])].sort();
        const wantEku = want.usage === 'server' ? [SERVER_AUTH] : want.usage === 'client' ? [CLIENT_AUTH] : [SERVER_AUTH, CLIENT_AUTH];
        expect(eku).toEqual(wantEku);
        for (const san of want.sans.filter((s) => s.startsWith('DNS:'))) expect(x.checkHost(san.slice(4))).toBe(san.slice(4));
        expect(x.checkHost('other.example.com')).toBeUndefined();
        expect(new Date(x.validFrom).getTime()).toBe(T0.getTime() - BACKDATE);
        expect(new Date(x.validTo).getTime()).toBe(T0.getTime() + want.ttl * HOUR);
        expect(x.publicKey.asymmetricKeyType).toBe('ec');
        expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
        // serial: 16 bytes, positive
        expect(x.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
        // the key on disk is the certificate's key
        const key = crypto.createPrivateKey(fs.readFileSync(leafFile(base, name, 'key', vps)));
        const sig = crypto.sign('sha256', Buffer.from('proof'), key);
        expect(crypto.verify('sha256', Buffer.from('proof'), x.publicKey, sig)).toBe(true);
        expect(fs.readFileSync(leafFile(base, name, 'key', vps), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      });
    }
  }

  it('serial numbers are distinct', () => {
    const serials = Object.keys(LEAVES.lab).map((n) => cert(leafFile(base, n, 'crt')).serialNumber);
    expect(new Set(serials).size).toBe(serials.length);
  });
});

describe('certificates, checked with openssl', () => {
  it('has openssl to check with (npx projen test:deps installs it)', () => expect(HAVE_OPENSSL).toBe(true));

  const at = String(Math.floor(T0.getTime() / 1000) + 60);
  const verify = (vps: string, leaf: string, ...extra: string[]) =>
    openssl(['verify', '-x509_strict', '-attime', at, ...extra, '-CAfile', path.join(pkiDir(base, vps), 'root-ca.crt'), '-untrusted', path.join(pkiDir(base, vps), 'intermediate-ca.crt'), leaf]);

  for (const [vps, leaves] of Object.entries(LEAVES)) {
    for (const [name, want] of Object.entries(leaves)) {
      it(`${vps}/${name}: openssl verify (chain, purpose, host names, validity)`, () => {
        const file = leafFile(base, name, 'crt', vps);
        if (want.usage !== 'client') {
          for (const san of want.sans.filter((s) => s.startsWith('DNS:'))) {
            const r = verify(vps, file, '-purpose', 'sslserver', '-verify_hostname', san.slice(4));
            expect(r.status, r.out).toBe(0);
            expect(r.out).toContain(': OK');
          }
          expect(verify(vps, file, '-purpose', 'sslserver', '-verify_hostname', 'evil.example.com').status).not.toBe(0);
        } else {
          expect(verify(vps, file, '-purpose', 'sslserver').status, 'a client certificate must not pass as a server one').not.toBe(0);
        }
        if (want.usage !== 'server') {
          const r = verify(vps, file, '-purpose', 'sslclient');
          expect(r.status, r.out).toBe(0);
        } else {
          expect(verify(vps, file, '-purpose', 'sslclient').status, 'a server certificate must not pass as a client one').not.toBe(0);
        }
        // the bundle alone also verifies it (what a peer is given)
        const bundle = openssl(['verify', '-attime', at, '-CAfile', path.join(pkiDir(base, vps), 'ca-bundle.crt'), file]);
        expect(bundle.status, bundle.out).toBe(0);
        // outside its validity window it fails
        const late = openssl(['verify', '-attime', String(Math.floor(T0.getTime() / 1000) + want.ttl * 3600 + 60), '-CAfile', path.join(pkiDir(base, vps), 'ca-bundle.crt'), file]);
        expect(late.status).not.toBe(0);
        expect(late.out).toMatch(/expired/);

        const ext = opensslExt(file);
        expect(ext).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
        expect(ext).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
        const ekuWords = want.usage === 'server' ? 'TLS Web Server Authentication' : want.usage === 'client' ? 'TLS Web Client Authentication' : 'TLS Web Server Authentication, TLS Web Client Authentication';
        expect(ext).toMatch(new RegExp(`X509v3 Extended Key Usage: *\\n\\s+${ekuWords}\\n`));
        expect(ext).toMatch(new RegExp(`X509v3 Subject Alternative Name: *\\n\\s+${want.sans.join(', ').replace(/[.]/g, '\\.')}\\n`));
        expect(ext).not.toContain('<EMPTY>');
      });
    }
  }

  it('CAs: basicConstraints critical CA:TRUE (pathlen 0 on the intermediate), keyUsage critical keyCertSign, cRLSign', () => {
    const root = opensslExt(path.join(pkiDir(base), 'root-ca.crt'), 'basicConstraints,keyUsage');
    expect(root).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
    expect(root).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const int = opensslExt(path.join(pkiDir(base), 'intermediate-ca.crt'), 'basicConstraints,keyUsage');
    expect(int).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(int).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const r = openssl(['verify', '-x509_strict', '-attime', at, '-CAfile', path.join(pkiDir(base), 'root-ca.crt'), path.join(pkiDir(base), 'intermediate-ca.crt')]);
    expect(r.status, r.out).toBe(0);
  });

  it('authority key identifiers point at the issuer\'s subject key identifier', () => {
    const text = (f: string) => openssl(['x509', '-in', f, '-noout', '-ext', 'subjectKeyIdentifier,authorityKeyIdentifier']).out;
    const id = (t: string, label: string) => new RegExp(`${label}: *\\n\\s+(?:keyid:)?([0-9A-F:]+)`).exec(t)?.[1];
    const root = text(path.join(pkiDir(base), 'root-ca.crt'));
    const int = text(path.join(pkiDir(base), 'intermediate-ca.crt'));
    const leaf = text(leafFile(base, 'curated-db.tls', 'crt'));
    expect(id(int, 'Authority Key Identifier')).toBe(id(root, 'Subject Key Identifier'));
    expect(id(leaf, 'Authority Key Identifier')).toBe(id(int, 'Subject Key Identifier'));
    expect(id(leaf, 'Subject Key Identifier')).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  });

  it('the private key matches the certificate (openssl pkey)', () => {
    const pub = (args: string[]) => openssl(args).out;
    const fromKey = pub(['pkey', '-in', leafFile(base, 'model-server.tls', 'key'), '-pubout']);
    const fromCert = pub(['x509', '-in', leafFile(base, 'model-server.tls', 'crt'), '-noout', '-pubkey']);
    expect(fromKey).toContain('BEGIN PUBLIC KEY');
    expect(fromKey).toBe(fromCert);
  });
});

describe('idempotency', () => {
  it('a second run issues nothing and leaves every file byte-identical', () => {
    const dir = scenario();
    const before = digest(path.join(dir, 'secrets'));
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: new Date(T0.getTime() + HOUR) });
    expect(r.issued).toBe(0);
    expect(r.items.filter((i) => i.kind === 'leaf').every((i) => i.action === 'unchanged')).toBe(true);
    expect(r.items.filter((i) => i.kind.endsWith('-ca')).every((i) => i.action === 'reused')).toBe(true);
    expect(r.items.filter((i) => i.kind === 'state' || i.kind === 'ca-bundle').every((i) => i.action === 'unchanged')).toBe(true);
    expect(digest(path.join(dir, 'secrets'))).toEqual(before);
    expect(PkiBootstrap.format(r)).toContain('0 certificate(s) issued');
  });

  it('changing the SANs of one identity re-issues only that leaf, saying what changed', () => {
    const dir = scenario();
    const before = digest(path.join(dir, 'secrets'));
    const r = PkiBootstrap.run(buildLab({ dir, overrides: { 'curated-db.tls': { usage: 'server', dnsNames: ['db.lab.internal', 'pg.lab.internal'] } } }).app, { now: T0 });
    expect(r.issued).toBe(1);
    const item = leafItems(r)['curated-db.tls'];
    expect(item.action).toBe('renewed');
    expect(item.reason).toContain('subjectAltName changed (+DNS:pg.lab.internal)');
    expect(cert(leafFile(dir, 'curated-db.tls', 'crt')).subjectAltName).toBe('DNS:curated-db, DNS:db.lab.internal, DNS:pg.lab.internal');
    const after = digest(path.join(dir, 'secrets'));
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
    expect(changed).toEqual(['lab/pki/leaves/curated-db.tls.crt', 'lab/pki/leaves/curated-db.tls.key', 'lab/pki/state.json']);
  });

  it('a change of usage or of ttlHours re-issues that leaf', () => {
    const dir = scenario();
    const r = PkiBootstrap.run(
      buildLab({ dir, overrides: { 'curated-db.tls': { usage: 'server-and-client', dnsNames: ['db.lab.internal'] }, 'ingress': { usage: 'server', dnsNames: ['lab.example.com', 'api.lab.example.com'], ttlHours: 48 } } }).app,
      { now: T0 },
    );
    const items = leafItems(r);
    expect(items['curated-db.tls'].reason).toContain("usage changed (now 'server-and-client')");
    expect(items['curated-db.tls'].reason).toContain('subjectAltName changed (+URI:spiffe://lab/ns/z3/sa/curated-db)');
    expect(items.ingress.reason).toBe('ttlHours changed (24 → 48)');
    expect(items['model-server.tls'].action).toBe('unchanged');
    expect(r.issued).toBe(2);
  });

  it('renews a leaf at 80% of its lifetime, not a second before', () => {
    const dir = scenario();
    const state = JSON.parse(fs.readFileSync(path.join(pkiDir(dir), 'state.json'), 'utf8'));
    const renewAfter = new Date(state.leaves['curated-db.tls'].renewAfter).getTime();
    // 80% of the validity period (72 h + the 5 min backdating), counted from notBefore
    expect(renewAfter).toBe(T0.getTime() - BACKDATE + Math.floor(0.8 * (72 * HOUR + BACKDATE)));

    const early = PkiBootstrap.run(buildLab({ dir }).app, { now: new Date(renewAfter - 1000) });
    expect(leafItems(early)['curated-db.tls'].action).toBe('unchanged');
    expect(leafItems(early)['exporter.client'].action, 'the 12 h client certificate is long due').toBe('renewed');

    const due = PkiBootstrap.run(buildLab({ dir }).app, { now: new Date(renewAfter) });
    const item = leafItems(due)['curated-db.tls'];
    expect(item.action).toBe('renewed');
    expect(item.reason).toMatch(/^past 80% of its lifetime/);
    const x = cert(leafFile(dir, 'curated-db.tls', 'crt'));
    expect(new Date(x.validFrom).getTime()).toBe(renewAfter - BACKDATE);
    expect(leafItems(due, 'edge')['gateway.tls'].action).toBe('renewed');
  });

  it('re-issues a deleted leaf (and only it)', () => {
    const dir = scenario();
    fs.rmSync(leafFile(dir, 'ingress', 'crt'));
    fs.rmSync(leafFile(dir, 'exporter.client', 'key'));
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    const items = leafItems(r);
    expect(items.ingress.action).toBe('renewed');
    expect(items.ingress.reason).toBe('certificate missing');
    expect(items['exporter.client'].reason).toBe('key missing');
    expect(items['curated-db.tls'].action).toBe('unchanged');
    expect(r.issued).toBe(2);
  });

  it('never regenerates a CA that is present, across many runs', () => {
    const dir = scenario();
    const caFiles = ['root-ca.crt', 'root-ca.key', 'intermediate-ca.crt', 'intermediate-ca.key'];
    const read = () => caFiles.map((f) => fs.readFileSync(path.join(pkiDir(dir), f), 'utf8'));
    const before = read();
    for (const hours of [1, 30, 60, 200]) {
      PkiBootstrap.run(buildLab({ dir, overrides: { ingress: { usage: 'server', dnsNames: [`h${hours}.lab.example.com`] } } }).app, { now: new Date(T0.getTime() + hours * HOUR) });
    }
    expect(read()).toEqual(before);
  });

  it('a deleted root means a new PKI: a new root and intermediate, every leaf re-issued, and a warning', () => {
    const dir = scenario();
    fs.rmSync(path.join(pkiDir(dir), 'root-ca.crt'));
    fs.rmSync(path.join(pkiDir(dir), 'root-ca.key'));
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    expect(r.items.find((i) => i.vps === 'lab' && i.kind === 'root-ca')?.action).toBe('created');
    const int = r.items.find((i) => i.vps === 'lab' && i.kind === 'intermediate-ca')!;
    expect([int.action, int.reason]).toEqual(['renewed', 'not issued by the current root CA']);
    expect(Object.values(leafItems(r)).every((i) => i.action === 'renewed')).toBe(true);
    expect(r.warnings.some((w) => w.includes('a new root CA replaces the one state.json recorded'))).toBe(true);
  });

  it('refuses a root key without its certificate, and a root key that does not match, naming the file', () => {
    const dir = scenario();
    fs.rmSync(path.join(pkiDir(dir), 'root-ca.crt'));
    expect(() => PkiBootstrap.run(buildLab({ dir }).app, { now: T0 })).toThrow(/root-ca\.key\] exists without root-ca\.crt; the bootstrap never replaces a CA that is present/);
    const dir2 = scenario();
    fs.copyFileSync(path.join(pkiDir(dir2), 'intermediate-ca.key'), path.join(pkiDir(dir2), 'root-ca.key'));
    expect(() => PkiBootstrap.run(buildLab({ dir: dir2 }).app, { now: T0 })).toThrow(/root-ca\.key\] is not the private key of root-ca\.crt/);
  });

  it('checks the files themselves when they differ from what state.json recorded', () => {
    const dir = scenario();
    // another leaf's (valid, same-CA) certificate and key in place of ingress'
    fs.copyFileSync(leafFile(dir, 'curated-db.tls', 'crt'), leafFile(dir, 'ingress', 'crt'));
    fs.copyFileSync(leafFile(dir, 'curated-db.tls', 'key'), leafFile(dir, 'ingress', 'key'));
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    const item = leafItems(r).ingress;
    expect(item.action).toBe('renewed');
    expect(item.reason).toContain('subjectAltName changed');
    expect(cert(leafFile(dir, 'ingress', 'crt')).subjectAltName).toBe('DNS:lab.example.com, DNS:api.lab.example.com');
  });

  it('re-issues over empty files (what a crash before the data reached the disk leaves)', () => {
    const dir = scenario();
    fs.writeFileSync(leafFile(dir, 'ingress', 'crt'), '');
    fs.writeFileSync(leafFile(dir, 'ingress', 'key'), '');
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    expect(leafItems(r).ingress.action).toBe('renewed');
    expect(leafItems(r).ingress.reason).toBe('certificate unreadable; key unreadable');
  });

  it('re-creates a deleted intermediate from the same root and re-issues every leaf (issuer changed)', () => {
    const dir = scenario();
    const root = fs.readFileSync(path.join(pkiDir(dir), 'root-ca.crt'), 'utf8');
    fs.rmSync(path.join(pkiDir(dir), 'intermediate-ca.crt'));
    fs.rmSync(path.join(pkiDir(dir), 'intermediate-ca.key'));
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    expect(r.items.find((i) => i.vps === 'lab' && i.kind === 'intermediate-ca')?.action).toBe('created');
    expect(r.items.find((i) => i.vps === 'lab' && i.kind === 'root-ca')?.action).toBe('reused');
    expect(fs.readFileSync(path.join(pkiDir(dir), 'root-ca.crt'), 'utf8')).toBe(root);
    for (const item of Object.values(leafItems(r))) {
      expect(item.action).toBe('renewed');
      expect(item.reason).toContain('issuer changed');
    }
    expect(Object.values(leafItems(r, 'edge')).every((i) => i.action === 'unchanged')).toBe(true);
    const bundle = fs.readFileSync(path.join(pkiDir(dir), 'ca-bundle.crt'), 'utf8');
    expect(bundle).toBe(fs.readFileSync(path.join(pkiDir(dir), 'intermediate-ca.crt'), 'utf8') + root);
    expect(r.items.find((i) => i.vps === 'lab' && i.kind === 'ca-bundle')?.action).toBe('updated');
  });

  it('renews the intermediate at 80% of its 8760 h, from the same root, and with it every leaf', () => {
    const dir = scenario();
    const now = new Date(T0.getTime() + Math.ceil(0.8 * 8_760) * HOUR);
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now });
    const int = r.items.find((i) => i.vps === 'lab' && i.kind === 'intermediate-ca')!;
    expect(int.action).toBe('renewed');
    expect(int.reason).toMatch(/^past 80% of its lifetime/);
    const x = cert(path.join(pkiDir(dir), 'intermediate-ca.crt'));
    expect(x.verify(cert(path.join(pkiDir(dir), 'root-ca.crt')).publicKey)).toBe(true);
    for (const item of Object.values(leafItems(r))) expect(item.reason).toContain('issuer changed');
  });

  it('works with the root key offline while the intermediate is good, and says so', () => {
    const dir = scenario();
    const offline = path.join(dir, 'root-ca.key.offline');
    fs.renameSync(path.join(pkiDir(dir), 'root-ca.key'), offline);
    const r = PkiBootstrap.run(buildLab({ dir, overrides: { ingress: { usage: 'server', dnsNames: ['new.lab.example.com'] } } }).app, { now: T0 });
    expect(r.items.find((i) => i.vps === 'lab' && i.kind === 'root-ca')?.reason).toContain('offline');
    expect(leafItems(r).ingress.action).toBe('renewed');

    // due for renewal: a warning, the old intermediate keeps working
    const late = PkiBootstrap.run(buildLab({ dir }).app, { now: new Date(T0.getTime() + 7_100 * HOUR) });
    expect(late.warnings.some((w) => w.includes('root key is offline'))).toBe(true);
    expect(late.items.find((i) => i.vps === 'lab' && i.kind === 'intermediate-ca')?.action).toBe('reused');

    // no intermediate and no root key: a clear error naming the key file
    fs.rmSync(path.join(pkiDir(dir), 'intermediate-ca.crt'));
    expect(() => PkiBootstrap.run(buildLab({ dir }).app, { now: T0 })).toThrow(MlsecError);
    expect(() => PkiBootstrap.run(buildLab({ dir }).app, { now: T0 })).toThrow(/root-ca\.key\] is needed to issue the intermediate CA \(certificate missing\).*offline/);
  });

  it('moves the leaf of an identity that disappeared to retired/, and leaves files it did not write alone', () => {
    const dir = scenario();
    const stray = leafFile(dir, 'hand-made', 'crt');
    fs.writeFileSync(stray, 'not ours\n', { mode: 0o644 });
    const serial = cert(leafFile(dir, 'exporter.client', 'crt')).serialNumber;
    const r = PkiBootstrap.run(buildLab({ dir, overrides: { 'exporter.client': null } }).app, { now: T0 });
    const items = leafItems(r);
    expect(items['exporter.client'].action).toBe('retired');
    expect(items['exporter.client'].reason).toContain("'lab/exporter/Client'");
    expect(fs.existsSync(leafFile(dir, 'exporter.client', 'crt'))).toBe(false);
    const retired = path.join(pkiDir(dir), 'retired');
    expect(fs.readdirSync(retired).sort()).toEqual([`exporter.client.${serial}.crt`, `exporter.client.${serial}.key`]);
    expect(fs.statSync(retired).mode & 0o777).toBe(0o700);
    expect(items['hand-made.crt'].action).toBe('kept');
    expect(fs.readFileSync(stray, 'utf8')).toBe('not ours\n');
    expect(r.issued).toBe(0);
    const state = JSON.parse(fs.readFileSync(path.join(pkiDir(dir), 'state.json'), 'utf8'));
    expect(Object.keys(state.leaves)).not.toContain('exporter.client');
    // and a later run has nothing more to do
    const again = PkiBootstrap.run(buildLab({ dir, overrides: { 'exporter.client': null } }).app, { now: T0 });
    expect(leafItems(again)['exporter.client']).toBeUndefined();
  });

  it('never overwrites a certificate or key it did not write: a clear error naming the file', () => {
    const dir = scenario();
    const keyFile = leafFile(dir, 'ingress', 'key');
    const foreignKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    fs.writeFileSync(keyFile, foreignKey);
    const before = digest(path.join(dir, 'secrets'));
    let err: unknown;
    try {
      PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MlsecError);
    expect((err as Error).message).toContain(`[${keyFile}]`);
    expect((err as Error).message).toContain("TlsIdentity 'lab/ingress'");
    expect((err as Error).message).toContain('key does not match the certificate');
    expect(digest(path.join(dir, 'secrets'))['lab/pki/leaves/ingress.key']).toBe(before['lab/pki/leaves/ingress.key']);

    const dir2 = scenario();
    const certFile = leafFile(dir2, 'ingress', 'crt');
    fs.writeFileSync(certFile, 'garbage');
    expect(() => PkiBootstrap.run(buildLab({ dir: dir2 }).app, { now: T0 })).toThrow(new RegExp(`\\[${certFile.replace(/[.]/g, '\\.')}\\] must be re-issued .*certificate unreadable`));
  });

  it('adopts the certificates this PKI issued when state.json is gone', () => {
    const dir = scenario();
    fs.rmSync(path.join(pkiDir(dir), 'state.json'));
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    expect(r.issued).toBe(0);
    expect(r.items.find((i) => i.vps === 'lab' && i.kind === 'state')?.action).toBe('created');
  });

  it('tightens the mode of a file or folder that was loosened, and says so', () => {
    const dir = scenario();
    fs.chmodSync(leafFile(dir, 'ingress', 'key'), 0o644);
    fs.chmodSync(path.join(pkiDir(dir), 'leaves'), 0o755);
    const r = PkiBootstrap.run(buildLab({ dir }).app, { now: T0 });
    expect(fs.statSync(leafFile(dir, 'ingress', 'key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(pkiDir(dir), 'leaves')).mode & 0o777).toBe(0o700);
    expect(r.warnings.filter((w) => w.includes('tightened'))).toHaveLength(2);
  });

  it('fails with an error naming state.json when it is not JSON', () => {
    const dir = scenario();
    const state = path.join(pkiDir(dir), 'state.json');
    fs.writeFileSync(state, '{ nope');
    expect(() => PkiBootstrap.run(buildLab({ dir }).app, { now: T0 })).toThrow(new RegExp(`\\[${state.replace(/[.]/g, '\\.')}\\] is not valid JSON`));
  });
});

describe('plan', () => {
  it('derives the identities from the construct tree, per Vps, sorted by name, and writes nothing', () => {
    const dir = tempDir();
    const { app } = buildLab({ dir });
    const plan = PkiBootstrap.plan(app);
    expect(plan.hosts.map((h) => [h.vps, h.identities.map((i) => i.name)])).toEqual([
      ['lab', ['curated-db.tls', 'exporter.client', 'ingress', 'model-server.tls']],
      ['edge', ['gateway.tls']],
    ]);
    const ms = plan.hosts[0].identities.find((i) => i.name === 'model-server.tls')!;
    expect(ms).toEqual({
      name: 'model-server.tls',
      constructPath: 'lab/model-server/Tls',
      usage: 'server-and-client',
      commonName: 'model-server',
      dnsNames: ['model-server'],
      uris: ['spiffe://lab/ns/z6/sa/model-server'],
      ttlHours: 48,
      certFile: 'lab/pki/leaves/model-server.tls.crt',
      keyFile: 'lab/pki/leaves/model-server.tls.key',
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('uses the workload\'s serviceName, not its id, and finds identities nested deeper', () => {
    const dir = tempDir();
    const { app, lab } = buildLab({
      dir,
      extra: (vps) => {
        const w = workload(vps, 'Feature_Store', undefined, 'features');
        new TlsIdentity(w, 'Tls', { usage: 'server', dnsNames: ['features.lab.internal'] });
        const group = new TlsIdentity(vps, 'mtls-client', { usage: 'client' });
        void group;
      },
    });
    const plan = PkiBootstrap.plan(app);
    const ids = plan.hosts[0].identities;
    const features = ids.find((i) => i.constructPath === 'lab/Feature_Store/Tls')!;
    expect(features.name).toBe('features.tls');
    expect(features.dnsNames).toEqual(['features', 'features.lab.internal']);
    const standalone = ids.find((i) => i.name === 'mtls-client')!;
    expect(standalone.uris).toEqual(['spiffe://lab/ns/shared/sa/mtls-client']);
    expect(standalone.dnsNames).toEqual([]);
    expect(TlsIdentity.allIn(lab)).toHaveLength(6);
  });

  it('a host without identities gets no PKI', () => {
    const dir = tempDir();
    const { app } = buildLab({ dir, overrides: { 'gateway.tls': null } });
    const r = PkiBootstrap.run(app, { now: T0 });
    expect(r.items.some((i) => i.vps === 'edge')).toBe(false);
    expect(fs.existsSync(path.join(dir, 'secrets', 'edge'))).toBe(false);
  });
});

describe('synth output', () => {
  it('a tree with TlsIdentities synthesizes, and no private key or certificate reaches synth-out', () => {
    const dir = scenario();
    const { app } = buildLab({ dir });
    PkiBootstrap.run(app, { now: T0 });
    const assembly = Testing.synth(app);
    const all = assembly.allFiles().map((f) => f.content).join('\n');
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain('BEGIN CERTIFICATE');
    app.synth();
    const out = path.join(dir, 'synth-out');
    const written = Object.keys(digest(out));
    expect(written.length).toBeGreaterThan(0);
    for (const f of written) expect(fs.readFileSync(path.join(out, f), 'utf8')).not.toContain('PRIVATE KEY');
  });

  it('refuses a secrets folder inside the synth outdir (or the reverse)', () => {
    const dir = tempDir();
    const { app } = buildLab({ dir });
    expect(() => PkiBootstrap.run(app, { secretsDir: path.join(dir, 'synth-out', 'secrets'), now: T0 })).toThrow(/overlap; private keys must never enter the synth output/);
    expect(() => PkiBootstrap.run(app, { secretsDir: dir, now: T0 })).toThrow(MlsecError);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('an RSA-3072 CA (caKeyType)', () => {
  it('issues ECDSA leaves from an RSA CA, verified by Node and openssl', () => {
    const dir = tempDir();
    const r = PkiBootstrap.run(buildLab({ dir, overrides: { 'gateway.tls': null } }).app, { now: T0, caKeyType: 'rsa-3072' });
    expect(r.issued).toBe(2 + 4);
    const root = cert(path.join(pkiDir(dir), 'root-ca.crt'));
    const int = cert(path.join(pkiDir(dir), 'intermediate-ca.crt'));
    expect(root.publicKey.asymmetricKeyType).toBe('rsa');
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    const leaf = cert(leafFile(dir, 'model-server.tls', 'crt'));
    expect(leaf.verify(int.publicKey)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyType).toBe('ec');
    if (HAVE_OPENSSL) {
      const text = openssl(['x509', '-in', leafFile(dir, 'model-server.tls', 'crt'), '-noout', '-text']).out;
      expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
      const v = openssl(['verify', '-x509_strict', '-attime', String(T0.getTime() / 1000 + 60), '-CAfile', path.join(pkiDir(dir), 'root-ca.crt'), '-untrusted', path.join(pkiDir(dir), 'intermediate-ca.crt'), leafFile(dir, 'model-server.tls', 'crt')]);
      expect(v.status, v.out).toBe(0);
    }
    // the existing RSA CA is reused by a later run that asks for the default
    const again = PkiBootstrap.run(buildLab({ dir, overrides: { 'gateway.tls': null } }).app, { now: T0 });
    expect(again.issued).toBe(0);
  });
});
