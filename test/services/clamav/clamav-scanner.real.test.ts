/**
 * The generated clamd.conf for real: Debian's clamd (tools/install-test-deps.sh) started with it —
 * re-rooted only in its folders, listen address and port — and a local test signature database
 * (EICAR as a body signature; the machine has no internet for freshclam). Over clamd's INSTREAM
 * protocol: EICAR is FOUND, also inside an archive within the depth limit; a clean file is OK;
 * an archive nested to MaxRecursion 3, one with more than MaxFiles entries and a password-protected
 * archive are flagged (Heuristics.Limits / Heuristics.Encrypted); a stream above StreamMaxLength
 * is refused.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { clamdCommand, clamdVersion, EICAR, instream, requireClamd, rerootClamdConf, RunningClamd, startClamd, writeTestSignatures } from '../../support/real-servers/clamd';
import { freePort } from '../../support/real-servers/free-port';
import { registerCleanup, runCommand, stopAll } from '../../support/real-servers/process-registry';
import { buildScannerLab } from './clamav-fixture';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-clamd-real-'));
// Registered first, so stopAll removes it after clamd, even when clamd fails to stop.
registerCleanup(() => fs.rmSync(work, { recursive: true, force: true }), 'clamd test work dir');
let clamd: RunningClamd;
let port: number;
let overrides: string[] = [];
let generated: { conf: string; freshclam: string; script: string };

/** Zips `files` (name → content) into `<name>.zip` under the work folder, with `zip -P` when a password is given; returns its bytes. */
function zipOf(name: string, files: Record<string, Buffer | string>, password?: string): Buffer {
  const dir = fs.mkdtempSync(path.join(work, 'zip-'));
  for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), content);
  // A fresh name: zip adds to an archive that exists.
  const out = path.join(dir, `${name}.zip`);
  const r = runCommand('zip', ['-q', '-X', ...(password ? ['-P', password] : []), out, ...Object.keys(files)], { cwd: dir });
  if (fs.existsSync(out) && r.status === 0) {
    const bytes = fs.readFileSync(out);
    fs.rmSync(dir, { recursive: true, force: true });
    return bytes;
  }
  throw new Error(`zip failed (${r.status}): ${r.stderr} (tools/install-test-deps.sh installs zip)`);
}

/** `content` zipped `levels` times (level 1 = one archive around it). */
function nested(content: string | Buffer, levels: number, leaf = 'payload.txt'): Buffer {
  let data = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
  let name = leaf;
  for (let i = 1; i <= levels; i++) {
    data = zipOf(`level-${i}`, { [name]: data });
    name = `level-${i}.zip`;
  }
  return data;
}

beforeAll(async () => {
  requireClamd(); // throws naming tools/install-test-deps.sh when missing
  const assembly = Testing.synth(buildScannerLab().app);
  generated = { conf: assembly.file('lab/clamav/clamd.conf'), freshclam: assembly.file('lab/clamav/freshclam.conf'), script: assembly.file('lab/clamav/update-signatures.sh') };
  port = await freePort();
  const conf = rerootClamdConf(assembly.file('lab/clamav/clamd.conf'), { dir: work, port, databaseDir: writeTestSignatures(path.join(work, 'db')) });
  overrides = conf.overrides;
  clamd = await startClamd(conf.confPath, port);
}, 180_000);

afterAll(() => stopAll());

