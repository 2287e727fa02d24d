import { Construct } from 'constructs';
import { ComposeVolume } from '../../compose/compose-volume';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { renderClamdConf } from './clamd-config';
import { renderFreshclamConf, renderUpdateScript } from './signature-update';

/** The scan limits (CONTROLS.md Z1-K09); every one that is reached is flagged (AlertExceedsMax), not passed. */
export interface ClamavLimits {
  /**
   * Archive nesting depth scanned (an archive in an archive in an archive …).
   * @default 3
   */
  readonly maxRecursion?: number;
  /**
   * Data scanned per stream, unpacked, in MiB.
   * @default 200
   */
  readonly maxScanSizeMiB?: number;
  /**
   * Largest single unpacked file scanned, in MiB.
   * @default 200
   */
  readonly maxFileSizeMiB?: number;
  /**
   * Files scanned per archive.
   * @default 1000
   */
  readonly maxFiles?: number;
  /**
   * Time per scan, in seconds.
   * @default 30
   */
  readonly maxScanTimeSeconds?: number;
  /**
   * Largest upload (INSTREAM) accepted, in MiB; larger is refused. It is the packed size, so it
   * is kept well below the unpacked limits; the gateway's Z1 body limit (10 MiB) is below it.
   * @default 25
   */
  readonly maxStreamMiB?: number;
}

/** Props of a {@link ClamavScanner}. */
export interface ClamavScannerProps {
  /**
   * Scan limits.
   * @default maxRecursion 3, maxScanSizeMiB 200, maxFileSizeMiB 200, maxFiles 1000, maxScanTimeSeconds 30, maxStreamMiB 25
   */
  readonly limits?: ClamavLimits;
  /**
   * The image: ClamAV without bundled signatures (`_base`); the signatures come in the
   * `<service>-signatures` volume.
   * @default clamav/clamav:1.4.4_base
   */
  readonly image?: Image;
  /**
   * Resource limits (clamd holds the whole signature set in memory: about 1.2 GiB with the
   * official databases).
   * @default 1 CPU, 2048 MiB, 64 pids
   */
  readonly resources?: ResourceLimits;
  /**
   * The signature mirror host freshclam updates from (update-signatures.sh).
   * @default 'database.clamav.net'
   */
  readonly signatureMirror?: string;
  /**
   * A private mirror URL (`PrivateMirror`, e.g. an internal cvdupdate server) used instead of `signatureMirror`.
   * @default none
   */
  readonly privateMirror?: string;
  /**
   * Size of the /tmp tmpfs the streams are written to while scanned, in MiB; at least twice
   * `maxStreamMiB` (clamd writes the stream, then unpacks from it).
   * @default 4 × maxStreamMiB
   */
  readonly scratchMiB?: number;
}

/** The port clamd listens on. */
export const CLAMD_PORT = 3310;
const CONFIG = '/etc/mlsec/clamav/clamd.conf';
const MIRROR_HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const MIRROR_URL = /^https:\/\/[a-z0-9.-]+(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~\-/]*)?$/;
const DATABASE_DIR = '/var/lib/clamav';
/** Why the clamd hop has no TLS, as recorded on the workload. */
export const CLAMD_PLAIN_TCP_REASON = 'clamd speaks no TLS and has no authentication: port 3310 is only on the internal (no-egress) zone network, never published or routed by the gateway, and only declared clients (allowScanFrom) have a flow to it';

/**
 * A Z1 malware scanner (CONTROLS.md Z1-K09): clamd with the archive limits of the control
 * (depth 3, 200 MiB unpacked, 1000 files, 30 s), every limit hit and every password-protected
 * archive flagged, uploads capped, on TCP 3310 for the declared clients only, with a tmpfs
 * scratch and CPU/memory limits. The signatures are read from the named volume
 * `<service>-signatures` (mounted read-only at /var/lib/clamav) and reloaded when it changes; the
 * scanner has no egress, so the generated `update-signatures.sh` (run daily from the host) fills
 * the volume with freshclam in a one-shot hardened container.
 */
export class ClamavScanner extends Workload {
  /** `<service>/clamd.conf`. */
  public readonly config: VpsFile;
  /** The signature volume (filled by update-signatures.sh; read-only here). */
  public readonly signatures: ComposeVolume;
  /** `<service>/freshclam.conf`, read by the update script. */
  public readonly freshclamConfig: VpsFile;
  /** `<service>/update-signatures.sh`: the daily signature update, run from the host's scheduler. */
  public readonly updateScript: VpsFile;
  /** The declared clients, in the order they were allowed. */
  public readonly clients: Workload[] = [];
  /** The limits in force. */
  public readonly limits: Required<ClamavLimits>;
  private readonly scannerProblems: string[] = [];

