import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { App } from '../core/app';
import { canonicalJson } from '../core/canonical-json';
import { MlsecError, ValidationError, ValidationIssue } from '../core/errors';
import { Vps } from '../core/vps';
import { CaKeyType, generateKeyPair, IssuedCertificate, Issuer, issuerFromCertificate, issueCertificate, KeyPair } from './cert-builder';
import { ensureDir, moveFile, readIfExists, tightenFile, writeSecureFile } from './secure-fs';
import { TlsIdentity, TlsUsage } from './tls-identity';

/** Lifetime of a root CA: 10 years (87,600 h). */
export const ROOT_CA_TTL_HOURS = 87_600;
/** Lifetime of an intermediate CA (CONTROLS.md Z8-K06: `pki_int` TTL 8760 h). */
export const INTERMEDIATE_CA_TTL_HOURS = 8_760;
/** Fraction of a certificate's validity after which it is renewed (Z8-K06: renew at 80 % of TTL). */
export const RENEW_AT_FRACTION = 0.8;
/** notBefore is set this far in the past, so peers with a slightly late clock accept a new certificate. */
export const BACKDATE_MS = 5 * 60 * 1000;

/** One certificate the bootstrap will keep issued. */
export interface PkiIdentityPlan {
  /** File name of the certificate and key (without extension), unique within the host. */
  readonly name: string;
  /** Path of the TlsIdentity construct. */
  readonly constructPath: string;
  readonly usage: TlsUsage;
  readonly commonName: string;
  /** DNS subjectAltNames, in order. */
  readonly dnsNames: readonly string[];
  /** URI subjectAltNames (the SPIFFE id of client identities). */
  readonly uris: readonly string[];
  readonly ttlHours: number;
  /** Certificate file, relative to the secrets folder. */
  readonly certFile: string;
  /** Private key file, relative to the secrets folder. */
  readonly keyFile: string;
}

/** The PKI of one host. */
export interface PkiHostPlan {
  /** The Vps name (the folder below the secrets folder). */
  readonly vps: string;
  /** The Vps construct path. */
  readonly constructPath: string;
  /** The PKI folder, relative to the secrets folder: `<vps>/pki`. */
  readonly pkiDir: string;
  /** Its identities, sorted by name. */
  readonly identities: readonly PkiIdentityPlan[];
}

/** What the construct tree asks of the PKI. */
export interface PkiPlan {
  /** The secrets folder of the App. */
  readonly secretsDir: string;
  /** One entry per Vps, in tree order (hosts without identities included, with none). */
  readonly hosts: readonly PkiHostPlan[];
}

/** Options of {@link PkiBootstrap.run}. */
export interface PkiRunOptions {
  /**
   * The operator-only folder to write into.
   * @default the App's secretsDir
   */
  readonly secretsDir?: string;
  /**
   * The clock: validity starts at `now` − 5 min; renewal is judged at `now`.
   * @default the current time
   */
  readonly now?: Date;
  /**
   * Key type of a root or intermediate CA that has to be created (existing CAs of either type
   * are reused). Leaves are always ECDSA P-256.
   * @default 'ec-p256'
   */
  readonly caKeyType?: CaKeyType;
}

/** What happened to one item. */
export type PkiAction =
  /** Did not exist; issued or written. */
  | 'created'
  /** Existed and was re-issued (the reason says why). */
  | 'renewed'
  /** A CA that exists and is used as it is. */
  | 'reused'
  /** A leaf (or file) that is up to date. */
  | 'unchanged'
  /** A derived file (bundle, state) that was rewritten. */
  | 'updated'
  /** A leaf whose TlsIdentity disappeared, moved to `pki/retired/`. */
  | 'retired'
  /** A file the bootstrap does not manage, left in place. */
  | 'kept';

/** Kinds of items. */
export type PkiItemKind = 'root-ca' | 'intermediate-ca' | 'ca-bundle' | 'leaf' | 'state';

/** One line of the run's report. */
export interface PkiItem {
  readonly vps: string;
  readonly kind: PkiItemKind;
  /** Leaf name, or the kind for CA, bundle and state. */
  readonly name: string;
  readonly action: PkiAction;
  /** Why (for 'renewed' every reason found, joined with "; "). */
  readonly reason: string;
  /** Files concerned, below the secrets folder. */
  readonly files: readonly string[];
  /** Path of the construct, for leaves. */
  readonly constructPath?: string;
  /** Serial number of the certificate in place after the run. */
  readonly serialNumber?: string;
  /** notAfter of the certificate in place after the run, ISO 8601. */
  readonly notAfter?: string;
}

/** What {@link PkiBootstrap.run} did. */
export interface PkiRunResult {
  /** The secrets folder written into. */
  readonly secretsDir: string;
  /** Every item, per host: root, intermediate, bundle, leaves (by name), retired, state. */
  readonly items: readonly PkiItem[];
  /** Certificates signed in this run (CA and leaves). */
  readonly issued: number;
  /** Things the operator should know (offline root, a CA due for renewal, modes tightened …). */
  readonly warnings: readonly string[];
  /** Wall time of the run in milliseconds. */
  readonly durationMs: number;
}

