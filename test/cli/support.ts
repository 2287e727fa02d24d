import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/mlsec';

/** The fixtures folder, relative to the repo root (paths are printed as given). */
export const FIXTURES = path.join('test', 'cli', 'fixtures');
export const ROOT = path.join(__dirname, '..', '..');

/** What one in-process `mlsec` run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mlsec <argv>` in-process (vitest runs from the repo root, so fixture paths are relative to it). */
export async function mlsec(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** A fixture path relative to the repo root, as a user would type it. */
export function fixture(name: string): string {
  return path.relative(process.cwd(), path.join(ROOT, FIXTURES, name)) || '.';
}

/** A scratch folder, removed by the returned cleanup. */
export function scratchDir(): { dir: string; write(name: string, content: string | Uint8Array): string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-cli-'));
  return {
    dir,
    write(name, content) {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      return file;
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A V8 stack frame line (`    at fn (file:1:2)`), which must never reach the user. */
export const STACK_FRAME = /^\s+at .+(?::\d+:\d+\)?|\(native\))$/m;
