/**
 * Debian's nginx with the ModSecurity v3 connector and Debian's OWASP CRS (tools/install-test-deps.sh),
 * for the real tests of the generated CrsWaf files. `rerootWafFiles` rewrites exactly what a test
 * host must (container paths of the image → Debian's, /run/secrets and /tmp → test folders, the
 * listen ports → free loopback ports, the backend's service name → 127.0.0.1) and records every
 * rewrite; each pattern must match, so a change in the generated files cannot slip past unseen.
 *
 * Versions (Debian 12): nginx 1.22.1, libmodsecurity3 3.0.9, ModSecurity-nginx 1.0.3, CRS 3.3.4.
 * The image (owasp/modsecurity-crs:4.18.0-nginx-…) has a newer nginx and libmodsecurity and CRS
 * 4.18: the generated crs-setup.conf sets both CRS 3 and CRS 4 paranoia variables, and the rule
 * ids the tests look for (942100 SQLi, 941100 XSS, 949110 the inbound score) are the same in both.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { waitForPort } from './free-port';
import { makeServerDir, removeServerDir, runCommand, trackChild } from './process-registry';

/** Debian's paths for what the image keeps elsewhere. */
export const DEBIAN_WAF_PATHS = {
  nginx: '/usr/sbin/nginx',
  modulePath: '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so',
  crsRulesDir: '/usr/share/modsecurity-crs/rules',
  unicodeMapFile: '/etc/nginx/unicode.mapping',
} as const;

/** Throws, naming the install script, when nginx, the connector or CRS is missing: never a skip. */
export function requireWafPackages(): void {
  const missing = Object.entries(DEBIAN_WAF_PATHS).filter(([, p]) => !fs.existsSync(p)).map(([k, p]) => `${k} (${p})`);
  if (missing.length > 0) throw new Error(`nginx + ModSecurity + CRS are not installed (missing ${missing.join(', ')}): run \`sudo bash tools/install-test-deps.sh\` (apt: nginx libnginx-mod-http-modsecurity modsecurity-crs)`);
}

/** The installed Debian package versions, for the test's record. */
export function wafPackageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pkg of ['nginx', 'libnginx-mod-http-modsecurity', 'libmodsecurity3', 'modsecurity-crs']) {
    out[pkg] = runCommand('dpkg-query', ['-W', '-f=${Version}', pkg], { cwd: '/' }).stdout.trim();
  }
  return out;
}

/** The generated files and where the test runs them. */
export interface WafRerootOptions {
  /** The generated nginx.conf, modsecurity.conf, crs-setup.conf. */
  readonly nginxConf: string;
  readonly modSecurityConf: string;
  readonly crsSetup?: string;
  /** The folder the files and the scratch go to. */
  readonly dir: string;
  /** Folder holding the WAF's delivered secret files (its /run/secrets). */
  readonly secretsDir: string;
  /** Folder of the files its Vault Agent rendered (its /run/vault), when it has one. */
  readonly vaultDir?: string;
  /** Loopback ports: HTTPS and health. */
  readonly httpsPort: number;
  readonly healthPort: number;
  /** Each backend's `service:port` in the config → the loopback port it really listens on. */
  readonly backends: Readonly<Record<string, number>>;
}

/** The re-rooted files on disk and the list of rewrites. */
export interface ReRootedWaf {
  readonly nginxConfPath: string;
  readonly overrides: string[];
}

function replaceAll(text: string, from: string | RegExp, to: string, what: string, overrides: string[]): string {
  const pattern = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from;
  const count = (text.match(pattern) ?? []).length;
  if (count === 0) throw new Error(`re-rooting the WAF files: ${what}: ${String(from)} not found in the generated file`);
  overrides.push(`${what}: ${String(from)} → ${to} (${count}×)`);
  return text.replace(pattern, to);
}

