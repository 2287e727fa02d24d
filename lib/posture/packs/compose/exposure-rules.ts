import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { eachService, serviceHit } from './compose-services';
import { asList, asMap, isTrue, show } from './compose-values';
import { parseImage } from './image-reference';
import { bindScope, PortMapping, portMappings, rangeHas } from './port-mappings';
import { isBackend, isEdgeProxy, isEgressGateway } from './service-roles';

/** How a port entry is named in messages, with a note when YAML 1.1 misread it. */
function described(m: PortMapping): string {
  const misread = m.misreadAs !== undefined ? ` (YAML 1.1 reads the unquoted ${m.written} as the number ${m.misreadAs}; quote it)` : '';
  return `${show(m.written)}${misread}`;
}

/**
 * CMP-14: a published port listens on every interface (no host IP, `0.0.0.0`, `::`, `[::]`), in
 * short (`ip:host:container/proto`, ranges, bracketed IPv6) or long (`host_ip`) syntax; a service
 * other than the edge proxy binds a non-loopback address; a host IP from an undefined variable is
 * medium. A YAML 1.1 misread (`22:22` → 1342) is reported with the entry.
 */
export const UNBOUND_PUBLISHED_PORT: Rule = {
  id: 'CMP-14',
  title: 'Published port is not bound to a specific host interface',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'A port without a host IP (or on 0.0.0.0/::) listens on every interface, and Docker inserts its own iptables rules ahead of the host firewall, so it is reachable from the internet.',
  remediation: 'Publish only on the edge proxy, with an explicit host address (`"203.0.113.10:443:8443"`); bind anything else to 127.0.0.1, or drop `ports` and use `expose` on an internal network.',
  controls: { 'cis-docker-1.6': ['5.14'], 'nist-800-53-r5': ['SC-7', 'CM-7'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const proxy = isEdgeProxy(s) || isEgressGateway(s);
      const hits: RuleHit[] = [];
      for (const m of portMappings(s)) {
        const scope = bindScope(m);
        let problem: string | undefined;
        let severity: 'medium' | undefined;
        if (scope === 'all-interfaces') {
          problem = m.hostIp === undefined || m.hostIp.trim() === '' ? 'without a host IP, so it listens on every interface' : `on ${show(m.hostIp)}, which is every interface`;
        } else if (scope === 'unresolved') {
          problem = 'with a host IP taken from an undefined variable, which this file cannot show to be specific';
          severity = 'medium';
        } else if (scope === 'specific' && !proxy) {
          problem = `on the non-loopback address ${show(m.hostIp)}; only the edge proxy may publish beyond 127.0.0.1`;
        }
        if (problem) hits.push(serviceHit(s, m.steps, `service '${s.name}' publishes port ${described(m)} ${problem}`, { severity }));
      }
      return hits;
    }),
};

/** CMP-15: a backend (Vault, Keycloak, databases, MLflow, MinIO, Jupyter …) publishes host ports at all. */
export const BACKEND_PUBLISHES_PORTS: Rule = {
  id: 'CMP-15',
  title: 'Backend service publishes host ports',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Backends should be reachable only through the edge proxy (TLS, auth, rate limits) or from the services that need them; a published port bypasses all of that.',
  remediation: 'Remove `ports` from the backend; route it through Traefik on an internal network, or use `expose` for service-to-service traffic.',
  controls: { 'cis-docker-1.6': ['5.9'], 'nist-800-53-r5': ['SC-7', 'AC-4'], 'csa-aicm': ['IVS', 'DSP'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const ports = portMappings(s);
      if (ports.length === 0 || !isBackend(s)) return undefined;
      const what = parseImage(s.data.image)?.name ?? 'backend';
      return serviceHit(s, ['ports'], `backend service '${s.name}' (${what}) publishes host ports ${ports.map((p) => show(p.written)).join(', ')}`);
    }),
};

const SSHD = /(^|\/)sshd$/;

