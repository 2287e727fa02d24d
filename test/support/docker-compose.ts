import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Runs Debian's docker-compose 1.29 `config -q` on a compose text, the way CI's consumer reads it.
 * 1.29 rejects the top-level `name:` key, so it is stripped and passed with `-p` instead.
 * Returns the exit code and stderr; throws with an install hint when docker-compose is missing.
 */
export function dockerComposeConfig(composeText: string, projectName = 'lab'): { status: number; stderr: string } {
  const which = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) {
    throw new Error('docker-compose is not installed: run `npx projen test:deps` (Debian package docker-compose)');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-compose-'));
  try {
    const file = path.join(dir, 'docker-compose.yml');
    fs.writeFileSync(file, composeText.replace(/^name: .*\n/m, ''));
    const result = spawnSync('docker-compose', ['-p', projectName, '-f', file, 'config', '-q'], { encoding: 'utf8' });
    return { status: result.status ?? -1, stderr: result.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
