import { compareCodePoints } from '../core/canonical-json';
import type { Workload } from '../workload/workload';
import type { Zone } from '../workload/zone';

/** One service box. */
export interface DiagramNode {
  /** Compose service name (the node id). */
  readonly service: string;
  /** Its zone. */
  readonly zone: Zone;
  /** Second label line, e.g. the image. */
  readonly detail: string;
  /** The edge gateway: drawn as the door. */
  readonly gateway: boolean;
  /** A one-shot job (no health check, no port): drawn dashed. */
  readonly job: boolean;
}

/** One arrow. */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  /** Label (port, or host and path of a route). */
  readonly label: string;
  /** `door`: a public route to Z1/Z6; `admin`: a public route to an admin UI or the IdP; `flow`: a declared flow; `vault`: a sidecar's trust-plane link. */
  readonly kind: 'door' | 'admin' | 'flow' | 'vault';
}

const STYLE: Record<DiagramEdge['kind'], string> = {
  door: 'color="#c0392b", penwidth=2.4, fontcolor="#c0392b"',
  admin: 'color="#d35400", penwidth=1.6, style=dashed, fontcolor="#d35400"',
  flow: 'color="#34495e"',
  vault: 'color="#7f8c8d", style=dotted, arrowhead=open',
};

/**
 * The host as Graphviz DOT: one cluster per zone, one box per service, the Internet entering
 * through the gateway only, public routes in red (doors) or orange (admin UIs, the IdP), declared
 * flows in grey. Everything is sorted, so the same tree gives the same text.
 */
export function architectureDot(vps: string, nodes: readonly DiagramNode[], edges: readonly DiagramEdge[]): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = [
    `digraph ${q(`architecture-${vps}`)} {`,
    '  graph [rankdir=LR, newrank=true, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.9, compound=true];',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=8];',
    `  internet [id="internet", class="internet", label="Internet", shape=ellipse, fillcolor="#fdebd0"];`,
  ];
  const byZone = new Map<number, DiagramNode[]>();
  for (const n of [...nodes].sort((a, b) => a.zone.index - b.zone.index || compareCodePoints(a.service, b.service))) {
    (byZone.get(n.zone.index) ?? byZone.set(n.zone.index, []).get(n.zone.index)!).push(n);
  }
  for (const [, members] of byZone) {
    const zone = members[0].zone;
    lines.push(`  subgraph ${q(`cluster_${zone.id}`)} {`);
    lines.push(`    id=${q(`zone-${zone.id}`)}; class="zone"; label=${q(zone.toString())}; style="rounded,filled"; fillcolor="#f4f6f7"; color="#aab7b8";`);
    for (const n of members) {
      const style = n.gateway ? ', fillcolor="#fadbd8", penwidth=2' : n.job ? ', style="rounded,dashed"' : '';
      lines.push(`    ${q(n.service)} [id=${q(`svc-${n.service}`)}, class=${q(n.gateway ? 'service gateway' : 'service')}, label=${q(`${n.service}\n${n.detail}`)}${style}];`);
    }
    lines.push('  }');
  }
  for (const gateway of nodes.filter((n) => n.gateway).sort((a, b) => compareCodePoints(a.service, b.service))) {
    lines.push(`  internet -> ${q(gateway.service)} [id=${q(`ingress-${gateway.service}`)}, class="ingress", label="443 (80 redirects)", ${STYLE.door}];`);
  }
  const sorted = [...edges].sort((a, b) => compareCodePoints(a.from, b.from) || compareCodePoints(a.to, b.to) || compareCodePoints(a.label, b.label));
  sorted.forEach((e, i) => {
    lines.push(`  ${q(e.from)} -> ${q(e.to)} [id=${q(`${e.kind}-${i + 1}`)}, class=${q(e.kind)}, label=${q(e.label)}, ${STYLE[e.kind]}];`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** The second label line of a workload: its image without registry host. */
export function detailOf(w: Workload): string {
  return w.image?.reference?.replace(/^[^/]+\.[^/]+\//, '') ?? '';
}
