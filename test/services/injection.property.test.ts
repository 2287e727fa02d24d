/**
 * Property: a user-supplied name that reaches generated text — a PostgreSQL database or schema
 * name (init SQL, pg_hba.conf), a Redis key or channel pattern (the ACL rule), a MinIO bucket
 * name or key prefix (the policy JSON, the bootstrap script, the lifecycle file) — is either
 * rejected by synth with an MlsecError naming the construct, or it matches the documented safe
 * pattern and appears in the generated text exactly as given, as one token. So synth succeeds
 * ⇒ the value matches the safe pattern: no string with a character outside the safe set, and no
 * quote, `;`, `--`, space, newline, `\`, `$`, backtick, `{}`, `~&%` or unicode, ever reaches a
 * generated file. Failures print fast-check's seed and the shrunk counterexample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aclRule, Assembly, HealthCheck, Image, MinioServer, PG_IDENTIFIER, PG_RESERVED, PostgresServer, RedisServer, renderAclFile, Testing, Vps, Workload, Zone,
} from '../../lib';
import { assertClearError } from '../property/support';
import { labApp } from '../support/fixtures';

const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 200) };

/** One place a user string reaches generated text. */
interface Target {
  readonly name: string;
  /** The documented safe pattern (restated from the docs, not imported, where the library keeps it private). */
  safe(s: string): boolean;
  /** A character outside the documented character set: such a string must never be accepted. */
  readonly unsafeChar: RegExp;
  /** Strings of the safe shape, so the accepting branch is exercised too. */
  readonly validLike: fc.Arbitrary<string>;
  /** Builds an app with `s` in place; `check` asserts how `s` appears in the output when synth succeeds. */
  build(s: string): { app: ReturnType<typeof labApp>['app']; check(assembly: Assembly): void };
  /** The construct the error must name, and the prop. */
  readonly path: string;
  readonly prop: RegExp;
}

function consumer(vps: Vps): Workload {
  return new Workload(vps, 'api', {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('python', '3.12.7-slim-bookworm'),
    healthCheck: HealthCheck.command(['python', '-c', 'pass']),
  });
}

/** Whitespace-separated rows of a config file (comments dropped). */
function rows(text: string): string[][] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.trim().split(/\s+/));
}

/** Documented: "a lower-case identifier: a letter, then letters, digits or "_", at most 63 characters, not a reserved name … and not starting with pg_". */
const pgSafe = (s: string) => PG_IDENTIFIER.test(s) && !PG_RESERVED.has(s) && !s.startsWith('pg_');
/** Documented (RedisGrantOptions.keys): letters, digits and `:_.-`, with `*` only as the last character, 1-100 characters before it. */
const REDIS_PATTERN = /^[A-Za-z0-9:_.-]{1,100}\*?$/;
/** Documented (MinioBucketProps.name): 3-63 lower-case letters, digits and "-" (no dots, no "xn--" or "-s3alias"), starting and ending with a letter or digit. */
const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** Documented (BucketGrantOptions.prefix): '' or "/"-separated segments of lower-case letters, digits and `._=-`, ending in "/"; no "." or ".." segment. */
const BUCKET_PREFIX = /^(?:(?!\.\.?\/)[a-z0-9._=-]+\/)*$/;

