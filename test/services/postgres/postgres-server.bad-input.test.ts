/**
 * Bad input for PostgresServer (props, addDatabase, grantConnect): every case is rejected at
 * synth by the library's own clear error (an MlsecError naming `[lab/curated-db]`, the prop and
 * what is allowed), and `app.synth()` then writes nothing: the outdir never appears and no staging
 * folder is left next to it. One test per case so a failure points at exactly one rule.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { App, MlsecError, PostgresGrantOptions, PostgresServer, PostgresServerProps, Testing, Vps, Workload, Zone } from '../../../lib';
import { expectClearError, ExpectedError } from '../../property/support';
import { consumerWorkload, tempParents } from '../support';
import { labApp, treeDigest } from '../../support/fixtures';

const SERVER = 'lab/curated-db';
const API = 'lab/api';
const PG_NAME_RULE = /lower-case identifier/;

/** An empty temporary folder; the outdir is a child of it that must not appear. */
const freshParent = tempParents('mlsec-pg-bad-');

/** A valid starting point: `curated-db` with databases `features` (fs_offline, fs_online) and `curated` (app), and a consumer `api`. */
interface Pg {
  readonly app: App;
  readonly vps: Vps;
  readonly db: PostgresServer;
  readonly api: Workload;
  consumer(id: string): Workload;
}

const consumer = (vps: Vps, id: string): Workload => consumerWorkload(vps, id);

function pg(outdir: string, props: Partial<PostgresServerProps> = {}): Pg {
  const { app, vps } = labApp(outdir);
  const db = new PostgresServer(vps, 'curated-db', { zone: Zone.Z3_CURATED, ...props });
  db.addDatabase('features', { schemas: ['fs_offline', 'fs_online'] });
  db.addDatabase('curated');
  return { app, vps, db, api: consumer(vps, 'api'), consumer: (id) => consumer(vps, id) };
}

const SELECT: PostgresGrantOptions = { database: 'features', privileges: ['SELECT'] };

/**
 * Builds the valid server, applies `inject`, runs `app.synth()` into a fresh outdir: the error
 * must be clear, name the server (and `expected.paths`), and nothing may be written.
 */
function rejects(
  inject: (p: Pg) => void,
  expected: Partial<ExpectedError> & Pick<ExpectedError, 'prop'>,
  props: Partial<PostgresServerProps> = {},
  server = SERVER,
): MlsecError {
  const parent = freshParent();
  const outdir = path.join(parent, 'synth-out');
  const err = expectClearError(() => {
    const p = pg(outdir, props);
    inject(p);
    p.app.synth();
  }, { ...expected, paths: [server, ...(expected.paths ?? [])] });
  expect(fs.existsSync(outdir), 'a failed synth must not create the outdir').toBe(false);
  expect(fs.readdirSync(parent), 'a failed synth must not leave a staging folder').toEqual([]);
  return err;
}

/** The same, expected to synthesize: returns the files written. */
function accepts(inject: (p: Pg) => void, props: Partial<PostgresServerProps> = {}): { file(rel: string): string } {
  const outdir = path.join(freshParent(), 'synth-out');
  const p = pg(outdir, props);
  inject(p);
  p.app.synth();
  return { file: (rel) => fs.readFileSync(path.join(outdir, 'lab', rel), 'utf8') };
}

