import * as fs from 'fs';
import * as path from 'path';
import { canonicalJson } from '../core/canonical-json';
import { MlsecError } from '../core/errors';
import { generateKeyPair, IssuedCertificate, Issuer, issuerFromCertificate, issueCertificate, KeyPair } from './cert-builder';
import { ensureDir, moveFile, readIfExists, tightenFile, writeSecureFile } from './secure-fs';
import { CertFile, derOf, KeyFile, parsedOrFail, pemOf, readCert, readKey, sameKey, spkiSha256 } from './pem-files';
import { PkiAction, PkiHostPlan, PkiIdentityPlan, PkiItemKind, RunContext, INTERMEDIATE_CA_TTL_HOURS, ROOT_CA_TTL_HOURS, RENEW_AT_FRACTION, BACKDATE_MS } from './pki-plan';
import { Ca, CertRecord, HOUR_MS, leafRecord, LeafRecord, PkiState, policyChanges, record, recordFromCert, renewAfter, sameList, sanChanges, STATE_VERSION } from './certificate-records';
export class HostRun {
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
