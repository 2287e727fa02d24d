import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { App } from '../core/app';
import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { PkiBootstrap, PkiRunOptions, PkiRunResult } from '../pki/pki-bootstrap';
import { ensureDir, readIfExists, writeSecureFile } from '../pki/secure-fs';
import { Credential } from './credential';
import { SecretDeliveries, SecretDelivery } from './secret-delivery';
import { SecretRenderContext } from './secret-render-context';

/** Options of {@link SecretsBootstrap.run}. */
export interface SecretsBootstrapOptions extends PkiRunOptions {
  /**
   * Whether delivered files are handed to the consuming container's `uid:gid`. Needs root; without
   * it, files stay owned by the caller and a warning says which containers cannot read them.
   * @default true when running as root
   */
  readonly chown?: boolean;
}

/** What {@link SecretsBootstrap.run} did. */
export interface SecretsBootstrapResult {
  /** The PKI part (certificates). */
  readonly pki: PkiRunResult;
  /** Credentials generated in this run (`<vps>/credentials/<name>`). */
  readonly credentialsCreated: string[];
  /** Credentials that existed and were kept. */
  readonly credentialsKept: string[];
  /** Delivered files (re)written in this run, relative to the secrets folder. */
  readonly deliveriesWritten: string[];
  /** Delivered files already up to date. */
  readonly deliveriesUnchanged: string[];
  /** Delivered files removed because no workload asks for them any more. */
  readonly deliveriesRemoved: string[];
  /** Things the operator should know. */
  readonly warnings: string[];
}

/** Mode of every delivered file: the container's user reads it, nobody writes it. */
export const DELIVERED_FILE_MODE = 0o400;

/**
 * The `bootstrap` task: issues the PKI (see {@link PkiBootstrap}), generates every
 * {@link Credential} of the tree that does not exist yet (kept afterwards: rotation is deleting
 * the file and re-running), then writes each workload's secret files into
 * `<secretsDir>/<vps>/deliver/<service>/`, owned by the container's `uid:gid`, mode 0400.
 * Idempotent: a second run changes nothing. Nothing is ever written below the synth outdir.
 */
export class SecretsBootstrap {
  /** Runs the whole bootstrap for `app`. */
  public static run(app: App, options: SecretsBootstrapOptions = {}): SecretsBootstrapResult {
    const pki = PkiBootstrap.run(app, options);
    const secretsDir = pki.secretsDir;
    const chown = options.chown ?? (typeof process.getuid === 'function' && process.getuid() === 0);
    const result: SecretsBootstrapResult = {
      pki, credentialsCreated: [], credentialsKept: [], deliveriesWritten: [], deliveriesUnchanged: [], deliveriesRemoved: [], warnings: [...pki.warnings],
    };
    for (const vps of app.node.findAll().filter(Vps.isVps)) {
      const values = new Map<Credential, string>();
      const ctx: SecretRenderContext = {
        credential: (c) => credentialValue(secretsDir, c, values, result),
        pkiFile: (rel) => {
          const data = readIfExists(path.join(secretsDir, rel));
          if (data === undefined) throw new MlsecError(`[${path.join(secretsDir, rel)}] is missing: the PKI part of the bootstrap should have written it`);
          return data;
        },
      };
      for (const c of Credential.allIn(vps)) credentialValue(secretsDir, c, values, result);
      deliver(secretsDir, vps, SecretDeliveries.of(vps).all, ctx, chown, result);
    }
    return result;
  }

  /** A human summary of a run. */
  public static format(result: SecretsBootstrapResult): string {
    return [
      PkiBootstrap.format(result.pki),
      `Credentials: ${result.credentialsCreated.length} generated, ${result.credentialsKept.length} kept.`,
      `Delivered files: ${result.deliveriesWritten.length} written, ${result.deliveriesUnchanged.length} unchanged, ${result.deliveriesRemoved.length} removed.`,
      ...result.warnings.filter((w) => !result.pki.warnings.includes(w)).map((w) => `  warning: ${w}`),
    ].join('\n');
  }

