/** Bad inputs of ClamavScanner: each ends in a clear MlsecError naming the construct path, the prop and what is allowed. */
import { describe, expect, it } from 'vitest';
import { Testing, Workload } from '../../../lib';
import { ClamavScannerProps } from '../../../lib/services/clamav';
import { expectClearError } from '../../property/support';
import { buildScannerLab } from './clamav-fixture';

const rejects = (props: Record<string, unknown>, prop: string | RegExp, allowed: RegExp) =>
  expectClearError(() => Testing.synth(buildScannerLab(props as ClamavScannerProps).app), { paths: ['lab/clamav'], prop, allowed });

describe('ClamavScanner bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    expect(() => Testing.synth(buildScannerLab().app)).not.toThrow();
    expect(() => Testing.synth(buildScannerLab({ limits: { maxRecursion: 1, maxScanSizeMiB: 1, maxFileSizeMiB: 1, maxFiles: 1, maxScanTimeSeconds: 1, maxStreamMiB: 1 }, scratchMiB: 2 }).app)).not.toThrow();
  });

  it.each<[string, unknown, RegExp]>([
    ['maxRecursion', 0, /integer from 1 to 16/],
    ['maxRecursion', 17, /integer from 1 to 16/],
    ['maxRecursion', 2.5, /integer from 1 to 16/],
    ['maxScanSizeMiB', 0, /integer from 1 to 4000/],
    ['maxScanSizeMiB', '200M', /integer from 1 to 4000/],
    ['maxFileSizeMiB', -1, /integer from 1 to 4000/],
    ['maxFiles', 0, /integer from 1 to 100000/],
    ['maxScanTimeSeconds', 0, /integer from 1 to 600/],
    ['maxScanTimeSeconds', 3600, /integer from 1 to 600/],
    ['maxStreamMiB', '25', /integer from 1 to 4000/],
  ])('refuses limits.%s = %j', (key, value, allowed) => {
    rejects({ limits: { [key]: value } }, `prop 'limits.${key}'`, allowed);
  });

  it('refuses a single-file limit above the total scan limit', () => {
    rejects({ limits: { maxFileSizeMiB: 300 } }, "prop 'limits.maxFileSizeMiB'", /must not exceed 'limits.maxScanSizeMiB' \(200\)/);
  });

  it('refuses an upload limit above what is scanned', () => {
    rejects({ limits: { maxStreamMiB: 300, maxScanSizeMiB: 200 } }, "prop 'limits.maxStreamMiB'", /must not exceed 'limits.maxScanSizeMiB' \(200\)/);
  });

  it.each([[10], [49], [0.5], [100_000]])('refuses a scratch tmpfs of %j MiB (at least twice the 25 MiB stream limit)', (scratchMiB) => {
    rejects({ scratchMiB }, "prop 'scratchMiB'", /integer from 50 to 16384/);
  });

  it.each([['database.clamav.net/x'], ['Database.clamav.net'], ['mirror'], ['http://x'], ['']])('refuses the signature mirror host %j', (signatureMirror) => {
    rejects({ signatureMirror }, "prop 'signatureMirror'", /DNS host name/);
  });

  it.each([['http://clamav-mirror.bank.example'], ['clamav-mirror.bank.example'], ['https://x/ y'], ['https://x/"$(id)"']])('refuses the private mirror %j', (privateMirror) => {
    rejects({ privateMirror }, "prop 'privateMirror'", /https:\/\/ URL/);
  });

  it('refuses allowScanFrom() of something that is not a workload', () => {
    const lab = buildScannerLab();
    lab.scanner.allowScanFrom({} as Workload);
    expectClearError(() => Testing.synth(lab.app), { paths: ['lab/clamav'], prop: /allowScanFrom\(\) needs a Workload/, allowed: /Workload/ });
  });
});
