import { Service } from '../compose/generated/compose-spec';
import type { Workload } from './workload';
import type { WorkloadGraph } from './workload-graph';

/**
 * Renders a workload's intent into its hardened compose service. Kept apart from `Workload` so
 * the construct reads as intent and this file as the one place the defaults turn into YAML.
 */
export function renderWorkloadService(w: Workload, graph: WorkloadGraph): Service {
  const props = w._props;
  const defaults = w.defaults;
  const environment: Record<string, string> = { ...w._environment };
  for (const secret of w._secrets) if (secret.envVar !== undefined) environment[secret.envVar] = `/run/secrets/${secret.source.secretName}`;
  const networks = graph.networksOf(w);
  const dependsOn: Record<string, { condition: 'service_healthy' | 'service_started' | 'service_completed_successfully' }> = {};
  for (const [other, condition] of w._startsAfter) dependsOn[other.serviceName] = { condition };
  for (const dep of graph.dependenciesOf(w)) {
    dependsOn[dep.serviceName] = { condition: dep.hasHealthCheck ? 'service_healthy' : 'service_started' };
  }
  // Declared flows travel in the file, so `mlsec check` can audit reachability without the app.
  const flows = graph.flowsFrom(w).map((f) => ({ to: f.to.serviceName, port: f.port }));
  const tmpfsOptions = `rw,noexec,nosuid,size=${defaults.tmpfsSizeMiB}m`;

  const service: Service = {
    image: w.image.reference,
    command: props.command,
    entrypoint: props.entrypoint,
    working_dir: props.workingDir,
    user: w._rootUser ? '0:0' : defaults.user,
    read_only: w._readOnlyRoot,
    cap_drop: ['ALL'],
    cap_add: w._capabilities.length > 0 ? [...w._capabilities] : undefined,
    security_opt: ['no-new-privileges:true'],
    tmpfs: (props.writablePaths ?? ['/tmp']).map((p) => `${p}:${tmpfsOptions}`),
    environment: Object.keys(environment).length > 0 ? environment : undefined,
    expose: w.ports.length > 0 ? w.ports.map(String) : undefined,
    ports: w._publications.length > 0
      ? w._publications.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}/tcp`)
      : undefined,
    volumes: [
      ...w._volumes.map((v) => ({ type: 'volume' as const, source: v.volume.name, target: v.target, read_only: v.readOnly })),
      ...w._files.map((f) => ({ type: 'bind' as const, source: f.file.composePath, target: f.target, read_only: true })),
    ],
    secrets: w._secrets.length > 0 ? w._secrets.map((s) => ({ source: s.composeName, target: s.source.secretName })) : undefined,
    networks: networks.length > 0 ? networks : undefined,
    network_mode: networks.length === 0 ? 'none' : undefined,
    depends_on: Object.keys(dependsOn).length > 0 ? dependsOn : undefined,
    healthcheck: w.hasHealthCheck ? props.healthCheck!.render() : undefined,
    restart: `on-failure:${defaults.restartMaxRetries}`,
    pids_limit: defaults.resources.pids,
    deploy: {
      resources: {
        limits: { cpus: formatCpus(defaults.resources.cpus), memory: `${defaults.resources.memoryMiB}M` },
      },
    },
    logging: {
      driver: 'json-file',
      options: { 'max-size': `${defaults.logMaxSizeMiB}m`, 'max-file': String(defaults.logMaxFiles) },
    },
    labels: { 'mlsec.zone': w.zone.id },
    'x-mlsec': {
      construct: w.node.path,
      zone: w.zone.id,
      role: w._role,
      flows: flows.length > 0 ? flows : undefined,
      overrides: w.securityOverrides.length > 0 ? w.securityOverrides.map((o) => ({ ...o })) : undefined,
    },
  };
  if (service.volumes!.length === 0) delete service.volumes;
  return service;
}

/** CPUs as a decimal string (compose accepts both; a string never becomes `5e-2`). */
function formatCpus(cpus: number): string {
  return String(Math.round(cpus * 1000) / 1000);
}