/** Writes the generated files re-rooted under `dir`; returns nginx.conf's path and the rewrites. */
export function rerootWafFiles(o: WafRerootOptions): ReRootedWaf {
  const overrides: string[] = [];
  const conf = path.join(o.dir, 'conf');
  const tmp = path.join(o.dir, 'tmp');
  fs.mkdirSync(conf, { recursive: true, mode: 0o755 });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o755 });
  // Debian runs the workers as `nobody` (the master is root here): they need to reach the scratch folder.
  fs.chmodSync(o.dir, 0o755);
  fs.chmodSync(tmp, 0o777);

  let nginx = o.nginxConf;
  // The scratch first: the test folders are themselves below /tmp.
  nginx = replaceAll(nginx, / \/tmp\//g, ` ${tmp}/`, 'nginx.conf scratch', overrides);
  nginx = replaceAll(nginx, '/etc/nginx/modules/ngx_http_modsecurity_module.so', DEBIAN_WAF_PATHS.modulePath, 'nginx.conf load_module', overrides);
  nginx = replaceAll(nginx, '/etc/mlsec/waf/', `${conf}/`, 'nginx.conf config dir', overrides);
  nginx = replaceAll(nginx, '/run/secrets/', `${o.secretsDir}/`, 'nginx.conf /run/secrets', overrides);
  if (o.vaultDir !== undefined) nginx = replaceAll(nginx, '/run/vault/', `${o.vaultDir}/`, 'nginx.conf /run/vault (its agent\'s files)', overrides);
  nginx = replaceAll(nginx, /listen 8443 ssl;/g, `listen 127.0.0.1:${o.httpsPort} ssl;`, 'nginx.conf HTTPS listener', overrides);
  nginx = replaceAll(nginx, /listen 127\.0\.0\.1:8081;/g, `listen 127.0.0.1:${o.healthPort};`, 'nginx.conf health listener', overrides);
  for (const [service, port] of Object.entries(o.backends)) {
    nginx = replaceAll(nginx, `server ${service};`, `server 127.0.0.1:${port};`, `nginx.conf upstream ${service} (no DNS for service names here; proxy_ssl_name still verifies the name)`, overrides);
  }

  let modsec = o.modSecurityConf;
  modsec = replaceAll(modsec, /^(SecTmpDir|SecDataDir) \/tmp$/gm, `$1 ${tmp}`, 'modsecurity.conf scratch', overrides);
  modsec = replaceAll(modsec, '/etc/modsecurity.d/unicode.mapping', DEBIAN_WAF_PATHS.unicodeMapFile, 'modsecurity.conf unicode mapping', overrides);
  // A hop without CRS includes neither the CRS setup nor its rules.
  if (o.crsSetup !== undefined) {
    modsec = replaceAll(modsec, '/opt/owasp-crs/rules', DEBIAN_WAF_PATHS.crsRulesDir, 'modsecurity.conf CRS rules (Debian CRS 3.3.4 instead of the image\'s 4.x)', overrides);
    modsec = replaceAll(modsec, '/etc/mlsec/waf/', `${conf}/`, 'modsecurity.conf config dir', overrides);
    fs.writeFileSync(path.join(conf, 'crs-setup.conf'), o.crsSetup);
  } else if (/^Include /m.test(modsec)) {
    throw new Error('re-rooting the WAF files: modsecurity.conf includes files, but no crs-setup.conf was given');
  }

  fs.writeFileSync(path.join(conf, 'nginx.conf'), nginx);
  fs.writeFileSync(path.join(conf, 'modsecurity.conf'), modsec);
  return { nginxConfPath: path.join(conf, 'nginx.conf'), overrides };
}

/**
 * `nginx -t` on a config: status 0 when nginx and ModSecurity accept it (rules compiled). Its
 * stdout and stderr are files: the config opens /dev/stdout, which a Node pipe (a socket) refuses.
 */
export function testNginxConfig(nginxConfPath: string): { status: number; output: string } {
  const dir = makeServerDir('nginx-waf-check');
  try {
    const outFile = path.join(dir, 'out.log');
    const out = fs.openSync(outFile, 'a');
    let status: number;
    try {
      const r = spawnSync(DEBIAN_WAF_PATHS.nginx, ['-t', '-c', nginxConfPath, '-e', 'stderr'], { cwd: path.dirname(nginxConfPath), stdio: ['ignore', out, out], timeout: 60_000 });
      status = r.status ?? -1;
    } finally {
      fs.closeSync(out);
    }
    return { status, output: fs.readFileSync(outFile, 'utf8') };
  } finally {
    removeServerDir(dir);
  }
}

/** A running nginx; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningNginx {
  /** Everything it printed so far: access log and audit log (stdout), error log (stderr). */
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts `nginx -c <conf> -e stderr` (the compose command; the config says `daemon off`), tracked
 * for cleanup; resolves once `port` accepts connections, throws with its output otherwise.
 */
export async function startNginx(nginxConfPath: string, port: number, startTimeoutMs = 60_000): Promise<RunningNginx> {
  requireWafPackages();
  const dir = makeServerDir('nginx-waf-log');
  const outFile = path.join(dir, 'stdout.log');
  const errFile = path.join(dir, 'stderr.log');
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  const out = fs.openSync(outFile, 'a');
  const err = fs.openSync(errFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(DEBIAN_WAF_PATHS.nginx, ['-c', nginxConfPath, '-e', 'stderr'], { cwd: path.dirname(nginxConfPath), stdio: ['ignore', out, err] });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `nginx exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `nginx could not start: ${e.message}`));
  // SIGQUIT is nginx's graceful stop; trackChild's SIGTERM is its fast stop, which is what a test wants.
  const stop = trackChild(`nginx ${nginxConfPath}`, child, () => removeServerDir(dir));
  try {
    await waitForPort(port, startTimeoutMs, () => exited);
  } catch (e) {
    const output = read(errFile);
    await stop();
    throw new Error(`${(e as Error).message}\n--- nginx stderr ---\n${output}`);
  }
  return { stdout: () => read(outFile), stderr: () => read(errFile), stop };
}
