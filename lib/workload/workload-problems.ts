import { checkContainerPath, checkInteger, checkPattern, checkReason, collect, describeValue } from '../core/prop-rules';
import { Names } from '../core/names';
import { Vps } from '../core/vps';
import { VpsFile } from '../core/vps-file';
import { ComposeVolume } from '../compose/compose-volume';
import { SECRET_FILE_NAME } from '../secrets/credential';
import { HealthCheck } from './health-check';
import { Image } from './image';
import { FORBIDDEN_CAPABILITIES, KNOWN_CAPABILITIES } from './security-override';
import { checkUser, SecurityProfile } from './security-profile';
import type { Workload } from './workload';
import { Zone } from './zone';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names RULES.md CMP-24 treats as secrets: *PASSWORD*, *SECRET*, *TOKEN*, *_KEY, credentials. */
const SECRET_LIKE_NAME = /(PASS(WD|WORD)?|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|_KEY$|^KEY$|CREDENTIAL)/i;
const FILE_VAR = /^[A-Z_][A-Z0-9_]*FILE$/;
/** The intent method behind each override, for error messages. */
const OVERRIDE_METHODS: Record<string, string> = {
  read_only: 'allowWritableRootFilesystem(reason)',
  cap_add: 'addCapability(capability, reason)',
  user: 'runAsRoot(reason)',
  healthcheck: 'noHealthCheck(reason)',
  ports: 'publishPort({ reason })',
};
const SPECIFIC_IP = /^(?!0\.0\.0\.0$)(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** Every problem of a workload's props and intent calls, for its `validate()`. */
export function workloadProblems(w: Workload): string[] {
  const p = w._props;
  const problems = collect(
    Names.checkId(w.node.id),
    p.serviceName === undefined ? undefined : Names.checkId(p.serviceName, "prop 'serviceName'"),
    // The normalized-form hint only for a name that is otherwise valid: never echo a raw bad value.
    p.serviceName === undefined || Names.checkId(p.serviceName) !== undefined || Names.toComposeName(p.serviceName) === p.serviceName
      ? undefined
      : `prop 'serviceName' must be in normalized form (lower case, "-" for "_" and "."): use '${Names.toComposeName(p.serviceName)}'`,
    Zone.isZone(p.zone) ? undefined : `prop 'zone' must be one of Zone.Z0_SOURCES … Zone.Z9_OBSERVABILITY (got ${describeValue(p.zone)})`,
    p.workingDir === undefined ? undefined : checkContainerPath('workingDir', p.workingDir),
    p.healthCheck === undefined && !w._withoutHealthCheck
      ? "prop 'healthCheck' is required: pass HealthCheck.command([...]) or call noHealthCheck(reason)"
      : undefined,
    p.user === undefined ? undefined : checkUser('user', p.user),
  );
  if (p.image instanceof Image) problems.push(...p.image.validate());
  else problems.push(`prop 'image' must be an Image, e.g. Image.fromRegistry('postgres', '15.8') (got ${describeValue(p.image)})`);
  if (p.healthCheck instanceof HealthCheck) problems.push(...p.healthCheck.validate());
  else if (p.healthCheck !== undefined) {
    problems.push(`prop 'healthCheck' must be a HealthCheck, e.g. HealthCheck.command(['pg_isready']) (got ${describeValue(p.healthCheck)})`);
  }
  problems.push(...argvProblems('command', p.command), ...argvProblems('entrypoint', p.entrypoint));
  problems.push(...environmentProblems(w), ...portProblems(w), ...mountProblems(w), ...overrideProblems(w));
  problems.push(...SecurityProfile.validate(w.defaults, ''));
  problems.push(...w.connections._problems);
  return problems;
}

function argvProblems(prop: string, argv: unknown): string[] {
  if (argv === undefined) return [];
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && !a.includes('\0'))) {
    return [`prop '${prop}' must be a non-empty array of strings without NUL characters (got ${describeValue(argv)})`];
  }
  return [];
}

