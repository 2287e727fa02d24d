import * as fs from 'fs';
import * as path from 'path';
import { App } from '../core/app';
import { MlsecError, ValidationError, ValidationIssue } from '../core/errors';
import { Vps } from '../core/vps';
import { TlsIdentity } from './tls-identity';
import { HostRun } from './host-run';
import { PkiAction, PkiHostPlan, PkiIdentityPlan, PkiPlan, PkiRunOptions, PkiRunResult, RunContext } from './pki-plan';
export * from './pki-plan';

/**
 * The internal PKI, per host: an offline-capable root CA, an intermediate CA, and one leaf
 * certificate per {@link TlsIdentity} in the construct tree, written into the operator-only
 * secrets folder (`<secretsDir>/<vps>/pki/`, directories 0700, files 0600), never into the synth
 * output. Idempotent: CAs are reused while present; a leaf is re-issued only when it is missing,
 * its SANs, usage, lifetime or issuer changed, its key does not match, or it is past 80 % of its
 * validity. Leaves of identities that disappeared are moved to `pki/retired/`.
 *
 * Layout of `<secretsDir>/<vps>/pki/`: `root-ca.{crt,key}`, `intermediate-ca.{crt,key}`,
 * `ca-bundle.crt` (intermediate then root), `leaves/<name>.{crt,key}`, `retired/`, `state.json`.
 */
export class PkiBootstrap {
  /** The certificates the tree asks for, per Vps. Validates the whole tree first (as synth does). */
  public static plan(app: App): PkiPlan {
    if (!App.isApp(app)) throw new MlsecError(`PkiBootstrap.plan() expects the App at the root of the tree (got ${describeScope(app)})`);
    const problems: ValidationIssue[] = [];
    for (const c of app.node.findAll()) {
      for (const message of c.node.validate()) problems.push({ path: c.node.path || '<app>', message });
    }
    if (problems.length > 0) throw new ValidationError(problems);

    const hosts: PkiHostPlan[] = [];
    for (const vps of app.node.findAll().filter(Vps.isVps)) {
      const identities = TlsIdentity.allIn(vps)
        .map(
          (t): PkiIdentityPlan => ({
            name: t.leafName,
            constructPath: t.node.path,
            usage: t.usage,
            commonName: t.commonName,
            dnsNames: t.dnsNames,
            uris: t.uris,
            ttlHours: t.ttlHours,
            certFile: t.certFile,
            keyFile: t.keyFile,
          }),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      hosts.push({ vps: vps.name, constructPath: vps.node.path, pkiDir: path.posix.join(vps.name, 'pki'), identities });
    }
    return { secretsDir: app.secretsDir, hosts };
  }

  /** Issues what is missing or due, reuses the rest, and reports every item. */
  public static run(app: App, options: PkiRunOptions = {}): PkiRunResult {
    const started = process.hrtime.bigint();
    const plan = PkiBootstrap.plan(app);
    const secretsDir = options.secretsDir ?? plan.secretsDir;
    const now = options.now ?? new Date();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new MlsecError(`PkiBootstrap.run(): option 'now' must be a valid Date (got ${String(now)})`);
    const caKeyType = options.caKeyType ?? 'ec-p256';
    if (caKeyType !== 'ec-p256' && caKeyType !== 'rsa-3072') {
      throw new MlsecError(`PkiBootstrap.run(): option 'caKeyType' must be 'ec-p256' or 'rsa-3072' (got ${JSON.stringify(caKeyType)})`);
    }
    assertOutsideOutdir(secretsDir, app.outdir);

    const ctx: RunContext = { secretsDir, now: new Date(Math.floor(now.getTime() / 1000) * 1000), caKeyType, items: [], warnings: [], issued: 0 };
    const planned = new Set(plan.hosts.map((h) => h.vps));
    for (const host of plan.hosts) new HostRun(ctx, host).run();
    reportStrayHosts(ctx, planned);
    return {
      secretsDir,
      items: ctx.items,
      issued: ctx.issued,
      warnings: ctx.warnings,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
  }

  /** A human summary of a run, one line per item that is not unchanged, then the counts. */
  public static format(result: PkiRunResult): string {
    const lines: string[] = [];
    for (const item of result.items) {
      if (item.action === 'unchanged' && item.kind === 'leaf') continue;
      const what = item.kind === 'leaf' ? `leaf ${item.name}` : item.kind;
      const until = item.notAfter ? ` (until ${item.notAfter})` : '';
      lines.push(`  ${item.vps}: ${what}: ${item.action}${until} - ${item.reason}`);
    }
    const count = (a: PkiAction) => result.items.filter((i) => i.kind === 'leaf' && i.action === a).length;
    lines.push(
      `PKI in ${result.secretsDir}: ${result.issued} certificate(s) issued; leaves: ${count('created')} created, ${count('renewed')} renewed, ` +
        `${count('unchanged')} unchanged, ${count('retired')} retired (${result.durationMs.toFixed(0)} ms)`,
    );
    for (const w of result.warnings) lines.push(`  warning: ${w}`);
    return lines.join('\n');
  }

  private constructor() {}
}

function assertOutsideOutdir(secretsDir: string, outdir: string): void {
  const s = path.resolve(secretsDir);
  const o = path.resolve(outdir);
  const inside = (a: string, b: string) => a === b || a.startsWith(b + path.sep);
  if (inside(s, o) || inside(o, s)) {
    throw new MlsecError(`secretsDir '${secretsDir}' and the synth outdir '${outdir}' overlap; private keys must never enter the synth output: keep the two folders apart`);
  }
}

/** Folders below the secrets folder that hold a PKI but belong to no Vps of this app. */
function reportStrayHosts(ctx: RunContext, planned: Set<string>): void {
  if (!fs.existsSync(ctx.secretsDir)) return;
  for (const entry of fs.readdirSync(ctx.secretsDir).sort()) {
    if (planned.has(entry)) continue;
    if (fs.existsSync(path.join(ctx.secretsDir, entry, 'pki', 'state.json'))) {
      ctx.warnings.push(`${path.join(ctx.secretsDir, entry, 'pki')}: a PKI of a host that is not in this app; left in place`);
    }
  }
}

function describeScope(x: unknown): string {
  const p = (x as { node?: { path?: string } } | undefined)?.node?.path;
  return p === undefined ? String(x) : `construct '${p}'`;
}
