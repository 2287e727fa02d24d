/**
 * Bad input for every Workload prop and method: the error is an MlsecError (never a TypeError),
 * names the construct path, the prop and what is allowed. One test per case so a failure points
 * at exactly one rule.
 */
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { App, ComposeVolume, HealthCheck, Image, MlsecError, Names, SecretSource, synthesize, Vps, VpsFile, Workload, Zone } from '../../lib';
import { normalized } from '../property/arbitraries';
import {
  argvFault,
  BAD_CONTAINER_PATHS,
  BAD_IDS,
  capabilityFault,
  containerPathFault,
  cycleFault,
  digestFault,
  duplicatePublicationFault,
  envNameFault,
  envValueFault,
  Fault,
  flowFault,
  healthArgvFault,
  healthOptionFault,
  healthShellFault,
  idCollisionFault,
  imageTypeFault,
  missingHealthFault,
  mountClashFault,
  OVERRIDE_METHODS,
  portsFault,
  profileFault,
  publishFault,
  reasonFault,
  referenceFault,
  repositoryFault,
  resourceFault,
  schemaOverrideFault,
  forbiddenOverrideFault,
  secretEnvFault,
  secretEnvVarFault,
  secretNameFault,
  serviceNameCollisionFault,
  serviceNameFault,
  tagFault,
  userFault,
  volumeCollisionFault,
  workloadIdFault,
  zoneFault,
} from '../property/faults';
import { addApi, assertClearError, expectClearError, lab, okProps, parseBothVersions, thrownBy } from '../property/support';
import { RENDERING_ONLY } from '../support/fixtures';

/** Injects the fault into a valid lab and checks the clear-error contract. */
function rejects(f: Fault): MlsecError {
  const err = thrownBy(() => {
    const l = lab();
    f.inject(l);
    synthesize(l.app);
  });
  assertClearError(err, f.expected);
  return err as MlsecError;
}

function cases<T>(values: readonly T[], make: (v: T) => Fault): [string, Fault][] {
  return values.map((v) => {
    const f = make(v);
    return [f.label, f];
  });
}

