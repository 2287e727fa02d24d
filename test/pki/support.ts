import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, HealthCheck, Image, Vps, Workload, Zone } from '../../lib';
import { TlsIdentity, TlsIdentityProps } from '../../lib/pki';

/** Tests of the PKI are not about the posture of the (deliberately small) compose project. */
export const PKI_ONLY = { reason: 'tests of the PKI bootstrap, not of the security posture' };

/** A fixed clock (whole seconds), so validity windows can be asserted exactly. */
export const T0 = new Date('2031-03-04T05:06:07.000Z');
export const HOUR = 3_600_000;
export const BACKDATE = 5 * 60 * 1000;

const made: string[] = [];
/** A fresh temporary directory; all of them are removed by {@link removeTempDirs}. */
export function tempDir(prefix = 'mlsec-pki-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
export function removeTempDirs(): void {
  while (made.length > 0) fs.rmSync(made.pop()!, { recursive: true, force: true });
}

/** A minimal valid workload. */
export function workload(vps: Vps, id: string, zone: Zone = Zone.Z3_CURATED, serviceName?: string): Workload {
  return new Workload(vps, id, {
    zone,
    image: Image.fromRegistry('nginxinc/nginx-unprivileged', '1.27.1'),
    ports: [8443],
    serviceName,
    healthCheck: HealthCheck.command(['true']),
  });
}

/** Declares the identities of the test lab; `overrides` replaces the props of one by leaf name. */
export interface LabOptions {
  readonly dir: string;
  readonly overrides?: Record<string, TlsIdentityProps | null>;
  readonly extra?: (vps: Vps) => void;
}

/**
 * Two hosts: `lab` with a server (curated-db), a server-and-client (model-server), a client
 * (exporter, 12 h) and an identity outside any workload (ingress); `edge` with one server.
 */
export function buildLab(options: LabOptions): { app: App; lab: Vps; edge: Vps } {
  const app = new App({ outdir: path.join(options.dir, 'synth-out'), secretsDir: path.join(options.dir, 'secrets'), postureReportOnly: PKI_ONLY });
  const lab = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const o = options.overrides ?? {};
  const declare = (scope: Vps | Workload, id: string, leaf: string, props: TlsIdentityProps) => {
    const chosen = leaf in o ? o[leaf] : props;
    if (chosen) new TlsIdentity(scope, id, chosen);
  };
  declare(workload(lab, 'curated-db'), 'Tls', 'curated-db.tls', { usage: 'server', dnsNames: ['db.lab.internal'] });
  declare(workload(lab, 'model-server', Zone.Z6_SERVING), 'Tls', 'model-server.tls', { usage: 'server-and-client' });
  declare(workload(lab, 'exporter', Zone.Z9_OBSERVABILITY), 'Client', 'exporter.client', { usage: 'client', ttlHours: 12 });
  declare(lab, 'ingress', 'ingress', { usage: 'server', dnsNames: ['lab.example.com', 'api.lab.example.com'], ttlHours: 24 });
  options.extra?.(lab);
  const edge = new Vps(app, 'edge', { domain: 'edge.example.com' });
  declare(workload(edge, 'gateway', Zone.Z1_INGESTION), 'Tls', 'gateway.tls', { usage: 'server' });
  return { app, lab, edge };
}

/** The PKI folder of a host. */
export function pkiDir(dir: string, vps = 'lab'): string {
  return path.join(dir, 'secrets', vps, 'pki');
}

/** Reads a certificate file. */
export function cert(file: string): crypto.X509Certificate {
  return new crypto.X509Certificate(fs.readFileSync(file));
}

/** sha256 of every file below `dir`, keyed by relative path. */
export { treeDigest as digest } from '../support/fixtures';

export function modes(dir: string): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    out.push({ path: p, dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return out;
}

/** Copies a folder with its modes (a PKI issued once, reused by several scenarios). */
export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
  for (const entry of modes(from)) {
    fs.chmodSync(path.join(to, path.relative(from, entry.path)), entry.mode);
  }
}

/** Runs openssl; returns status and output (never throws on a non-zero status). */
export function openssl(args: string[]): { status: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** `openssl x509 -noout -ext …` of a certificate. */
export function opensslExt(file: string, exts = 'extendedKeyUsage,subjectAltName,basicConstraints,keyUsage'): string {
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-ext', exts], { encoding: 'utf8' });
}

/** Whether openssl is on the PATH. */
export const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
