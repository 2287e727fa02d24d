/**
 * Runs a generated model fetch script (lib/services/model-serving) as the curl image would: with
 * busybox's sh and applets (Debian's `busybox`, the image's shell) and the machine's curl, nothing
 * else on PATH. Asynchronous, so in-process stand-ins (the CONNECT proxy) keep answering.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** What a finished fetch left behind. */
export interface FetchRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let binDir: string | undefined;

/**
 * A folder of busybox applets plus `curl`, created once per process; throws naming the package
 * when busybox or curl is missing (a failure, never a skip).
 */
export function busyboxCurlPath(): string {
  if (binDir && fs.existsSync(binDir)) return binDir;
  const find = (cmd: string) => spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }).stdout.trim();
  const busybox = find('busybox');
  const curl = find('curl');
  if (!busybox || !curl) throw new Error('busybox and curl are needed to run the fetch script as the curl image does: `apt-get install busybox curl` (Debian packages; tools/install-test-deps.sh)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-busybox-curl-'));
  const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /^[a-z0-9_[\]-]+$/.test(a) && a !== 'curl');
  for (const applet of applets) fs.symlinkSync(busybox, path.join(dir, applet));
  fs.symlinkSync(curl, path.join(dir, 'curl'));
  binDir = dir;
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `script` (text) with busybox sh and `env` only (plus PATH); kills it after `timeoutMs`. */
export function runFetchScript(script: string, env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<FetchRun> {
  const bin = busyboxCurlPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-fetch-run-'));
  const file = path.join(dir, 'fetch.sh');
  fs.writeFileSync(file, script, { mode: 0o500 });
  return new Promise<FetchRun>((resolve, reject) => {
    const child = spawn(path.join(bin, 'sh'), [file], { cwd: dir, env: { PATH: bin, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ status, stdout, stderr });
    });
  });
}