describe('the valid starting point', () => {
  it('synthesizes and writes the server files (so every rejection below comes from the injected fault)', () => {
    const out = accepts((p) => p.db.grantConnect(p.api, SELECT));
    expect(out.file('curated-db/pg_hba.conf')).toMatch(/^hostssl\s+features\s+api\s+samenet\s+scram-sha-256 clientcert=verify-ca$/m);
    expect(out.file('curated-db/initdb/10-mlsec-roles.sql')).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA "fs_offline" TO "api";');
  });

  it('accepts the boundaries: a 57-character database and a 63-character schema, connectionLimit 1 and 100, every privilege', () => {
    const long = `a${'b'.repeat(56)}`;
    const schema = `a${'b'.repeat(62)}`;
    const out = accepts((p) => {
      p.db.addDatabase(long, { schemas: [schema] });
      p.db.grantConnect(p.api, { database: long, privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'CREATE'], connectionLimit: 1 });
      p.db.grantConnect(p.consumer('other'), { ...SELECT, connectionLimit: 100, authentication: 'cert', envPrefix: 'FEATURES_PG_' });
    });
    expect(out.file('curated-db/initdb/10-mlsec-roles.sql')).toContain(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  });

  it('accepts one workload granted on two databases of the server: one role, one password, two databases (grants on different databases do not overlap)', () => {
    const out = accepts((p) => {
      p.db.grantConnect(p.api, { database: 'features', privileges: ['SELECT'] });
      p.db.grantConnect(p.api, { database: 'curated', privileges: ['SELECT', 'INSERT'] });
    });
    const hba = out.file('curated-db/pg_hba.conf');
    expect(hba).toMatch(/^hostssl\s+curated\s+api\s+samenet\s/m);
    expect(hba).toMatch(/^hostssl\s+features\s+api\s+samenet\s/m);
    const sql = out.file('curated-db/initdb/10-mlsec-roles.sql');
    expect(sql).toContain('GRANT CONNECT ON DATABASE "curated" TO "api";');
    expect(sql).toContain('GRANT CONNECT ON DATABASE "features" TO "api";');
    expect(sql.match(/^SELECT 'CREATE ROLE "api"'/gm), 'one role').toHaveLength(1);
  });
});

describe('grantConnect: database', () => {
  it.each([
    ['a database never added', 'orders'],
    ['a different case of an added one', 'Features'],
    ['an empty name', ''],
    ['undefined', undefined],
  ])('rejects %s, listing the databases that exist', (_label, database) => {
    const err = rejects((p) => p.db.grantConnect(p.api, { database: database as string, privileges: ['SELECT'] }), {
      paths: [API],
      prop: "prop 'database'",
      allowed: /addDatabase\(\)/,
    });
    expect(err.message).toContain('features, curated');
  });
});

describe('addSchemaObjects', () => {
  it.each([
    ['a database never added', 'orders', 'CREATE TABLE x (a int);'],
    ['an empty statement', 'features', '  '],
    ['no text at all', 'features', undefined],
  ])('rejects %s, naming the prop', (_label, database, ddl) => {
    const err = rejects((p) => p.db.addSchemaObjects(database, ddl as string), { prop: /prop '(database|ddl)'/ });
    expect(err.message).toContain('addSchemaObjects');
  });

  it('appends the statements to its database, after the grants, once', () => {
    const ddl = 'SET ROLE "features_owner";\nCREATE TABLE IF NOT EXISTS "fs_offline"."t" (entity_id text PRIMARY KEY);\nRESET ROLE;';
    const sql = accepts((p) => {
      p.db.grantConnect(p.api, SELECT);
      p.db.addSchemaObjects('features', ddl);
      p.db.addSchemaObjects('features', ddl);
    }).file('curated-db/initdb/10-mlsec-roles.sql');
    const features = sql.slice(sql.indexOf('\\connect features'), sql.indexOf('-- Database curated'));
    expect(features.split(ddl)).toHaveLength(2);
    expect(features.indexOf(ddl)).toBeGreaterThan(features.indexOf('ALTER DEFAULT PRIVILEGES FOR ROLE "features_owner"'));
  });
});

describe('grantConnect: privileges', () => {
  it.each([
    ['ALL', ['ALL']],
    ['SUPERUSER', ['SUPERUSER']],
    ['lower-case select', ['select']],
    ['a valid one next to a bad one', ['SELECT', 'USAGE']],
    ['an empty list', []],
    ['a string instead of a list', 'SELECT'],
    ['undefined', undefined],
  ])('rejects %s, listing the allowed privileges', (_label, privileges) => {
    rejects((p) => p.db.grantConnect(p.api, { database: 'features', privileges: privileges as never }), {
      paths: [API],
      prop: "prop 'privileges'",
      allowed: 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, CREATE',
    });
  });
});

