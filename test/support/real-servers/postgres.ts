import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from './free-port';
import {
  CommandResult, makeServerDir, removeServerDir, runCommand, ServerFile, terminatePid, trackDaemon, writeServerFiles,
} from './process-registry';

/** Debian's PostgreSQL 15 server binaries (package postgresql-15). */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** How to start one PostgreSQL server on loopback. */
export interface StartPostgresOptions {
  /** Superuser that initdb creates (`-U`). Default `postgres`. */
  readonly superuser?: string;
  /** The superuser's password (initdb `--pwfile`; stored as SCRAM). Default: random. */
  readonly superuserPassword?: string;
  /**
   * Files to write below the server directory, owned by the postgres user: the generated
   * postgresql.conf, pg_hba.conf, pg_ident.conf, certs and keys (mode 0600 for keys), and usually
   * a wrapper config. Written after initdb, so a name below `data/` lands in the data directory.
   */
  readonly files?: Readonly<Record<string, ServerFile>>;
  /**
   * The config file passed as `-c config_file=`, relative to the server directory. Usually a
   * wrapper: `include '<generated file>'` then lines overriding the container paths (hba_file,
   * ssl_*_file …). Postgres resolves `include` relative to the including file.
   */
  readonly configFile: string;
  /** TCP port. Default: a free one. Forced on the command line, so it beats the config's `port`. */
  readonly port?: number;
  /**
   * Further settings forced on the command line (`-c name=value`), which beat the config file.
   * The harness always forces `port`, `listen_addresses='127.0.0.1'` (tests never bind beyond
   * loopback), `data_directory` and `unix_socket_directories` (container paths do not exist here).
   */
  readonly settings?: Readonly<Record<string, string>>;
  /** Seconds `pg_ctl -w` waits for the server to accept connections. Default 30. */
  readonly startTimeoutSeconds?: number;
}

/** A running PostgreSQL server; `stop()` it (or `stopAll()`) in afterAll/afterEach. */
export interface PostgresServer {
  /** Server directory: the files, `data/`, `run/` (socket) and `postgres.log`. */
  readonly dir: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Directory of the Unix socket. */
  readonly socketDir: string;
  /** The superuser's name. */
  readonly superuser: string;
  /** The superuser's password. */
  readonly superuserPassword: string;
  /**
   * Runs `psql -X -v ON_ERROR_STOP=1 <args>` as the current user, in an environment stripped of
   * the caller's PG* variables and with HOME in the server dir (so no ~/.postgresql/root.crt or
   * ~/.pgpass of this machine changes the outcome). Pass the connection string in `args`.
   */
  psql(args: readonly string[], env?: Readonly<Record<string, string>>): CommandResult;
  /**
   * Runs SQL as the superuser over the Unix socket (as the postgres OS user, so `peer` works too);
   * throws on failure; returns unaligned tuples-only output, trimmed. The config's pg_hba must
   * allow `local` for the superuser (peer or scram-sha-256).
   */
  runSqlAsSuperuser(sql: string, db?: string): string;
  /** The server log (stderr of the postmaster) so far. */
  log(): string;
  /** Fast shutdown, then removes the directory. Idempotent. */
  stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } {
  const out = runCommand('id', ['-u', 'postgres'], { cwd: '/' });
  const gid = runCommand('id', ['-g', 'postgres'], { cwd: '/' });
  if (out.status !== 0 || gid.status !== 0) {
    throw new Error('no `postgres` user: install Debian postgresql-15 (`npx projen test:deps`)');
  }
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Runs a command as the postgres OS user (root) or as ourselves (a developer's non-root shell). */
function runAsPostgres(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): CommandResult {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, [...args]];
  return runCommand(file, argv, opts);
}

/** process.env without PG* (a developer's PGHOST/PGPASSWORD must not leak into a test). */
function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return { ...env, PGCONNECT_TIMEOUT: '10', ...extra };
}

/** Single-quotes for the `/bin/sh -c` line that pg_ctl builds from `-o`. */
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Checks every ancestor of `dir` is traversable by others: the postgres user cannot reach it otherwise. */
function assertTraversable(dir: string): void {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) {
      throw new Error(`${d} is not o+x, so the postgres user cannot reach ${dir}: set TMPDIR to a traversable directory`);
    }
    if (d === path.dirname(d)) return;
  }
}

