/** The clamd.conf of a {@link ClamavScanner}: the scan limits of CONTROLS.md Z1-K09 and nothing that writes outside /tmp. */

/** What clamd.conf depends on. */
export interface ClamdSettings {
  /** TCP port (INSTREAM clients). */
  readonly port: number;
  /** The signature folder (read-only for clamd). */
  readonly databaseDirectory: string;
  /** Scratch folder (tmpfs) for the streams being scanned. */
  readonly temporaryDirectory: string;
  /** Archive nesting depth scanned. */
  readonly maxRecursion: number;
  /** Data scanned per stream (unpacked), MiB. */
  readonly maxScanSizeMiB: number;
  /** Largest single (unpacked) file scanned, MiB. */
  readonly maxFileSizeMiB: number;
  /** Files scanned per archive. */
  readonly maxFiles: number;
  /** Time per scan, seconds. */
  readonly maxScanTimeSeconds: number;
  /** Largest INSTREAM upload accepted, MiB (larger is refused). */
  readonly maxStreamMiB: number;
  /** Scanning threads. */
  readonly maxThreads: number;
  /** Seconds between signature-folder checks (new signatures are loaded when it changed). */
  readonly selfCheckSeconds: number;
}

/** `clamd.conf`, one directive per line. */
export function renderClamdConf(s: ClamdSettings, header: string): string {
  const lines: [string, string | number, string?][] = [
    ['Foreground', 'yes', 'run under the container runtime; the log goes to its output'],
    ['LogTime', 'yes'],
    ['LogClean', 'no'],
    ['ExtendedDetectionInfo', 'yes'],
    ['PidFile', `${s.temporaryDirectory}/clamd.pid`],
    ['DatabaseDirectory', s.databaseDirectory],
    ['TemporaryDirectory', s.temporaryDirectory],
    ['LeaveTemporaryFiles', 'no'],
    ['TCPSocket', s.port, 'no TLS in clamd: reachable only on the internal network, by declared clients'],
    ['TCPAddr', '0.0.0.0'],
    ['MaxConnectionQueueLength', 30],
    ['MaxThreads', s.maxThreads],
    ['MaxQueue', 50],
    ['ReadTimeout', 30],
    ['CommandReadTimeout', 10],
    ['SendBufTimeout', 500],
    ['IdleTimeout', 30],
    ['StreamMaxLength', `${s.maxStreamMiB}M`, 'INSTREAM refuses larger uploads ("size limit exceeded")'],
    ['SelfCheck', s.selfCheckSeconds, 'reloads the signatures when the folder changed (freshclam or an operator update)'],
    ['ConcurrentDatabaseReload', 'no', 'one copy of the signatures in memory: scans wait during a reload'],
    ['ExitOnOOM', 'yes'],
    ['Bytecode', 'yes'],
    ['BytecodeSecurity', 'TrustSigned'],
    ['DetectPUA', 'no'],
    ['HeuristicAlerts', 'yes'],
    ['HeuristicScanPrecedence', 'no'],
    ['ScanPE', 'yes'],
    ['ScanELF', 'yes'],
    ['ScanOLE2', 'yes'],
    ['ScanPDF', 'yes'],
    ['ScanSWF', 'yes'],
    ['ScanXMLDOCS', 'yes'],
    ['ScanHWP3', 'yes'],
    ['ScanMail', 'yes'],
    ['ScanHTML', 'yes'],
    ['ScanArchive', 'yes'],
    ['AlertBrokenExecutables', 'yes'],
    ['AlertBrokenMedia', 'no'],
    ['AlertEncrypted', 'yes', 'password-protected archives and documents are flagged (Heuristics.Encrypted.*): Z1-K09'],
    ['AlertEncryptedArchive', 'yes'],
    ['AlertEncryptedDoc', 'yes'],
    ['AlertOLE2Macros', 'yes'],
    ['AlertPartitionIntersection', 'yes'],
    ['AlertExceedsMax', 'yes', 'what the limits below cut short is flagged (Heuristics.Limits.Exceeded.*), never passed as clean'],
    ['MaxScanTime', s.maxScanTimeSeconds * 1000],
    ['MaxScanSize', `${s.maxScanSizeMiB}M`],
    ['MaxFileSize', `${s.maxFileSizeMiB}M`],
    ['MaxRecursion', s.maxRecursion],
    ['MaxFiles', s.maxFiles],
    ['MaxEmbeddedPE', '10M'],
    ['MaxHTMLNormalize', '10M'],
    ['MaxHTMLNoTags', '2M'],
    ['MaxScriptNormalize', '5M'],
    ['MaxZipTypeRcg', '1M'],
    ['MaxPartitions', 50],
    ['MaxIconsPE', 100],
    ['PCREMatchLimit', 10000],
    ['PCRERecMatchLimit', 2000],
  ];
  const body = lines.map(([k, v, why]) => `${why ? `# ${why}\n` : ''}${k} ${v}`);
  return [header, '', ...body, ''].join('\n');
}