describe('Workload id', () => {
  it.each(cases(BAD_IDS, workloadIdFault))('rejects %s, naming the id and what is allowed', (_label, f) => {
    const err = rejects(f);
    expect(err.message).toContain('[lab/');
    expect(err.message).toContain(Names.ALLOWED);
  });

  it('rejects an empty id with the parent path, not the constructs library\'s plain Error', () => {
    const l = lab();
    expectClearError(() => addApi(l, {}, ''), { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
    expect(thrownBy(() => addApi(lab(), {}, '')) as Error).toHaveProperty('message', expect.stringContaining('[lab/'));
  });

  it('rejects a duplicate sibling id with both the path and the rule', () => {
    const l = lab();
    expectClearError(() => addApi(l, {}, 'server'), { paths: ['lab/server'], prop: /\bid\b/, allowed: /unique|already used/ });
  });

  it('rejects an id that the constructs library would rewrite ("a/b" and "a\\nb" both become "a--b"), quoting the id given', () => {
    for (const id of ['a/b', 'a\nb']) {
      const err = rejects(workloadIdFault(id));
      expect(err.message).toContain(JSON.stringify(id));
    }
  });

  it.each(['Compose', 'Networks', 'Secrets'])(
    'either accepts the id %s as the first child of a Vps (rendering its service) or rejects it as reserved',
    (id) => {
      const app = new App({ outdir: 'synth-out', secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
      const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
      let assembly: ReturnType<typeof synthesize>;
      try {
        const first = new Workload(vps, id, { ...okProps(), ports: [8080] });
        const other = new Workload(vps, 'other', okProps());
        other.connections.allowTo(first, { port: 8080 });
        other.addSecret(SecretSource.bootstrapFile('token'), { envVar: 'TOKEN_FILE' });
        assembly = synthesize(app);
      } catch (err) {
        assertClearError(err, { paths: [`lab/${id}`], prop: /\bid\b/, allowed: /reserved|already used/ });
        return;
      }
      expect(assembly.paths(), 'the compose file must not silently disappear').toContain('lab/docker-compose.yml');
      const doc = parseBothVersions(assembly.file('lab/docker-compose.yml'));
      expect(Object.keys(doc.services).sort()).toEqual([normalized(id), 'other'].sort());
      expect(doc.services.other.depends_on).toHaveProperty(normalized(id));
      expect(doc.secrets).toHaveProperty('token');
    },
  );

  it('names both construct paths when ids collide after normalization', () => {
    for (const [x, y] of [['Api', 'api'], ['a_b', 'a-b'], ['a.b', 'A_B']]) rejects(idCollisionFault(x, y));
  });

  it('names both construct paths when a derived data-volume name collides', () => {
    rejects(volumeCollisionFault('store'));
  });
});

describe('Workload props', () => {
  it.each(cases<unknown>([undefined, null, 3, 'Z3', {}, { index: 3, id: 'z3', title: 'Curated' }], zoneFault))('zone: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('zone: rejects a bad zone even when the workload is in a flow (no TypeError while deriving the network)', () => {
    const l = lab();
    expectClearError(() => {
      const api = addApi(l, { zone: undefined });
      l.client.connections.allowTo(api, { port: 8080 });
      api.connections.allowTo(l.server, { port: 5432 });
      synthesize(l.app);
    }, { paths: ['lab/api'], prop: "'zone'", allowed: 'Zone.' });
  });

  it.each([
    ...cases(['latest', 'LATEST', 'stable', 'main', 'nightly', '', 'v', 'abc', ' 1.0', '1.0\n', '-1.0', 'a'.repeat(129)], tagFault),
    ...cases(['Postgres', 'ghcr.io/Org/app', '', 'postgres ', '/postgres', 'a//b', 'pøstgres'], repositoryFault),
    ...cases(['', 'sha256:abc', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `md5:${'a'.repeat(32)}`], digestFault),
    ...cases(['postgres', 'postgres:', 'postgres:latest', 'POSTGRES:15', ':15', '', 'localhost:5000/app', 'postgres@15.8', 'postgres:15@sha256:abc'], referenceFault),
    ...cases<unknown>([undefined, null, 'postgres:15.8', { repository: 'postgres', tag: '15.8' }], imageTypeFault),
  ])('image: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('image: rejects a reference with a second "@digest" instead of silently dropping it', () => {
    rejects(referenceFault(`postgres:15.8@sha256:${'a'.repeat(64)}@sha256:${'b'.repeat(64)}`));
  });

  it.each([
    ...cases<unknown>([[], ['a\0b'], 'ls -l', [1], [null], {}], (v) => argvFault('command', v)),
    ...cases<unknown>([[], ['\0'], 'sh', [undefined]], (v) => argvFault('entrypoint', v)),
  ])('command/entrypoint: rejects %s', (_l, f) => {
    rejects(f);
  });

  it.each(
    cases(
      ['DB_PASSWORD', 'API_KEY', 'APIKEY', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'PRIVATE_KEY', 'AWS_ACCESS_KEY_ID', 'PGPASSWORD', 'MYSQL_ROOT_PASSWORD', 'db_password', 'Api_Key', 'PASSWD', 'GOOGLE_CREDENTIALS', 'CLIENT_SECRET'],
      (name) => secretEnvFault(name, 'literal-value'),
    ),
  )('environment: rejects the secret-looking %s with a literal value and points at addSecret', (_l, f) => {
    rejects(f);
  });

  it.each(cases(['ENCRYPTION_KEY', 'SIGNING_KEY', 'SESSION_KEY', 'MASTER_KEY', 'HMAC_KEY'], (name) => secretEnvFault(name, 'literal-value')))(
    'environment: also treats %s (a *_KEY that holds key material) as a secret',
    (_l, f) => {
      rejects(f);
    },
  );

  it.each([
    ...cases(['', '1A', 'A-B', 'A B', 'Ä', 'A=B', 'A.B', 'A\nB', '$A'], envNameFault),
    ...cases<unknown>(['a\0b', '\ud800', 'x\udfffy', 42, null, true, {}, ['a']], envValueFault),
  ])('environment: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('environment: a variable named __proto__ is rendered or rejected, never silently dropped', () => {
    const l = lab();
    const environment = JSON.parse('{"__proto__": "x", "LOG_LEVEL": "info"}');
    addApi(l, { environment });
    let text: string;
    try {
      text = synthesize(l.app).file('lab/docker-compose.yml');
    } catch (err) {
      assertClearError(err, { paths: ['lab/api'], prop: /environment/ });
      return;
    }
    parseBothVersions(text);
    expect(text).toMatch(/^ {6}"?__proto__"?: "?x"?$/m);
    expect(text).toMatch(/^ {6}LOG_LEVEL: info$/m);
  });

  it.each(cases<unknown>([[0], [-1], [65536], [1.5], [NaN], [Infinity], [1e21], [Number.MAX_SAFE_INTEGER + 2], ['80'], [80, 80], [80, 443, 80], '80', {}, null], portsFault))(
    'ports: rejects %s',
    (_l, f) => {
      rejects(f);
    },
  );

  it.each([
    ...cases<unknown>([[], [''], ['true', ''], [42], [null]], healthArgvFault),
    ...cases<unknown>(['', null], healthShellFault),
    ...cases<unknown>([0, -1, 3601, 1.5, NaN, '30'], (v) => healthOptionFault('intervalSeconds', v)),
    ...cases<unknown>([0, 601], (v) => healthOptionFault('timeoutSeconds', v)),
    ...cases<unknown>([0, 101, 1e21], (v) => healthOptionFault('retries', v)),
    ...cases<unknown>([-1, 3601], (v) => healthOptionFault('startPeriodSeconds', v)),
    ['missing', missingHealthFault()] as [string, Fault],
  ])('healthCheck: rejects %s', (_l, f) => {
    rejects(f);
  });

  it.each([{}, [], '', 'pg_isready', null, { test: ['CMD', 'true'] }].map((v) => [v]))('healthCheck: rejects the non-HealthCheck value %j with a clear error', (value) => {
    rejects({ label: `healthCheck ${JSON.stringify(value)}`, inject: (l) => addApi(l, { healthCheck: value }), expected: { paths: ['lab/api'], prop: "'healthCheck'", allowed: 'HealthCheck.' } });
  });

  it('healthCheck: treats null options as the defaults instead of failing while rendering', () => {
    const l = lab();
    addApi(l, { healthCheck: HealthCheck.command(['true'], null as any) });
    const doc = parse(synthesize(l.app).file('lab/docker-compose.yml'));
    expect(doc.services.api.healthcheck).toMatchObject({ interval: '30s', timeout: '5s', retries: 3 });
  });

  it.each([
    ...cases<unknown>([0, -1, 0.001, 65, NaN, Infinity, -Infinity, 1e308, '1'], (v) => resourceFault('cpus', v, 'prop')),
    ...cases<unknown>([0, 5, -256, 1.5, 1048577, 1e21, NaN, '256'], (v) => resourceFault('memoryMiB', v, 'prop')),
    ...cases<unknown>([0, -1, 1.5, 32769, 2 ** 53, NaN], (v) => resourceFault('pids', v, 'prop')),
    ...cases<unknown>([-1, 1e308], (v) => resourceFault('memoryMiB', v, 'vps-profile')),
    ...cases<unknown>([0], (v) => resourceFault('cpus', v, 'app-profile')),
    ...cases<unknown>([0, 65537, 1.5], (v) => profileFault('tmpfsSizeMiB', v)),
    ...cases<unknown>([0, 1025], (v) => profileFault('logMaxSizeMiB', v)),
    ...cases<unknown>([0, 101], (v) => profileFault('logMaxFiles', v)),
    ...cases<unknown>([-1, 101, 0.5], (v) => profileFault('restartMaxRetries', v)),
  ])('resources / SecurityProfile: rejects %s', (_l, f) => {
    rejects(f);
  });

  it.each(
    cases(
      ['0:0', '0', 'root', '1000', '1000:', ':1000', '-1:1', ' 1000:1000', '1000:1000\n', '01000:1000', '1000:1000:1000', 'app:app', '99999999999:1', ''],
      (u) => userFault(u, 'prop'),
    ),
  )('user: rejects %s', (_l, f) => {
    rejects(f);
  });

  it.each(cases(['2147483648:1000', '4294967296:1', '1000:2147483648', '1000:4294967296'], (u) => userFault(u, 'prop')))(
    'user: rejects %s, a uid/gid beyond 2147483647 that runc refuses at start',
    (_l, f) => {
      rejects(f);
    },
  );

  it.each([
    ...cases(BAD_CONTAINER_PATHS, (p) => containerPathFault('writablePaths', p)),
    ...cases(['', 'app', '/../app', '/.', '/a b'], (p) => containerPathFault('workingDir', p)),
  ])('writablePaths / workingDir: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('writablePaths: rejects a non-array and duplicates', () => {
    rejects({ label: 'writablePaths "/tmp"', inject: (l) => addApi(l, { writablePaths: '/tmp' }), expected: { paths: ['lab/api'], prop: "'writablePaths'" } });
    rejects({ label: 'writablePaths twice', inject: (l) => addApi(l, { writablePaths: ['/tmp', '/tmp'] }), expected: { paths: ['lab/api'], prop: "'writablePaths[]'", allowed: /already mounts/ } });
  });

  it.each(cases(['', 'a b', '-api', 'a/b', 'a\nb', 'x'.repeat(64), '42'], serviceNameFault))('serviceName: rejects %s', (_l, f) => {
    rejects(f);
  });

  it.each(cases(['server', 'Server', 'SERVER'], serviceNameCollisionFault))(
    'serviceName: rejects %s, which is the same DNS name as lab/server (DNS is case-insensitive)',
    (_l, f) => {
      rejects(f);
    },
  );
});

