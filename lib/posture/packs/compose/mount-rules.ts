import type { Rule, RuleHit } from '../../rule';
import { ComposeService, eachService, keyOrService, serviceHit, servicesOf } from './compose-services';
import { asMap, isTrue, show, stringItems } from './compose-values';
import { runtimeSocket, sensitiveHostDir } from './host-paths';
import { bindScope, portMappings } from './port-mappings';
import { isEdgeProxy, isSocketProxy } from './service-roles';
import { Mount, mountsOf } from './volume-mounts';

/** How a mount names its host side in messages. */
function hostSide(m: Mount): string {
  if (m.volumeName !== undefined && m.hostPath !== undefined) return `volume ${show(m.volumeName)} (bound to host path ${show(m.hostPath)})`;
  return show(m.source ?? m.hostPath ?? m.written);
}

/**
 * CMP-02: the container-runtime socket (docker.sock, containerd.sock, podman.sock under /run or
 * /var/run, or the directory holding it) is mounted, in short or long syntax, or through a named
 * volume bound to it. Only a dedicated socket proxy may mount it, read-only. Unsuppressible.
 */
export const RUNTIME_SOCKET_MOUNT: Rule = {
  id: 'CMP-02',
  title: 'Service mounts the container-runtime socket',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale: 'Whoever can talk to the runtime socket can start a privileged container with the host filesystem mounted: it is root on the host, and `:ro` does not stop API calls.',
  remediation: 'Remove the mount. If a service needs the Docker API (e.g. a Traefik docker provider), put a read-only socket proxy (tecnativa/docker-socket-proxy) in between, or use the file provider.',
  controls: { 'cis-docker-1.6': ['5.32'], 'nist-800-53-r5': ['AC-6', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      mountsOf(s).flatMap((m) => {
        const socket = m.hostPath !== undefined ? runtimeSocket(m.hostPath) : undefined;
        if (socket === undefined || (isSocketProxy(s) && m.readOnly)) return [];
        const what = socket === 'directory' ? `the directory ${hostSide(m)}, which holds the container-runtime socket` : `the container-runtime socket ${hostSide(m)}`;
        const how = isSocketProxy(s) ? ' read-write (a socket proxy must mount it :ro)' : '';
        return [serviceHit(s, m.steps, `service '${s.name}' mounts ${what}${how}`)];
      }),
    ),
};

/**
 * CMP-03: a bind mount of a sensitive host path (`/`, `/etc`, `/proc`, `/sys`, `/dev`, `/boot`,
 * `/lib*`, `/usr`, `/bin`, `/sbin`, `/root`, `/home`, `~`, `/var/lib/docker`, `/run` except
 * `/run/secrets`), matched by path segment: writable is high, `:ro` medium.
 */
export const SENSITIVE_HOST_MOUNT: Rule = {
  id: 'CMP-03',
  title: 'Service bind-mounts a sensitive host path',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Host system directories hold credentials, kernel interfaces and runtime state; a writable mount of one is a host takeover, a read-only one still leaks secrets and host details.',
  remediation: 'Mount only the application files it needs (a dedicated directory or a named volume), read-only where possible; never system directories.',
  controls: { 'cis-docker-1.6': ['5.6'], 'nist-800-53-r5': ['AC-3', 'AC-6'], 'csa-aicm': ['IVS', 'DSP'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      mountsOf(s).flatMap((m) => {
        if (m.hostPath !== undefined && runtimeSocket(m.hostPath) !== undefined) return [];
        const dir = m.home ? 'a home directory' : m.hostPath !== undefined ? sensitiveHostDir(m.hostPath) : undefined;
        if (dir === undefined) return [];
        const under = dir === 'a home directory' ? dir : m.hostPath === dir ? `the host's ${dir}` : `under ${dir}`;
        return [
          serviceHit(s, m.steps, `service '${s.name}' bind-mounts host path ${hostSide(m)} (${under}) ${m.readOnly ? 'read-only' : 'read-write'}`, {
            severity: m.readOnly ? 'medium' : undefined,
          }),
        ];
      }),
    ),
};

/** Whether a service faces the internet: the edge proxy, or a port published beyond loopback. */
export function isInternetFacing(s: ComposeService): boolean {
  return isEdgeProxy(s) || portMappings(s).some((p) => bindScope(p) !== 'loopback');
}

/** CMP-13: the root filesystem is writable; high on internet-facing services. */
export const WRITABLE_ROOT_FS: Rule = {
  id: 'CMP-13',
  title: 'Service root filesystem is writable',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'A writable root filesystem lets an attacker drop tools, alter binaries and persist across requests; read-only plus tmpfs makes every write location explicit.',
  remediation: 'Set `read_only: true`; give writable paths a `tmpfs` (with noexec,nosuid) or a named volume.',
  controls: { 'cis-docker-1.6': ['5.13'], 'nist-800-53-r5': ['CM-5', 'SI-7'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      if (isTrue(s.data.read_only)) return undefined;
      const facing = isInternetFacing(s);
      const state = s.data.read_only === undefined ? 'does not set read_only: true' : `sets read_only: ${show(s.data.read_only)}`;
      return serviceHit(s, keyOrService(s, 'read_only'), `service '${s.name}' ${state}${facing ? ' and faces the internet' : ''}`, { severity: facing ? 'high' : undefined });
    }),
};

const SHARED_PROPAGATION = /^r?(shared|slave)$/i;

/** CMP-27: bind propagation `shared`, `rshared`, `slave` or `rslave`, short or long syntax. */
export const MOUNT_PROPAGATION: Rule = {
  id: 'CMP-27',
  title: 'Bind mount propagation is shared',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Shared propagation lets mounts made in the container appear on the host (and host mounts appear in the container), crossing the isolation boundary.',
  remediation: 'Use the default `rprivate` propagation.',
  controls: { 'cis-docker-1.6': ['5.20'], 'nist-800-53-r5': ['AC-6', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      mountsOf(s).flatMap((m) => {
        if (m.propagation === undefined || !SHARED_PROPAGATION.test(m.propagation)) return [];
        return [serviceHit(s, m.syntax === 'long' ? [...m.steps, 'bind', 'propagation'] : m.steps, `service '${s.name}' mounts ${hostSide(m)} with ${m.propagation} propagation`)];
      }),
    ),
};

/** A writer of a shared volume or bind source. */
interface Writer {
  readonly service: ComposeService;
  readonly steps: readonly (string | number)[];
}

/**
 * CMP-30: a named volume (or bind source) that several services mount writable, so one can
 * tamper with what another reads. One writer plus read-only readers (fetch-verify then serve)
 * is fine. `volumes_from` without `:ro` counts as a writable mount of every volume.
 */
export const SHARED_WRITABLE_VOLUME: Rule = {
  id: 'CMP-30',
  title: 'Writable volume shared by several services',
  severity: 'info',
  level: 'info',
  priority: 'P3',
  rationale: 'When two services can write the same volume, compromising one lets it plant data, models or scripts the other trusts.',
  remediation: 'Give each volume one writer; mount it `:ro` (read_only: true) everywhere else, or split it.',
  controls: { 'nist-800-53-r5': ['AC-6', 'SI-7'], 'csa-aicm': ['IVS', 'DSP'] },
  kinds: ['compose'],
  check: (model) => {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('compose')) {
      const services = servicesOf(document);
      const writers = new Map<string, Writer[]>();
      const add = (key: string, writer: Writer) => {
        const list = writers.get(key) ?? [];
        if (!list.some((w) => w.service.name === writer.service.name)) list.push(writer);
        writers.set(key, list);
      };
      const mounts = new Map(services.map((s) => [s.name, mountsOf(s)] as const));
      for (const s of services) {
        for (const m of mounts.get(s.name)!) {
          if (m.readOnly) continue;
          if (m.volumeName !== undefined) add(`volume ${m.volumeName}`, { service: s, steps: m.steps });
          else if (m.type === 'bind' && (m.hostPath ?? m.source) !== undefined) add(`bind ${m.hostPath ?? m.source}`, { service: s, steps: m.steps });
        }
        for (const { text, index } of stringItems(s.data.volumes_from)) {
          const [from, mode] = text.trim().replace(/^service:/, '').split(':');
          if (mode === 'ro' || from === 'container') continue;
          for (const m of mounts.get(from) ?? []) if (m.volumeName !== undefined) add(`volume ${m.volumeName}`, { service: s, steps: ['volumes_from', index] });
        }
      }
      const declared = asMap(asMap(document.data)?.volumes);
      for (const [key, list] of writers) {
        if (list.length < 2) continue;
        const [kind, name] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
        const names = list.map((w) => `'${w.service.name}'`).join(', ');
        const message = `${kind === 'volume' ? 'named volume' : 'bind source'} ${show(name)} is mounted writable by services ${names}`;
        const path = kind === 'volume' && declared && Object.prototype.hasOwnProperty.call(declared, name) ? ['volumes', name] : [...list[0].service.path, ...list[0].steps];
        hits.push({ document, path, message, granular: name });
      }
    }
    return hits;
  },
};
