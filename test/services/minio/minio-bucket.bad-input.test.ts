/**
 * Bad input for MinioServer buckets and grants: bucket names S3 refuses, duplicate names, object
 * lock that contradicts versioning or expiry, bad retention, prefixes that are wildcards, escape
 * the bucket or are not folder prefixes, overlapping grants, a server with no bucket. Each is
 * rejected at synth by the library's own clear error naming the construct path (the bucket's or
 * the server's), the prop and what is allowed, and `app.synth()` then writes nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { App, MinioBucket, MinioBucketProps, MinioServer, MlsecError, Testing, Vps, Workload, Zone } from '../../../lib';
import { expectClearError, ExpectedError } from '../../property/support';
import { consumerWorkload, tempParents } from '../support';
import { labApp } from '../../support/fixtures';

const SERVER = 'lab/lake';
const RAW = 'lab/lake/Raw';
const API = 'lab/api';
const NAME_RULE = /3-63 lower-case letters, digits and "-"/;
const PREFIX_RULE = /'' or "\/"-separated segments of lower-case letters, digits and "._=-" ending in "\/".*no wildcards/;

/** An empty temporary folder; the outdir is a child of it that must not appear. */
const freshParent = tempParents('mlsec-minio-bad-');

/** A valid starting point: `lake` with bucket `raw` (id Raw) and a consumer `api`. */
interface Mn {
  readonly app: App;
  readonly vps: Vps;
  readonly lake: MinioServer;
  readonly raw: MinioBucket;
  readonly api: Workload;
  consumer(id: string): Workload;
}

const consumer = (vps: Vps, id: string): Workload => consumerWorkload(vps, id, Zone.Z4_FACTORY);

function mn(outdir: string, withBucket = true): Mn {
  const { app, vps } = labApp(outdir);
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const raw = withBucket ? lake.addBucket('Raw', { name: 'raw' }) : (undefined as unknown as MinioBucket);
  return { app, vps, lake, raw, api: consumer(vps, 'api'), consumer: (id) => consumer(vps, id) };
}

/** Builds the valid server, applies `inject`, synthesizes into a fresh outdir: a clear error, nothing written. */
function rejects(inject: (m: Mn) => void, expected: ExpectedError, withBucket = true): MlsecError {
  const parent = freshParent();
  const outdir = path.join(parent, 'synth-out');
  const err = expectClearError(() => {
    const m = mn(outdir, withBucket);
    inject(m);
    m.app.synth();
  }, expected);
  expect(fs.existsSync(outdir), 'a failed synth must not create the outdir').toBe(false);
  expect(fs.readdirSync(parent), 'a failed synth must not leave a staging folder').toEqual([]);
  return err;
}

/** The same, expected to synthesize (in memory); returns the policy of `api`. */
function accepts(inject: (m: Mn) => void): { m: Mn; policy: any } {
  const m = mn('synth-out');
  inject(m);
  const assembly = Testing.synth(m.app);
  const policy = assembly.paths().includes('lab/lake/policies/api.json') ? JSON.parse(assembly.file('lab/lake/policies/api.json')) : undefined;
  return { m, policy };
}

function addBucket(m: Mn, props: MinioBucketProps): MinioBucket {
  return m.lake.addBucket('Other', props);
}
const OTHER = 'lab/lake/Other';

describe('the valid starting point', () => {
  it('synthesizes a bucket with a read grant into a policy limited to the prefix', () => {
    const { policy } = accepts((m) => m.raw.grantRead(m.api, { prefix: 'source-a/' }));
    expect(policy.Statement.map((s: { Resource: string[] }) => s.Resource[0])).toEqual(['arn:aws:s3:::raw/source-a/*', 'arn:aws:s3:::raw']);
  });

  it.each(['abc', 'a'.repeat(63), 'a-b', '0ab', 'xn-a', 's3alias-x', 'a--b'])('accepts the bucket name %j', (name) => {
    accepts((m) => addBucket(m, { name }));
  });

  it.each(['', 'source-a/', 'a/b/c/', 'year=2024/month=01/', 'a.b_c-d/', 'a/'.repeat(8), `${'p'.repeat(63)}/`])('accepts the prefix %j', (prefix) => {
    const { policy } = accepts((m) => m.raw.grantWrite(m.api, { prefix }));
    expect(policy.Statement[0].Resource).toEqual([`arn:aws:s3:::raw/${prefix}*`]);
  });
});

