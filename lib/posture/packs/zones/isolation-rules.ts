import type { Rule, RuleHit } from '../../rule';
import { ServiceRoles } from './service-roles';
import { resolveRouters } from './traefik-routes';

/** INV-03: no path from the edge to the data stores. */
export const ZONE_03: Rule = {
  id: 'ZONE-03',
  title: 'No path from the edge to the data stores',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Raw and curated data (MinIO, Postgres, Redis, Vault) must never be one hop from the internet: no router targets them, they join no non-internal network and share no network with the edge gateway (CONTROLS.md INV-03).',
  remediation: 'Keep data stores on internal zone networks only and reach them through an API workload; never route to them from Traefik.',
  controls: { 'nist-800-53-r5': ['SC-7', 'AC-4', 'SC-32'], 'csa-aicm': ['IVS', 'DSP'], 'owasp-ml-2023': ['ML02'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['compose', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const graph of model.serviceGraphs()) {
      const edge = graph.services.filter((s) => ServiceRoles.isEdgeGateway(s));
      for (const store of graph.services.filter((s) => ServiceRoles.isDataStore(s))) {
        for (const network of store.networks) {
          const shared = edge.filter((e) => e.networks.includes(network));
          if (graph.isExternal(network)) {
            hits.push({ document: store.document, path: ['services', store.name, 'networks'], message: `data store '${store.name}' joins the non-internal network '${network}'`, granular: `${store.name}:${network}` });
          } else if (shared.length > 0) {
            hits.push({ document: store.document, path: ['services', store.name, 'networks'], message: `data store '${store.name}' shares network '${network}' with the edge gateway '${shared[0].name}'`, granular: `${store.name}:${network}` });
          }
        }
      }
    }
    for (const router of resolveRouters(model)) {
      for (const target of router.targets.filter((t) => ServiceRoles.isDataStore(t))) {
        hits.push({ document: router.document, path: router.path, message: `router '${router.name}' targets the data store '${target.name}'`, granular: router.name });
      }
    }
    return hits;
  },
};

/** INV-08/INV-09: default-deny egress; only the edge and the LLM gateway join non-internal networks. */
export const ZONE_08: Rule = {
  id: 'ZONE-08',
  title: 'Only the LLM gateway (and the edge) reach outside the host',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'All LLM use goes through the LLM gateway and every other service is denied egress, so training jobs and model servers cannot exfiltrate data or call providers directly (CONTROLS.md INV-08, INV-09).',
  remediation: 'Declare every network `internal: true`; give egress only to the LLM gateway (role llm-gateway) and the edge gateway; do not leave services on the default network.',
  controls: { 'nist-800-53-r5': ['SC-7', 'AC-4'], 'csa-aicm': ['IVS', 'DSP'], 'owasp-llm-2025': ['LLM02', 'LLM06', 'LLM10'] },
  kinds: ['compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const graph of model.serviceGraphs()) {
      for (const s of graph.services) {
        if (ServiceRoles.isEdgeGateway(s) || ServiceRoles.isLlmGateway(s)) continue;
        if (s.data?.network_mode === 'bridge' || s.data?.network_mode === 'host') {
          hits.push({ document: s.document, path: ['services', s.name, 'network_mode'], message: `service '${s.name}' uses network_mode '${s.data.network_mode}', which has egress`, granular: s.name });
          continue;
        }
        for (const network of s.networks.filter((n) => graph.isExternal(n))) {
          const path = s.data?.networks === undefined ? ['services', s.name] : ['services', s.name, 'networks'];
          hits.push({ document: s.document, path, message: `service '${s.name}' joins the non-internal network '${network}' (egress) but is not the LLM gateway`, granular: `${s.name}:${network}` });
        }
      }
    }
    return hits;
  },
};

/**
 * Effective reachability: in compose, any two services on one network can talk. Every such pair
 * should be a declared flow (`x-mlsec.flows`) — the compose equivalent of a NetworkPolicy audit.
 * Reported once per network with the number of undeclared pairs (counted, not enumerated: a
 * zone-pair network of n members has n(n-1)/2 pairs) and a few examples.
 */
export const ZONE_30: Rule = {
  id: 'ZONE-30',
  title: 'Every reachable pair of services is a declared flow',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Zone-pair networks let every member reach every other; a pair that can talk without a declared flow is lateral movement nobody reviewed.',
  remediation: 'Declare the flow (`connections.allowTo`) if it is intended; otherwise move one of the services to a network of its own flows.',
  controls: { 'nist-800-53-r5': ['AC-4', 'SC-7'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const graph of model.serviceGraphs()) {
      // Without any declared flow metadata there is nothing to compare against (a hand-written file).
      if (!graph.services.some((s) => s.data?.['x-mlsec'] !== undefined)) continue;
      for (const [network, members] of graph.membersByNetwork()) {
        if (members.length < 2) continue;
        const names = new Set(members.map((m) => m.name));
        const declared = new Set<string>();
        for (const m of members) {
          for (const f of m.flows) if (names.has(f.to) && f.to !== m.name) declared.add(m.name < f.to ? `${m.name}\u0000${f.to}` : `${f.to}\u0000${m.name}`);
        }
        const undeclared = (members.length * (members.length - 1)) / 2 - declared.size;
        if (undeclared <= 0) continue;
        const examples: string[] = [];
        for (let i = 0; i < members.length && examples.length < 3; i++) {
          for (let j = i + 1; j < members.length && examples.length < 3; j++) {
            const [a, b] = [members[i].name, members[j].name].sort();
            if (!declared.has(`${a}\u0000${b}`)) examples.push(`${a} <-> ${b}`);
          }
        }
        hits.push({
          document: graph.document,
          path: ['networks', network],
          message: `network '${network}' lets ${undeclared} pair(s) of services reach each other without a declared flow, e.g. ${examples.join(', ')}`,
          granular: network,
        });
      }
    }
    return hits;
  },
};
