import { CaKeyType } from './cert-builder';
import { TlsUsage } from './tls-identity';
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

/** What one bootstrap run shares across its hosts. */
export interface RunContext {
  readonly secretsDir: string;
  readonly now: Date;
  readonly caKeyType: CaKeyType;
  readonly items: PkiItem[];
  readonly warnings: string[];
  issued: number;
}