  private constructor() {}
}

function credentialValue(secretsDir: string, c: Credential, values: Map<Credential, string>, result: SecretsBootstrapResult): string {
  const known = values.get(c);
  if (known !== undefined) return known;
  const dir = path.join(secretsDir, c.vps.name, 'credentials');
  ensureDir(dir);
  const file = path.join(dir, c.credentialName);
  const rel = path.posix.join(c.vps.name, 'credentials', c.credentialName);
  const existing = readIfExists(file);
  let value: string;
  if (existing !== undefined && existing.length > 0) {
    value = existing.toString('utf8');
    result.credentialsKept.push(rel);
  } else {
    value = crypto.randomBytes(c.randomBytes).toString('base64url');
    writeSecureFile(file, value);
    result.credentialsCreated.push(rel);
  }
  values.set(c, value);
  return value;
}

function deliver(secretsDir: string, vps: Vps, deliveries: SecretDelivery[], ctx: SecretRenderContext, chown: boolean, result: SecretsBootstrapResult): void {
  const root = path.join(secretsDir, vps.name, 'deliver');
  const planned = new Set(deliveries.map((d) => d.file));
  const services = new Set(deliveries.map((d) => d.serviceName));
  if (deliveries.length > 0) ensureDir(root);
  const unreadable = new Set<string>();
  for (const d of deliveries) {
    const dir = path.join(root, d.serviceName);
    ensureDir(dir);
    const file = path.join(secretsDir, d.file);
    if (d.source.render === undefined) {
      if (!fs.existsSync(file)) result.warnings.push(`${d.file}: not there yet; ${d.source.writtenBy ?? 'another tool'} writes it`);
      continue;
    }
    const rendered = d.source.render(ctx);
    const content = typeof rendered === 'string' ? Buffer.from(rendered, 'utf8') : rendered;
    const [uid, gid] = d.owner.split(':').map(Number);
    const existing = readIfExists(file);
    const st = existing === undefined ? undefined : fs.lstatSync(file);
    const ownerOk = !chown || (st !== undefined && st.uid === uid && st.gid === gid);
    if (existing !== undefined && existing.equals(content) && ownerOk && (st!.mode & 0o777) === DELIVERED_FILE_MODE) {
      result.deliveriesUnchanged.push(d.file);
      continue;
    }
    writeSecureFile(file, content);
    if (chown) fs.chownSync(file, uid, gid);
    else if (typeof process.getuid === 'function' && process.getuid() !== uid) unreadable.add(`${d.serviceName} (${d.owner})`);
    fs.chmodSync(file, DELIVERED_FILE_MODE);
    result.deliveriesWritten.push(d.file);
  }
  if (unreadable.size > 0) {
    result.warnings.push(`${root}: files were not handed to their containers' users (run the bootstrap as root); these services cannot read them: ${[...unreadable].sort().join(', ')}`);
  }
  if (!fs.existsSync(root)) return;
  // The deliver folder is the bootstrap's own: anything else in it is refused, never guessed at.
  const foreign = (p: string, what: string) => new MlsecError(`[${p}] is ${what} that the bootstrap did not write; deliver/ holds only <service>/<file>: move it away`);
  for (const service of fs.readdirSync(root).sort()) {
    const dir = path.join(root, service);
    if (!fs.lstatSync(dir).isDirectory()) throw foreign(dir, 'a file');
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = path.posix.join(vps.name, 'deliver', service, name);
      if (planned.has(rel)) continue;
      if (!fs.lstatSync(path.join(dir, name)).isFile()) throw foreign(path.join(dir, name), 'something other than a file');
      fs.rmSync(path.join(dir, name), { force: true });
      result.deliveriesRemoved.push(rel);
    }
    if (!services.has(service)) fs.rmdirSync(dir);
  }
}