const TARGETS: Target[] = [
  {
    name: 'PostgreSQL database name',
    safe: pgSafe,
    unsafeChar: /[^a-z0-9_]/,
    validLike: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
    path: 'lab/curated-db',
    prop: /addDatabase\.name|'database'/,
    build: (s) => {
      const { app, vps } = labApp();
      const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED });
      db.addDatabase(s, { schemas: ['app'] });
      db.grantConnect(consumer(vps), { database: s, privileges: ['SELECT'] });
      return {
        app,
        check: (assembly) => {
          const sql = assembly.file('lab/curated-db/initdb/10-mlsec-roles.sql');
          expect(sql).toContain(`SELECT 'CREATE DATABASE "${s}" OWNER `);
          expect(sql).toContain(`GRANT CONNECT ON DATABASE "${s}" TO "api";`);
          expect(sql.split('\n')).toContain(`\\connect ${s}`);
          const hba = rows(assembly.file('lab/curated-db/pg_hba.conf'));
          expect(hba.filter((r) => r[2] === 'api').map((r) => r.slice(0, 4))).toEqual([['hostssl', s, 'api', 'samenet']]);
        },
      };
    },
  },
  {
    name: 'PostgreSQL schema name',
    safe: pgSafe,
    unsafeChar: /[^a-z0-9_]/,
    validLike: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
    path: 'lab/curated-db',
    prop: /schemas\[0\]|schema/,
    build: (s) => {
      const { app, vps } = labApp();
      const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED });
      db.addDatabase('features', { schemas: [s] });
      db.grantConnect(consumer(vps), { database: 'features', schema: s, privileges: ['SELECT', 'INSERT'] });
      return {
        app,
        check: (assembly) => {
          const sql = assembly.file('lab/curated-db/initdb/10-mlsec-roles.sql');
          expect(sql).toContain(`CREATE SCHEMA IF NOT EXISTS "${s}" AUTHORIZATION "features_owner";`);
          expect(sql).toContain(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "${s}" TO "api";`);
          expect(sql).toContain(`ALTER ROLE "api" IN DATABASE "features" SET search_path = "${s}";`);
        },
      };
    },
  },
  {
    name: 'Redis key pattern',
    safe: (s) => REDIS_PATTERN.test(s),
    unsafeChar: /[^A-Za-z0-9:_.*-]/,
    validLike: fc.stringMatching(/^[A-Za-z0-9:_.-]{1,20}\*?$/),
    path: 'lab/feature-store',
    prop: /keys\[0\]/,
    build: (s) => {
      const { app, vps } = labApp();
      const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store' });
      store.grantAccess(consumer(vps), { keys: [s], commands: ['read', 'connection'] });
      return { app, check: () => checkAcl(store, '~', s, { keys: ['reference'], commands: ['read', 'connection'] }) };
    },
  },
  {
    name: 'Redis channel pattern',
    safe: (s) => REDIS_PATTERN.test(s),
    unsafeChar: /[^A-Za-z0-9:_.*-]/,
    validLike: fc.stringMatching(/^[A-Za-z0-9:_.-]{1,20}\*?$/),
    path: 'lab/feature-store',
    prop: /channels\[0\]/,
    build: (s) => {
      const { app, vps } = labApp();
      const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'cache' });
      store.grantAccess(consumer(vps), { keys: ['features:*'], channels: [s], commands: ['read', 'pubsub'] });
      return { app, check: () => checkAcl(store, '&', s, { keys: ['features:*'], channels: ['reference'], commands: ['read', 'pubsub'] }) };
    },
  },
  {
    name: 'MinIO bucket name',
    safe: (s) => BUCKET_NAME.test(s),
    unsafeChar: /[^a-z0-9-]/,
    validLike: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/),
    path: 'lab/lake/Fuzz',
    prop: /prop 'name'/,
    build: (s) => {
      const { app, vps } = labApp();
      const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
      // Expiry puts the name into a file path (lifecycle/<name>.json) and a mount target too.
      lake.addBucket('Fuzz', { name: s, expireAfterDays: 3 }).grantRead(consumer(vps), { prefix: 'a/' });
      return {
        app,
        check: (assembly) => {
          const policy = JSON.parse(assembly.file('lab/lake/policies/api.json'));
          const resources = policy.Statement.flatMap((st: { Resource: string[] }) => st.Resource);
          expect(resources).toEqual([`arn:aws:s3:::${s}/a/*`, `arn:aws:s3:::${s}`]);
          const script = assembly.file('lab/lake/bootstrap.sh').split('\n');
          expect(script).toContain(`mc mb --ignore-existing mlsec/${s}`);
          expect(script).toContain(`mc ilm import mlsec/${s} < "$C/lifecycle/${s}.json"`);
          expect(assembly.paths()).toContain(`lab/lake/lifecycle/${s}.json`);
          expect(JSON.parse(assembly.file(`lab/lake/lifecycle/${s}.json`)).Rules[0].ID).toBe(`expire-${s}`);
        },
      };
    },
  },
  {
    name: 'MinIO key prefix',
    safe: (s) => BUCKET_PREFIX.test(s),
    unsafeChar: /[^a-z0-9._=/-]/,
    validLike: fc.stringMatching(/^(?:[a-z0-9][a-z0-9._=-]{0,8}\/){0,3}$/),
    path: 'lab/lake/Raw',
    prop: /prop 'prefix'/,
    build: (s) => {
      const { app, vps } = labApp();
      const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
      lake.addBucket('Raw', { name: 'raw' }).grantRead(consumer(vps), { prefix: s });
      return {
        app,
        check: (assembly) => {
          const policy = JSON.parse(assembly.file('lab/lake/policies/api.json'));
          expect(policy.Statement[0].Resource).toEqual([`arn:aws:s3:::raw/${s}*`]);
          expect(policy.Statement[1].Resource).toEqual(['arn:aws:s3:::raw']);
          expect(policy.Statement[1].Condition).toEqual(s === '' ? undefined : { StringLike: { 's3:prefix': [`${s}*`] } });
        },
      };
    },
  },
];

/**
 * The ACL rule of the only grant holds `s` as exactly one `<sigil><s>` token, and every other
 * token is what a grant with a reference pattern gets: nothing was added, nothing removed.
 */
function checkAcl(store: RedisServer, sigil: '~' | '&', s: string, reference: Parameters<RedisServer['grantAccess']>[1]): void {
  const [grant] = store.grantsMade;
  const tokens = aclRule(grant).split(' ');
  expect(tokens.filter((t) => t.startsWith(sigil))).toEqual([`${sigil}${s}`]);
  const refVps = labApp().vps;
  const ref = new RedisServer(refVps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'cache' });
  ref.grantAccess(consumer(refVps), reference);
  const refTokens = aclRule(ref.grantsMade[0]).split(' ');
  expect(tokens.filter((t) => !t.startsWith(sigil))).toEqual(refTokens.filter((t) => !t.startsWith(sigil)));
  const file = renderAclFile(store.grantsMade, () => 'password-not-in-the-file');
  expect(file.split('\n').filter((l) => l !== '')).toHaveLength(2);
}

/** Pieces that mean something to SQL, pg_hba, the Redis ACL grammar, JSON, sh or a file path. */
const PIECES = [
  '"', "'", ';', '--', ' ', '\n', '\r\n', '\t', '\\', '$', '`', '{', '}', '${x}', '$(id)', '~', '&', '%', '*', '?', '/', '../', '.', ':', '=', '#', '>', '<', '|',
  '!', '@', '+@all', '\u0000', 'é', 'İ', 'ß', '\u2028', '\u00a0', '😀', '\ud800', 'A', 'Z', '_', '-', 'xn--', '-s3alias', 'pg_', 'all', 'public', ' OR 1=1',
  "'; DROP TABLE x; --", '" nopass ~* +@all', 'a', 'z9', 'features',
];
const metaMix = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
/** A safe-shaped string with one piece inserted somewhere: the nearest misses. */
function nearMiss(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.constantFrom(...PIECES), fc.nat()).map(([v, piece, at]) => {
    const i = at % (v.length + 1);
    return v.slice(0, i) + piece + v.slice(i);
  });
}

type Outcome = { accepted: true } | { accepted: false; error: unknown };

function attempt(t: Target, s: string): Outcome {
  let built: ReturnType<Target['build']> | undefined;
  let assembly: Assembly;
  try {
    built = t.build(s);
    assembly = Testing.synth(built.app);
  } catch (error) {
    return { accepted: false, error };
  }
  // Synth succeeded: the value must be of the safe shape and appear only in that form.
  expect(t.safe(s), `accepted ${JSON.stringify(s)}, which does not match the documented safe pattern`).toBe(true);
  built.check(assembly);
  return { accepted: true };
}

function property(t: Target, s: string): Outcome {
  const outcome = attempt(t, s);
  if (!outcome.accepted) {
    assertClearError(outcome.error, { paths: [t.path], prop: t.prop });
  }
  if (t.unsafeChar.test(s)) {
    expect(outcome.accepted, `${JSON.stringify(s)} has a character outside the safe set: no generated text may ever hold it`).toBe(false);
  }
  return outcome;
}

describe.each(TARGETS)('$name: rejected with a clear error, or safe and rendered as given (property)', (t) => {
  it('arbitrary binary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        property(t, s);
      }),
      RUNS,
    );
  });

  it('quotes, ";", "--", spaces, newlines, "\\", "$", backticks, "{}", "~&%" and unicode, alone, mixed and inserted into safe names', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(metaMix, nearMiss(t.validLike), t.validLike), (s) => {
        if (property(t, s).accepted) accepted++;
      }),
      RUNS,
    );
    expect(accepted, 'the safe shapes must be accepted too, or the property says nothing').toBeGreaterThan(0);
  });
});