describe('Workload methods', () => {
  it.each([
    ...cases(['/..', '/../etc', '/.', '/', 'data', '/data/../etc', '/a b', '/data:ro'], (p) => containerPathFault('mountVolume', p)),
    ...cases(['/..', '/', 'data', '/x/../y'], (p) => containerPathFault('addDataVolume', p)),
    ...cases(['/tmp', '/data', '/run/secrets/db'], mountClashFault),
  ])('mountVolume / addDataVolume target: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('mountFile: rejects a bad target', () => {
    for (const target of ['etc/app.conf', '/etc/../app.conf', '/..']) {
      const l = lab();
      const file = new VpsFile(l.vps, 'conf', { path: 'files/app.conf', content: 'x' });
      expectClearError(() => {
        addApi(l).mountFile(file, target);
        synthesize(l.app);
      }, { paths: ['lab/api'], prop: "'mountFile.target'", allowed: 'absolute container path' });
    }
  });

  it('mountVolume: rejects a volume that belongs to another Vps (the compose file would reference an undeclared volume)', () => {
    const l = lab();
    const other = new Vps(l.app, 'other', { domain: 'other.example.com' });
    const volume = new ComposeVolume(other, 'models');
    expectClearError(() => {
      addApi(l).mountVolume(volume, '/models');
      synthesize(l.app);
    }, { paths: ['lab/api', 'other/models'], prop: /mountVolume/ });
  });

  it('mountVolume: treats null options as the defaults (read-write)', () => {
    const l = lab();
    addApi(l).mountVolume(new ComposeVolume(l.vps, 'models'), '/models', null as any);
    const doc = parse(synthesize(l.app).file('lab/docker-compose.yml'));
    expect(doc.services.api.volumes).toContainEqual({ type: 'volume', source: 'models', target: '/models', read_only: false });
  });

  it('addDataVolume: rejects an empty or clashing id with the path', () => {
    expectClearError(() => addApi(lab()).addDataVolume('', '/data'), { paths: [], prop: /\bid\b/, allowed: Names.ALLOWED });
    expectClearError(() => addApi(lab()).addDataVolume('Service', '/data'), { paths: ['lab/api/Service'], prop: /\bid\b/ });
  });

  it('addDataVolume: rejects a non-string id without a TypeError', () => {
    expectClearError(() => addApi(lab()).addDataVolume(42 as any, '/data'), { paths: [], prop: /\bid\b/ });
  });

  it('addDataVolume: a valid 60-character workload id either works or the error names addDataVolume, not an internal prop', () => {
    const l = lab();
    const id = `w${'a'.repeat(59)}`;
    addApi(l, {}, id).addDataVolume('data', '/data');
    let text: string;
    try {
      text = synthesize(l.app).file('lab/docker-compose.yml');
    } catch (err) {
      assertClearError(err, { paths: [`lab/${id}`], prop: /addDataVolume/ });
      return;
    }
    expect(Object.keys(parseBothVersions(text).volumes)).toHaveLength(1);
  });

  it.each([
    ...cases<unknown>(['DB_PASSWORD', 'db_password_file', 'DB_PASSWORD_FILE ', '', '1_FILE', 'DB-PASSWORD_FILE', null], secretEnvVarFault),
    ...cases(['a b', 'a/b', '../db', '42', 'café', 'x'.repeat(64)], secretNameFault),
  ])('addSecret: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('addSecret: rejects an empty secret name on the workload, naming the prop, not an internal construct', () => {
    rejects(secretNameFault(''));
  });

  it('addSecret: rejects a non-string secret name without a TypeError', () => {
    const l = lab();
    expectClearError(() => {
      const api = addApi(l);
      api.addSecret(SecretSource.bootstrapFile('db'), { envVar: 'DB_FILE' });
      api.addSecret(SecretSource.bootstrapFile(42 as any), { envVar: 'OTHER_FILE' });
      synthesize(l.app);
    }, { paths: ['lab/api'], prop: /secretName/ });
  });

  it('addSecret: rejects an envVar that is also a literal environment variable', () => {
    const l = lab();
    expectClearError(() => {
      addApi(l, { environment: { DB_FILE: '/x' } }).addSecret(SecretSource.bootstrapFile('db'), { envVar: 'DB_FILE' });
      synthesize(l.app);
    }, { paths: ['lab/api'], prop: "'addSecret.envVar'" });
  });

  it.each(cases(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'BPF', 'CAP_NET_ADMIN', 'net_admin', 'NET-ADMIN', '', ' CHOWN'], capabilityFault))(
    'addCapability: rejects %s',
    (_l, f) => {
      rejects(f);
    },
  );

  it('addCapability: the same capability twice is reported against addCapability', () => {
    const l = lab();
    expectClearError(() => {
      const api = addApi(l);
      api.addCapability('CHOWN', 'chowns the data directory on start');
      api.addCapability('CHOWN', 'chowns the data directory on start');
      synthesize(l.app);
    }, { paths: ['lab/api'], prop: /addCapability|cap_add/ });
  });

  it.each(
    OVERRIDE_METHODS.flatMap((m) => cases<unknown>(['', 'because', 'todo      ', '          ', undefined, null, 42], (r) => reasonFault(m, r))),
  )('%s: rejected as too short', (_l, f) => {
    rejects(f);
  });

  it.each(OVERRIDE_METHODS.map((m) => [m[0], m] as const))('%s: a bad reason names the method the user called', (name, m) => {
    const err = rejects(reasonFault(m, 'short'));
    expect(err.message).toContain(name);
  });

  it.each([
    ...cases<unknown>(['0.0.0.0', '::', '::1', '', 'localhost', '256.1.1.1', ' 127.0.0.1', '127.0.0', null], (v) => publishFault('hostIp', v)),
    ...cases<unknown>([0, -1, 65536, 1.5, NaN, '8443'], (v) => publishFault('hostPort', v)),
    ...cases<unknown>([9999, 0, '8080', null], (v) => publishFault('containerPort', v)),
  ])('publishPort: rejects %s', (_l, f) => {
    rejects(f);
  });

  it('publishPort: rejects the same host address and port published twice by one workload', () => {
    rejects(duplicatePublicationFault(false));
  });

  it('publishPort: rejects the same host address and port published by two workloads of one Vps', () => {
    rejects(duplicatePublicationFault(true));
  });

  it.each([...cases<unknown>([9999, 0, '5432', NaN, undefined, 5432.5], (p) => flowFault(p, false)), ...cases<unknown>([9999], (p) => flowFault(p, true))])(
    'connections: rejects %s',
    (_l, f) => {
      rejects(f);
    },
  );

  it('connections: rejects a flow to itself', () => {
    const l = lab();
    expectClearError(() => {
      l.server.connections.allowTo(l.server, { port: 5432 });
      synthesize(l.app);
    }, { paths: ['lab/server'], prop: /flow/, allowed: /itself/ });
  });

  it('connections: rejects a flow across hosts, naming both workloads', () => {
    const l = lab();
    const other = new Vps(l.app, 'other', { domain: 'other.example.com' });
    const x = new Workload(other, 'x', okProps());
    expectClearError(() => {
      x.connections.allowTo(l.server, { port: 5432 });
      synthesize(l.app);
    }, { paths: ['other/x', 'lab/server'], prop: /flow/, allowed: /one Vps/ });
  });

  it('connections: rejects start-order cycles, printing every workload of the cycle', () => {
    rejects(cycleFault(2, false, [false]));
    rejects(cycleFault(3, true, [false, true, false]));
    rejects(cycleFault(5, false, [true]));
  });

  it('connections: a cycle is fine once one flow does not wait', () => {
    const l = lab();
    const a = addApi(l, { ports: [1000] }, 'a');
    const b = addApi(l, { ports: [1001] }, 'b');
    a.connections.allowTo(b, { port: 1001 });
    b.connections.allowTo(a, { port: 1000, startsAfter: false });
    expect(() => synthesize(l.app)).not.toThrow();
  });
});