/** initdb (≈1.2 s) + writes the caller's files + `pg_ctl start -w`. Throws with the server log when it fails. */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresServer> {
  const superuser = opts.superuser ?? 'postgres';
  const superuserPassword = opts.superuserPassword ?? crypto.randomBytes(18).toString('base64url');
  const port = opts.port ?? (await freePort());
  const owner = isRoot ? postgresIds() : undefined;
  const dir = makeServerDir('pg');
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'run');
  const logFile = path.join(dir, 'postgres.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const pgCtl = (args: readonly string[], timeoutMs?: number) =>
    runAsPostgres(path.join(PG_BIN, 'pg_ctl'), ['-D', dataDir, ...args], { cwd: dir, env: cleanEnv(), timeoutMs });

  try {
    if (owner) assertTraversable(dir);
    // The postgres user must own what it writes: data (0700, initdb insists), socket dir and log.
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.mkdirSync(socketDir, { mode: 0o755 });
    fs.writeFileSync(logFile, '', { mode: 0o644 });
    const pwFile = path.join(dir, 'pwfile');
    fs.writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
    if (owner) for (const p of [dataDir, socketDir, logFile, pwFile]) fs.chownSync(p, owner.uid, owner.gid);

    const initdb = runAsPostgres(path.join(PG_BIN, 'initdb'), [
      '-D', dataDir, '-U', superuser, `--pwfile=${pwFile}`,
      '--auth-local=scram-sha-256', '--auth-host=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions',
    ], { cwd: dir, env: cleanEnv() });
    fs.rmSync(pwFile);
    if (initdb.status !== 0) throw new Error(`initdb failed (${initdb.status}):\n${initdb.stdout}\n${initdb.stderr}`);

    writeServerFiles(dir, opts.files ?? {}, owner);
    const configFile = path.resolve(dir, opts.configFile);
    if (!fs.existsSync(configFile)) throw new Error(`configFile ${opts.configFile} was not among the files written to ${dir}`);

    const settings: Record<string, string> = {
      config_file: configFile,
      ...opts.settings,
      data_directory: dataDir,
      port: String(port),
      listen_addresses: '127.0.0.1',
      unix_socket_directories: socketDir,
    };
    const postgresArgs = Object.entries(settings).map(([k, v]) => `-c ${shq(`${k}=${v}`)}`).join(' ');
    const seconds = opts.startTimeoutSeconds ?? 30;
    const start = pgCtl(['-l', logFile, '-w', '-t', String(seconds), '-o', postgresArgs, 'start'], (seconds + 10) * 1000);
    if (start.status !== 0) {
      pgCtl(['-m', 'immediate', 'stop']); // a half-started postmaster must not linger
      throw new Error(`pg_ctl start failed (${start.status}):\n${start.stdout}${start.stderr}\n--- server log ---\n${log()}`);
    }
  } catch (e) {
    removeServerDir(dir);
    throw e;
  }

  // pg_ctl detaches the postmaster (setsid), so it is tracked by pid, not as our child.
  const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const stop = trackDaemon(`postgres :${port}`, pid, async () => {
    const r = pgCtl(['-m', 'fast', '-w', '-t', '30', 'stop'], 40_000);
    if (r.status !== 0) await terminatePid(pid, 'SIGQUIT'); // SIGQUIT = immediate shutdown
  }, () => removeServerDir(dir), 'SIGQUIT');

  const clientHome = path.join(dir, 'client-home');
  fs.mkdirSync(clientHome, { mode: 0o700 });

  return {
    dir, port, socketDir, superuser, superuserPassword, log, stop,
    psql: (args, env) => runCommand('/usr/bin/psql', ['-X', '-v', 'ON_ERROR_STOP=1', ...args], { cwd: dir, env: cleanEnv({ HOME: clientHome, ...env }) }),
    runSqlAsSuperuser: (sql, db = 'postgres') => {
      const r = runAsPostgres('/usr/bin/psql', [
        '-X', '-v', 'ON_ERROR_STOP=1', '-At', '-h', socketDir, '-p', String(port), '-U', superuser, '-d', db, '-c', sql,
      ], { cwd: dir, env: cleanEnv({ PGPASSWORD: superuserPassword }) });
      if (r.status !== 0) throw new Error(`psql as ${superuser} failed (${r.status}): ${r.stderr}\n--- server log ---\n${log()}`);
      return r.stdout.trim();
    },
  };
}
