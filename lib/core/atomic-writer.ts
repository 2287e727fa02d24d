import * as nodeFs from 'fs';
import * as path from 'path';
import { Assembly, MANIFEST_FILE } from './assembly';
import { MlsecError } from './errors';

/** The file-system calls the writer makes; injectable so tests can fail a write half-way. */
export interface WriterFileSystem {
  existsSync(p: string): boolean;
  mkdirSync(p: string, options: { recursive: true; mode?: number }): unknown;
  writeFileSync(p: string, data: string, options: { encoding: 'utf8'; mode?: number }): void;
  readFileSync(p: string, encoding: 'utf8'): string;
  renameSync(from: string, to: string): void;
  rmSync(p: string, options: { recursive: true; force: true }): void;
  readdirSync(p: string): string[];
  statSync(p: string): { isDirectory(): boolean };
}

/** Differences between an assembly and what is on disk. */
export interface OutputDrift {
  /** Files the assembly has and the disk lacks. */
  readonly missing: string[];
  /** Files on disk the assembly does not produce. */
  readonly extra: string[];
  /** Files whose bytes differ. */
  readonly changed: string[];
}

/**
 * Writes an assembly so that the output directory is either the previous one, untouched, or the
 * complete new one: files go into a temporary sibling directory, which is then renamed into place.
 * Files the new assembly no longer produces disappear with the old directory.
 */
export class AtomicWriter {
  private readonly fs: WriterFileSystem;

  constructor(options: { fs?: WriterFileSystem } = {}) {
    this.fs = options.fs ?? nodeFs;
  }

  /** Replaces `outdir` with exactly the assembly's files. */
  public write(assembly: Assembly, outdir: string): void {
    const target = path.resolve(outdir);
    this.assertOwned(target);
    const suffix = `${process.pid}-${Date.now().toString(36)}`;
    const staging = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${suffix}`);
    const retired = path.join(path.dirname(target), `.${path.basename(target)}.old-${suffix}`);
    let movedAway = false;
    try {
      this.fs.mkdirSync(staging, { recursive: true });
      // One mkdir per folder, not per file: a recursive mkdir is a system call chain each time.
      const made = new Set<string>([staging]);
      for (const file of assembly.allFiles()) {
        const dest = path.join(staging, ...file.path.split('/'));
        const dir = path.dirname(dest);
        if (!made.has(dir)) {
          this.fs.mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        this.fs.writeFileSync(dest, file.content, { encoding: 'utf8', mode: 0o644 });
      }
      if (this.fs.existsSync(target)) {
        this.fs.renameSync(target, retired);
        movedAway = true;
      }
      this.fs.renameSync(staging, target);
    } catch (err) {
      this.fs.rmSync(staging, { recursive: true, force: true });
      if (movedAway && !this.fs.existsSync(target)) this.fs.renameSync(retired, target);
      throw new MlsecError(`writing ${outdir} failed; the previous output is left untouched: ${(err as Error).message}`);
    }
    if (movedAway) this.fs.rmSync(retired, { recursive: true, force: true });
  }

  /** Compares without writing: what `synth:check` reports. */
  public diff(assembly: Assembly, outdir: string): OutputDrift {
    const target = path.resolve(outdir);
    const onDisk = new Set(this.fs.existsSync(target) ? this.listFiles(target, '') : []);
    const missing: string[] = [];
    const changed: string[] = [];
    for (const file of assembly.allFiles()) {
      if (!onDisk.has(file.path)) missing.push(file.path);
      else if (this.fs.readFileSync(path.join(target, ...file.path.split('/')), 'utf8') !== file.content) changed.push(file.path);
      onDisk.delete(file.path);
    }
    return { missing, extra: [...onDisk].sort(), changed };
  }

  /** Refuses to replace a directory that a synth did not write (it would be deleted). */
  public assertOwned(target: string): void {
    if (!this.fs.existsSync(target)) return;
    if (!this.fs.statSync(target).isDirectory()) {
      throw new MlsecError(`outdir '${target}' exists and is not a directory; choose another outdir`);
    }
    const entries = this.fs.readdirSync(target);
    if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
      throw new MlsecError(`outdir '${target}' is not empty and has no ${MANIFEST_FILE}, so it was not written by a synth; refusing to replace it. Choose an empty or new outdir`);
    }
  }

  private listFiles(dir: string, prefix: string): string[] {
    const out: string[] = [];
    for (const name of this.fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (this.fs.statSync(full).isDirectory()) out.push(...this.listFiles(full, rel));
      else out.push(rel);
    }
    return out;
  }
}
