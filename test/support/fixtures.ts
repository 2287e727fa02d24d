import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, HealthCheck, Image, Vps, Workload, Zone } from '../../lib';

/**
 * Tests whose subject is rendering, validation or writing run the posture check report-only:
 * random valid trees legitimately publish ports or lift controls. Posture tests enforce it.
 */
export const RENDERING_ONLY = { reason: 'tests of rendering and validation, not of the security posture' };

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** sha256 of every file below `dir`, keyed by relative path: equal maps mean byte-identical trees. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (fs.statSync(full).isDirectory()) walk(full, rel);
      else out[rel] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

/** A minimal valid workload. */
export function simpleWorkload(scope: Vps, id: string, zone: Zone = Zone.Z3_CURATED, ports: number[] = [8080]): Workload {
  return new Workload(scope, id, {
    zone,
    image: Image.fromRegistry('nginxinc/nginx-unprivileged', '1.27.1'),
    ports,
    healthCheck: HealthCheck.command(['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/']),
  });
}

/** An app with one Vps named `lab`, writing into `outdir`. */
export function labApp(outdir = 'synth-out'): { app: App; vps: Vps } {
  const app = new App({ outdir, secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  return { app, vps };
}
