import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { AssemblyFile } from './assembly';
import { MlsecError } from './errors';

/** How long `commit` waits for the last writes before it gives up (and keeps the old output). */
const COMMIT_TIMEOUT_MS = 120_000;

/**
 * A new output directory being written in the background while synth still runs, so the disk
 * writes (a few hundred files) overlap the posture check instead of following it.
 *
 * Files go into a hidden sibling of the outdir (`.<outdir>.tmp-<pid>-<time>`) from a worker
 * thread. `commit()` waits for the worker, then swaps the directories by rename, exactly as
 * {@link AtomicWriter.write}; `abort()` (any synth failure) removes the staging directory, so
 * the previous output stays untouched either way. Paths arrive already checked by the
 * {@link Assembly} (relative, no `.` or `..`).
 */
export class StagedOutput {
  /**
   * Starts a staged output for `outdir` (refused, before any work, if `outdir` was not written by
   * a synth; see {@link AtomicWriter.assertOwned}).
   */
  public static start(outdir: string, assertOwned: (target: string) => void): StagedOutput {
    const target = path.resolve(outdir);
    assertOwned(target);
    return new StagedOutput(target);
  }

  private readonly staging: string;
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;

  private constructor(private readonly target: string) {
    const suffix = `${process.pid}-${Date.now().toString(36)}`;
    this.staging = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${suffix}`);
    fs.mkdirSync(this.staging, { recursive: true });
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { staging: this.staging, port: port2, signal: this.signal }, transferList: [port2] });
    // A synth that throws before commit/abort must not keep the process alive.
    this.worker.unref();
    this.port.unref();
  }

  /** Queues files for writing (returns at once). */
  public write(files: readonly AssemblyFile[]): void {
    if (this.closed) throw new MlsecError('the staged output is already committed or aborted');
    this.port.postMessage({ type: 'files', files: files.map((f) => [f.path, f.content]) });
  }

  /** Waits for every queued write, then puts the new directory in place of the old one. */
  public commit(): void {
    const error = this.finish('end');
    if (error !== undefined) {
      fs.rmSync(this.staging, { recursive: true, force: true });
      throw new MlsecError(`writing ${this.target} failed; the previous output is left untouched: ${error}`);
    }
    const retired = this.staging.replace(/\.tmp-([^/]+)$/, '.old-$1');
    let movedAway = false;
    try {
      if (fs.existsSync(this.target)) {
        fs.renameSync(this.target, retired);
        movedAway = true;
      }
      fs.renameSync(this.staging, this.target);
    } catch (err) {
      fs.rmSync(this.staging, { recursive: true, force: true });
      if (movedAway && !fs.existsSync(this.target)) fs.renameSync(retired, this.target);
      throw new MlsecError(`writing ${this.target} failed; the previous output is left untouched: ${(err as Error).message}`);
    }
    if (movedAway) fs.rmSync(retired, { recursive: true, force: true });
  }

  /** Drops everything written so far; the previous output stays as it was. */
  public abort(): void {
    if (this.closed) return;
    this.finish('abort');
    fs.rmSync(this.staging, { recursive: true, force: true });
  }

  /** Tells the worker to stop after the queued writes and waits for its answer (an error text, or undefined). */
  private finish(type: 'end' | 'abort'): string | undefined {
    if (this.closed) throw new MlsecError('the staged output is already committed or aborted');
    this.closed = true;
    try {
      this.port.postMessage({ type });
      if (Atomics.wait(this.signal, 0, 0, COMMIT_TIMEOUT_MS) === 'timed-out') return `the writer thread did not finish within ${COMMIT_TIMEOUT_MS / 1000} s`;
      return (receiveMessageOnPort(this.port)?.message as { error?: string } | undefined)?.error;
    } finally {
      this.port.close();
      void this.worker.terminate();
    }
  }
}

/** The writer thread: files in arrival order, one mkdir per folder; the first error stops it. */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const fs = require('fs');
const path = require('path');
const { staging, port, signal } = workerData;
const made = new Set([staging]);
let error;
port.on('message', (m) => {
  if (m.type === 'files') {
    if (error !== undefined) return;
    try {
      for (const [rel, content] of m.files) {
        const dest = path.join(staging, ...rel.split('/'));
        const dir = path.dirname(dest);
        if (!made.has(dir)) { fs.mkdirSync(dir, { recursive: true }); made.add(dir); }
        fs.writeFileSync(dest, content, { encoding: 'utf8', mode: 0o644 });
      }
    } catch (err) {
      error = String((err && err.message) || err);
    }
    return;
  }
  port.postMessage({ error });
  port.close();
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;
