/**
 * fast-check arbitraries for mlsec-cdk: valid ids and values, tricky strings, and whole valid
 * construct trees described as plain data (a {@link TreeSpec}) so a tree can be built twice.
 */
import fc from 'fast-check';
import {
  App,
  AppProps,
  ComposeVolume,
  HealthCheck,
  HealthCheckOptions,
  Image,
  SecretSource,
  SecurityProfile,
  Vps,
  VpsFile,
  Workload,
  WorkloadDefaults,
  Zone,
} from '../../lib';
import { RENDERING_ONLY } from '../support/fixtures';

/** Ids the library itself uses for children of a Vps (see the reserved-id tests). */
export const LIBRARY_CHILD_IDS: readonly string[] = ['Compose', 'Networks', 'Secrets'];

/** The library's normalization of ids into compose names (restated so the tests do not trust it). */
export function normalized(id: string): string {
  return id.toLowerCase().replace(/[_.]/g, '-');
}

/** What `Names.checkId` allows, restated. */
export const VALID_ID = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** Whether an id is valid by the documented rule. */
export function isValidId(id: string): boolean {
  return VALID_ID.test(id) && !/^[0-9]+$/.test(id);
}

/** Environment names the library must treat as secrets. */
export const SECRET_LIKE = /(PASS(WD|WORD)?|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|_KEY$|^KEY$|CREDENTIAL)/i;

/** A valid construct id (short, so derived names stay within 63 characters). */
export const validId: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 9, arbitrary: fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,14}[A-Za-z0-9])?$/) },
    { weight: 1, arbitrary: fc.constantFrom('e0', 'E5', 'e-3', 'E.1', 'Y', 'no', 'On', 'null', 'x1', '0x1F', '1e3', '0755', '12_3') },
  )
  .filter((id) => isValidId(id) && !LIBRARY_CHILD_IDS.includes(id) && !/^x-mlsec/i.test(id));

/** A valid id already in normalized form (lower case, `-` only). */
export const normalizedId: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 9, arbitrary: fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,12}[a-z0-9])?$/) },
    { weight: 1, arbitrary: fc.constantFrom('e0', 'e-3', 'y', 'no', 'on', 'null', 'true') },
  )
  .filter((id) => !/^x-mlsec/.test(id));

/** Scalars YAML 1.1 or 1.2 readers would take for something else, and compose/YAML syntax. */
export const TRICKY_VALUES: readonly string[] = [
  '', ' ', 'yes', 'no', 'on', 'off', 'y', 'n', 'Y', 'N', 'Yes', 'NO', 'On', 'OFF', 'true', 'False', 'TRUE', 'null', 'Null', 'NULL', '~',
  '0755', '0o755', '0x1F', '0b101', '22:22', '1:20:30', '190:20:30', '1e3', '1E3', '-1e-3', '+12', '.5', '1_000', '.inf', '-.Inf', '.NaN',
  'e0', 'E5', 'e-3', 'e+12', 'E.0', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '=', '<<', '<<: *a', '&anchor', '*alias', '!tag', '!!str', '%YAML 1.1', '---', '...',
  '$', '$$', '$$$', '$HOME', '${HOME}', '${HOME:-x}', '$(id)', 'a $b', 'pa$$word', '#', '# comment', 'a #b', 'a#b', 'key: value', 'a:b',
  ': ', '- item', '? key', '|', '>', '{a: 1}', '[1, 2]', '@at', '`tick`', '"', "'", '"\'"', '\\', '\\n', 'line1\nline2', '\n', '\r\n',
  '\ttab', 'trailing ', ' leading', 'é', 'Straße', '日本語', '😀', 'a\u200bb', '\u2028', '\u2029', '\u0085', '\u00a0', '\ufeff', '\u007f',
  '\u001b[31m', '\ufffe', '\uffff', '\ud83d\ude00',
];

