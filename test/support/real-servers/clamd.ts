/**
 * Debian's clamd (clamav-daemon, tools/install-test-deps.sh) for the real tests of the generated
 * clamd.conf: re-rooted only in its folders and listen address, started on a loopback port with
 * a tiny local signature database (the machine has no internet, so no freshclam), and spoken to
 * with clamd's own INSTREAM protocol.
 *
 * Version: Debian 12's clamav-daemon 1.4.6 (the image is clamav/clamav:1.4.4_base: same 1.4 LTS
 * series, two patch releases apart).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { waitForPort } from './free-port';
import { makeServerDir, removeServerDir, runCommand, trackChild } from './process-registry';

/** Debian's clamd. */
export const CLAMD_BINARY = '/usr/sbin/clamd';

/** The EICAR test string (not a virus: the industry's agreed test pattern). */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** Throws, naming the install script, when clamd is missing: never a skip. */
export function requireClamd(): void {
  if (!fs.existsSync(CLAMD_BINARY)) throw new Error(`clamd is not installed (no ${CLAMD_BINARY}): run \`sudo bash tools/install-test-deps.sh\` (apt: clamav-daemon)`);
}

/** The installed clamav-daemon version. */
export function clamdVersion(): string {
  return runCommand('dpkg-query', ['-W', '-f=${Version}', 'clamav-daemon'], { cwd: '/' }).stdout.trim();
}

/**
 * A signature folder with one body signature (`.ndb`) for EICAR, named `Mlsec.Test.Eicar`
 * (clamd reports it as `Mlsec.Test.Eicar.UNOFFICIAL`): it matches anywhere in a file, also once
 * unpacked from an archive.
 */
export function writeTestSignatures(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'mlsec-test.ndb'), `Mlsec.Test.Eicar:0:*:${Buffer.from(EICAR, 'latin1').toString('hex')}\n`);
  return dir;
}

/** The re-rooted clamd.conf and the list of rewrites. */
export interface ReRootedClamd {
  readonly confPath: string;
  readonly overrides: string[];
}

/** Writes the generated clamd.conf re-rooted under `dir`: its folders, its listen address and port. Each pattern must match once. */
export function rerootClamdConf(conf: string, o: { dir: string; port: number; databaseDir: string }): ReRootedClamd {
  const overrides: string[] = [];
  const tmp = path.join(o.dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const rewrite = (text: string, from: RegExp, to: string, what: string) => {
    const n = (text.match(from) ?? []).length;
    if (n === 0) throw new Error(`re-rooting clamd.conf: ${what}: ${String(from)} not found`);
    overrides.push(`clamd.conf ${what}: ${String(from)} → ${to} (${n}×)`);
    return text.replace(from, to);
  };
  let text = conf;
  text = rewrite(text, /^DatabaseDirectory \/var\/lib\/clamav$/m, `DatabaseDirectory ${o.databaseDir}`, 'signature folder');
  text = rewrite(text, /^TemporaryDirectory \/tmp$/m, `TemporaryDirectory ${tmp}`, 'scratch');
  text = rewrite(text, /^PidFile \/tmp\/clamd\.pid$/m, `PidFile ${tmp}/clamd.pid`, 'pid file');
  text = rewrite(text, /^TCPSocket 3310$/m, `TCPSocket ${o.port}`, 'port');
  text = rewrite(text, /^TCPAddr 0\.0\.0\.0$/m, 'TCPAddr 127.0.0.1', 'listen address');
  const confPath = path.join(o.dir, 'clamd.conf');
  fs.writeFileSync(confPath, text);
  return { confPath, overrides };
}

/** A running clamd; `stop()` it (or `stopAll()`) in afterAll. */
export interface RunningClamd {
  log(): string;
  stop(): Promise<void>;
}

/** Starts `clamd --foreground --config-file=<conf>` (the compose command), tracked; resolves once it accepts connections on `port`. */
export async function startClamd(confPath: string, port: number, startTimeoutMs = 120_000): Promise<RunningClamd> {
  requireClamd();
  const dir = makeServerDir('clamd-log');
  const logFile = path.join(dir, 'clamd.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const out = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(CLAMD_BINARY, ['--foreground', `--config-file=${confPath}`], { cwd: dir, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `clamd exited (${sig ?? code})`));
  child.once('error', (e) => (exited = `clamd could not start: ${e.message}`));
  const stop = trackChild(`clamd ${confPath}`, child, () => removeServerDir(dir));
  try {
    await waitForPort(port, startTimeoutMs, () => exited);
  } catch (e) {
    const output = log();
    await stop();
    throw new Error(`${(e as Error).message}\n--- clamd output ---\n${output}`);
  }
  return { log, stop };
}

/** Sends one null-terminated clamd command and returns the reply without its terminator. */
export function clamdCommand(port: number, command: string): Promise<string> {
  return talk(port, (socket) => socket.end(`z${command}\0`));
}

/**
 * Streams `data` to clamd (`zINSTREAM`, 4-byte big-endian length-prefixed chunks, then a zero
 * chunk) and returns its verdict, e.g. `stream: OK`, `stream: Eicar FOUND` or
 * `INSTREAM size limit exceeded. ERROR` (clamd then closes; later writes are ignored).
 */
export function instream(port: number, data: Buffer, chunkBytes = 64 * 1024): Promise<string> {
  return talk(port, (socket) => {
    socket.write('zINSTREAM\0');
    for (let off = 0; off < data.length; off += chunkBytes) {
      const chunk = data.subarray(off, Math.min(off + chunkBytes, data.length));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(chunk.length);
      if (socket.destroyed) return;
      socket.write(len);
      socket.write(chunk);
    }
    socket.end(Buffer.alloc(4));
  });
}

function talk(port: number, send: (socket: net.Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => socket.destroy(new Error('clamd did not answer within 60 s')), 60_000);
    socket.setEncoding('latin1');
    socket.on('data', (d) => (reply += d));
    // clamd closes after a refusal while the client may still be writing: EPIPE/ECONNRESET then is part of the answer.
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (reply !== '' && (e.code === 'EPIPE' || e.code === 'ECONNRESET')) return;
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply.replace(/\0+$/, ''));
    });
    socket.once('connect', () => send(socket));
  });
}