/** CMP-16: a host port below 1024 on a service other than the proxy; port 22 published; sshd run in the container. */
export const PRIVILEGED_OR_SSH_PORT: Rule = {
  id: 'CMP-16',
  title: 'Privileged host port or SSH exposed',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Ports below 1024 belong to the edge proxy; SSH inside a container is a second, unaudited way in that bypasses `docker exec` and its logging.',
  remediation: 'Publish ports >= 1024 (or none) on internal services; remove sshd and use `docker exec` for maintenance.',
  controls: { 'cis-docker-1.6': ['5.8', '5.7'], 'nist-800-53-r5': ['CM-7'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const hits: RuleHit[] = [];
      const proxy = isEdgeProxy(s) || isEgressGateway(s);
      for (const m of portMappings(s)) {
        if (rangeHas(m.hostPorts, 22) || rangeHas(m.containerPorts, 22)) {
          hits.push(serviceHit(s, m.steps, `service '${s.name}' publishes SSH port 22 with ${described(m)}`));
        } else if (m.hostPorts !== undefined && m.hostPorts.start < 1024 && !proxy) {
          hits.push(serviceHit(s, m.steps, `service '${s.name}' publishes privileged host port ${m.hostPorts.start} with ${described(m)}; only the edge proxy should`));
        }
      }
      for (const key of ['entrypoint', 'command']) {
        const value = s.data[key];
        const tokens = typeof value === 'string' ? value.split(/\s+/) : (asList(value) ?? []).filter((t): t is string => typeof t === 'string');
        if (tokens.some((t) => SSHD.test(t.trim()))) hits.push(serviceHit(s, [key], `service '${s.name}' runs sshd in its ${key}`));
      }
      const image = parseImage(s.data.image);
      if (image && /^(openssh-server|sshd)$/.test(image.name)) hits.push(serviceHit(s, ['image'], `service '${s.name}' runs the SSH server image ${show(image.written)}`));
      return hits;
    }),
};

/**
 * CMP-28: a service on the default network (unless it is declared `internal: true`), or a service
 * other than the edge proxy and the declared egress gateway (role `llm-gateway`) on a network
 * that is not `internal: true` (external networks cannot be verified here and count as not internal).
 */
export const NETWORK_SEGMENTATION: Rule = {
  id: 'CMP-28',
  title: 'Service on the default or a non-internal network',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: "The default network joins every service of the project, and a non-internal network gives internet egress; tiers are only separated when each service joins just the internal networks of its flows.",
  remediation: 'Declare a network per tier pair with `internal: true` and list only those in each service; keep the non-internal networks for the edge proxy and the one egress gateway alone.',
  controls: { 'cis-docker-1.6': ['5.30'], 'nist-800-53-r5': ['SC-7', 'AC-4'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      if (s.data.network_mode !== undefined && s.data.network_mode !== null) return undefined;
      const declared = asMap(asMap(s.document.data)?.networks);
      const declaration = (net: string) => (declared && Object.prototype.hasOwnProperty.call(declared, net) ? asMap(declared[net]) : undefined);
      const joined: { net: string; steps: DocumentPath }[] = [];
      const list = asList(s.data.networks);
      const map = asMap(s.data.networks);
      if (list) list.forEach((n, i) => typeof n === 'string' && joined.push({ net: n, steps: ['networks', i] }));
      else if (map) Object.keys(map).forEach((n) => joined.push({ net: n, steps: ['networks', n] }));
      else joined.push({ net: 'default', steps: [] });
      const proxy = isEdgeProxy(s) || isEgressGateway(s);
      const hits: RuleHit[] = [];
      for (const { net, steps } of joined) {
        const decl = declaration(net);
        if (isTrue(decl?.internal)) continue;
        let problem: string | undefined;
        if (net === 'default') problem = steps.length === 0 ? 'names no network, so it joins the default network' : 'joins the default network';
        else if (!proxy) problem = `joins network '${net}', which is not internal: true${decl?.external ? ' (an external network whose settings this file does not show)' : ''}; only the edge proxy and the egress gateway may join a public network`;
        if (problem) hits.push(serviceHit(s, steps, `service '${s.name}' ${problem}`, { granular: `${s.name}/${net}` }));
      }
      return hits;
    }),
};