/** Single characters that stress quoting and escaping. */
const TRICKY_CHARS: readonly string[] = [
  'a', 'Z', '0', '9', ' ', '\t', '\n', '\r', '$', '{', '}', '#', ':', '-', '?', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', ',',
  '[', ']', '\\', '/', '.', '~', '=', '<', '+', '_', 'é', 'ß', '日', '😀', '\u0085', '\u00a0', '\u2028', '\ufeff', '\u007f', '\u0001',
];

/** Any string without NUL (what `environment` and `command` accept). */
export const trickyString: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(...TRICKY_VALUES),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.string({ unit: fc.constantFrom(...TRICKY_CHARS), maxLength: 16 }),
    fc.array(fc.constantFrom(...TRICKY_VALUES), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
  )
  .filter((s) => !s.includes('\0'));

/** A non-empty string without NUL. */
export const nonEmptyTrickyString: fc.Arbitrary<string> = trickyString.filter((s) => s.length > 0);

/** A reason of at least 10 non-blank characters, possibly exotic. */
export const reason: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('operator access for the lab', 'the image writes its pid file', 'needs to bind port 80 as non-root'), trickyString)
  .map(([base, extra]) => `${base} ${extra}`);

/** A non-secret environment variable name, including YAML 1.1 boolean/null words. */
export const envName: fc.Arbitrary<string> = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/),
    fc.constantFrom('Y', 'N', 'y', 'yes', 'NO', 'ON', 'off', 'TRUE', 'null', 'NULL', '_', 'A', 'PATH', 'HOME', 'LANG', 'TZ', 'e0', 'E12'),
  )
  .filter((n) => !SECRET_LIKE.test(n) && n !== '__proto__' && !n.startsWith('MLSEC_'));

/** A specific IPv4 host address (never the wildcard). */
export const specificIpV4: fc.Arbitrary<string> = fc.oneof(
  fc.constant('127.0.0.1'),
  fc.ipV4().filter((ip) => ip !== '0.0.0.0'),
);

const healthOptions: fc.Arbitrary<HealthCheckOptions> = fc.record(
  {
    intervalSeconds: fc.integer({ min: 1, max: 3600 }),
    timeoutSeconds: fc.integer({ min: 1, max: 600 }),
    retries: fc.integer({ min: 1, max: 100 }),
    startPeriodSeconds: fc.integer({ min: 0, max: 3600 }),
  },
  { requiredKeys: [] },
);

/** How a generated workload is health-checked. */
export type HealthSpec =
  | { readonly kind: 'command'; readonly argv: string[]; readonly options: HealthCheckOptions }
  | { readonly kind: 'shell'; readonly line: string; readonly options: HealthCheckOptions }
  | { readonly kind: 'none'; readonly reason: string };

const healthSpec: fc.Arbitrary<HealthSpec> = fc.oneof(
  fc.record({ kind: fc.constant('command' as const), argv: fc.array(nonEmptyTrickyString, { minLength: 1, maxLength: 4 }), options: healthOptions }),
  fc.record({ kind: fc.constant('shell' as const), line: nonEmptyTrickyString, options: healthOptions }),
  fc.record({ kind: fc.constant('none' as const), reason }),
);

/** An image reference, valid by construction. */
export interface ImageSpec {
  readonly repository: string;
  readonly tag: string;
  readonly digest?: string;
  readonly viaParse: boolean;
}

