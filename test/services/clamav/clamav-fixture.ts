import { App, HealthCheck, Image, Testing, Vps, Workload, Zone } from '../../../lib';
import { ClamavScanner, ClamavScannerProps } from '../../../lib/services/clamav';

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