const STATE_VERSION = 1;
const HOUR_MS = 3_600_000;
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * The internal PKI, per host: an offline-capable root CA, an intermediate CA, and one leaf
 * certificate per {@link TlsIdentity} in the construct tree, written into the operator-only
 * secrets folder (`<secretsDir>/<vps>/pki/`, directories 0700, files 0600), never into the synth
 * output. Idempotent: CAs are reused while present; a leaf is re-issued only when it is missing,
 * its SANs, usage, lifetime or issuer changed, its key does not match, or it is past 80 % of its
 * validity. Leaves of identities that disappeared are moved to `pki/retired/`.
 *
 * Layout of `<secretsDir>/<vps>/pki/`: `root-ca.{crt,key}`, `intermediate-ca.{crt,key}`,
 * `ca-bundle.crt` (intermediate then root), `leaves/<name>.{crt,key}`, `retired/`, `state.json`.
 */
export class PkiBootstrap {
  /** The certificates the tree asks for, per Vps. Validates the whole tree first (as synth does). */
  public static plan(app: App): PkiPlan {
    if (!App.isApp(app)) throw new MlsecError(`PkiBootstrap.plan() expects the App at the root of the tree (got ${describeScope(app)})`);
    const problems: ValidationIssue[] = [];
    for (const c of app.node.findAll()) {
      for (const message of c.node.validate()) problems.push({ path: c.node.path || '<app>', message });
    }
    if (problems.length > 0) throw new ValidationError(problems);

    const hosts: PkiHostPlan[] = [];
    for (const vps of app.node.findAll().filter(Vps.isVps)) {
      const identities = TlsIdentity.allIn(vps)
        .map(
          (t): PkiIdentityPlan => ({
            name: t.leafName,
            constructPath: t.node.path,
            usage: t.usage,
            commonName: t.commonName,
            dnsNames: t.dnsNames,
            uris: t.uris,
            ttlHours: t.ttlHours,
            certFile: t.certFile,
            keyFile: t.keyFile,
          }),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      hosts.push({ vps: vps.name, constructPath: vps.node.path, pkiDir: path.posix.join(vps.name, 'pki'), identities });
    }
    return { secretsDir: app.secretsDir, hosts };
  }

  /** Issues what is missing or due, reuses the rest, and reports every item. */
  public static run(app: App, options: PkiRunOptions = {}): PkiRunResult {
    const started = process.hrtime.bigint();
    const plan = PkiBootstrap.plan(app);
    const secretsDir = options.secretsDir ?? plan.secretsDir;
    const now = options.now ?? new Date();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new MlsecError(`PkiBootstrap.run(): option 'now' must be a valid Date (got ${String(now)})`);
    const caKeyType = options.caKeyType ?? 'ec-p256';
    if (caKeyType !== 'ec-p256' && caKeyType !== 'rsa-3072') {
      throw new MlsecError(`PkiBootstrap.run(): option 'caKeyType' must be 'ec-p256' or 'rsa-3072' (got ${JSON.stringify(caKeyType)})`);
    }
    assertOutsideOutdir(secretsDir, app.outdir);

    const ctx: RunContext = { secretsDir, now: new Date(Math.floor(now.getTime() / 1000) * 1000), caKeyType, items: [], warnings: [], issued: 0 };
    const planned = new Set(plan.hosts.map((h) => h.vps));
    for (const host of plan.hosts) new HostRun(ctx, host).run();
    reportStrayHosts(ctx, planned);
    return {
      secretsDir,
      items: ctx.items,
      issued: ctx.issued,
      warnings: ctx.warnings,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
  }

  /** A human summary of a run, one line per item that is not unchanged, then the counts. */
  public static format(result: PkiRunResult): string {
    const lines: string[] = [];
    for (const item of result.items) {
      if (item.action === 'unchanged' && item.kind === 'leaf') continue;
      const what = item.kind === 'leaf' ? `leaf ${item.name}` : item.kind;
      const until = item.notAfter ? ` (until ${item.notAfter})` : '';
      lines.push(`  ${item.vps}: ${what}: ${item.action}${until} - ${item.reason}`);
    }
    const count = (a: PkiAction) => result.items.filter((i) => i.kind === 'leaf' && i.action === a).length;
    lines.push(
      `PKI in ${result.secretsDir}: ${result.issued} certificate(s) issued; leaves: ${count('created')} created, ${count('renewed')} renewed, ` +
        `${count('unchanged')} unchanged, ${count('retired')} retired (${result.durationMs.toFixed(0)} ms)`,
    );
    for (const w of result.warnings) lines.push(`  warning: ${w}`);
    return lines.join('\n');
  }

  private constructor() {}
}

interface RunContext {
  readonly secretsDir: string;
  readonly now: Date;
  readonly caKeyType: CaKeyType;
  readonly items: PkiItem[];
  readonly warnings: string[];
  issued: number;
}

/** One certificate file as read from disk; parsed on first use. */
class CertFile {
  public readonly sha256: string;
  private parsed?: { x509?: crypto.X509Certificate; notBefore?: Date; notAfter?: Date };

  constructor(
    public readonly file: string,
    public readonly bytes: Buffer,
    /** What is already known of a certificate just issued (spares parsing it back). */
    private readonly known?: { readonly serialNumber: string; readonly notBefore: Date; readonly notAfter: Date },
  ) {
    this.sha256 = sha256(bytes);
  }

  public get serialNumber(): string | undefined {
    return this.known?.serialNumber ?? this.x509?.serialNumber;
  }

  /** Undefined when the file is not a PEM certificate. */
  public get x509(): crypto.X509Certificate | undefined {
    return this.parse().x509;
  }

  public get notBefore(): Date | undefined {
    return this.known?.notBefore ?? this.parse().notBefore;
  }

  public get notAfter(): Date | undefined {
    return this.known?.notAfter ?? this.parse().notAfter;
  }

  private parse() {
    if (!this.parsed) {
      try {
        const x509 = new crypto.X509Certificate(this.bytes);
        this.parsed = { x509, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
      } catch {
        this.parsed = {};
      }
    }
    return this.parsed;
  }
}

/** One private key file as read from disk; parsed on first use (OpenSSL's decoder costs ~0.4 ms). */
class KeyFile {
  /** sha256 of the file: lets an unchanged pair skip parsing; reveals nothing of a random key. */
  public readonly sha256: string;
  private parsed?: { key?: crypto.KeyObject; spkiSha256?: string };

  constructor(
    public readonly file: string,
    public readonly bytes: Buffer,
    known?: { readonly key: crypto.KeyObject; readonly spkiSha256: string },
  ) {
    this.sha256 = sha256(bytes);
    this.parsed = known;
  }

  /** Undefined when the file is not a private key. */
  public get key(): crypto.KeyObject | undefined {
    return this.parse().key;
  }

  /** sha256 of the matching public key's SPKI DER. */
  public get spkiSha256(): string | undefined {
    return this.parse().spkiSha256;
  }

  private parse() {
    if (!this.parsed) {
      try {
        const key = crypto.createPrivateKey(this.bytes);
        this.parsed = { key, spkiSha256: spkiSha256(crypto.createPublicKey(key)) };
      } catch {
        this.parsed = {};
      }
    }
    return this.parsed;
  }
}

/** What state.json records for one certificate. */
interface CertRecord {
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly renewAfter: string;
  readonly certSha256: string;
  readonly keySpkiSha256: string;
}

interface LeafRecord extends CertRecord {
  /** sha256 of the key file as written: an unchanged pair is recognised without parsing the key. */
  readonly keySha256: string;
  /** sha256 of the intermediate CA certificate that issued it. */
  readonly issuerSha256: string;
  readonly constructPath: string;
  readonly usage: TlsUsage;
  readonly dnsNames: readonly string[];
  readonly uris: readonly string[];
  readonly ttlHours: number;
}

interface PkiState {
  readonly stateVersion: number;
  readonly generator: string;
  readonly vps: string;
  readonly ca: { root?: CertRecord; intermediate?: CertRecord };
  readonly leaves: Record<string, LeafRecord>;
}

/** A CA in use for this run. */
interface Ca {
  readonly cert: CertFile & { readonly x509: crypto.X509Certificate; readonly notBefore: Date; readonly notAfter: Date };
  /** Undefined for a root whose key is kept offline. */
  readonly key?: crypto.KeyObject;
  readonly issuer?: Issuer;
  readonly pem: string;
}

class HostRun {
  private readonly hostDir: string;
  private readonly pkiDir: string;
  private readonly leavesDir: string;
  private readonly stateFile: string;
  private readonly previous: PkiState;
  private readonly next: { ca: { root?: CertRecord; intermediate?: CertRecord }; leaves: Record<string, LeafRecord> } = { ca: {}, leaves: {} };

  constructor(
    private readonly ctx: RunContext,
    private readonly host: PkiHostPlan,
  ) {
    this.hostDir = path.join(ctx.secretsDir, host.vps);
    this.pkiDir = path.join(this.hostDir, 'pki');
    this.leavesDir = path.join(this.pkiDir, 'leaves');
    this.stateFile = path.join(this.pkiDir, 'state.json');
    this.previous = this.readState();
  }

  public run(): void {
    if (this.host.identities.length === 0 && !fs.existsSync(this.pkiDir)) return; // nothing asked, nothing there
    for (const dir of [this.ctx.secretsDir, this.hostDir, this.pkiDir, this.leavesDir]) {
      if (ensureDir(dir) === 'tightened') this.ctx.warnings.push(`${dir}: mode tightened to 0700`);
    }
    const root = this.root();
    const intermediate = this.intermediate(root);
    this.bundle(root, intermediate);
    for (const identity of this.host.identities) this.leaf(identity, intermediate);
    this.retire();
    this.writeState();
  }

  // ---------------------------------------------------------------- CAs

  private root(): Ca {
    const certFile = path.join(this.pkiDir, 'root-ca.crt');
    const keyFile = path.join(this.pkiDir, 'root-ca.key');
    const cert = readCert(certFile);
    const key = readKey(keyFile);
    if (!cert && !key) {
      const keys = generateKeyPair(this.ctx.caKeyType);
      const issued = this.issue({ kind: 'root' }, `${this.host.vps} root CA`, keys, ROOT_CA_TTL_HOURS);
      const ca = this.store(certFile, keyFile, issued, keys);
      this.next.ca.root = record(ca.cert, ca.key!);
      if (this.previous.ca.root) {
        this.ctx.warnings.push(`${certFile}: a new root CA replaces the one state.json recorded (serial ${this.previous.ca.root.serialNumber}); every peer needs the new ca-bundle.crt`);
      }
      this.item('root-ca', 'root-ca', 'created', `new ${this.ctx.caKeyType} root CA, valid ${ROOT_CA_TTL_HOURS / 8760} years`, [certFile, keyFile], ca.cert);
      return ca;
    }
    if (!cert) {
      throw new MlsecError(`[${keyFile}] exists without ${path.basename(certFile)}; the bootstrap never replaces a CA that is present: restore the certificate, or move the key away to create a new PKI`);
    }
    const x509 = parsedOrFail(cert, 'the root CA certificate');
    if (!x509.ca || !x509.checkIssued(x509) || !x509.verify(x509.publicKey)) {
      throw new MlsecError(`[${certFile}] is not a self-signed CA certificate; move it away to create a new PKI`);
    }
    const full = cert as Ca['cert'];
    if (full.notAfter.getTime() <= this.ctx.now.getTime()) {
      throw new MlsecError(`[${certFile}] the root CA expired on ${full.notAfter.toISOString()}; move ${this.pkiDir} away to create a new PKI (every certificate changes)`);
    }
    if (this.ctx.now.getTime() >= renewAfter(full).getTime()) {
      this.ctx.warnings.push(`${certFile}: the root CA is past 80% of its lifetime (expires ${full.notAfter.toISOString()}); plan a new PKI`);
    }
    let reason = 'present; reused';
    if (key) {
      if (!key.key || !sameKey(key, x509)) throw new MlsecError(`[${keyFile}] is not the private key of ${path.basename(certFile)}; restore the matching key`);
      this.tighten(certFile, keyFile);
    } else {
      reason = 'present; its key is offline (root-ca.key absent), which is fine until the intermediate CA needs renewal';
      this.tighten(certFile);
    }
    const ca: Ca = { cert: full, key: key?.key, issuer: key?.key ? issuerFromCertificate(derOf(x509), key.key) : undefined, pem: pemOf(x509) };
    this.next.ca.root = { ...recordFromCert(full), keySpkiSha256: spkiSha256(x509.publicKey) };
    this.item('root-ca', 'root-ca', 'reused', reason, key ? [certFile, keyFile] : [certFile], full);
    return ca;
  }

  private intermediate(root: Ca): Ca {
    const certFile = path.join(this.pkiDir, 'intermediate-ca.crt');
    const keyFile = path.join(this.pkiDir, 'intermediate-ca.key');
    const cert = readCert(certFile);
    const key = readKey(keyFile);
    const reasons: string[] = [];
    let renewalOnly = false;
    if (!cert) reasons.push('certificate missing');
    if (!key) reasons.push('key missing');
    if (cert && !cert.x509) reasons.push('certificate unreadable');
    if (key && !key.key) reasons.push('key unreadable');
    const issuedByRoot = !!cert?.x509 && cert.x509.checkIssued(root.cert.x509) && cert.x509.verify(root.cert.x509.publicKey);
    if (cert?.x509) {
      if (!issuedByRoot) reasons.push('not issued by the current root CA');
      if (!cert.x509.ca) reasons.push('not a CA certificate');
      if (key?.key && !sameKey(key, cert.x509)) reasons.push('key does not match the certificate');
      if (reasons.length === 0 && this.ctx.now.getTime() >= renewAfter(cert).getTime()) {
        reasons.push(`past ${RENEW_AT_FRACTION * 100}% of its lifetime (renew after ${renewAfter(cert).toISOString()})`);
        renewalOnly = cert.notAfter!.getTime() > this.ctx.now.getTime();
      }
    }
    if (reasons.length === 0) {
      const full = cert as Ca['cert'];
      this.tighten(certFile, keyFile);
      this.next.ca.intermediate = { ...recordFromCert(full), keySpkiSha256: key!.spkiSha256! };
      this.item('intermediate-ca', 'intermediate-ca', 'reused', 'present, issued by the root CA and within 80% of its lifetime; reused', [certFile, keyFile], full);
      return { cert: full, key: key!.key, issuer: issuerFromCertificate(derOf(full.x509), key!.key!), pem: pemOf(full.x509) };
    }
    if (!root.issuer) {
      if (renewalOnly) {
        const full = cert as Ca['cert'];
        this.ctx.warnings.push(`${certFile}: the intermediate CA is due for renewal (${reasons.join('; ')}) but the root key is offline; put root-ca.key back into ${this.pkiDir} and run the bootstrap again`);
        this.next.ca.intermediate = { ...recordFromCert(full), keySpkiSha256: key!.spkiSha256! };
        this.item('intermediate-ca', 'intermediate-ca', 'reused', `due for renewal, but the root key is offline`, [certFile, keyFile], full);
        return { cert: full, key: key!.key, issuer: issuerFromCertificate(derOf(full.x509), key!.key!), pem: pemOf(full.x509) };
      }
      throw new MlsecError(
        `[${path.join(this.pkiDir, 'root-ca.key')}] is needed to issue the intermediate CA (${reasons.join('; ')}) but the root key is offline; put it back and run the bootstrap again`,
      );
    }
    this.assertOurs(cert, key, issuedByRoot, this.previous.ca.intermediate, `the intermediate CA (${reasons.join('; ')})`);
    const keys = generateKeyPair(this.ctx.caKeyType);
    const issued = this.issue({ kind: 'intermediate' }, `${this.host.vps} intermediate CA`, keys, INTERMEDIATE_CA_TTL_HOURS, root.issuer);
    const ca = this.store(certFile, keyFile, issued, keys);
    this.next.ca.intermediate = record(ca.cert, ca.key!);
    const fresh = !cert && !key;
    this.item('intermediate-ca', 'intermediate-ca', fresh ? 'created' : 'renewed', fresh ? `new ${this.ctx.caKeyType} intermediate CA, valid ${INTERMEDIATE_CA_TTL_HOURS} h` : reasons.join('; '), [certFile, keyFile], ca.cert);
    return ca;
  }

  private bundle(root: Ca, intermediate: Ca): void {
    const file = path.join(this.pkiDir, 'ca-bundle.crt');
    const wanted = intermediate.pem + root.pem;
    const existing = readIfExists(file);
    if (existing?.toString('utf8') === wanted) {
      this.tighten(file);
      this.item('ca-bundle', 'ca-bundle', 'unchanged', 'intermediate + root, up to date', [file]);
      return;
    }
    writeSecureFile(file, wanted);
    this.item('ca-bundle', 'ca-bundle', existing ? 'updated' : 'created', 'intermediate + root', [file]);
  }

  // ---------------------------------------------------------------- leaves

  private leaf(identity: PkiIdentityPlan, ca: Ca): void {
    const certFile = path.join(this.ctx.secretsDir, ...identity.certFile.split('/'));
    const keyFile = path.join(this.ctx.secretsDir, ...identity.keyFile.split('/'));
    const cert = readCert(certFile);
    const key = readKey(keyFile);
    const files = [certFile, keyFile];
    const rec = this.previous.leaves[identity.name];
    if (cert && key && rec && this.unchangedSinceRecorded(rec, cert, key, ca, identity)) {
      this.tighten(certFile, keyFile);
      this.next.leaves[identity.name] = { ...rec, constructPath: identity.constructPath };
      this.item('leaf', identity.name, 'unchanged', 'as recorded in state.json: SANs and usage as declared, same issuer, within 80% of its lifetime', files, cert, identity.constructPath, rec);
      return;
    }
    const reasons: string[] = [];
    if (!cert) reasons.push('certificate missing');
    if (!key) reasons.push('key missing');
    if (cert && !cert.x509) reasons.push('certificate unreadable');
    if (key && !key.key) reasons.push('key unreadable');
    const x509 = cert?.x509;
    const issuedByCa = !!x509 && x509.checkIssued(ca.cert.x509) && x509.verify(ca.cert.x509.publicKey);
    if (x509 && cert) {
      if (!issuedByCa) reasons.push('issuer changed (not issued by the current intermediate CA)');
      if (key?.key && !sameKey(key, x509)) reasons.push('key does not match the certificate');
      reasons.push(...sanChanges(x509, identity), ...policyChanges(x509, cert, identity));
      if (cert.notBefore!.getTime() > this.ctx.now.getTime()) reasons.push(`not valid yet (notBefore ${cert.notBefore!.toISOString()})`);
      else if (this.ctx.now.getTime() >= renewAfter(cert).getTime()) {
        reasons.push(`past ${RENEW_AT_FRACTION * 100}% of its lifetime (renew after ${renewAfter(cert).toISOString()}, expires ${cert.notAfter!.toISOString()})`);
      }
    }
    if (reasons.length === 0) {
      this.tighten(certFile, keyFile);
      this.next.leaves[identity.name] = leafRecord(identity, cert!, key!, ca);
      this.item('leaf', identity.name, 'unchanged', 'present, SANs and usage as declared, within 80% of its lifetime', files, cert!, identity.constructPath);
      return;
    }
    this.assertOurs(cert, key, issuedByCa, this.previous.leaves[identity.name], `the certificate of TlsIdentity '${identity.constructPath}' (${reasons.join('; ')})`);
    const keys = generateKeyPair('ec-p256');
    const profile = {
      kind: 'leaf' as const,
      serverAuth: identity.usage !== 'client',
      clientAuth: identity.usage !== 'server',
      dnsNames: identity.dnsNames,
      uris: identity.uris,
    };
    const notAfter = this.notAfter(identity.ttlHours);
    if (notAfter.getTime() > ca.cert.notAfter.getTime()) {
      throw new MlsecError(`[${identity.constructPath}] the intermediate CA expires (${ca.cert.notAfter.toISOString()}) before the certificate would (${notAfter.toISOString()}); renew the intermediate CA first`);
    }
    let issued;
    try {
      issued = this.issue(profile, identity.commonName, keys, identity.ttlHours, ca.issuer);
    } catch (err) {
      throw new MlsecError(`[${identity.constructPath}] certificate could not be issued: ${(err as Error).message}`);
    }
    // Leaves are written without fsync (two per leaf would dominate the run); after a crash a
    // file may be empty, which counts as nothing to lose and is simply re-issued.
    const stored = this.storePair(certFile, keyFile, issued, keys, false);
    this.next.leaves[identity.name] = leafRecord(identity, stored.cert, stored.key, ca);
    const fresh = !cert && !key;
    this.item('leaf', identity.name, fresh ? 'created' : 'renewed', fresh ? `new ${identity.usage} certificate, ${identity.ttlHours} h` : reasons.join('; '), files, stored.cert, identity.constructPath);
  }

  /** Moves the leaves of identities that disappeared to retired/; reports files it does not manage. */
  private retire(): void {
    const planned = new Set(this.host.identities.map((i) => i.name));
    const retiredDir = path.join(this.pkiDir, 'retired');
    const handled = new Set<string>();
    for (const name of Object.keys(this.previous.leaves).sort()) {
      if (planned.has(name)) continue;
      const rec = this.previous.leaves[name];
      const certFile = path.join(this.leavesDir, `${name}.crt`);
      const keyFile = path.join(this.leavesDir, `${name}.key`);
      handled.add(`${name}.crt`).add(`${name}.key`);
      const cert = readCert(certFile);
      const key = readKey(keyFile);
      if (!cert && !key) continue; // already gone: the record is dropped
      const certOurs = !cert || cert.sha256 === rec.certSha256;
      const keyOurs = !key || key.sha256 === rec.keySha256 || key.spkiSha256 === rec.keySpkiSha256;
      if (!certOurs || !keyOurs) {
        this.item('leaf', name, 'kept', `its TlsIdentity '${rec.constructPath}' is gone, but the files changed since the bootstrap wrote them; left in place`, [certFile, keyFile]);
        continue;
      }
      if (ensureDir(retiredDir) === 'tightened') this.ctx.warnings.push(`${retiredDir}: mode tightened to 0700`);
      const base = path.join(retiredDir, `${name}.${rec.serialNumber}`);
      const moved: string[] = [];
      if (cert) moveFile(certFile, `${base}.crt`), moved.push(`${base}.crt`);
      if (key) moveFile(keyFile, `${base}.key`), moved.push(`${base}.key`);
      this.item('leaf', name, 'retired', `its TlsIdentity '${rec.constructPath}' is no longer in the app; moved to retired/`, moved);
    }
    if (!fs.existsSync(this.leavesDir)) return;
    const wanted = new Set([...planned].flatMap((n) => [`${n}.crt`, `${n}.key`]));
    for (const entry of fs.readdirSync(this.leavesDir).sort()) {
      if (wanted.has(entry) || handled.has(entry)) continue;
      this.item('leaf', entry, 'kept', 'not written by the bootstrap (no record in state.json); left in place', [path.join(this.leavesDir, entry)]);
    }
  }

  // ---------------------------------------------------------------- helpers

  private notAfter(ttlHours: number): Date {
    return new Date(this.notBefore().getTime() + BACKDATE_MS + ttlHours * HOUR_MS);
  }

  private notBefore(): Date {
    return new Date(this.ctx.now.getTime() - BACKDATE_MS);
  }

  private issue(profile: Parameters<typeof issueCertificate>[0]['profile'], commonName: string, keys: KeyPair, ttlHours: number, issuer?: Issuer) {
    const issued = issueCertificate({
      profile,
      commonName,
      organization: `mlsec-cdk ${this.host.vps}`,
      publicKey: keys.publicKey,
      notBefore: this.notBefore(),
      notAfter: this.notAfter(ttlHours),
      issuer,
      selfSigningKey: issuer ? undefined : keys.privateKey,
    });
    this.ctx.issued++;
    return issued;
  }

  /** Writes a certificate then its key (a crash in between leaves a pair the next run detects and re-issues). */
  private store(certFile: string, keyFile: string, issued: IssuedCertificate, keys: KeyPair): Ca {
    const { cert } = this.storePair(certFile, keyFile, issued, keys, true);
    return { cert, key: keys.privateKey, issuer: issuerFromCertificate(issued.der, keys.privateKey), pem: issued.pem };
  }

  private storePair(certFile: string, keyFile: string, issued: IssuedCertificate, keys: KeyPair, durable: boolean) {
    const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeSecureFile(certFile, issued.pem, durable);
    writeSecureFile(keyFile, keyPem, durable);
    const known = { serialNumber: issued.serialNumber, notBefore: issued.notBefore, notAfter: issued.notAfter };
    return {
      cert: new CertFile(certFile, Buffer.from(issued.pem, 'utf8'), known) as Ca['cert'],
      key: new KeyFile(keyFile, Buffer.from(keyPem, 'utf8'), { key: keys.privateKey, spkiSha256: spkiSha256(keys.publicKey) }),
    };
  }

  /**
   * The fast path of an idempotent run: both files are byte-for-byte what the bootstrap wrote
   * (sha256 recorded in state.json), issued by the current intermediate, for the same SANs,
   * usage and TTL, and not yet due. Anything else goes through the full check of the files.
   */
  private unchangedSinceRecorded(rec: LeafRecord, cert: CertFile, key: KeyFile, ca: Ca, identity: PkiIdentityPlan): boolean {
    const now = this.ctx.now.getTime();
    return (
      cert.sha256 === rec.certSha256 &&
      key.sha256 === rec.keySha256 &&
      rec.issuerSha256 === ca.cert.sha256 &&
      rec.usage === identity.usage &&
      rec.ttlHours === identity.ttlHours &&
      sameList(rec.dnsNames, identity.dnsNames) &&
      sameList(rec.uris, identity.uris) &&
      Date.parse(rec.notBefore) <= now &&
      now < Date.parse(rec.renewAfter)
    );
  }

  /**
   * Before overwriting: every file present must be the bootstrap's own, i.e. issued by this PKI
   * or recorded in state.json. Anything else is never overwritten.
   */
  private assertOurs(cert: CertFile | undefined, key: KeyFile | undefined, issuedHere: boolean, rec: CertRecord | undefined, what: string): void {
    // An empty file (e.g. left by a crash before the data reached the disk) holds nothing to lose.
    const certOurs = !cert || cert.bytes.length === 0 || issuedHere || (rec !== undefined && cert.sha256 === rec.certSha256);
    const keyOurs =
      !key ||
      key.bytes.length === 0 ||
      (rec !== undefined && key.spkiSha256 !== undefined && key.spkiSha256 === rec.keySpkiSha256) ||
      (certOurs && !!cert?.x509 && !!key.key && sameKey(key, cert.x509));
    const foreign = !certOurs ? cert!.file : !keyOurs ? key!.file : undefined;
    if (foreign) {
      throw new MlsecError(
        `[${foreign}] must be re-issued for ${what}, but it was not written by the bootstrap (not issued by this PKI, no record in state.json) and is never overwritten; move it away and run the bootstrap again`,
      );
    }
  }

  private tighten(...files: string[]): void {
    for (const f of files) if (fs.existsSync(f) && tightenFile(f)) this.ctx.warnings.push(`${f}: mode tightened to 0600`);
  }

  private item(kind: PkiItemKind, name: string, action: PkiAction, reason: string, files: string[], cert?: CertFile, constructPath?: string, rec?: CertRecord): void {
    this.ctx.items.push({
      vps: this.host.vps,
      kind,
      name,
      action,
      reason,
      files,
      constructPath,
      serialNumber: rec ? rec.serialNumber : cert?.serialNumber,
      notAfter: rec ? rec.notAfter : cert?.notAfter?.toISOString(),
    });
  }

  private readState(): PkiState {
    const empty: PkiState = { stateVersion: STATE_VERSION, generator: 'mlsec-cdk', vps: this.host.vps, ca: {}, leaves: {} };
    const bytes = readIfExists(this.stateFile);
    if (!bytes) return empty;
    let parsed: PkiState;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new MlsecError(`[${this.stateFile}] is not valid JSON (${(err as Error).message}); fix it or move it away (the bootstrap then adopts the certificates this PKI issued)`);
    }
    if (parsed?.stateVersion !== STATE_VERSION || typeof parsed.leaves !== 'object' || parsed.leaves === null || typeof parsed.ca !== 'object' || parsed.ca === null) {
      throw new MlsecError(`[${this.stateFile}] is not a state file of version ${STATE_VERSION}; move it away and run the bootstrap again`);
    }
    return parsed;
  }

  private writeState(): void {
    const state: PkiState = { stateVersion: STATE_VERSION, generator: 'mlsec-cdk', vps: this.host.vps, ca: this.next.ca, leaves: this.next.leaves };
    const text = canonicalJson(state);
    const existing = readIfExists(this.stateFile);
    if (existing?.toString('utf8') === text) {
      this.tighten(this.stateFile);
      this.item('state', 'state', 'unchanged', 'what was issued: SANs, serial, notAfter, sha256', [this.stateFile]);
      return;
    }
    writeSecureFile(this.stateFile, text);
    this.item('state', 'state', existing ? 'updated' : 'created', 'what was issued: SANs, serial, notAfter, sha256', [this.stateFile]);
  }
}

// -------------------------------------------------------------------- free functions

function readCert(file: string): CertFile | undefined {
  const bytes = readIfExists(file);
  return bytes && new CertFile(file, bytes);
}

function readKey(file: string): KeyFile | undefined {
  const bytes = readIfExists(file);
  return bytes && new KeyFile(file, bytes);
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function parsedOrFail(cert: CertFile, what: string): crypto.X509Certificate {
  if (!cert.x509) throw new MlsecError(`[${cert.file}] is not a PEM certificate (${what}); restore it, or move it away`);
  return cert.x509;
}

function spkiSha256(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

function sameKey(key: KeyFile, x509: crypto.X509Certificate): boolean {
  return key.spkiSha256 !== undefined && key.spkiSha256 === spkiSha256(x509.publicKey);
}

function derOf(x509: crypto.X509Certificate): Buffer {
  return x509.raw;
}

function pemOf(x509: crypto.X509Certificate): string {
  return x509.toString().replace(/\r\n/g, '\n');
}

function renewAfter(cert: { notBefore?: Date; notAfter?: Date }): Date {
  const from = cert.notBefore!.getTime();
  return new Date(from + Math.floor((cert.notAfter!.getTime() - from) * RENEW_AT_FRACTION));
}

function recordFromCert(cert: CertFile): Omit<CertRecord, 'keySpkiSha256'> {
  return {
    serialNumber: cert.serialNumber!,
    notBefore: cert.notBefore!.toISOString(),
    notAfter: cert.notAfter!.toISOString(),
    renewAfter: renewAfter(cert).toISOString(),
    certSha256: cert.sha256,
  };
}

function record(cert: CertFile, key: crypto.KeyObject): CertRecord {
  return { ...recordFromCert(cert), keySpkiSha256: spkiSha256(crypto.createPublicKey(key)) };
}

function leafRecord(identity: PkiIdentityPlan, cert: CertFile, key: KeyFile, ca: Ca): LeafRecord {
  return {
    ...recordFromCert(cert),
    keySpkiSha256: key.spkiSha256!,
    keySha256: key.sha256,
    issuerSha256: ca.cert.sha256,
    constructPath: identity.constructPath,
    usage: identity.usage,
    dnsNames: identity.dnsNames,
    uris: identity.uris,
    ttlHours: identity.ttlHours,
  };
}

/** The SAN entries of a certificate as Node prints them (`DNS:x`, `URI:y`). */
function sanEntries(x509: crypto.X509Certificate): string[] {
  return (x509.subjectAltName ?? '').split(', ').filter((s) => s.length > 0);
}

function sanChanges(x509: crypto.X509Certificate, identity: PkiIdentityPlan): string[] {
  const have = new Set(sanEntries(x509));
  const want = new Set([...identity.dnsNames.map((d) => `DNS:${d}`), ...identity.uris.map((u) => `URI:${u}`)]);
  const added = [...want].filter((s) => !have.has(s));
  const removed = [...have].filter((s) => !want.has(s));
  if (added.length === 0 && removed.length === 0) return [];
  const parts = [...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)];
  return [`subjectAltName changed (${parts.join(', ')})`];
}

function policyChanges(x509: crypto.X509Certificate, cert: CertFile, identity: PkiIdentityPlan): string[] {
  const out: string[] = [];
  const eku = new Set(x509.keyUsage ?? []);
  const wantServer = identity.usage !== 'client';
  const wantClient = identity.usage !== 'server';
  if (eku.has(OID_SERVER_AUTH) !== wantServer || eku.has(OID_CLIENT_AUTH) !== wantClient || eku.size !== Number(wantServer) + Number(wantClient)) {
    out.push(`usage changed (now '${identity.usage}')`);
  }
  const hours = Math.round((cert.notAfter!.getTime() - cert.notBefore!.getTime() - BACKDATE_MS) / HOUR_MS);
  if (hours !== identity.ttlHours) out.push(`ttlHours changed (${hours} → ${identity.ttlHours})`);
  const details = x509.publicKey.asymmetricKeyDetails;
  if (x509.publicKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') out.push('key type is not ECDSA P-256');
  return out;
}

function assertOutsideOutdir(secretsDir: string, outdir: string): void {
  const s = path.resolve(secretsDir);
  const o = path.resolve(outdir);
  const inside = (a: string, b: string) => a === b || a.startsWith(b + path.sep);
  if (inside(s, o) || inside(o, s)) {
    throw new MlsecError(`secretsDir '${secretsDir}' and the synth outdir '${outdir}' overlap; private keys must never enter the synth output: keep the two folders apart`);
  }
}

/** Folders below the secrets folder that hold a PKI but belong to no Vps of this app. */
function reportStrayHosts(ctx: RunContext, planned: Set<string>): void {
  if (!fs.existsSync(ctx.secretsDir)) return;
  for (const entry of fs.readdirSync(ctx.secretsDir).sort()) {
    if (planned.has(entry)) continue;
    if (fs.existsSync(path.join(ctx.secretsDir, entry, 'pki', 'state.json'))) {
      ctx.warnings.push(`${path.join(ctx.secretsDir, entry, 'pki')}: a PKI of a host that is not in this app; left in place`);
    }
  }
}

function describeScope(x: unknown): string {
  const p = (x as { node?: { path?: string } } | undefined)?.node?.path;
  return p === undefined ? String(x) : `construct '${p}'`;
}