describe('grantConnect: overlapping grants', () => {
  it.each([
    ['the same privileges twice', ['SELECT'], ['SELECT']],
    ['different privileges on the same database', ['SELECT'], ['INSERT', 'UPDATE']],
  ] as const)('rejects a second grant of the same workload on the same database (%s)', (_label, first, second) => {
    rejects(
      (p) => {
        p.db.grantConnect(p.api, { database: 'features', privileges: [...first] });
        p.db.grantConnect(p.api, { database: 'features', privileges: [...second] });
      },
      { paths: [API], prop: /grant on database 'features'/, allowed: /must not overlap/ },
    );
  });

  it('rejects the same workload on the same database even with another schema', () => {
    rejects(
      (p) => {
        p.db.grantConnect(p.api, { database: 'features', schema: 'fs_offline', privileges: ['SELECT'] });
        p.db.grantConnect(p.api, { database: 'features', schema: 'fs_online', privileges: ['SELECT'] });
      },
      { paths: [API], prop: /grant on database 'features'/, allowed: /must not overlap/ },
    );
  });
});

const BAD_NAMES: [string, unknown][] = [
  ['a double quote', 'fea"tures'],
  ['a single quote', "fea'tures"],
  ['a space', 'my db'],
  ['a semicolon', 'a;drop'],
  ['SQL after a quote', 'x"; DROP DATABASE features; --'],
  ['upper case', 'Features'],
  ['a leading digit', '1features'],
  ['a leading underscore', '_features'],
  ['a "-"', 'fea-tures'],
  ['a "."', 'fea.tures'],
  ['a newline', 'fea\ntures'],
  ['a backslash', 'fea\\tures'],
  ['a non-ASCII letter', 'featurés'],
  ['the pg_ prefix', 'pg_features'],
  ['reserved postgres', 'postgres'],
  ['reserved all', 'all'],
  ['reserved public', 'public'],
  ['reserved template1', 'template1'],
  ['reserved replication', 'replication'],
  ['64 characters', 'a'.repeat(64)],
  ['an empty name', ''],
  ['a number', 42],
];

describe('addDatabase: name', () => {
  it.each(BAD_NAMES)('rejects a name with %s', (_label, name) => {
    rejects((p) => p.db.addDatabase(name as string), { prop: "prop 'addDatabase.name'", allowed: PG_NAME_RULE });
  });

  it('rejects a database added twice', () => {
    rejects((p) => p.db.addDatabase('features'), { prop: "prop 'addDatabase.name'", allowed: /already added/ });
  });

  it("rejects the admin role's own database", () => {
    rejects((p) => p.db.addDatabase('mlsec_admin'), { prop: "prop 'addDatabase.name'", allowed: /admin role/ });
  });

  it('rejects a database whose owner role would be the admin role', () => {
    rejects(() => undefined, { prop: "prop 'addDatabase.name'", allowed: /owner role would be the admin role/ }, { adminRole: 'features_owner' });
  });

  it('rejects two databases that would share one owner role (the 63-character limit cuts "<name>_owner")', () => {
    // 'x' * 57 is owned by 'x' * 57 + '_owner' (63 characters); that name, as a database, is owned by itself cut to 63 characters: the same role.
    const base = 'x'.repeat(57);
    rejects(
      (p) => {
        p.db.addDatabase(base);
        p.db.addDatabase(`${base}_owner`);
      },
      { prop: /owner/ },
    );
  });
});

describe('addDatabase: schemas', () => {
  it.each(BAD_NAMES)('rejects a schema name with %s', (_label, schema) => {
    rejects((p) => p.db.addDatabase('orders', { schemas: ['app', schema as string] }), { prop: "prop 'addDatabase.schemas[1]'", allowed: PG_NAME_RULE });
  });

  it.each([
    ['an empty list', []],
    ['a string instead of a list', 'app'],
  ])('rejects %s of schemas', (_label, schemas) => {
    rejects((p) => p.db.addDatabase('orders', { schemas: schemas as never }), { prop: "prop 'addDatabase.schemas'", allowed: /non-empty array/ });
  });
});

