/**
 * File-system calls for the operator-only secrets folder: directories 0700, files 0600, set
 * explicitly (never left to the umask), files replaced atomically (temporary file in the same
 * directory, then rename), and never written through a symbolic link.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MlsecError } from '../core/errors';

/** Mode of every directory the bootstrap owns. */
export const DIR_MODE = 0o700;
/** Mode of every file the bootstrap writes. */
export const FILE_MODE = 0o600;

/** What {@link ensureDir} did. */
export type DirOutcome = 'created' | 'tightened' | 'unchanged';

/**
 * Makes `dir` (and missing parents) a directory of mode 0700. An existing directory whose mode
 * is looser is tightened; a symbolic link or a file in the way is an error.
 */
export function ensureDir(dir: string): DirOutcome {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(dir, 'cannot be read', err);
  }
  if (st === undefined) {
    const parent = path.dirname(dir);
    if (parent !== dir && !fs.existsSync(parent)) ensureDir(parent);
    try {
      fs.mkdirSync(dir, { mode: DIR_MODE });
      fs.chmodSync(dir, DIR_MODE); // mkdir's mode is filtered by the umask
    } catch (err) {
      throw fsError(dir, 'cannot be created', err);
    }
    return 'created';
  }
  if (st.isSymbolicLink()) throw new MlsecError(`[${dir}] is a symbolic link; the secrets folder must be a real directory (mode 0700)`);
  if (!st.isDirectory()) throw new MlsecError(`[${dir}] exists and is not a directory; move it away`);
  if ((st.mode & 0o777) === DIR_MODE) return 'unchanged';
  try {
    fs.chmodSync(dir, DIR_MODE);
  } catch (err) {
    throw fsError(dir, 'cannot be made mode 0700', err);
  }
  return 'tightened';
}

/**
 * Writes `data` to `file` atomically with mode 0600. `durable` (the default) also fsyncs the
 * data before the rename, so a crash leaves the old file or the new one, never an empty one.
 */
export function writeSecureFile(file: string, data: string | Buffer, durable = true): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  let fd: number | undefined;
  try {
    // 'wx' = O_CREAT|O_EXCL: never opens an existing file or follows a planted symbolic link.
    fd = fs.openSync(tmp, 'wx', FILE_MODE);
    fs.fchmodSync(fd, FILE_MODE);
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (durable) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw fsError(file, 'cannot be written', err);
  }
}

/** Reads a file the bootstrap manages, or undefined when it does not exist. */
export function readIfExists(file: string): Buffer | undefined {
  try {
    const st = fs.lstatSync(file);
    if (st.isSymbolicLink()) throw new MlsecError(`[${file}] is a symbolic link; files in the secrets folder must be regular files`);
    if (!st.isFile()) throw new MlsecError(`[${file}] is not a regular file; move it away`);
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof MlsecError) throw err;
    throw fsError(file, 'cannot be read', err);
  }
}

/** Sets mode 0600 on an existing file; true when it had another mode. */
export function tightenFile(file: string): boolean {
  const st = fs.lstatSync(file);
  if ((st.mode & 0o777) === FILE_MODE) return false;
  try {
    fs.chmodSync(file, FILE_MODE);
  } catch (err) {
    throw fsError(file, 'cannot be made mode 0600', err);
  }
  return true;
}

/** Moves a file within the secrets folder (same file system). */
export function moveFile(from: string, to: string): void {
  if (fs.existsSync(to)) throw new MlsecError(`[${to}] already exists; the bootstrap never overwrites a retired file`);
  try {
    fs.renameSync(from, to);
  } catch (err) {
    throw fsError(from, `cannot be moved to ${to}`, err);
  }
}

function fsError(file: string, what: string, err: unknown): MlsecError {
  if (err instanceof MlsecError) return err;
  const e = err as NodeJS.ErrnoException;
  return new MlsecError(`[${file}] ${what}: ${e?.code ? `${e.code} ` : ''}${e?.message ?? String(err)}`);
}