  constructor(scope: Construct, id: string, props: ClamavScannerProps = {}) {
    const p = props ?? {};
    const l = p.limits ?? {};
    const limits: Required<ClamavLimits> = {
      maxRecursion: l.maxRecursion ?? 3,
      maxScanSizeMiB: l.maxScanSizeMiB ?? 200,
      maxFileSizeMiB: l.maxFileSizeMiB ?? 200,
      maxFiles: l.maxFiles ?? 1000,
      maxScanTimeSeconds: l.maxScanTimeSeconds ?? 30,
      maxStreamMiB: l.maxStreamMiB ?? 25,
    };
    const resources = p.resources ?? { cpus: 1, memoryMiB: 2048, pids: 64 };
    const scratch = p.scratchMiB ?? 4 * (typeof limits.maxStreamMiB === 'number' ? limits.maxStreamMiB : 25);
    super(scope, id, {
      zone: Zone.Z1_INGESTION,
      image: p.image ?? Image.fromRegistry('clamav/clamav', '1.4.4_base'),
      // The image's init script would run freshclam and chown the database: clamd alone, on the generated file.
      entrypoint: ['clamd'],
      command: ['--foreground', `--config-file=${CONFIG}`],
      ports: [CLAMD_PORT],
      resources,
      // Loading the signatures takes a while: PING answers PONG once clamd accepts scans.
      healthCheck: HealthCheck.shell(`printf 'zPING\\0' | nc -w 5 127.0.0.1 ${CLAMD_PORT} | grep -q PONG`, { startPeriodSeconds: 300 }),
    });
    this.limits = limits;
    // The scratch tmpfs, sized for the streams (the default /tmp tmpfs is smaller).
    this.service.addOverride('tmpfs', [`/tmp:rw,noexec,nosuid,size=${Number.isInteger(scratch) ? scratch : 100}m`]);
    this.signatures = new ComposeVolume(this, 'Signatures', { name: `${this.serviceName}-signatures` });
    this.mountVolume(this.signatures, DATABASE_DIR, { readOnly: true });
    this.securityOverrides.push({ control: 'transport-tls', setting: `plain TCP ${CLAMD_PORT}`, reason: CLAMD_PLAIN_TCP_REASON });
    this.config = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/clamd.conf`,
      content: () => renderClamdConf({
        port: CLAMD_PORT,
        databaseDirectory: DATABASE_DIR,
        temporaryDirectory: '/tmp',
        ...limits,
        maxThreads: Math.max(2, Math.ceil(typeof resources.cpus === 'number' ? resources.cpus * 2 : 2)),
        selfCheckSeconds: 3600,
      }, `# clamd configuration of ${this.node.path}, generated by mlsec-cdk. Do not edit.`),
    });
    this.mountFile(this.config, CONFIG);
    const update = () => ({
      constructPath: this.node.path,
      image: this.image.reference,
      dockerVolume: `${Vps.of(this).name}_${this.signatures.name}`,
      mirror: p.signatureMirror ?? 'database.clamav.net',
      privateMirror: p.privateMirror,
    });
    this.freshclamConfig = new VpsFile(this, 'FreshclamConfig', { path: `${this.serviceName}/freshclam.conf`, content: () => renderFreshclamConf(update()) });
    this.updateScript = new VpsFile(this, 'UpdateScript', { path: `${this.serviceName}/update-signatures.sh`, content: () => renderUpdateScript(update()) });
    this.node.addValidation({
      validate: () => [
        ...this.scannerProblems,
        ...collect(
          checkInteger('limits.maxRecursion', limits.maxRecursion, 1, 16),
          checkInteger('limits.maxScanSizeMiB', limits.maxScanSizeMiB, 1, 4000),
          checkInteger('limits.maxFileSizeMiB', limits.maxFileSizeMiB, 1, 4000),
          checkInteger('limits.maxFiles', limits.maxFiles, 1, 100_000),
          checkInteger('limits.maxScanTimeSeconds', limits.maxScanTimeSeconds, 1, 600),
          checkInteger('limits.maxStreamMiB', limits.maxStreamMiB, 1, 4000),
          typeof limits.maxFileSizeMiB === 'number' && typeof limits.maxScanSizeMiB === 'number' && limits.maxFileSizeMiB > limits.maxScanSizeMiB
            ? `prop 'limits.maxFileSizeMiB' must not exceed 'limits.maxScanSizeMiB' (${limits.maxScanSizeMiB}), got ${limits.maxFileSizeMiB}` : undefined,
          typeof limits.maxStreamMiB === 'number' && typeof limits.maxScanSizeMiB === 'number' && limits.maxStreamMiB > limits.maxScanSizeMiB
            ? `prop 'limits.maxStreamMiB' must not exceed 'limits.maxScanSizeMiB' (${limits.maxScanSizeMiB}): an upload larger than what is scanned would pass unscanned in part, got ${limits.maxStreamMiB}` : undefined,
          p.signatureMirror === undefined ? undefined : checkPattern('signatureMirror', p.signatureMirror, MIRROR_HOST, 'a DNS host name such as "database.clamav.net"'),
          p.privateMirror === undefined ? undefined : checkPattern('privateMirror', p.privateMirror, MIRROR_URL, 'an https:// URL of letters, digits and .-/: such as "https://clamav-mirror.bank.example"'),
          p.scratchMiB === undefined ? undefined : checkInteger('scratchMiB', p.scratchMiB, 2 * (typeof limits.maxStreamMiB === 'number' ? limits.maxStreamMiB : 1), 16_384),
        ),
      ],
    });
  }

  /**
   * Lets `client` stream files to clamd (INSTREAM) on 3310: the one way to reach the scanner.
   * clamd has no TLS or authentication, so each client is a declared flow on the internal network.
   */
  public allowScanFrom(client: Workload): void {
    if (!Workload.isWorkload(client)) {
      this.scannerProblems.push(`allowScanFrom() needs a Workload (got ${describeValue(client)})`);
      return;
    }
    if (this.clients.includes(client)) return;
    this.clients.push(client);
    this.connections.allowFrom(client, { port: CLAMD_PORT });
  }
}
