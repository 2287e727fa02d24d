/**
 * Bad input for RedisServer (props and grantAccess): forbidden or unknown command categories,
 * key and channel patterns that could smuggle an ACL operator (` `, `~`, `&`, `>`, newline …),
 * overlapping write grants, a second grant per workload. Each is rejected at synth by the
 * library's own clear error naming `[lab/feature-store]`, the prop and what is allowed, and
 * `app.synth()` then writes nothing. Overlapping reads are fine and are accepted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { aclRule, App, MlsecError, RedisGrantOptions, RedisServer, RedisServerProps, Testing, Vps, Workload, Zone } from '../../../lib';
import { expectClearError, ExpectedError } from '../../property/support';
import { consumerWorkload, tempParents } from '../support';
import { labApp } from '../../support/fixtures';

const SERVER = 'lab/feature-store';
const API = 'lab/api';
const PATTERN_RULE = /letters, digits and ":_.-" \(1-100 characters\) with "\*" only at the end/;

/** An empty temporary folder; the outdir is a child of it that must not appear. */
const freshParent = tempParents('mlsec-redis-bad-');

interface Rd {
  readonly app: App;
  readonly vps: Vps;
  readonly store: RedisServer;
  readonly api: Workload;
  consumer(id: string): Workload;
}

const consumer = (vps: Vps, id: string): Workload => consumerWorkload(vps, id);

function rd(outdir: string, props: Partial<RedisServerProps> = {}): Rd {
  const { app, vps } = labApp(outdir);
  const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store', ...props });
  return { app, vps, store, api: consumer(vps, 'api'), consumer: (id) => consumer(vps, id) };
}

const READ: RedisGrantOptions = { keys: ['features:*'], commands: ['read', 'connection'] };
const WRITE: RedisGrantOptions = { keys: ['features:*'], commands: ['read', 'write', 'string', 'connection'] };

/** Builds the valid server, applies `inject`, synthesizes into a fresh outdir: a clear error naming the server, nothing written. */
function rejects(inject: (r: Rd) => void, expected: Partial<ExpectedError> & Pick<ExpectedError, 'prop'>, props: Partial<RedisServerProps> = {}): MlsecError {
  const parent = freshParent();
  const outdir = path.join(parent, 'synth-out');
  const err = expectClearError(() => {
    const r = rd(outdir, props);
    inject(r);
    r.app.synth();
  }, { ...expected, paths: [SERVER, ...(expected.paths ?? [])] });
  expect(fs.existsSync(outdir), 'a failed synth must not create the outdir').toBe(false);
  expect(fs.readdirSync(parent), 'a failed synth must not leave a staging folder').toEqual([]);
  return err;
}

/** The same, expected to synthesize (in memory). */
function accepts(inject: (r: Rd) => void): Rd {
  const r = rd('synth-out');
  inject(r);
  Testing.synth(r.app);
  return r;
}

describe('the valid starting point', () => {
  it('synthesizes with one writer and one reader on the same keys', () => {
    const r = accepts((x) => {
      x.store.grantAccess(x.consumer('builder'), WRITE);
      x.store.grantAccess(x.api, READ);
    });
    expect(r.store.grantsMade.map((g) => g.user)).toEqual(['builder', 'api']);
  });

  it('accepts the boundary patterns: 100 characters, 100 characters and "*", every safe character', () => {
    const r = accepts((x) => x.store.grantAccess(x.api, { keys: ['k'.repeat(100), `${'k'.repeat(100)}*`, 'aZ09:_.-*'], channels: ['events:*'], commands: ['read'] }));
    expect(aclRule(r.store.grantsMade[0])).toContain(` ~${'k'.repeat(100)}* ~aZ09:_.-* resetchannels &events:* `);
  });
});

describe('grantAccess: passwordFile', () => {
  it.each([['no'], [0], [null], [{}]])('rejects passwordFile %j', (passwordFile) => {
    rejects((r) => r.store.grantAccess(r.api, { ...READ, passwordFile: passwordFile as never }), { paths: [API], prop: "prop 'passwordFile'", allowed: /true or false/ });
  });
});

