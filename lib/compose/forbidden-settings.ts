import { Service } from './generated/compose-spec';

const RUNTIME_SOCKET = /(^|\/)(docker|containerd|podman|crio)\.sock$/;

/**
 * Settings no service in an mlsec-cdk project may have, whatever the override: privileged mode,
 * the host's network, PID or IPC namespace, and the container runtime socket. These give root on
 * the host, so they are errors at synth, not findings to acknowledge; each message names the
 * posture rule (RULES.md) that `mlsec check` reports for the same setting.
 */
export function forbiddenServiceSettings(service: Service): string[] {
  const problems: string[] = [];
  if (service.privileged === true || service.privileged === 'true') problems.push("CMP-01: 'privileged: true' is never allowed (root on the host); use a specific capability with a reason instead");
  if (service.network_mode === 'host') problems.push("CMP-04: 'network_mode: host' is never allowed; declare flows between workloads instead");
  if (service.pid === 'host') problems.push("CMP-05: 'pid: host' is never allowed (it exposes every host process)");
  if (service.ipc === 'host') problems.push("CMP-05: 'ipc: host' is never allowed (it shares host IPC)");
  for (const volume of Array.isArray(service.volumes) ? service.volumes : []) { // anything else is a schema error, reported as such
    const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
    if (typeof source === 'string' && RUNTIME_SOCKET.test(source.replace(/\/+$/, ''))) {
      problems.push(`CMP-02: mounting the container runtime socket '${source}' is never allowed (it is root on the host)`);
    }
  }
  return problems;
}
