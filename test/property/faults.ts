/**
 * Faults: one invalid id or prop injected into a valid {@link Lab}, with the error it must
 * produce. Each family has an arbitrary (random faults) and examples (known edge cases, always
 * run first so the property does not depend on the seed to meet them).
 */
import fc from 'fast-check';
import {
  ComposeVolume,
  HealthCheck,
  HealthCheckOptions,
  Image,
  PortPublication,
  SecretSource,
  SecurityProfile,
  Workload,
  WorkloadDefaults,
} from '../../lib';
import { isValidId, LIBRARY_CHILD_IDS, normalized, trickyString, validId } from './arbitraries';
import { addApi, ExpectedError, Lab } from './support';

/** A fault injected into a valid lab, and the error it must produce. */
export interface Fault {
  readonly label: string;
  readonly inject: (l: Lab) => void;
  readonly expected: ExpectedError;
}

/** A family of faults. */
export interface FaultFamily {
  readonly arbitrary: fc.Arbitrary<Fault>;
  readonly examples: readonly Fault[];
}

const API = 'lab/api';

function fault(label: string, inject: (l: Lab) => void, expected: ExpectedError): Fault {
  return { label, inject, expected };
}

function show(value: unknown): string {
  try {
    return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** Bad values of a number prop: out of range, fractional, huge, non-finite, not a number. */
export function badNumber(min: number, max: number, integer: boolean): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.double({ max: min, noNaN: true }).filter((n) => n < min),
    fc.double({ min: max, noNaN: true }).filter((n) => n > max),
    integer ? fc.double({ min, max, noNaN: true }).filter((n) => !Number.isInteger(n)) : fc.constant(min - 1),
    fc.constantFrom(NaN, Infinity, -Infinity, 1e21, -1e21, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, -0.5),
    fc.constantFrom('1', '', true, [], {}, [1]),
  );
}

/** Ids the documented rule rejects: empty, numeric, unicode, quotes, newlines, spaces, `../`, too long. */
export const BAD_IDS: readonly string[] = [
  '', '0', '42', '0000', '-api', 'api-', '_api', 'api_', '.api', 'api.', '..', '../', '../api', 'a/b', 'a\nb', 'api\n', '\napi', 'a b', ' api',
  'api ', 'a\tb', '"api"', "'api'", 'a"b', "a'b", 'café', 'Straße', 'api😀', 'ａｐｉ', 'a$b', 'a:b', 'a@b', 'a\u0000b', 'a'.repeat(64), 'a'.repeat(200),
];

/** A bad id, from the list or random. */
export const badId: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...BAD_IDS) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 1e9 }).map(String) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 64, maxLength: 80 }) },
  )
  .filter((id) => !isValidId(id));

// ---------------------------------------------------------------------------------------------

export const workloadIdFault = (id: string): Fault =>
  fault(`workload id ${show(id)}`, (l) => addApi(l, {}, id), { paths: [], prop: /\bid\b/, allowed: 'letters, digits' });

const RESOURCE_BOUNDS = { cpus: [0.01, 64, false], memoryMiB: [6, 1048576, true], pids: [1, 32768, true] } as const;
type ResourceField = keyof typeof RESOURCE_BOUNDS;

export const resourceFault = (field: ResourceField, value: unknown, where: 'prop' | 'vps-profile' | 'app-profile'): Fault =>
  fault(`resources.${field} = ${show(value)} via ${where}`, (l) => {
    const resources = { [field]: value } as WorkloadDefaults['resources'];
    if (where === 'prop') addApi(l, { resources });
    else {
      SecurityProfile.of(where === 'vps-profile' ? l.vps : l.app).apply({ resources });
      addApi(l);
    }
  }, { paths: [API], prop: `'resources.${field}'`, allowed: /from [0-9.]+ to [0-9]+/ });

const PROFILE_BOUNDS = { tmpfsSizeMiB: [1, 65536], logMaxSizeMiB: [1, 1024], logMaxFiles: [1, 100], restartMaxRetries: [0, 100] } as const;
type ProfileField = keyof typeof PROFILE_BOUNDS;

