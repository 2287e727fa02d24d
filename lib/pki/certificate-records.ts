import * as crypto from 'crypto';
import { Issuer } from './cert-builder';
import { TlsUsage } from './tls-identity';
import { CertFile, KeyFile, spkiSha256 } from './pem-files';
import { PkiIdentityPlan, RENEW_AT_FRACTION, BACKDATE_MS } from './pki-plan';

/** Format version of `state.json`. */
export const STATE_VERSION = 1;
/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;
/** Extended key usage: TLS server. */
export const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
/** Extended key usage: TLS client. */
export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** What state.json records for one certificate. */
export interface CertRecord {
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly renewAfter: string;
  readonly certSha256: string;
  readonly keySpkiSha256: string;
}

export interface LeafRecord extends CertRecord {
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

export interface PkiState {
  readonly stateVersion: number;
  readonly generator: string;
  readonly vps: string;
  readonly ca: { root?: CertRecord; intermediate?: CertRecord };
  readonly leaves: Record<string, LeafRecord>;
}

/** A CA in use for this run. */
export interface Ca {
  readonly cert: CertFile & { readonly x509: crypto.X509Certificate; readonly notBefore: Date; readonly notAfter: Date };
  /** Undefined for a root whose key is kept offline. */
  readonly key?: crypto.KeyObject;
  readonly issuer?: Issuer;
  readonly pem: string;
}

export function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

export function renewAfter(cert: { notBefore?: Date; notAfter?: Date }): Date {
  const from = cert.notBefore!.getTime();
  return new Date(from + Math.floor((cert.notAfter!.getTime() - from) * RENEW_AT_FRACTION));
}

export function recordFromCert(cert: CertFile): Omit<CertRecord, 'keySpkiSha256'> {
  return {
    serialNumber: cert.serialNumber!,
    notBefore: cert.notBefore!.toISOString(),
    notAfter: cert.notAfter!.toISOString(),
    renewAfter: renewAfter(cert).toISOString(),
    certSha256: cert.sha256,
  };
}

export function record(cert: CertFile, key: crypto.KeyObject): CertRecord {
  return { ...recordFromCert(cert), keySpkiSha256: spkiSha256(crypto.createPublicKey(key)) };
}

export function leafRecord(identity: PkiIdentityPlan, cert: CertFile, key: KeyFile, ca: Ca): LeafRecord {
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
export function sanEntries(x509: crypto.X509Certificate): string[] {
  return (x509.subjectAltName ?? '').split(', ').filter((s) => s.length > 0);
}

export function sanChanges(x509: crypto.X509Certificate, identity: PkiIdentityPlan): string[] {
  const have = new Set(sanEntries(x509));
  const want = new Set([...identity.dnsNames.map((d) => `DNS:${d}`), ...identity.uris.map((u) => `URI:${u}`)]);
  const added = [...want].filter((s) => !have.has(s));
  const removed = [...have].filter((s) => !want.has(s));
  if (added.length === 0 && removed.length === 0) return [];
  const parts = [...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)];
  return [`subjectAltName changed (${parts.join(', ')})`];
}

export function policyChanges(x509: crypto.X509Certificate, cert: CertFile, identity: PkiIdentityPlan): string[] {
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
