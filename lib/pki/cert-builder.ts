/**
 * X.509 certificates, fast: keys come from Node's native `crypto`, the TBSCertificate is built
 * with node-forge, and the signature is made natively (TOOLCHAIN.md §4).
 *
 * node-forge can only encode RSA public keys and always writes an RSA signature algorithm, so the
 * forge-built TBSCertificate is taken apart (lib/pki/der.ts) and three of its fields are replaced
 * with bytes that Node produced or that come from the issuer's certificate:
 * - `signature` (the AlgorithmIdentifier): ecdsa-with-SHA256 or sha256WithRSAEncryption, after
 *   the issuer's key;
 * - `issuer`: the issuer certificate's subject, byte for byte (so chain building never depends
 *   on two encoders agreeing);
 * - `subjectPublicKeyInfo`: `publicKey.export({ type: 'spki', format: 'der' })`, so EC keys work.
 * The subject/authority key identifiers are computed from the real keys (RFC 5280 §4.2.1.2
 * method 1). The TBS DER is then signed with `crypto.sign('sha256', …)` and wrapped into the
 * Certificate SEQUENCE.
 */
import * as crypto from 'crypto';
import * as forge from 'node-forge';
import { bitString, children, content, oid, raw, readTlv, sequence, TAG, tlv } from './der';

/** Key algorithms a CA can be created with (Z8-K06: ECDSA P-256 or RSA ≥ 3072). */
export type CaKeyType = 'ec-p256' | 'rsa-3072';

/** A key pair from Node's native `crypto`. */
export interface KeyPair {
  readonly privateKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;
}

/** Generates a key pair natively: P-256 in about 0.1 ms, RSA-3072 in about a second. */
export function generateKeyPair(type: CaKeyType): KeyPair {
  return type === 'rsa-3072'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 0x10001 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** What a certificate is for. */
export type CertificateProfile =
  | { readonly kind: 'root' }
  | { readonly kind: 'intermediate' }
  | {
    readonly kind: 'leaf';
    readonly serverAuth: boolean;
    readonly clientAuth: boolean;
    /** DNS subjectAltNames. */
    readonly dnsNames: readonly string[];
    /** URI subjectAltNames (SPIFFE ids). */
    readonly uris: readonly string[];
  };

/** The signing side of a certificate: a CA certificate and its private key. */
export interface Issuer {
  /** DER of the issuer certificate's subject Name (becomes the new certificate's issuer). */
  readonly nameDer: Buffer;
  /** The issuer's subject key identifier (becomes the authority key identifier). */
  readonly keyId: Buffer;
  /** The issuer's private key. */
  readonly privateKey: crypto.KeyObject;
}

/** Everything a new certificate needs. */
export interface CertificateRequest {
  readonly profile: CertificateProfile;
  readonly commonName: string;
  readonly organization: string;
  readonly publicKey: crypto.KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The CA that signs it; omitted for a self-signed root, which then needs `selfSigningKey`. */
  readonly issuer?: Issuer;
  /** The root's own private key, for a self-signed certificate. */
  readonly selfSigningKey?: crypto.KeyObject;
}

/** An issued certificate. */
export interface IssuedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  /** Serial number, upper-case hex (as `X509Certificate.serialNumber` prints it). */
  readonly serialNumber: string;
  /** Validity as encoded (whole seconds). */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_RSA_SHA256 = '1.2.840.113549.1.1.11';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
// Indices of the TBSCertificate fields (version [0] is always present: v3).
const TBS_SIGNATURE = 2;
const TBS_ISSUER = 3;
const TBS_SUBJECT = 5;
const TBS_SPKI = 6;

/** A syntactically valid RSA key that stands in for the real key while forge encodes the TBS. */
const STAND_IN_KEY = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('1'), new forge.jsbn.BigInteger('3'));
const getTbs = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

/** The AlgorithmIdentifier of a SHA-256 signature made with `key`. */
export function signatureAlgorithm(key: crypto.KeyObject): Buffer {
  if (key.asymmetricKeyType === 'ec') return sequence(oid(OID_ECDSA_SHA256));
  if (key.asymmetricKeyType === 'rsa') return sequence(oid(OID_RSA_SHA256), tlv(TAG.NULL, Buffer.alloc(0)));
  throw new Error(`unsupported CA key type '${key.asymmetricKeyType}': use an EC P-256 or RSA key`);
}

/** RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = readTlv(spkiDer);
  const [, bits] = children(spkiDer, spki);
  if (!bits || bits.tag !== TAG.BIT_STRING) throw new Error('SubjectPublicKeyInfo has no BIT STRING');
  return crypto.createHash('sha1').update(content(spkiDer, bits).subarray(1)).digest();
}

/** A random serial number: 16 bytes, positive, minimally encoded (first byte 0x40–0x7f). */
export function randomSerial(): Buffer {
  const bytes = crypto.randomBytes(16);
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return bytes;
}