describe('grantConnect: schema', () => {
  it.each([
    ['a schema of another database', 'app'],
    ['a schema never added', 'fs_archive'],
    ['a different case', 'FS_OFFLINE'],
  ])('rejects %s', (_label, schema) => {
    rejects((p) => p.db.grantConnect(p.api, { ...SELECT, schema }), {
      paths: [API],
      prop: "prop 'schema'",
      allowed: /must be a schema of database 'features' \(fs_offline, fs_online\)/,
    });
  });

  it.each(BAD_NAMES)('rejects a schema with %s', (_label, schema) => {
    rejects((p) => p.db.grantConnect(p.api, { ...SELECT, schema: schema as string }), { paths: [API], prop: /schema/ });
  });
});

describe('grantConnect: grantee', () => {
  it.each([
    ['an empty object', () => ({})],
    ['null', () => null],
    ['undefined', () => undefined],
    ['a string', () => 'api'],
    ['the Vps', (p: Pg) => p.vps],
    ['a plain construct', (p: Pg) => new Construct(p.vps, 'not-a-workload')],
    ['an object that only looks like a workload', () => ({ serviceName: 'api', node: { path: 'lab/fake' }, connections: {} })],
  ])('rejects %s as the grantee', (_label, make) => {
    rejects((p) => p.db.grantConnect(make(p) as Workload, SELECT), { prop: /grantee/, allowed: /must be a Workload/ });
  });

  it('rejects granting the server to itself', () => {
    rejects((p) => p.db.grantConnect(p.db, SELECT), { prop: /grantConnect\(lab\/curated-db\)/, allowed: /itself/ });
  });
});

describe('grantConnect: envPrefix', () => {
  it.each([
    ['lower case', 'pg'],
    ['a leading digit', '1PG'],
    ['a "-"', 'PG-'],
    ['a space', 'P G'],
    ['a "$"', 'PG$'],
    ['an empty string', ''],
    ['32 characters', 'P'.repeat(32)],
    ['a number', 5],
  ])('rejects %s', (_label, envPrefix) => {
    rejects((p) => p.db.grantConnect(p.api, { ...SELECT, envPrefix: envPrefix as string }), { paths: [API], prop: /envPrefix/, allowed: /upper-case letters, digits and "_"/ });
  });

  it('rejects a second server granted to the same workload under the same prefix', () => {
    rejects(
      (p) => {
        const other = new PostgresServer(p.vps, 'tracking-db', { zone: Zone.Z4_FACTORY });
        other.addDatabase('mlflow');
        p.db.grantConnect(p.api, SELECT);
        other.grantConnect(p.api, { database: 'mlflow', privileges: ['SELECT'] });
      },
      { paths: [API], prop: /PGHOST/, allowed: /envPrefix/ },
      {},
      'lab/tracking-db',
    );
  });
});

describe('grantConnect: connectionLimit', () => {
  it.each([
    ['0', 0],
    ['101', 101],
    ['1.5', 1.5],
    ['-1', -1],
    ['NaN', NaN],
    ['a string', '5'],
  ])('rejects %s', (_label, connectionLimit) => {
    rejects((p) => p.db.grantConnect(p.api, { ...SELECT, connectionLimit: connectionLimit as number }), {
      paths: [API],
      prop: /connectionLimit/,
      allowed: 'must be an integer from 1 to 100',
    });
  });
});

describe('grantConnect: authentication', () => {
  it.each(['md5', 'password', 'trust', 'SCRAM-SHA-256', ''])('rejects %j', (authentication) => {
    rejects((p) => p.db.grantConnect(p.api, { ...SELECT, authentication: authentication as never }), {
      paths: [API],
      prop: "prop 'authentication'",
      allowed: "'scram-sha-256' or 'cert'",
    });
  });

  it.each([
    ['scram-sha-256 then cert', 'scram-sha-256', 'cert'],
    ['cert then scram-sha-256', 'cert', 'scram-sha-256'],
  ] as const)('rejects two authentications for one role (%s)', (_label, first, second) => {
    rejects(
      (p) => {
        p.db.grantConnect(p.api, { database: 'features', privileges: ['SELECT'], authentication: first });
        p.db.grantConnect(p.api, { database: 'curated', privileges: ['SELECT'], authentication: second });
      },
      { paths: [API], prop: /role 'api'/, allowed: /one role has one authentication/ },
    );
  });
});

