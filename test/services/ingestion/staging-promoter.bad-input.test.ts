/** Bad inputs of StagingPromoter: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { MinioBucket, MinioServer, StagingPromoter, StagingPromoterProps, Testing, Vps, Zone } from '../../../lib';
import { expectClearError, ExpectedError } from '../../property/support';

const PATH = 'lab/promote';

interface Setup {
  readonly staging: MinioBucket;
  readonly raw: MinioBucket;
  readonly quarantine: MinioBucket;
  /** A bucket of a second MinIO server. */
  readonly elsewhere: MinioBucket;
}

function setup() {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const other = new MinioServer(vps, 'other-lake', { zone: Zone.Z2_RAW_LAKE });
  const s: Setup = {
    raw: lake.addBucket('Raw', { name: 'raw', objectLock: { mode: 'GOVERNANCE', days: 1 } }),
    staging: lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 }),
    quarantine: lake.addBucket('Quarantine', { name: 'quarantine' }),
    elsewhere: other.addBucket('Raw', { name: 'raw2' }),
  };
  return { app, vps, lake, s };
}

/** A promoter whose props are `props(buckets)` over valid defaults; expects synth to fail clearly. */
function rejects(props: (s: Setup) => Partial<StagingPromoterProps> | Record<string, unknown>, expected: Omit<ExpectedError, 'paths'> & { paths?: string[] }) {
  const { app, vps, s } = setup();
  new StagingPromoter(vps, 'promote', { source: 'transactions', staging: s.staging, raw: s.raw, quarantine: s.quarantine, ...props(s) } as StagingPromoterProps);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], ...expected });
}

describe('StagingPromoter bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const { app, vps, s, lake } = setup();
    new StagingPromoter(vps, 'promote', { source: 'transactions', staging: s.staging, raw: s.raw, quarantine: s.quarantine });
    expect(() => Testing.synth(app)).not.toThrow();
    expect(lake.policyOf('promote')).toBeDefined();
  });

  it.each([['Transactions'], ['tx source'], ['1tx'], ['tx-'], ['tx/../raw'], ['tx_a'], [''], ['a'.repeat(33)], ['tx"}'], ['*'], [undefined], [42]])('refuses the source name %j', (source) => {
    rejects(() => ({ source }), { prop: "prop 'source'", allowed: /lower-case letters, digits and "-"/ });
  });

  it.each([['staging'], ['raw'], ['quarantine']])('refuses a missing %s bucket', (prop) => {
    rejects(() => ({ [prop]: undefined }), { prop: `prop '${prop}'`, allowed: /required \(a MinioBucket\)/ });
  });

  it.each([['staging'], ['raw'], ['quarantine']])('refuses a %s that is no MinioBucket', (prop) => {
    rejects(() => ({ [prop]: { bucketName: 'raw' } }), { prop: `prop '${prop}'`, allowed: /MinioBucket/ });
  });

  it.each<[string, (s: Setup) => Partial<StagingPromoterProps>]>([
    ['raw = staging', (s) => ({ raw: s.staging })],
    ['quarantine = staging', (s) => ({ quarantine: s.staging })],
    ['quarantine = raw', (s) => ({ quarantine: s.raw })],
  ])('refuses the same bucket twice (%s)', (_label, props) => {
    rejects(props, { prop: "props 'staging', 'raw' and 'quarantine'", allowed: /three different buckets/ });
  });

  it('refuses buckets of two MinIO servers (the job holds one set of keys)', () => {
    rejects((s) => ({ raw: s.elsewhere }), { prop: "props 'staging', 'raw' and 'quarantine'", allowed: /same MinioServer/ });
  });

  it('grants nothing when the props are wrong, so no wider policy is left behind', () => {
    const { vps, s, lake } = setup();
    new StagingPromoter(vps, 'promote', { source: 'tx/../', staging: s.staging, raw: s.raw, quarantine: s.quarantine });
    new StagingPromoter(vps, 'promote-same', { source: 'tx', staging: s.staging, raw: s.staging, quarantine: s.quarantine });
    expect(lake.policyOf('promote')).toBeUndefined();
    expect(lake.policyOf('promote-same')).toBeUndefined();
  });

  it('lists every problem at once, one line each', () => {
    const err = rejects((s) => ({ source: 'Bad', raw: s.staging, quarantine: undefined }), { prop: "prop 'source'" });
    for (const part of ["prop 'source'", "prop 'quarantine'"]) expect(err.message).toContain(part);
  });
});
