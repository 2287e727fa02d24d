/**
 * The binaries tools/install-*.sh build into the tools cache, one folder per tool and version:
 * `${MLSEC_TOOLS_CACHE:-~/.cache/mlsec-cdk}/<tool>/<version>/bin/<name>`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * `<cache>/<tool>/<version>/bin/<name>`. Throws `missing(bin)` (which should name the install
 * script) unless it is an executable file: a missing build is a failure, never a skip.
 */
export function toolBinary(tool: string, version: string, name: string, missing: (bin: string) => string): string {
  const cache = process.env.MLSEC_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'mlsec-cdk');
  const bin = path.join(cache, tool, version, 'bin', name);
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    if (fs.statSync(bin).isFile()) return bin;
  } catch {
    // Reported below.
  }
  throw new Error(missing(bin));
}
