/**
 * The certificate builder on its own: forge-built TBSCertificate with a native EC key and a
 * native signature, DER helpers, serials, and the refusals that keep invalid certificates out.
 */
import * as crypto from 'crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, issueCertificate, issuerFromCertificate, keyIdentifier, randomSerial, toPem } from '../../lib/pki/cert-builder';
import { children, oid, readTlv, sequence, tlv } from '../../lib/pki/der';
import { T0 } from './support';

const notBefore = T0;
const notAfter = new Date(T0.getTime() + 72 * 3_600_000);

function ca() {
  const keys = generateKeyPair('ec-p256');
  const root = issueCertificate({ profile: { kind: 'root' }, commonName: 't root', organization: 'mlsec-cdk t', publicKey: keys.publicKey, notBefore, notAfter, selfSigningKey: keys.privateKey });
  return { keys, root, issuer: issuerFromCertificate(root.der, keys.privateKey) };
}

describe('DER helpers', () => {
  it('encode short and long lengths and read them back', () => {
    for (const size of [0, 1, 127, 128, 255, 256, 70_000]) {
      const encoded = tlv(0x04, Buffer.alloc(size, 7));
      const t = readTlv(encoded);
      expect(t.end).toBe(encoded.length);
      expect(t.end - t.contentStart).toBe(size);
    }
  });

  it('encode OIDs as openssl does', () => {
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(oid('2.5.29.14').toString('hex')).toBe('0603551d0e');
  });

  it('split a SEQUENCE into its children and refuse truncated input', () => {
    const s = sequence(tlv(0x02, Buffer.from([1])), tlv(0x05, Buffer.alloc(0)));
    expect(children(s, readTlv(s)).map((c) => c.tag)).toEqual([0x02, 0x05]);
    expect(() => readTlv(s.subarray(0, s.length - 1))).toThrow(/truncated/);
  });
});

describe('issueCertificate', () => {
  it('serials are 16 bytes, positive and minimally encoded', () => {
    for (let i = 0; i < 200; i++) {
      const s = randomSerial();
      expect(s).toHaveLength(16);
      expect(s[0]).toBeGreaterThanOrEqual(0x40);
      expect(s[0]).toBeLessThanOrEqual(0x7f);
    }
  });

  it('puts the real EC key and its key identifier into the certificate', () => {
    const { issuer } = ca();
    const leafKeys = generateKeyPair('ec-p256');
    const leaf = issueCertificate({
      profile: { kind: 'leaf', serverAuth: true, clientAuth: false, dnsNames: ['db'], uris: [] },
      commonName: 'db', organization: 'mlsec-cdk t', publicKey: leafKeys.publicKey, notBefore, notAfter, issuer,
    });
    const x = new crypto.X509Certificate(leaf.pem);
    expect(x.publicKey.equals(leafKeys.publicKey)).toBe(true);
    expect(x.serialNumber).toBe(leaf.serialNumber);
    expect(issuerFromCertificate(leaf.der, leafKeys.privateKey).keyId.equals(keyIdentifier(leafKeys.publicKey.export({ type: 'spki', format: 'der' })))).toBe(true);
    expect(leaf.pem).toBe(toPem('CERTIFICATE', leaf.der));
    expect(leaf.pem.split('\n').every((l) => l.length <= 64)).toBe(true);
  });

  it('refuses a leaf without SAN (forge would write an invalid empty extension) or without EKU', () => {
    const { issuer } = ca();
    const k = generateKeyPair('ec-p256');
    const base = { commonName: 'x', organization: 'o', publicKey: k.publicKey, notBefore, notAfter, issuer };
    expect(() => issueCertificate({ ...base, profile: { kind: 'leaf', serverAuth: true, clientAuth: false, dnsNames: [], uris: [] } })).toThrow(/at least one subjectAltName/);
    expect(() => issueCertificate({ ...base, profile: { kind: 'leaf', serverAuth: false, clientAuth: false, dnsNames: ['x'], uris: [] } })).toThrow(/serverAuth or clientAuth/);
  });

  it('refuses a signature without a signing key', () => {
    const k = generateKeyPair('ec-p256');
    expect(() => issueCertificate({ profile: { kind: 'root' }, commonName: 'x', organization: 'o', publicKey: k.publicKey, notBefore, notAfter })).toThrow(/issuer or, for a root, its own signing key/);
  });

  it('encodes dates from 2050 on as GeneralizedTime, which Node reads back', () => {
    const keys = generateKeyPair('ec-p256');
    const late = new Date('2061-01-02T03:04:05Z');
    const root = issueCertificate({ profile: { kind: 'root' }, commonName: 'r', organization: 'o', publicKey: keys.publicKey, notBefore, notAfter: late, selfSigningKey: keys.privateKey });
    expect(new Date(new crypto.X509Certificate(root.der).validTo).toISOString()).toBe(late.toISOString());
  });

  it('adds keyEncipherment only for an RSA subject key', () => {
    const { issuer } = ca();
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }); // size is irrelevant here; small keeps the test fast
    const leaf = issueCertificate({
      profile: { kind: 'leaf', serverAuth: true, clientAuth: false, dnsNames: ['db'], uris: [] },
      commonName: 'db', organization: 'o', publicKey: rsa.publicKey, notBefore, notAfter, issuer,
    });
    expect(new crypto.X509Certificate(leaf.der).verify(issuer.privateKey.asymmetricKeyType === 'ec' ? crypto.createPublicKey(issuer.privateKey) : issuer.privateKey)).toBe(true);
    // KeyUsage BIT STRING: digitalSignature (0x80) | keyEncipherment (0x20)
    expect(leaf.der.includes(Buffer.from('0603551d0f0101ff0404030205a0', 'hex'))).toBe(true);
  });
});