describe('ClamavScanner for real (Debian clamd with the generated clamd.conf)', () => {
  it('starts with the generated limits, re-rooted only in folders and address', async () => {
    console.log(`clamav-daemon ${clamdVersion()}\nre-rooted:\n${overrides.join('\n')}`);
    expect(overrides).toHaveLength(5);
    expect(await clamdCommand(port, 'PING')).toBe('PONG');
    const log = clamd.log();
    for (const line of ['Limits: Global time limit set to 30000 milliseconds.', 'Limits: Global size limit set to 209715200 bytes.', 'Limits: File size limit set to 209715200 bytes.',
      'Limits: Recursion level limit set to 3.', 'Limits: Files limit set to 1000.', 'Alerting of encrypted archives _and_ documents enabled.', 'Heuristic alerting enabled for scans that exceed set maximums.']) {
      expect(log).toContain(line);
    }
    expect(log).not.toMatch(/WARNING|ERROR/);
  });

  it('has a clamd.conf and freshclam.conf that clamconf parses without errors or deprecations', () => {
    const dir = fs.mkdtempSync(path.join(work, 'clamconf-'));
    fs.writeFileSync(path.join(dir, 'clamd.conf'), generated.conf);
    fs.writeFileSync(path.join(dir, 'freshclam.conf'), generated.freshclam);
    const r = runCommand('clamconf', ['-c', dir], { cwd: dir });
    expect(r.status).toBe(0);
    // clamconf exits 0 either way: its verdict is in the output.
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^(ERROR|WARNING)|deprecated/im);
    expect(r.stdout).toContain('Config file: freshclam.conf');
    expect(r.stdout).toMatch(/DatabaseMirror = "database\.clamav\.net"/);
    expect(r.stdout).toMatch(/MaxRecursion = "3"/);
    const syntax = runCommand('sh', ['-n', '-c', generated.script], { cwd: dir });
    expect(syntax.status, syntax.stderr).toBe(0);
  });

  it('finds EICAR in a stream, and inside an archive within the depth limit', async () => {
    expect(await instream(port, Buffer.from(EICAR, 'latin1'))).toBe('stream: Mlsec.Test.Eicar.UNOFFICIAL FOUND');
    // Padded so that zip deflates it: the pattern is only visible once clamd unpacks both levels.
    const archive = nested(`${EICAR}\n${'padding line\n'.repeat(500)}`, 2);
    expect(archive.includes(Buffer.from(EICAR, 'latin1'))).toBe(false);
    expect(await instream(port, archive)).toBe('stream: Mlsec.Test.Eicar.UNOFFICIAL FOUND');
  });

  it('passes a clean file and a clean shallow archive', async () => {
    const clean = JSON.stringify({ id: 'tx-1', amount: 12.5, currency: 'BRL' });
    expect(await instream(port, Buffer.from(clean))).toBe('stream: OK');
    expect(await instream(port, nested(`${clean} ${Math.random()}`, 2))).toBe('stream: OK');
  });

  it('flags an archive nested to MaxRecursion 3 (Heuristics.Limits), even when clean; one level less is scanned', async () => {
    // Fresh contents each time: clamd caches clean verdicts by hash, so an inner archive it already
    // found clean at the top level would be skipped (rightly) when met again deeper down.
    expect(await instream(port, nested(`clean ${Math.random()}`, 2))).toBe('stream: OK');
    expect(await instream(port, nested(`clean ${Math.random()}`, 3))).toBe('stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND');
    expect(await instream(port, nested(`clean ${Math.random()}`, 6))).toBe('stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND');
    // EICAR below the depth limit: flagged either way (zip stores 68 bytes uncompressed, so the body
    // signature may already match in the outer archive's bytes; otherwise the depth limit flags it).
    expect(await instream(port, nested(EICAR, 4))).toMatch(/^stream: (Mlsec\.Test\.Eicar\.UNOFFICIAL|Heuristics\.Limits\.Exceeded\.MaxRecursion) FOUND$/);
  });

  it('flags an archive with more than MaxFiles 1000 entries (Heuristics.Limits)', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1005; i++) files[`f${i}.txt`] = `row ${i} ${Math.random()}\n`;
    expect(await instream(port, zipOf('many', files))).toBe('stream: Heuristics.Limits.Exceeded.MaxFiles FOUND');
  });

  it('flags a password-protected archive (Heuristics.Encrypted)', async () => {
    expect(await instream(port, zipOf('encrypted', { 'data.csv': 'a,b\n1,2\n' }, 'secret'))).toBe('stream: Heuristics.Encrypted.Zip FOUND');
  });

  it('refuses a stream above StreamMaxLength (25 MiB)', async () => {
    const reply = await instream(port, Buffer.alloc(26 * 1024 * 1024, 0x41), 1024 * 1024);
    expect(reply).toBe('INSTREAM size limit exceeded. ERROR');
    // And it still serves the next client.
    expect(await instream(port, Buffer.from('after'))).toBe('stream: OK');
  });
});