describe('grantAccess: commands', () => {
  it.each(['admin', 'dangerous', '@admin', '@dangerous', 'all', '@all', '+@all', 'slow', 'blocking'])('rejects the forbidden category %j', (category) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: ['features:*'], commands: ['read', category as never] }), {
      paths: [API],
      prop: "prop 'commands[1]'",
      allowed: /never granted to an application/,
    });
  });

  it.each(['foo', 'READ', 'Read', 'scripting', 'get', '@read', '+read', 'read ', '', 'read -@all', 'read\n+@all'])('rejects the unknown category %j, listing the allowed ones', (category) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: ['features:*'], commands: ['read', category as never] }), {
      paths: [API],
      prop: "prop 'commands[1]'",
      allowed: /must be one of read, write, keyspace/,
    });
  });

  it.each([
    ['an empty list', []],
    ['a string', 'read'],
    ['undefined', undefined],
  ])('rejects %s of commands', (_label, commands) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: ['features:*'], commands: commands as never }), { paths: [API], prop: "prop 'commands'", allowed: /non-empty array/ });
  });
});

const BAD_PATTERNS: [string, unknown][] = [
  ['a space', 'features: *'],
  ['a space before an ACL rule', 'features:* +@all'],
  ['"*" in the middle', 'fea*tures'],
  ['two "*"', 'features:**'],
  ['a lone "*"', '*'],
  ['a "~"', '~features:*'],
  ['a "&"', 'features&x'],
  ['a ">"', '>password'],
  ['a "<"', 'features<x'],
  ['a "#"', '#features'],
  ['a "%"', '%R~features:*'],
  ['a newline', 'features:*\nuser default on nopass ~* +@all'],
  ['a carriage return', 'features\r'],
  ['a tab', 'features\t*'],
  ['a "?"', 'features:?'],
  ['a "["', 'features:[ab]'],
  ['a backslash', 'features\\*'],
  ['a quote', 'features"'],
  ['a non-ASCII letter', 'féatures:*'],
  ['an empty pattern', ''],
  ['101 characters', 'k'.repeat(101)],
  ['a number', 5],
];

describe('grantAccess: keys', () => {
  it.each(BAD_PATTERNS)('rejects a key pattern with %s', (_label, pattern) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: ['features:*', pattern as string], commands: ['read'] }), {
      paths: [API],
      prop: /keys\[1\]/,
      allowed: PATTERN_RULE,
    });
  });

  it.each([
    ['an empty list', []],
    ['a string', 'features:*'],
    ['undefined', undefined],
  ])('rejects %s of keys', (_label, keys) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: keys as never, commands: ['read'] }), { paths: [API], prop: "prop 'keys'", allowed: /non-empty array/ });
  });
});

describe('grantAccess: channels', () => {
  it.each(BAD_PATTERNS)('rejects a channel pattern with %s', (_label, pattern) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: ['features:*'], channels: [pattern as string], commands: ['read', 'pubsub'] }), {
      paths: [API],
      prop: /channels\[0\]/,
      allowed: PATTERN_RULE,
    });
  });

  it.each([
    ['a string', 'events:*'],
    ['null', null],
  ])('rejects %s of channels', (_label, channels) => {
    rejects((r) => r.store.grantAccess(r.api, { keys: ['features:*'], channels: channels as never, commands: ['read'] }), { paths: [API], prop: "prop 'channels'", allowed: /array/ });
  });
});

