import * as crypto from 'crypto';
import { MlsecError } from '../core/errors';
import { readIfExists } from './secure-fs';
/** One certificate file as read from disk; parsed on first use. */
export class CertFile {
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
export class KeyFile {
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

export function readCert(file: string): CertFile | undefined {
  const bytes = readIfExists(file);
  return bytes && new CertFile(file, bytes);
}

export function readKey(file: string): KeyFile | undefined {
  const bytes = readIfExists(file);
  return bytes && new KeyFile(file, bytes);
}

export function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export function parsedOrFail(cert: CertFile, what: string): crypto.X509Certificate {
  if (!cert.x509) throw new MlsecError(`[${cert.file}] is not a PEM certificate (${what}); restore it, or move it away`);
  return cert.x509;
}

export function spkiSha256(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function sameKey(key: KeyFile, x509: crypto.X509Certificate): boolean {
  return key.spkiSha256 !== undefined && key.spkiSha256 === spkiSha256(x509.publicKey);
}

export function derOf(x509: crypto.X509Certificate): Buffer {
  return x509.raw;
}

export function pemOf(x509: crypto.X509Certificate): string {
  return x509.toString().replace(/\r\n/g, '\n');
}