export const profileFault = (field: ProfileField, value: unknown): Fault =>
  fault(`SecurityProfile ${field} = ${show(value)}`, (l) => {
    SecurityProfile.of(l.vps).apply({ [field]: value } as WorkloadDefaults);
    addApi(l);
  }, { paths: [API], prop: `'${field}'`, allowed: /from [0-9]+ to [0-9]+/ });

export const portsFault = (ports: unknown): Fault =>
  fault(`ports ${show(ports)}`, (l) => addApi(l, { ports }), { paths: [API], prop: /'ports/ });

export const tagFault = (tag: string): Fault =>
  fault(`tag ${show(tag)}`, (l) => addApi(l, { image: Image.fromRegistry('postgres', tag) }), { paths: [API], prop: "'image.tag'", allowed: /version/ });

export const repositoryFault = (repository: string): Fault =>
  fault(`repository ${show(repository)}`, (l) => addApi(l, { image: Image.fromRegistry(repository, '15.8') }), { paths: [API], prop: "'image.repository'", allowed: 'lower-case' });

export const digestFault = (digest: string): Fault =>
  fault(`digest ${show(digest)}`, (l) => addApi(l, { image: Image.fromRegistry('postgres', '15.8', { digest }) }), { paths: [API], prop: "'image.digest'", allowed: 'sha256' });

export const referenceFault = (reference: string): Fault =>
  fault(`Image.parse(${show(reference)})`, (l) => addApi(l, { image: Image.parse(reference) }), { paths: [API], prop: /'image/ });

export const secretEnvFault = (name: string, value: string): Fault =>
  fault(`secret-looking environment ${name}`, (l) => addApi(l, { environment: { LOG_LEVEL: 'info', [name]: value } }), {
    paths: [API],
    prop: `'environment.${name}'`,
    allowed: 'addSecret',
  });

export const envNameFault = (name: string): Fault =>
  fault(`environment name ${show(name)}`, (l) => addApi(l, { environment: { [name]: 'x' } }), { paths: [API], prop: "'environment'" });

export const envValueFault = (value: unknown): Fault =>
  fault(`environment value ${show(value)}`, (l) => addApi(l, { environment: { LOG_LEVEL: value } }), { paths: [API], prop: "'environment.LOG_LEVEL'" });

export const userFault = (user: unknown, where: 'prop' | 'profile'): Fault =>
  fault(`user ${show(user)} via ${where}`, (l) => {
    if (where === 'prop') addApi(l, { user });
    else {
      SecurityProfile.of(l.vps).apply({ user: user as string });
      addApi(l);
    }
  }, { paths: [API], prop: "'user'", allowed: 'uid:gid' });

/** The override methods that need a reason. */
export const OVERRIDE_METHODS: readonly (readonly [string, (w: Workload, reason: any) => void])[] = [
  ['allowWritableRootFilesystem', (w, r) => w.allowWritableRootFilesystem(r)],
  ['addCapability', (w, r) => w.addCapability('NET_BIND_SERVICE', r)],
  ['runAsRoot', (w, r) => w.runAsRoot(r)],
  ['noHealthCheck', (w, r) => w.noHealthCheck(r)],
  ['publishPort', (w, r) => w.publishPort({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 8080, reason: r })],
];

export const reasonFault = (method: (typeof OVERRIDE_METHODS)[number], reason: unknown): Fault =>
  fault(`${method[0]}(reason ${show(reason)})`, (l) => method[1](addApi(l), reason), { paths: [API], prop: /reason/, allowed: 'at least 10 characters' });

export const publishFault = (field: 'hostIp' | 'hostPort' | 'containerPort', value: unknown): Fault =>
  fault(`publishPort ${field} ${show(value)}`, (l) => {
    const publication = { hostIp: '127.0.0.1', hostPort: 8443, containerPort: 8080, reason: 'operator access to the api', [field]: value };
    addApi(l).publishPort(publication as PortPublication);
  }, { paths: [API], prop: `'publishPort.${field}'`, allowed: { hostIp: '0.0.0.0', hostPort: 'from 1 to 65535', containerPort: '8080' }[field] });

export const duplicatePublicationFault = (secondWorkload: boolean): Fault =>
  fault(`127.0.0.1:8443 published twice${secondWorkload ? ' by two workloads' : ''}`, (l) => {
    const api = addApi(l, { ports: [8080, 8081] });
    api.publishPort({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 8080, reason: 'operator access to the api' });
    if (secondWorkload) l.client.publishPort({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 9000, reason: 'operator access to the client' });
    else api.publishPort({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 8081, reason: 'operator access to the admin port' });
  }, { paths: [API], prop: /publishPort/ });

export const flowFault = (port: unknown, viaAllowFrom: boolean): Fault =>
  fault(`flow to port ${show(port)} that lab/server does not listen on${viaAllowFrom ? ' (allowFrom)' : ''}`, (l) => {
    const api = addApi(l);
    if (viaAllowFrom) l.server.connections.allowFrom(api, { port } as any);
    else api.connections.allowTo(l.server, { port } as any);
  }, { paths: [API, 'lab/server'], prop: "'port'", allowed: '5432, 8080' });

export const cycleFault = (n: number, explicit: boolean, viaAllowFrom: readonly boolean[]): Fault => {
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  return fault(`start-order cycle through ${ids.join(', ')}`, (l) => {
    const ws = ids.map((id, i) => addApi(l, { ports: [1000 + i] }, id));
    ws.forEach((w, i) => {
      const next = ws[(i + 1) % n];
      const port = 1000 + ((i + 1) % n);
      const opts = explicit ? { port, startsAfter: true } : { port };
      if (viaAllowFrom[i % viaAllowFrom.length]) next.connections.allowFrom(w, opts);
      else w.connections.allowTo(next, opts);
    });
  }, { paths: ids.map((id) => `lab/${id}`), prop: /startsAfter/ });
};

export const idCollisionFault = (x: string, y: string): Fault =>
  fault(`ids ${show(x)} and ${show(y)} under one Vps`, (l) => {
    addApi(l, {}, x);
    addApi(l, {}, y);
  }, { paths: [`lab/${x}`, `lab/${y}`], prop: /collides|name/ });

export const volumeCollisionFault = (x: string): Fault =>
  fault(`data volume of ${show(x)} and Vps volume ${normalized(x)}-data`, (l) => {
    addApi(l, {}, x).addDataVolume('data', '/data');
    new ComposeVolume(l.vps, `${normalized(x)}-data`);
  }, { paths: [`lab/${x}/data`, `lab/${normalized(x)}-data`], prop: /collides|name/ });

export const serviceNameCollisionFault = (serviceName: string): Fault =>
  fault(`serviceName ${show(serviceName)} of lab/api against lab/${serviceName.toLowerCase()}`, (l) => addApi(l, { serviceName }), {
    paths: [API, `lab/${serviceName.toLowerCase()}`],
    prop: /collides|name/,
  });

export const healthArgvFault = (argv: unknown): Fault =>
  fault(`HealthCheck.command(${show(argv)})`, (l) => addApi(l, { healthCheck: HealthCheck.command(argv as string[]) }), { paths: [API], prop: "'healthCheck'" });

export const healthShellFault = (line: unknown): Fault =>
  fault(`HealthCheck.shell(${show(line)})`, (l) => addApi(l, { healthCheck: HealthCheck.shell(line as string) }), { paths: [API], prop: "'healthCheck'" });

export const healthOptionFault = (field: keyof HealthCheckOptions, value: unknown): Fault =>
  fault(`healthCheck ${field} = ${show(value)}`, (l) => addApi(l, { healthCheck: HealthCheck.command(['true'], { [field]: value } as HealthCheckOptions) }), {
    paths: [API],
    prop: `'healthCheck.${field}'`,
    allowed: /from [0-9]+ to [0-9]+/,
  });

export const missingHealthFault = (): Fault =>
  fault('no health check and no noHealthCheck(reason)', (l) => addApi(l, { healthCheck: undefined }), { paths: [API], prop: "'healthCheck'", allowed: 'noHealthCheck' });

export const argvFault = (prop: 'command' | 'entrypoint', argv: unknown): Fault =>
  fault(`${prop} ${show(argv)}`, (l) => addApi(l, { [prop]: argv }), { paths: [API], prop: `'${prop}'` });

export type PathProp = 'writablePaths' | 'workingDir' | 'mountVolume' | 'addDataVolume' | 'mountFile';

export const containerPathFault = (prop: PathProp, p: unknown): Fault =>
  fault(`${prop} ${show(p)}`, (l) => {
    if (prop === 'writablePaths') addApi(l, { writablePaths: ['/tmp', p] });
    else if (prop === 'workingDir') addApi(l, { workingDir: p });
    else if (prop === 'mountVolume') addApi(l).mountVolume(new ComposeVolume(l.vps, 'models'), p as string);
    else addApi(l).addDataVolume('data', p as string);
  }, { paths: [API], prop: prop === 'writablePaths' ? "'writablePaths[]'" : prop === 'workingDir' ? "'workingDir'" : /'(mountVolume|addDataVolume)\.target'/, allowed: 'absolute container path' });

export const mountClashFault = (target: string): Fault =>
  fault(`two mounts at ${target}`, (l) => {
    const api = addApi(l, { writablePaths: ['/tmp', '/data'] });
    api.addSecret(SecretSource.bootstrapFile('db'), { envVar: 'DB_FILE' });
    api.addDataVolume('data', target);
  }, { paths: [API], prop: /'mountVolume\.target'|'addDataVolume\.target'/, allowed: /already mounts/ });

export const capabilityFault = (cap: string): Fault =>
  fault(`addCapability(${show(cap)})`, (l) => addApi(l).addCapability(cap, 'needed by the tests in this lab'), { paths: [API], prop: "'addCapability'" });

export const secretEnvVarFault = (envVar: unknown): Fault =>
  fault(`addSecret envVar ${show(envVar)}`, (l) => addApi(l).addSecret(SecretSource.bootstrapFile('db'), { envVar: envVar as string }), {
    paths: [API],
    prop: "'addSecret.envVar'",
    allowed: 'FILE',
  });

export const secretNameFault = (name: string): Fault =>
  fault(`SecretSource.bootstrapFile(${show(name)})`, (l) => addApi(l).addSecret(SecretSource.bootstrapFile(name), { envVar: 'DB_FILE' }), {
    paths: [API],
    prop: /secretName/,
    allowed: 'letters, digits',
  });

export const zoneFault = (zone: unknown): Fault =>
  fault(`zone ${show(zone)}`, (l) => addApi(l, { zone }), { paths: [API], prop: "'zone'", allowed: 'Zone.' });

export const serviceNameFault = (serviceName: string): Fault =>
  fault(`serviceName ${show(serviceName)}`, (l) => addApi(l, { serviceName }), { paths: [API], prop: "'serviceName'", allowed: 'letters, digits' });

export const imageTypeFault = (image: unknown): Fault =>
  fault(`image ${show(image)}`, (l) => addApi(l, { image }), { paths: [API], prop: "'image'", allowed: 'Image.fromRegistry' });

export const forbiddenOverrideFault = (key: string, value: unknown): Fault =>
  fault(`service.addOverride(${show(key)}, ${show(value)})`, (l) => addApi(l).service.addOverride(key, value), {
    paths: [`${API}/Service`],
    prop: new RegExp(`${key.split('.')[0]}|socket`),
    allowed: /never allowed/,
  });

export const schemaOverrideFault = (key: string, value: unknown): Fault =>
  fault(`service.addOverride(${show(key)}, ${show(value)}) breaks the schema`, (l) => addApi(l).service.addOverride(key, value), {
    paths: [`${API}/Service`],
    prop: key.split('.')[0],
  });

// ---------------------------------------------------------------------------------------------

/** A uid:gid runc accepts for a non-root user: uid 1..2^31-1 (no leading zero), gid 0..2^31-1. */
export function isGoodUser(u: unknown): boolean {
  const m = typeof u === 'string' ? /^([1-9][0-9]*):([0-9]+)$/.exec(u) : null;
  return m !== null && Number(m[1]) <= 2147483647 && Number(m[2]) <= 2147483647;
}

/** Secret-looking names: the listed words in any case, with any prefix/suffix, not ending in _FILE. */
export const secretLikeName: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', 'DB_', 'POSTGRES_', 'AWS_', 'GITHUB_', 'MY_', 'x_', 'PG'),
    fc.constantFrom('PASSWORD', 'PASSWD', 'PASS', 'SECRET', 'TOKEN', 'API_KEY', 'APIKEY', 'PRIVATE_KEY', 'ACCESS_KEY', 'CREDENTIALS', 'Password', 'api_key', 'secret'),
    fc.constantFrom('', '_1', '_VALUE', '_ID', 'S', '_B64'),
  )
  .map(([a, b, c]) => `${a}${b}${c}`)
  .filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && !n.endsWith('_FILE'));

const badReason = fc
  .oneof(
    fc.string({ maxLength: 9 }),
    fc.string({ maxLength: 9 }).map((s) => `   ${s}\n\t   `),
    fc.constantFrom<unknown>(undefined, null, 42, {}, ['a reason long enough'], '          ', 'todo', 'TBD', '\n\n\n\n\n\n\n\n\n\n\n'),
  )
  .filter((r) => typeof r !== 'string' || r.trim().length < 10);

export const BAD_CONTAINER_PATHS: readonly unknown[] = [
  '', 'tmp', './tmp', '/tmp/../etc', '/..', '/.', '/../etc', '/./etc', '/', '/a/./b', '/a b', '/tmp\n', '/tmp\0', '/tmp:ro', '/tmp,uid=0', '/é', '~/x', 'C:\\tmp', null, 42,
];

const badContainerPath = fc.oneof(
  fc.constantFrom(...BAD_CONTAINER_PATHS),
  fc.string({ unit: 'binary', maxLength: 10 }).map((s) => `/${s}`).filter((p) => !/^\/(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._@+\-/]*$/.test(p)),
);

/** An id and a different id that normalizes to the same compose name. */
export const collidingIds: fc.Arbitrary<readonly [string, string]> = fc
  .tuple(validId, fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), fc.array(fc.constantFrom('-', '_', '.'), { minLength: 16, maxLength: 16 }))
  .map(([id, flips, seps]) => {
    const twin = [...id]
      .map((ch, i) => (/[A-Za-z]/.test(ch) ? (flips[i] ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch) : /[-_.]/.test(ch) ? seps[i] : ch))
      .join('');
    return [id, twin] as const;
  })
  .filter(
    ([id, twin]) =>
      id !== twin && normalized(id) === normalized(twin) && isValidId(twin) && !['server', 'client'].includes(normalized(id)) && !LIBRARY_CHILD_IDS.includes(twin),
  );

// ---------------------------------------------------------------------------------------------

/** Every family, by name. */
export const FAMILIES: Record<string, FaultFamily> = {
  'workload ids (empty, numeric, unicode, quotes, newlines, spaces, ../, too long)': {
    arbitrary: badId.map(workloadIdFault),
    // Names every JavaScript object has ('constructor', '__proto__' …) cannot be construct ids.
    examples: ['a/b', 'a\nb', '', '42', '../', 'café', '"api"', 'a b', 'a'.repeat(64), '__proto__', 'constructor', 'toString'].map(workloadIdFault),
  },
  'resources (negative, huge, fractional, non-finite)': {
    arbitrary: fc
      .tuple(fc.constantFrom<ResourceField>('cpus', 'memoryMiB', 'pids'), fc.constantFrom<'prop' | 'vps-profile' | 'app-profile'>('prop', 'vps-profile', 'app-profile'))
      .chain(([field, where]) => badNumber(RESOURCE_BOUNDS[field][0], RESOURCE_BOUNDS[field][1], RESOURCE_BOUNDS[field][2]).map((v) => resourceFault(field, v, where))),
    examples: [
      resourceFault('cpus', -1, 'prop'),
      resourceFault('cpus', 0, 'prop'),
      resourceFault('cpus', NaN, 'vps-profile'),
      resourceFault('memoryMiB', -256, 'prop'),
      resourceFault('memoryMiB', 1.5, 'app-profile'),
      resourceFault('memoryMiB', 1e21, 'prop'),
      resourceFault('pids', 0, 'prop'),
      resourceFault('pids', 2 ** 53, 'vps-profile'),
    ],
  },
  'security profile sizing': {
    arbitrary: fc
      .constantFrom<ProfileField>('tmpfsSizeMiB', 'logMaxSizeMiB', 'logMaxFiles', 'restartMaxRetries')
      .chain((field) => badNumber(PROFILE_BOUNDS[field][0], PROFILE_BOUNDS[field][1], true).map((v) => profileFault(field, v))),
    examples: [profileFault('tmpfsSizeMiB', 0), profileFault('restartMaxRetries', -1), profileFault('logMaxFiles', Infinity)],
  },
  'ports and duplicate ports': {
    arbitrary: fc.oneof(
      badNumber(1, 65535, true).map((p) => portsFault([8080, p])),
      fc.integer({ min: 1, max: 65535 }).map((p) => portsFault([p, 8080 === p ? 8081 : 8080, p])),
      fc.constantFrom<unknown>('8080', 8080, {}, null).map(portsFault),
    ),
    examples: [portsFault([0]), portsFault([65536]), portsFault([-1]), portsFault([80, 80]), portsFault([1e21]), portsFault([80.5]), portsFault('80')],
  },
  images: {
    arbitrary: fc.oneof(
      fc.constantFrom('latest', 'LATEST', 'Latest', 'stable', 'main', 'master', 'edge', 'nightly', '', 'v', 'abc', ' 1.0', '1.0 ', '1.0\n', 'a'.repeat(120) + '1'.repeat(10), '1:0', '1/0', '-1.0', '.1').map(tagFault),
      fc.oneof(fc.constantFrom('Postgres', 'POSTGRES', 'ghcr.io/Org/app', 'postgres ', '', '/postgres', 'postgres/', 'a//b', 'pøstgres', 'https://ghcr.io/a'), fc.stringMatching(/^[a-z0-9]*[A-Z][A-Za-z0-9]*$/)).map(repositoryFault),
      fc.constantFrom('', 'sha256:', 'sha256:abc', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `sha256:${'a'.repeat(65)}`, `md5:${'a'.repeat(32)}`, 'a'.repeat(64)).map(digestFault),
      fc.constantFrom('postgres', 'postgres:', 'postgres:latest', 'POSTGRES:15', ':15', '', `@sha256:${'a'.repeat(64)}`, 'postgres:15@sha256:abc', 'localhost:5000/app', 'postgres:15.8:x', 'postgres@15.8').map(referenceFault),
    ),
    examples: [
      tagFault('latest'),
      tagFault(''),
      repositoryFault('Postgres'),
      digestFault('sha256:abc'),
      referenceFault('postgres'),
      referenceFault('postgres:latest'),
      referenceFault(`postgres:15.8@sha256:${'a'.repeat(64)}@sha256:${'b'.repeat(64)}`),
    ],
  },
  'environment (secret-looking names, bad names, bad values)': {
    arbitrary: fc.oneof(
      fc.tuple(secretLikeName, trickyString).map(([n, v]) => secretEnvFault(n, v)),
      fc
        .oneof(fc.constantFrom('', '1A', 'A-B', 'A B', 'Ä', 'A=B', 'A.B', 'A\nB', '$A', ' A', 'A:B'), fc.string({ unit: 'binary', maxLength: 8 }))
        .filter((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) && n !== '__proto__')
        .map(envNameFault),
      fc.constantFrom<unknown>('a\0b', '\0', '\ud800', 'x\udfffy', 42, null, true, {}, ['a']).map(envValueFault),
    ),
    examples: [
      secretEnvFault('DB_PASSWORD', 'hunter2'),
      secretEnvFault('API_KEY', 'abc'),
      secretEnvFault('GITHUB_TOKEN', 'ghp_x'),
      secretEnvFault('AWS_SECRET_ACCESS_KEY', 'x'),
      secretEnvFault('db_password', 'x'),
      secretEnvFault('PGPASSWORD', 'x'),
      envNameFault('A-B'),
      envNameFault(''),
      envNameFault('A\nB'),
      envValueFault('a\0b'),
      envValueFault(42),
    ],
  },
  'user strings': {
    arbitrary: fc
      .oneof(
        fc.constantFrom('0:0', '0', 'root', '1000', '1000:', ':1000', '-1:1', ' 1000:1000', '1000:1000 ', '1000:1000\n', '01000:1000',
          '1000:1000:1000', 'app:app', '1e3:1e3', '0x10:1', '99999999999:1', '4294967296:1', '2147483648:1000', '1000:4294967296', ''),
        fc.tuple(fc.bigInt({ min: -5n, max: 2n ** 40n }), fc.bigInt({ min: -5n, max: 2n ** 40n })).map(([u, g]) => `${u}:${g}`),
        fc.string({ maxLength: 12 }),
      )
      .filter((u) => !isGoodUser(u))
      .chain((user) => fc.constantFrom<'prop' | 'profile'>('prop', 'profile').map((where) => userFault(user, where))),
    examples: [
      userFault('0:0', 'prop'),
      userFault('root', 'prop'),
      userFault('1000', 'profile'),
      userFault(' 1000:1000', 'prop'),
      userFault('2147483648:1000', 'prop'),
      userFault('4294967296:1', 'profile'),
      userFault('1000:4294967296', 'prop'),
    ],
  },
  'override reasons (< 10 characters)': {
    arbitrary: fc.tuple(fc.constantFrom(...OVERRIDE_METHODS), badReason).map(([m, r]) => reasonFault(m, r)),
    examples: OVERRIDE_METHODS.flatMap((m) => [reasonFault(m, ''), reasonFault(m, 'because'), reasonFault(m, '          '), reasonFault(m, undefined)]),
  },
  publishPort: {
    arbitrary: fc.oneof(
      fc
        .oneof(fc.constantFrom<unknown>('0.0.0.0', '::', '::1', '', 'localhost', '256.1.1.1', '127.0.0.1 ', ' 127.0.0.1', '127.0.0.01', '127.0.0', '1.2.3.4.5', '0.0.0.0\n', null, 2130706433), fc.ipV6())
        .map((v) => publishFault('hostIp', v)),
      badNumber(1, 65535, true).map((v) => publishFault('hostPort', v)),
      fc.oneof(fc.integer({ min: -10, max: 70000 }).filter((p) => p !== 8080), fc.constantFrom<unknown>('8080', NaN, null)).map((v) => publishFault('containerPort', v)),
      fc.boolean().map(duplicatePublicationFault),
    ),
    examples: [
      publishFault('hostIp', '0.0.0.0'),
      publishFault('hostIp', '::'),
      publishFault('hostPort', 0),
      publishFault('containerPort', 9999),
      duplicatePublicationFault(false),
      duplicatePublicationFault(true),
    ],
  },
  'flows to ports not listened on': {
    arbitrary: fc
      .tuple(fc.oneof(fc.integer({ min: -5, max: 70000 }).filter((p) => p !== 5432 && p !== 8080), fc.constantFrom<unknown>('5432', NaN, null, undefined, 5432.5)), fc.boolean())
      .map(([p, viaAllowFrom]) => flowFault(p, viaAllowFrom)),
    examples: [flowFault(9999, false), flowFault(9999, true), flowFault('5432', false)],
  },
  'start-order cycles': {
    arbitrary: fc
      .tuple(fc.integer({ min: 2, max: 5 }), fc.boolean(), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }))
      .map(([n, explicit, via]) => cycleFault(n, explicit, via)),
    examples: [cycleFault(2, false, [false]), cycleFault(3, true, [true, false])],
  },
  'name collisions after normalization (both paths named)': {
    arbitrary: fc.oneof(
      collidingIds.map(([x, y]) => idCollisionFault(x, y)),
      validId.filter((x) => !['server', 'client'].includes(normalized(x))).map(volumeCollisionFault),
      fc.constantFrom('server', 'SERVER', 'client', 'Client').map(serviceNameCollisionFault),
    ),
    examples: [idCollisionFault('Api', 'api'), idCollisionFault('a_b', 'a-b'), idCollisionFault('a.b', 'A_B'), volumeCollisionFault('store'), serviceNameCollisionFault('server'), serviceNameCollisionFault('Server')],
  },
  'health checks': {
    arbitrary: fc.oneof(
      fc.constantFrom<unknown>([], [''], ['true', ''], [42], [null], ['a', undefined]).map(healthArgvFault),
      fc.constantFrom<unknown>('', null, 42).map(healthShellFault),
      fc
        .constantFrom<[keyof HealthCheckOptions, number, number]>(['intervalSeconds', 1, 3600], ['timeoutSeconds', 1, 600], ['retries', 1, 100], ['startPeriodSeconds', 0, 3600])
        .chain(([field, min, max]) => badNumber(min, max, true).map((v) => healthOptionFault(field, v))),
      fc.constant(missingHealthFault()),
    ),
    examples: [healthArgvFault([]), healthShellFault(''), healthOptionFault('intervalSeconds', 0), healthOptionFault('retries', 1e21), missingHealthFault()],
  },
  'command and entrypoint': {
    arbitrary: fc
      .tuple(fc.constantFrom<'command' | 'entrypoint'>('command', 'entrypoint'), fc.constantFrom<unknown>([], ['a\0b'], ['\0'], 'ls -l', [1], [null], ['ok', 2], {}, ''))
      .map(([p, v]) => argvFault(p, v)),
    examples: [argvFault('command', []), argvFault('entrypoint', ['a\0b'])],
  },
  'container paths and mount clashes': {
    arbitrary: fc.oneof(
      fc.tuple(fc.constantFrom<PathProp>('writablePaths', 'workingDir', 'mountVolume', 'addDataVolume'), badContainerPath).map(([prop, p]) => containerPathFault(prop, p)),
      fc.constantFrom('/tmp', '/data', '/run/secrets/db').map(mountClashFault),
    ),
    examples: [
      containerPathFault('writablePaths', '/..'),
      containerPathFault('writablePaths', '/'),
      containerPathFault('mountVolume', '/../etc'),
      containerPathFault('workingDir', '/.'),
      containerPathFault('writablePaths', 'tmp'),
      containerPathFault('addDataVolume', '/data/../etc'),
      mountClashFault('/tmp'),
    ],
  },
  capabilities: {
    arbitrary: fc
      .oneof(
        fc.constantFrom('ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_PTRACE', 'BPF', 'PERFMON', 'MAC_ADMIN', 'CAP_NET_ADMIN', 'net_admin', 'NET-ADMIN', '', ' CHOWN', 'CHOWN\n'),
        fc.string({ maxLength: 10 }).filter((s) => !/^[A-Z_]+$/.test(s)),
      )
      .map(capabilityFault),
    examples: [capabilityFault('SYS_ADMIN'), capabilityFault('ALL'), capabilityFault('CAP_NET_ADMIN')],
  },
  secrets: {
    arbitrary: fc.oneof(
      fc.constantFrom<unknown>('DB_PASSWORD', 'db_password_file', 'DB_PASSWORD_FILE ', '', 'FILE_DB', '1_FILE', 'DB-PASSWORD_FILE', null).map(secretEnvVarFault),
      badId.filter((n) => n.length > 0).map(secretNameFault),
    ),
    examples: [secretEnvVarFault('DB_PASSWORD'), secretNameFault('a b'), secretNameFault('a/b'), secretNameFault('../db')],
  },
  'zone, serviceName, image type and forbidden overrides': {
    arbitrary: fc.oneof(
      fc.constantFrom<unknown>(undefined, null, 3, 'Z3', {}, { index: 3, id: 'z3', title: 'x' }).map(zoneFault),
      badId.map(serviceNameFault),
      fc.constantFrom<unknown>(undefined, null, 'postgres:15.8', {}, { reference: 'postgres:15.8' }).map(imageTypeFault),
      fc
        .constantFrom<[string, unknown]>(['privileged', true], ['network_mode', 'host'], ['pid', 'host'], ['ipc', 'host'], ['volumes', ['/var/run/docker.sock:/var/run/docker.sock']],
          ['volumes', [{ type: 'bind', source: '/run/containerd/containerd.sock', target: '/s' }]])
        .map(([k, v]) => forbiddenOverrideFault(k, v)),
      fc
        .constantFrom<[string, unknown]>(['read_only', {}], ['restart', 42], ['cap_drop', 'ALL'], ['healthcheck.retries', []], ['deploy.resources.limits.cpus', []])
        .map(([k, v]) => schemaOverrideFault(k, v)),
    ),
    examples: [zoneFault(undefined), serviceNameFault(''), serviceNameFault('a/b'), imageTypeFault('postgres:15.8'), forbiddenOverrideFault('privileged', true)],
  },
};