const imageSpec: fc.Arbitrary<ImageSpec> = fc.record(
  {
    repository: fc.oneof(
      fc.constantFrom('postgres', 'redis', 'ghcr.io/org/app', 'registry.example.com:5000/team/svc', 'oliver006/redis_exporter', 'a__b/c-d'),
      fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+){0,2}(?:\/[a-z0-9]+(?:[._-][a-z0-9]+){0,2}){0,2}$/),
    ),
    tag: fc
      .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}$/)
      .filter((t) => /[0-9]/.test(t) && !/^(latest|stable|main|master|edge|nightly)$/i.test(t)),
    digest: fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`),
    viaParse: fc.boolean(),
  },
  { requiredKeys: ['repository', 'tag', 'viaParse'] },
);

/** One generated workload. */
export interface WorkloadSpec {
  readonly id: string;
  readonly serviceName?: string;
  readonly zone: number;
  readonly image: ImageSpec;
  readonly ports: number[];
  readonly environment: Record<string, string>;
  readonly command?: string[];
  readonly entrypoint?: string[];
  readonly user?: string;
  readonly resources?: { cpus?: number; memoryMiB?: number; pids?: number };
  readonly writablePaths?: string[];
  readonly workingDir?: string;
  readonly health: HealthSpec;
  readonly dataVolumes: { id: string; target: string }[];
  readonly sharedVolume?: { readOnly: boolean };
  readonly mountsFile: boolean;
  readonly secrets: string[];
  readonly writableRoot?: string;
  readonly capabilities: { cap: string; reason: string }[];
  readonly runAsRoot?: string;
  readonly publish?: { hostIp: string; hostPort: number; portPick: number; reason: string };
}

/** A flow between two workloads of one Vps; the builder always points it from the later to the earlier (a DAG). */
export interface FlowSpec {
  readonly a: number;
  readonly b: number;
  readonly portPick: number;
  readonly startsAfter?: boolean;
  readonly viaAllowFrom: boolean;
}

/** One generated Vps. */
export interface VpsSpec {
  readonly id: string;
  readonly domain: string;
  readonly profile?: WorkloadDefaults;
  readonly workloads: WorkloadSpec[];
  readonly flows: FlowSpec[];
  readonly fileContent: string;
}

/** A whole generated app. */
export interface TreeSpec {
  readonly vpses: VpsSpec[];
}

const nonRootUser = fc
  .tuple(fc.integer({ min: 1, max: 2147483647 }), fc.integer({ min: 0, max: 2147483647 }))
  .map(([uid, gid]) => `${uid}:${gid}`);

const resources = fc.record(
  {
    cpus: fc.double({ min: 0.01, max: 64, noNaN: true }),
    memoryMiB: fc.integer({ min: 6, max: 1048576 }),
    pids: fc.integer({ min: 1, max: 32768 }),
  },
  { requiredKeys: [] },
);

const workloadSpec: fc.Arbitrary<WorkloadSpec> = fc.record(
  {
    id: validId,
    serviceName: normalizedId,
    zone: fc.integer({ min: 0, max: 9 }),
    image: imageSpec,
    ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
    environment: fc.dictionary(envName, trickyString, { maxKeys: 6 }),
    command: fc.array(trickyString, { minLength: 1, maxLength: 4 }),
    entrypoint: fc.array(trickyString, { minLength: 1, maxLength: 2 }),
    user: nonRootUser,
    resources,
    writablePaths: fc.subarray(['/tmp', '/var/run/app', '/var/cache/app', '/home/app/.cache']),
    workingDir: fc.constantFrom('/app', '/srv/app', '/home/app'),
    health: healthSpec,
    dataVolumes: fc.subarray([
      { id: 'data', target: '/data' },
      { id: 'cache', target: '/cache' },
      { id: 'models', target: '/models' },
    ]),
    sharedVolume: fc.record({ readOnly: fc.boolean() }),
    mountsFile: fc.boolean(),
    secrets: fc.uniqueArray(normalizedId, { maxLength: 2 }),
    writableRoot: reason,
    capabilities: fc.uniqueArray(
      fc.record({ cap: fc.constantFrom('NET_BIND_SERVICE', 'CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE', 'FOWNER'), reason }),
      { maxLength: 2, selector: (c) => c.cap },
    ),
    runAsRoot: reason,
    publish: fc.record({ hostIp: specificIpV4, hostPort: fc.integer({ min: 1, max: 65535 }), portPick: fc.nat(), reason }),
  },
  { requiredKeys: ['id', 'zone', 'image', 'ports', 'environment', 'health', 'dataVolumes', 'mountsFile', 'secrets', 'capabilities'] },
);

const profile: fc.Arbitrary<WorkloadDefaults> = fc.record(
  {
    resources,
    user: nonRootUser,
    tmpfsSizeMiB: fc.integer({ min: 1, max: 65536 }),
    logMaxSizeMiB: fc.integer({ min: 1, max: 1024 }),
    logMaxFiles: fc.integer({ min: 1, max: 100 }),
    restartMaxRetries: fc.integer({ min: 0, max: 100 }),
  },
  { requiredKeys: [] },
);

const flowSpec: fc.Arbitrary<FlowSpec> = fc.record(
  { a: fc.nat(), b: fc.nat(), portPick: fc.nat(), startsAfter: fc.boolean(), viaAllowFrom: fc.boolean() },
  { requiredKeys: ['a', 'b', 'portPick', 'viaAllowFrom'] },
);

/** Workloads of one Vps whose compose names (service and derived volume names) are all distinct. */
function distinctWorkloads(maxLength: number): fc.Arbitrary<WorkloadSpec[]> {
  return fc
    .uniqueArray(workloadSpec, { minLength: 1, maxLength, selector: (w) => normalized(w.id) })
    .filter((ws) => new Set(ws.map((w) => w.serviceName ?? normalized(w.id))).size === ws.length);
}

/** A valid Vps with 1 to `maxWorkloads` workloads. */
export function vpsSpec(maxWorkloads = 8): fc.Arbitrary<VpsSpec> {
  return fc.record(
    {
      id: validId,
      domain: fc.constantFrom('lab.example.com', 'a.b', 'ml-sec.example.org'),
      profile,
      workloads: distinctWorkloads(maxWorkloads),
      flows: fc.array(flowSpec, { maxLength: 10 }),
      fileContent: trickyString,
    },
    { requiredKeys: ['id', 'domain', 'workloads', 'flows', 'fileContent'] },
  );
}

/** A valid app: one Vps with 1-8 workloads, or two with 1-4 each. */
export const treeSpec: fc.Arbitrary<TreeSpec> = fc
  .oneof(
    fc.array(vpsSpec(8), { minLength: 1, maxLength: 1 }),
    fc.uniqueArray(vpsSpec(4), { minLength: 2, maxLength: 2, selector: (v) => normalized(v.id) }),
  )
  .map((vpses) => ({ vpses }));

/** What the builder expects to find in the output for one workload. */
export interface BuiltWorkload {
  readonly spec: WorkloadSpec;
  readonly workload: Workload;
  readonly vpsName: string;
  readonly serviceName: string;
  readonly secretEnv: Record<string, string>;
}

/** A built tree. */
export interface BuiltTree {
  readonly app: App;
  readonly workloads: BuiltWorkload[];
}

function imageOf(spec: ImageSpec): Image {
  if (spec.viaParse) return Image.parse(`${spec.repository}:${spec.tag}${spec.digest ? `@${spec.digest}` : ''}`);
  return Image.fromRegistry(spec.repository, spec.tag, spec.digest ? { digest: spec.digest } : {});
}

function healthOf(spec: HealthSpec): HealthCheck | undefined {
  if (spec.kind === 'command') return HealthCheck.command([...spec.argv], spec.options);
  if (spec.kind === 'shell') return HealthCheck.shell(spec.line, spec.options);
  return undefined;
}

/**
 * Builds the tree a {@link TreeSpec} describes. `order` permutes the declaration order of each
 * Vps's workloads (flows are declared afterwards, in spec order, either way).
 */
export function buildTree(spec: TreeSpec, options: { appProps?: AppProps; reverse?: boolean } = {}): BuiltTree {
  const app = new App(options.appProps ?? { outdir: 'synth-out', secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
  const built: BuiltWorkload[] = [];
  for (const v of spec.vpses) {
    const vps = new Vps(app, v.id, { domain: v.domain });
    if (v.profile) SecurityProfile.of(vps).apply(v.profile);
    const shared = v.workloads.some((w) => w.sharedVolume) ? new ComposeVolume(vps, 'x-mlsec-shared') : undefined;
    const file = v.workloads.some((w) => w.mountsFile)
      ? new VpsFile(vps, 'x-mlsec-file', { path: 'files/app.conf', content: v.fileContent })
      : undefined;
    // Which workloads may publish is decided in spec order, so a reversed build is the same tree.
    const usedHostPorts = new Set<string>();
    const publishes = v.workloads.map((w) => {
      if (!w.publish || w.ports.length === 0) return false;
      const key = `${w.publish.hostIp}:${w.publish.hostPort}`;
      if (usedHostPorts.has(key)) return false;
      usedHostPorts.add(key);
      return true;
    });
    const indices = v.workloads.map((_, i) => i);
    if (options.reverse) indices.reverse();
    const workloads: Workload[] = [];
    for (const i of indices) {
      const w = v.workloads[i];
      const workload = new Workload(vps, w.id, {
        zone: Zone.all()[w.zone],
        image: imageOf(w.image),
        ports: [...w.ports],
        environment: { ...w.environment },
        command: w.command ? [...w.command] : undefined,
        entrypoint: w.entrypoint ? [...w.entrypoint] : undefined,
        user: w.user,
        resources: w.resources ? { ...w.resources } : undefined,
        writablePaths: w.writablePaths ? [...w.writablePaths] : undefined,
        workingDir: w.workingDir,
        healthCheck: healthOf(w.health),
        serviceName: w.serviceName,
      });
      workloads[i] = workload;
      if (w.health.kind === 'none') workload.noHealthCheck(w.health.reason);
      for (const dv of w.dataVolumes) workload.addDataVolume(dv.id, dv.target);
      if (w.sharedVolume && shared) workload.mountVolume(shared, '/shared', { readOnly: w.sharedVolume.readOnly });
      if (w.mountsFile && file) workload.mountFile(file, '/etc/app/app.conf');
      const secretEnv: Record<string, string> = {};
      w.secrets.forEach((name, k) => {
        const envVar = `MLSEC_SECRET_${k}_FILE`;
        workload.addSecret(SecretSource.bootstrapFile(name), { envVar });
        secretEnv[envVar] = `/run/secrets/${name}`;
      });
      if (w.writableRoot) workload.allowWritableRootFilesystem(w.writableRoot);
      for (const c of w.capabilities) workload.addCapability(c.cap, c.reason);
      if (w.runAsRoot) workload.runAsRoot(w.runAsRoot);
      if (w.publish && publishes[i]) {
        const containerPort = w.ports[w.publish.portPick % w.ports.length];
        workload.publishPort({ hostIp: w.publish.hostIp, hostPort: w.publish.hostPort, containerPort, reason: w.publish.reason });
      }
      built.push({ spec: w, workload, vpsName: normalized(v.id), serviceName: w.serviceName ?? normalized(w.id), secretEnv });
    }
    for (const f of v.flows) {
      const n = workloads.length;
      const x = f.a % n;
      const y = f.b % n;
      if (x === y) continue;
      const client = workloads[Math.max(x, y)];
      const server = workloads[Math.min(x, y)];
      const serverPorts = v.workloads[Math.min(x, y)].ports;
      if (serverPorts.length === 0) continue;
      const port = serverPorts[f.portPick % serverPorts.length];
      const opts = f.startsAfter === undefined ? { port } : { port, startsAfter: f.startsAfter };
      if (f.viaAllowFrom) server.connections.allowFrom(client, opts);
      else client.connections.allowTo(server, opts);
    }
  }
  return { app, workloads: built };
}