/** Reads what signing with `cert` needs from its DER: the subject Name and the key identifier. */
export function issuerFromCertificate(certDer: Buffer, privateKey: crypto.KeyObject): Issuer {
  const cert = readTlv(certDer);
  const [tbs] = children(certDer, cert);
  const fields = children(certDer, tbs);
  const nameDer = Buffer.from(raw(certDer, fields[TBS_SUBJECT]));
  const spkiDer = raw(certDer, fields[TBS_SPKI]);
  let keyId: Buffer | undefined;
  const extensions = fields.find((f) => f.tag === TAG.EXTENSIONS);
  if (extensions) {
    const [list] = children(certDer, extensions);
    for (const ext of children(certDer, list)) {
      const parts = children(certDer, ext);
      if (!raw(certDer, parts[0]).equals(oid(OID_SUBJECT_KEY_ID))) continue;
      const octets = content(certDer, parts[parts.length - 1]);
      keyId = Buffer.from(content(octets, readTlv(octets)));
    }
  }
  return { nameDer, keyId: keyId ?? keyIdentifier(Buffer.from(spkiDer)), privateKey };
}

/** Builds and signs one certificate. */
export function issueCertificate(req: CertificateRequest): IssuedCertificate {
  const signingKey = req.issuer?.privateKey ?? req.selfSigningKey;
  if (!signingKey) throw new Error('a certificate needs an issuer or, for a root, its own signing key');
  const spkiDer = req.publicKey.export({ type: 'spki', format: 'der' });
  const ownKeyId = keyIdentifier(spkiDer);
  const serial = randomSerial();

  const cert = forge.pki.createCertificate();
  cert.publicKey = STAND_IN_KEY;
  cert.serialNumber = serial.toString('hex');
  cert.siginfo.algorithmOid = OID_RSA_SHA256; // stand-in: replaced after the issuer's key type
  cert.validity.notBefore = wholeSeconds(req.notBefore);
  cert.validity.notAfter = wholeSeconds(req.notAfter);
  const subject = [
    { shortName: 'O', value: req.organization, valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'CN', value: req.commonName, valueTagClass: forge.asn1.Type.UTF8 },
  ] as unknown as forge.pki.CertificateField[];
  cert.setSubject(subject);
  cert.setIssuer(subject); // replaced below unless self-signed
  cert.setExtensions(extensionsFor(req.profile, ownKeyId, req.issuer?.keyId ?? ownKeyId, req.publicKey.asymmetricKeyType === 'rsa'));

  const tbsForge = Buffer.from(forge.asn1.toDer(getTbs(cert)).getBytes(), 'binary');
  const tbsTlv = readTlv(tbsForge);
  const fields = children(tbsForge, tbsTlv).map((f) => raw(tbsForge, f));
  const sigAlg = signatureAlgorithm(signingKey);
  fields[TBS_SIGNATURE] = sigAlg;
  if (req.issuer) fields[TBS_ISSUER] = req.issuer.nameDer;
  fields[TBS_SPKI] = spkiDer;
  const tbs = sequence(...fields);

  const signature = crypto.sign('sha256', tbs, signingKey);
  const der = sequence(tbs, sigAlg, bitString(signature));
  return { der, pem: toPem('CERTIFICATE', der), serialNumber: serial.toString('hex').toUpperCase(), notBefore: wholeSeconds(req.notBefore), notAfter: wholeSeconds(req.notAfter) };
}

function extensionsFor(profile: CertificateProfile, ownKeyId: Buffer, authorityKeyId: Buffer, rsaSubject: boolean): object[] {
  const A = forge.asn1;
  const bin = (b: Buffer) => b.toString('binary');
  const ski = { name: 'subjectKeyIdentifier', value: A.create(A.Class.UNIVERSAL, A.Type.OCTETSTRING, false, bin(ownKeyId)) };
  const aki = {
    name: 'authorityKeyIdentifier',
    value: A.create(A.Class.UNIVERSAL, A.Type.SEQUENCE, true, [A.create(A.Class.CONTEXT_SPECIFIC, 0, false, bin(authorityKeyId))]),
  };
  if (profile.kind === 'root') {
    return [
      { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 1 },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
      ski,
    ];
  }
  if (profile.kind === 'intermediate') {
    return [
      { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
      ski,
      aki,
    ];
  }
  const altNames = [...profile.dnsNames.map((value) => ({ type: 2, value })), ...profile.uris.map((value) => ({ type: 6, value }))];
  // forge writes an empty SEQUENCE (`<EMPTY>`, invalid) for an empty list: never let that through.
  if (altNames.length === 0) throw new Error('a leaf certificate needs at least one subjectAltName');
  if (!profile.serverAuth && !profile.clientAuth) throw new Error('a leaf certificate needs serverAuth or clientAuth');
  const eku: Record<string, unknown> = { name: 'extKeyUsage' };
  if (profile.serverAuth) eku.serverAuth = true;
  if (profile.clientAuth) eku.clientAuth = true;
  // keyEncipherment only means something for RSA key transport (TLS 1.2 RSA key exchange).
  const keyUsage = rsaSubject
    ? { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true }
    : { name: 'keyUsage', critical: true, digitalSignature: true };
  return [
    { name: 'basicConstraints', critical: true, cA: false },
    keyUsage,
    eku,
    { name: 'subjectAltName', altNames },
    ski,
    aki,
  ];
}

/** X.509 times have whole seconds. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** PEM armour, 64 columns. */
export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