describe('grantAccess: overlapping grants', () => {
  it.each([
    ['features:*', 'features:a*'],
    ['features:a*', 'features:*'],
    ['features:*', 'features:*'],
    ['features:*', 'features:abc'],
    ['features:abc', 'features:abc'],
    ['features:abc', 'features:ab*'],
  ])('rejects a second write grant %s after a write grant %s on overlapping keys, naming both workloads', (first, second) => {
    rejects(
      (r) => {
        r.store.grantAccess(r.consumer('builder'), { keys: [first], commands: ['read', 'write', 'string'] });
        r.store.grantAccess(r.api, { keys: ['orders:*', second], commands: ['write', 'hash'] });
      },
      { paths: [API, 'lab/builder'], prop: /key pattern/, allowed: /write grants must not overlap/ },
    );
  });

  it.each([
    ['a read grant after a write grant', WRITE, READ],
    ['a write grant after a read grant', READ, WRITE],
    ['a narrower read grant', WRITE, { keys: ['features:a*'], commands: ['read'] }],
    ['a wider read grant', { keys: ['features:a*'], commands: ['write'] }, { keys: ['f*'], commands: ['read'] }],
  ] as [string, RedisGrantOptions, RedisGrantOptions][])('accepts %s on overlapping keys', (_label, first, second) => {
    const r = accepts((x) => {
      x.store.grantAccess(x.consumer('builder'), first);
      x.store.grantAccess(x.api, second);
    });
    expect(r.store.grantsMade).toHaveLength(2);
  });

  it('accepts two write grants on keys that do not overlap', () => {
    const r = accepts((x) => {
      x.store.grantAccess(x.consumer('builder'), { keys: ['features:a*'], commands: ['write'] });
      x.store.grantAccess(x.api, { keys: ['features:b*', 'features:ca'], commands: ['write'] });
    });
    expect(r.store.grantsMade).toHaveLength(2);
  });

  it.each([
    ['the same grant twice', READ, READ],
    ['a write grant after a read grant', READ, WRITE],
    ['other keys', READ, { keys: ['orders:*'], commands: ['read'] }],
  ] as [string, RedisGrantOptions, RedisGrantOptions][])('rejects a second grant for the same workload (%s)', (_label, first, second) => {
    rejects(
      (r) => {
        r.store.grantAccess(r.api, first);
        r.store.grantAccess(r.api, second);
      },
      { paths: [API], prop: /already has a grant on 'lab\/feature-store'/, allowed: /one grant/ },
    );
  });

  it('keeps every error on one line when an overlapping write pattern is itself invalid (the pattern is quoted, not echoed raw)', () => {
    rejects(
      (r) => {
        r.store.grantAccess(r.consumer('builder'), WRITE);
        r.store.grantAccess(r.api, { keys: ['features:\nuser default on nopass ~* +@all'], commands: ['write'] });
      },
      { paths: [API], prop: /keys\[0\]/, allowed: PATTERN_RULE },
    );
  });
});

describe('grantAccess: grantee and envPrefix', () => {
  it.each([
    ['an empty object', () => ({})],
    ['null', () => null],
    ['the Vps', (r: Rd) => r.vps],
    ['a plain construct', (r: Rd) => new Construct(r.vps, 'not-a-workload')],
  ])('rejects %s as the grantee', (_label, make) => {
    rejects((r) => r.store.grantAccess(make(r) as Workload, READ), { prop: /grantee/, allowed: /must be a Workload/ });
  });

  it('rejects granting the server to itself', () => {
    rejects((r) => r.store.grantAccess(r.store, READ), { prop: /grantAccess\(lab\/feature-store\)/, allowed: /itself/ });
  });

  it("rejects a workload whose service name is 'default': its ACL user would be Redis's default user, declared twice in users.acl (Redis refuses to start: \"Duplicate user 'default'\")", () => {
    rejects((r) => r.store.grantAccess(r.consumer('default'), READ), { paths: ['lab/default'], prop: /default/ });
  });

  it.each(['redis_', 'REDIS', 'R-', '_REDIS_', '', 'R'.repeat(32) + '_'])('rejects envPrefix %j', (envPrefix) => {
    rejects((r) => r.store.grantAccess(r.api, READ, envPrefix), { paths: [API], prop: /envPrefix/, allowed: /upper-case letters, digits and "_", ending in "_"/ });
  });

  it('rejects a second server granted to the same workload under the same prefix', () => {
    const parent = freshParent();
    const outdir = path.join(parent, 'synth-out');
    expectClearError(() => {
      const r = rd(outdir);
      const cache = new RedisServer(r.vps, 'cache', { zone: Zone.Z3_CURATED, use: 'cache' });
      r.store.grantAccess(r.api, READ);
      cache.grantAccess(r.api, READ);
      r.app.synth();
    }, { paths: ['lab/cache', API], prop: /REDIS_HOST/, allowed: /envPrefix/ });
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});

describe('server props', () => {
  it.each([
    ['an unknown use', 'persistent'],
    ['upper case', 'CACHE'],
    ['an empty string', ''],
    ['undefined', undefined],
    ['a number', 1],
  ])('rejects %s as use', (_label, use) => {
    rejects(() => undefined, { prop: "prop 'use'", allowed: "'cache' or 'feature-store'" }, { use: use as never });
  });
});
