import { App, HealthCheck, Image, Testing, Vps, Workload, Zone } from '../../../lib';
import { ClamavScanner, ClamavScannerProps, MalwareScanService, MalwareScanServiceProps } from '../../../lib/services/clamav';

/** What `buildScannerLab` made. */
export interface ScannerLab {
  readonly app: App;
  readonly scanner: ClamavScanner;
  /** The declared client (the scan service of Z1). */
  readonly client: Workload;
}

/** A Vps `lab` with the scanner `clamav` and one declared client, `scan-service` (Z1). */
export function buildScannerLab(props: ClamavScannerProps = {}, app: App = Testing.app()): ScannerLab {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const scanner = new ClamavScanner(vps, 'clamav', props);
  const client = new Workload(vps, 'scan-service', {
    zone: Zone.Z1_INGESTION,
    image: Image.fromRegistry('python', '3.12.7-slim-bookworm'),
    ports: [8443],
    healthCheck: HealthCheck.command(['python', '-c', 'pass']),
  });
  scanner.allowScanFrom(client);
  return { app, scanner, client };
}

/** What `buildScanServiceLab` made. */
export interface ScanServiceLab {
  readonly app: App;
  readonly scanner: ClamavScanner;
  readonly scan: MalwareScanService;
  /** A declared client of the scan service. */
  readonly uploader: Workload;
  /** A Z1 workload with a client certificate of the same CA, never allowed to scan. */
  readonly intruder: Workload;
  /** A Z9 workload allowed to read the metrics only (Prometheus' place). */
  readonly scraper: Workload;
}

/** A Vps `lab` with `clamav`, the scan service `scan-service`, its client `uploader` and an undeclared `intruder`. */
export function buildScanServiceLab(props: Partial<MalwareScanServiceProps> = {}, limits: ClamavScannerProps['limits'] = {}): ScanServiceLab {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const scanner = new ClamavScanner(vps, 'clamav', { limits });
  const scan = new MalwareScanService(vps, 'scan-service', { scanner, ...props });
  const job = (id: string) => new Workload(vps, id, { zone: Zone.Z1_INGESTION, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), ports: [], healthCheck: HealthCheck.command(['python', '-c', 'pass']) });
  const uploader = job('uploader');
  scan.allowScanFrom(uploader);
  // A second source's endpoint: scans are counted per client.
  scan.allowScanFrom(job('second-uploader'));
  const intruder = job('intruder');
  intruder.tlsFilesOf(intruder.clientTlsIdentity());
  const scraper = new Workload(vps, 'scraper', { zone: Zone.Z9_OBSERVABILITY, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), ports: [], healthCheck: HealthCheck.command(['python', '-c', 'pass']) });
  scraper.tlsFilesOf(scraper.clientTlsIdentity());
  scan.allowMetricsFrom(scraper);
  return { app, scanner, scan, uploader, intruder, scraper };
}