function environmentProblems(w: Workload): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(w._environment)) {
    if (!ENV_NAME.test(name)) problems.push(`prop 'environment': variable name ${describeValue(name)} must match ${ENV_NAME}`);
    else if (SECRET_LIKE_NAME.test(name) && !name.endsWith('_FILE')) {
      problems.push(`prop 'environment.${name}' looks like a secret; secrets never go into environment values: use addSecret(source, { envVar: '${name}_FILE' })`);
    }
    if (typeof value !== 'string' || value.includes('\0') || /[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
      problems.push(`prop 'environment.${name}' must be a string without NUL or unpaired surrogate characters (got ${describeValue(value)})`);
    }
  }
  for (const secret of w._secrets) {
    if (secret.envVar === undefined) continue;
    const problem = checkPattern('addSecret.envVar', secret.envVar, FILE_VAR, 'an upper-case variable name ending in FILE, such as DB_PASSWORD_FILE or PGPASSFILE');
    if (problem) problems.push(problem);
    if (secret.envVar in w._environment) problems.push(`prop 'addSecret.envVar' ${secret.envVar} is also set in 'environment'`);
  }
  for (const secret of w._secrets) {
    const nameProblem = checkPattern('addSecret.source.secretName', secret.source?.secretName, SECRET_FILE_NAME, 'a lower-case file name of letters, digits, "-" and "." (not "..", not only digits), such as "db-password" (it is the file name under /run/secrets/)');
    if (nameProblem) problems.push(nameProblem);
  }
  return problems;
}

function portProblems(w: Workload): string[] {
  const problems: string[] = [];
  if (w._props.ports !== undefined && !Array.isArray(w._props.ports)) return [`prop 'ports' must be an array of port numbers (got ${describeValue(w._props.ports)})`];
  const seen = new Set<number>();
  for (const port of w.ports) {
    const problem = checkInteger('ports[]', port, 1, 65535);
    if (problem) problems.push(problem);
    else if (seen.has(port)) problems.push(`prop 'ports' lists ${port} twice`);
    seen.add(port);
  }
  for (const pub of w._publications) {
    problems.push(
      ...collect(
        checkPattern('publishPort.hostIp', pub?.hostIp, SPECIFIC_IP, 'a specific IPv4 host address such as "127.0.0.1" (never 0.0.0.0)'),
        checkInteger('publishPort.hostPort', pub?.hostPort, 1, 65535),
        w.ports.includes(pub?.containerPort) ? undefined : `prop 'publishPort.containerPort' must be one of 'ports' (${w.ports.join(', ') || 'none'}), got ${describeValue(pub?.containerPort)}`,
      ),
    );
  }
  return problems;
}

function mountProblems(w: Workload): string[] {
  const problems: string[] = [];
  const targets = new Map<string, string>();
  const claim = (prop: string, target: unknown) => {
    const problem = checkContainerPath(prop, target);
    if (problem) return problems.push(problem);
    const previous = targets.get(target as string);
    if (previous) problems.push(`prop '${prop}' mounts ${target} which '${previous}' already mounts`);
    targets.set(target as string, prop);
    return 0;
  };
  const writable = w._props.writablePaths ?? ['/tmp'];
  if (!Array.isArray(writable)) problems.push(`prop 'writablePaths' must be an array of container paths (got ${describeValue(writable)})`);
  else writable.forEach((w) => claim('writablePaths[]', w));
  w._volumes.forEach((v) => claim('mountVolume.target', v.target));
  for (const v of w._volumes) {
    if (!(v.volume instanceof ComposeVolume)) problems.push(`prop 'mountVolume.volume' must be a ComposeVolume (got ${describeValue(v.volume)})`);
    else if (Vps.of(v.volume) !== Vps.of(w)) problems.push(`prop 'mountVolume.volume' '${v.volume.node.path}' belongs to another Vps; a volume is local to its host`);
  }
  for (const f of w._files) {
    if (!(f.file instanceof VpsFile)) problems.push(`prop 'mountFile.file' must be a VpsFile (got ${describeValue(f.file)})`);
    else if (Vps.of(f.file) !== Vps.of(w)) problems.push(`prop 'mountFile.file' '${f.file.node.path}' belongs to another Vps`);
  }
  w._files.forEach((f) => claim('mountFile.target', f.target));
  w._secrets.forEach((s) => claim('addSecret', `/run/secrets/${s.source?.secretName}`));
  return problems;
}

function overrideProblems(w: Workload): string[] {
  const problems: string[] = [];
  for (const o of w.securityOverrides) {
    const problem = checkReason(`${OVERRIDE_METHODS[o.control] ?? o.control} reason`, o.reason);
    if (problem) problems.push(problem);
  }
  for (const cap of w._capabilities) {
    if (!KNOWN_CAPABILITIES.includes(cap)) problems.push(`prop 'addCapability' ${describeValue(cap)} is not a Linux capability name (e.g. NET_BIND_SERVICE, without CAP_)`);
    else if (FORBIDDEN_CAPABILITIES.includes(cap)) problems.push(`prop 'addCapability' ${cap} is equivalent to privileged mode and is never allowed`);
  }
  return problems;
}
