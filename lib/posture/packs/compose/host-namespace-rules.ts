import type { Rule, RuleHit } from '../../rule';
import { ComposeService, eachService, serviceHit } from './compose-services';
import { asList, asMap, asText, keyValueEntries, show, stringItems } from './compose-values';

/** Whether a namespace setting shares the host's namespace (`host`, any case). */
function isHost(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'host';
}

/** Hits for each `key: host` among `keys`. */
function hostNamespaceHits(s: ComposeService, keys: readonly string[]): RuleHit[] {
  return keys.filter((k) => isHost(s.data[k])).map((k) => serviceHit(s, [k], `service '${s.name}' shares the host's ${k} namespace (${k}: host)`));
}

/** CMP-04: `network_mode: host` removes network isolation: every host interface and loopback service is reachable. */
export const HOST_NETWORK: Rule = {
  id: 'CMP-04',
  title: 'Service uses the host network',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: "With the host network the container binds the host's interfaces directly, bypasses every compose network and can reach services listening on the host's loopback.",
  remediation: 'Remove `network_mode: host`; join user-defined networks and publish only what the edge proxy needs.',
  controls: { 'cis-docker-1.6': ['5.10'], 'nist-800-53-r5': ['SC-7', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => (isHost(s.data.network_mode) ? serviceHit(s, ['network_mode'], `service '${s.name}' sets network_mode: host`) : undefined)),
};

/** CMP-05: `pid: host` (see and signal every host process) or `ipc: host` (host shared memory). */
export const HOST_PID_IPC: Rule = {
  id: 'CMP-05',
  title: 'Service shares the host PID or IPC namespace',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: "The host PID namespace exposes every host process (and its environment) to the container; the host IPC namespace exposes the host's shared memory.",
  remediation: 'Remove `pid: host` and `ipc: host`; use `ipc: shareable`/`service:<name>` between cooperating containers.',
  controls: { 'cis-docker-1.6': ['5.16', '5.17'], 'nist-800-53-r5': ['SC-4', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) => eachService(model, (s) => hostNamespaceHits(s, ['pid', 'ipc'])),
};

/** CMP-06: `userns_mode: host`, `uts: host` or `cgroup: host`. */
export const HOST_USERNS_UTS_CGROUP: Rule = {
  id: 'CMP-06',
  title: 'Service shares the host user, UTS or cgroup namespace',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: "Sharing the host user namespace turns off user remapping; the UTS namespace lets the container change the host's hostname; the cgroup namespace exposes the host's cgroup tree.",
  remediation: 'Remove `userns_mode: host`, `uts: host` and `cgroup: host` (use `cgroup: private`).',
  controls: { 'cis-docker-1.6': ['5.31', '5.21', '5.25'], 'nist-800-53-r5': ['SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) => eachService(model, (s) => hostNamespaceHits(s, ['userns_mode', 'uts', 'cgroup'])),
};

/** CDI device names for GPUs (`nvidia.com/gpu=all`): the device-request path, not a raw device node. */
const CDI_GPU = /^[a-z0-9.-]+\/gpu=/i;

/** A device cgroup rule that opens every device of a type (`c *:* rwm`). */
const WILDCARD_DEVICE_RULE = /^\s*[abc]\s+\*:\*/;

/**
 * CMP-26: `devices:` maps host device nodes into the container; GPUs belong in
 * `deploy.resources.reservations.devices` (or a CDI `vendor/gpu=` name). Wildcard
 * `device_cgroup_rules` are flagged too.
 */
export const HOST_DEVICES: Rule = {
  id: 'CMP-26',
  title: 'Service maps host devices',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'A host device node gives the container direct kernel-driver access (disks, USB, /dev/mem …); a wildcard cgroup rule lets it open any device it can create.',
  remediation: 'Remove `devices:`; request GPUs with `deploy.resources.reservations.devices` (`driver: nvidia`, `capabilities: [gpu]`).',
  controls: { 'cis-docker-1.6': ['5.18'], 'nist-800-53-r5': ['AC-6', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const hits: RuleHit[] = [];
      (asList(s.data.devices) ?? []).forEach((item, index) => {
        const source = typeof item === 'string' ? item.split(':')[0].trim() : asText(asMap(item)?.source);
        if (source === undefined || CDI_GPU.test(source)) return;
        const gpu = /^\/dev\/(nvidia|dri|kfd)/.test(source) ? '; request GPUs through deploy.resources.reservations.devices' : '';
        hits.push(serviceHit(s, ['devices', index], `service '${s.name}' maps host device ${show(source)}${gpu}`));
      });
      for (const { text, index } of stringItems(s.data.device_cgroup_rules)) {
        if (WILDCARD_DEVICE_RULE.test(text)) hits.push(serviceHit(s, ['device_cgroup_rules', index], `service '${s.name}' allows every device with device_cgroup_rules ${show(text)}`));
      }
      return hits;
    }),
};

/** Sysctls isolated per container (IPC namespace, and the network ones that cannot reach the host). */
const SAFE_SYSCTL = /^(kernel\.(shmmax|shmall|shmmni|shm_rmid_forced|msgmax|msgmnb|msgmni|sem)|fs\.mqueue\..+|net\..+)$/;

/** Network sysctls that turn the container into a router or expose loopback. */
const UNSAFE_NET_SYSCTL = /^net\.ipv[46]\.(ip_forward|conf\.[^.]+\.(forwarding|route_localnet|mc_forwarding|proxy_arp|accept_source_route|send_redirects))$/;

/**
 * CMP-29: sysctls that are not namespaced (`kernel.*` outside IPC, `vm.*`, `fs.*` …) or unsafe
 * (`net.ipv4.ip_forward`, `*.forwarding`, `route_localnet`), and `cgroup_parent`.
 */
export const UNSAFE_SYSCTLS: Rule = {
  id: 'CMP-29',
  title: 'Service sets unsafe sysctls or a cgroup parent',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'A non-namespaced sysctl changes the host kernel for everyone; forwarding sysctls turn the container into a router between networks; a custom cgroup parent escapes the limits compose applies.',
  remediation: 'Remove the sysctl (tune the host instead) and `cgroup_parent`; keep only IPC and per-namespace network sysctls such as `net.core.somaxconn`.',
  controls: { 'cis-docker-1.6': ['5.25'], 'nist-800-53-r5': ['CM-7', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const hits: RuleHit[] = [];
      for (const { key, at } of keyValueEntries(s.data.sysctls)) {
        const name = key.trim().toLowerCase().replace(/\//g, '.');
        if (name === '') continue;
        const why = !SAFE_SYSCTL.test(name) ? 'is not namespaced and changes the host kernel' : UNSAFE_NET_SYSCTL.test(name) ? 'is unsafe (forwarding/loopback routing)' : undefined;
        if (why) hits.push(serviceHit(s, ['sysctls', at], `service '${s.name}' sets sysctl ${name}, which ${why}`, { granular: `${s.name}/${name}` }));
      }
      if (typeof s.data.cgroup_parent === 'string' && s.data.cgroup_parent.trim() !== '') {
        hits.push(serviceHit(s, ['cgroup_parent'], `service '${s.name}' sets cgroup_parent ${show(s.data.cgroup_parent)}`, { granular: `${s.name}/cgroup_parent` }));
      }
      return hits;
    }),
};