describe('service.addOverride (escape hatch)', () => {
  it.each(['', '.', 'a..b', '.x', 'x.', '__proto__', 'labels.__proto__', 'constructor', 'a.prototype.b'])(
    'rejects the path %j, naming the construct path and addOverride',
    (p) => {
      const l = lab();
      expectClearError(() => addApi(l).service.addOverride(p, 1), { paths: ['lab/api/Service'], prop: /addOverride|override path/, allowed: /dot-separated/ });
    },
  );

  it.each([
    ['a BigInt', 10n],
    ['a Symbol', Symbol('x')],
    ['a function', () => 1],
    ['a circular object', (() => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    })()],
  ])('rejects %s value with a clear error', (_label, value) => {
    const l = lab();
    expectClearError(() => {
      addApi(l).service.addOverride('labels.x', value);
      synthesize(l.app);
    }, { paths: ['lab/api/Service'], prop: /addOverride|override/ });
  });

  it.each<[string, unknown]>([
    ['privileged', true],
    ['privileged', 'true'],
    ['network_mode', 'host'],
    ['pid', 'host'],
    ['ipc', 'host'],
    ['volumes', ['/var/run/docker.sock:/var/run/docker.sock']],
    ['volumes', [{ type: 'bind', source: '/run/containerd/containerd.sock', target: '/s' }]],
  ])('rejects the forbidden setting %s = %j whatever the override', (key, value) => {
    rejects(forbiddenOverrideFault(key, value));
  });

  it.each<[string, unknown]>([
    ['read_only', {}],
    ['restart', 42],
    ['cap_drop', 'ALL'],
    ['healthcheck.retries', []],
    ['deploy.resources.limits.cpus', []],
    ['not_a_compose_key', 1],
  ])('reports %s = %j that breaks the compose schema against the service', (key, value) => {
    rejects(schemaOverrideFault(key, value));
  });
});

describe('construction outside the expected scope', () => {
  it('a Workload outside a Vps names its path and says where it belongs', () => {
    const app = new App({ outdir: 'synth-out' });
    expectClearError(() => new Workload(app, 'api', okProps()), { paths: ['api'], prop: /Vps/ });
  });

  it('a Workload under a plain grouping construct is fine', () => {
    const l = lab();
    const group = new Construct(l.vps, 'serving');
    new Workload(group, 'api', { ...okProps(), zone: Zone.Z6_SERVING, image: Image.fromRegistry('nginx', '1.27.1') });
    expect(() => synthesize(l.app)).not.toThrow();
  });
});