describe('grantConnect: the role name derived from the service name', () => {
  it.each([
    ['public', 'public'],
    ['all', 'all'],
    ['postgres', 'postgres'],
    ['template1', 'template1'],
    ['replication', 'replication'],
    ['samenet (a pg_hba keyword)', 'samenet'],
    ['current-user (current_user)', 'current-user'],
    ['pg-monitor (a pg_ role)', 'pg-monitor'],
    ['a leading digit', '9api'],
  ])('rejects service %s', (_label, service) => {
    rejects((p) => p.db.grantConnect(p.consumer(service), SELECT), { paths: [`lab/${service}`], prop: /role name/, allowed: PG_NAME_RULE });
  });

  it('rejects the service whose role is the admin role', () => {
    rejects((p) => p.db.grantConnect(p.consumer('mlsec-admin'), SELECT), { paths: ['lab/mlsec-admin'], prop: /role name 'mlsec_admin'/, allowed: /admin role/ });
  });

  it.each([
    ['the owner of the granted database', 'features-owner', 'features'],
    ['the owner of another database', 'features-owner', 'curated'],
    ['the owner of the other database', 'curated-owner', 'features'],
  ])('rejects a service whose role would be %s (the grant would log in as the NOLOGIN owner of every table)', (_label, service, database) => {
    rejects((p) => p.db.grantConnect(p.consumer(service), { database, privileges: ['SELECT'] }), { paths: [`lab/${service}`], prop: /role/ });
  });
});

describe('server props', () => {
  it.each([
    ['postgres', 'postgres'],
    ['upper case', 'Admin'],
    ['the pg_ prefix', 'pg_admin'],
    ['a quote', 'ad"min'],
    ['an empty string', ''],
  ])('rejects adminRole %s', (_label, adminRole) => {
    rejects(() => undefined, { prop: "prop 'adminRole'", allowed: PG_NAME_RULE }, { adminRole });
  });

  it.each([
    ['9', 9],
    ['1001', 1001],
    ['1.5', 1.5],
    ['a string', '50'],
  ])('rejects maxConnections %s', (_label, maxConnections) => {
    rejects(() => undefined, { prop: "prop 'maxConnections'", allowed: 'must be an integer from 10 to 1000' }, { maxConnections: maxConnections as number });
  });

  it.each(['none', 'DDL', ''])('rejects logStatement %j', (logStatement) => {
    rejects(() => undefined, { prop: "prop 'logStatement'", allowed: "'ddl', 'mod' or 'all'" }, { logStatement: logStatement as never });
  });
});

describe('a failed synth leaves a previous output as it was', () => {
  it('over the output of a valid synth, every byte stays', () => {
    const outdir = path.join(freshParent(), 'synth-out');
    const good = pg(outdir);
    good.db.grantConnect(good.api, SELECT);
    good.app.synth();
    const before = treeDigest(outdir);
    expect(Object.keys(before)).toContain('lab/curated-db/pg_hba.conf');
    expectClearError(() => {
      const bad = pg(outdir);
      bad.db.grantConnect(bad.api, { database: 'features', privileges: ['ALL' as never] });
      bad.app.synth();
    }, { paths: [SERVER], prop: "prop 'privileges'" });
    expect(treeDigest(outdir)).toEqual(before);
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(['synth-out']);
  });

  it('Testing.synth rejects the same input as app.synth (in memory)', () => {
    const p = pg('synth-out');
    p.db.grantConnect(p.api, { database: 'orders', privileges: ['SELECT'] });
    expectClearError(() => Testing.synth(p.app), { paths: [SERVER, API], prop: "prop 'database'" });
  });
});