describe('bucket name', () => {
  it.each([
    ['upper case', 'Raw'],
    ['dots', 'raw.data'],
    ['an IP address', '192.168.1.1'],
    ['2 characters', 'ab'],
    ['64 characters', 'a'.repeat(64)],
    ['the xn-- prefix', 'xn--x'],
    ['the -s3alias suffix', 'raw-s3alias'],
    ['a leading "-"', '-a'],
    ['a leading "-" (3 characters)', '-ab'],
    ['a trailing "-"', 'raw-'],
    ['an "_"', 'a_b'],
    ['a space', 'raw data'],
    ['a "/"', 'raw/x'],
    ['a "*"', 'raw*'],
    ['a newline', 'raw\n'],
    ['a quote', 'raw"'],
    ['an empty name', ''],
    ['a number', 123],
    ['undefined', undefined],
  ])('rejects a name with %s', (_label, name) => {
    rejects((m) => addBucket(m, { name: name as string }), { paths: [OTHER], prop: "prop 'name'", allowed: NAME_RULE });
  });

  it('rejects a bucket without props', () => {
    rejects((m) => m.lake.addBucket('Other', undefined as never), { paths: [OTHER], prop: "prop 'name'", allowed: NAME_RULE });
  });

  it.each([
    ['the same props', { name: 'raw' }],
    ['other props', { name: 'raw', expireAfterDays: 3 }],
  ])('rejects a duplicate bucket name (%s), naming both buckets', (_label, props) => {
    rejects((m) => addBucket(m, props), { paths: [SERVER, RAW], prop: /bucket name "raw"/, allowed: /already used/ });
  });
});

describe('object lock, versioning and expiry', () => {
  it('rejects objectLock with versioning false', () => {
    rejects((m) => addBucket(m, { name: 'evidence', versioning: false, objectLock: { mode: 'COMPLIANCE', days: 30 } }), {
      paths: [OTHER],
      prop: "prop 'versioning'",
      allowed: /object lock needs versions/,
    });
  });

  it('rejects objectLock with expireAfterDays', () => {
    rejects((m) => addBucket(m, { name: 'evidence', objectLock: { mode: 'GOVERNANCE', days: 30 }, expireAfterDays: 3 }), {
      paths: [OTHER],
      prop: /'objectLock' and 'expireAfterDays'/,
      allowed: /exclude each other/,
    });
  });

  it.each([
    ['lower case', 'governance'],
    ['an S3 legal hold', 'LEGAL_HOLD'],
    ['an empty string', ''],
    ['undefined', undefined],
  ])('rejects the lock mode %s', (_label, mode) => {
    rejects((m) => addBucket(m, { name: 'evidence', objectLock: { mode: mode as never, days: 30 } }), {
      paths: [OTHER],
      prop: "prop 'objectLock.mode'",
      allowed: "'GOVERNANCE' or 'COMPLIANCE'",
    });
  });

  it.each([
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['36501', 36501],
    ['a string', '30'],
    ['undefined', undefined],
  ])('rejects lock days %s', (_label, days) => {
    rejects((m) => addBucket(m, { name: 'evidence', objectLock: { mode: 'GOVERNANCE', days: days as number } }), {
      paths: [OTHER],
      prop: "prop 'objectLock.days'",
      allowed: 'must be an integer from 1 to 36500',
    });
  });

  it.each([
    ['0', 0],
    ['1.5', 1.5],
    ['36501', 36501],
    ['a string', '3'],
  ])('rejects expireAfterDays %s', (_label, expireAfterDays) => {
    rejects((m) => addBucket(m, { name: 'staging', expireAfterDays: expireAfterDays as number }), {
      paths: [OTHER],
      prop: "prop 'expireAfterDays'",
      allowed: 'must be an integer from 1 to 36500',
    });
  });
});

