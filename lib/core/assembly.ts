import { createHash } from 'crypto';
import { compareCodePoints } from './canonical-json';
import { MlsecError } from './errors';

/** One synthesized file, held in memory. */
export interface AssemblyFile {
  /** Path relative to the output directory, with `/` separators, e.g. `lab/docker-compose.yml`. */
  readonly path: string;
  /** The exact bytes to write, as UTF-8 text. */
  readonly content: string;
  /** Construct path of the construct that produced the file. */
  readonly producer: string;
}

/** A manifest entry: what was written, its digest and who produced it. */
export interface ManifestEntry {
  /** Path relative to the output directory. */
  readonly path: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  /** Construct path of the producer. */
  readonly producer: string;
}

/** The name of the manifest file at the root of every output directory. */
export const MANIFEST_FILE = 'manifest.json';

/**
 * The in-memory result of a synth: every file with its producer. Nothing touches the disk until
 * the writer swaps a complete assembly into place.
 */
export class Assembly {
  private readonly files = new Map<string, AssemblyFile>();

  /** Adds a file; two producers may never claim the same path. */
  public addFile(file: AssemblyFile): void {
    if (!isSafeRelativePath(file.path)) {
      throw new MlsecError(`[${file.producer}] file path '${file.path}' must be relative, use '/' separators and contain no '.' or '..' segments`);
    }
    const existing = this.files.get(file.path);
    if (existing) {
      throw new MlsecError(`[${file.producer}] prop 'path': file '${file.path}' is already produced by construct '${existing.producer}'; choose another path`);
    }
    this.files.set(file.path, file);
  }

  /** The text of a file; throws, listing what exists, when there is no such file. */
  public file(path: string): string {
    const file = this.files.get(path);
    if (!file) throw new MlsecError(`no file '${path}' in the assembly; it has: ${this.paths().join(', ')}`);
    return file.content;
  }

  /** Whether a file exists. */
  public hasFile(path: string): boolean {
    return this.files.has(path);
  }

  /** Every file, sorted by path. */
  public allFiles(): AssemblyFile[] {
    return this.paths().map((p) => this.files.get(p)!);
  }

  /** Every path, sorted. */
  public paths(): string[] {
    return [...this.files.keys()].sort(compareCodePoints);
  }

  /** The manifest: every file but the manifest itself, with its digest. */
  public manifest(): ManifestEntry[] {
    return this.allFiles()
      .filter((f) => f.path !== MANIFEST_FILE)
      .map((f) => ({ path: f.path, sha256: sha256(f.content), producer: f.producer }));
  }
}

/** Hex SHA-256 of UTF-8 text. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