describe('grant prefix', () => {
  it.each([
    ['a "*"', 'a*/'],
    ['a trailing "*"', 'a/*'],
    ['a lone "*"', '*'],
    ['a "?"', 'a?/'],
    ['".." (escaping the prefix)', '../'],
    ['a ".." segment', 'a/../'],
    ['a "." segment', 'a/./'],
    ['a hidden segment', '.a/'],
    ['a leading "/"', '/a/'],
    ['a lone "/"', '/'],
    ['no trailing "/"', 'a'],
    ['no trailing "/" after a folder', 'a/b'],
    ['an empty segment', 'a//'],
    ['upper case', 'A/'],
    ['upper case in a later segment', 'a/Source/'],
    ['a space', 'a b/'],
    ['a newline', 'a\n/'],
    ['a "$"', '$a/'],
    ['a "%"', 'a%2f/'],
    ['a "\\"', 'a\\/'],
    ['9 segments', 'a/'.repeat(9)],
    ['a 64-character segment', `${'p'.repeat(64)}/`],
    ['a number', 5],
  ])('rejects a prefix with %s, for reads and for writes', (_label, prefix) => {
    for (const method of ['grantRead', 'grantWrite'] as const) {
      rejects((m) => m.raw[method](m.api, { prefix: prefix as string }), { paths: [RAW, API], prop: "prop 'prefix'", allowed: PREFIX_RULE });
    }
  });
});

describe('overlapping grants', () => {
  it.each([
    ['a/', 'a/b/'],
    ['a/b/', 'a/'],
    ['', 'a/'],
    ['a/', ''],
    ['a/', 'a/'],
  ])('rejects a second grant of the same access for the same workload on %j then %j', (first, second) => {
    for (const [method, access] of [['grantRead', 'read'], ['grantWrite', 'write']] as const) {
      rejects(
        (m) => {
          m.raw[method](m.api, { prefix: first });
          m.raw[method](m.api, { prefix: second });
        },
        { paths: [RAW, API], prop: new RegExp(`overlaps its ${access} grant on "raw/`), allowed: /must not overlap/ },
      );
    }
  });

  it.each([
    ['a read and a write grant on nested prefixes', (m: Mn) => { m.raw.grantRead(m.api, { prefix: 'a/' }); m.raw.grantWrite(m.api, { prefix: 'a/b/' }); }],
    ['two read grants on sibling prefixes', (m: Mn) => { m.raw.grantRead(m.api, { prefix: 'a/' }); m.raw.grantRead(m.api, { prefix: 'ab/' }); }],
    ['two workloads on the same prefix', (m: Mn) => { m.raw.grantWrite(m.api, { prefix: 'a/' }); m.raw.grantWrite(m.consumer('other'), { prefix: 'a/' }); }],
    ['the same prefix on two buckets', (m: Mn) => { m.raw.grantRead(m.api, { prefix: 'a/' }); addBucket(m, { name: 'staging' }).grantRead(m.api, { prefix: 'a/' }); }],
  ])('accepts %s', (_label, inject) => {
    const { policy } = accepts(inject);
    expect(policy).toBeDefined();
  });

  it('keeps every error on one line when the bucket name is itself invalid (the name is quoted, not echoed raw)', () => {
    rejects(
      (m) => {
        const bad = addBucket(m, { name: 'raw\nuser' });
        bad.grantRead(m.api, { prefix: 'a/' });
        bad.grantRead(m.api, { prefix: 'a/b/' });
      },
      { paths: [OTHER, API], prop: /overlaps its read grant/ },
    );
  });
});

describe('grantee', () => {
  it.each([
    ['an empty object', () => ({})],
    ['null', () => null],
    ['the Vps', (m: Mn) => m.vps],
    ['a plain construct', (m: Mn) => new Construct(m.vps, 'not-a-workload')],
  ])('rejects %s as the grantee', (_label, make) => {
    rejects((m) => m.raw.grantRead(make(m) as Workload), { paths: [RAW], prop: /grantee/, allowed: /must be a Workload/ });
  });

  it.each([
    ['the server itself', (m: Mn) => m.lake],
    ['its bootstrap job', (m: Mn) => m.lake.bootstrapJob],
  ])('rejects a grant to %s (it holds root)', (_label, pick) => {
    rejects((m) => m.raw.grantRead(pick(m)), { paths: [SERVER], prop: /grant to 'lab\/lake/, allowed: /take no grants/ });
  });
});

describe('the server', () => {
  it('rejects a server with no bucket', () => {
    rejects(() => undefined, { paths: [SERVER], prop: /has no bucket/, allowed: /addBucket/ }, false);
  });
});
