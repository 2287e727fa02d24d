import { Construct } from 'constructs';
import { DocumentProducers, IDocumentProducer, RenderedDocument } from '../core/document';
import { ValidationIssue } from '../core/errors';
import { checkedId } from '../core/names';
import { Vps } from '../core/vps';
import { Gateway } from '../gateway/gateway';
import { VaultAgent } from '../vault/agent/vault-agent';
import { Workload } from '../workload/workload';
import { WorkloadGraph } from '../workload/workload-graph';
import { architectureDot, detailOf, DiagramEdge, DiagramNode } from './architecture-dot';
import { PendingSvg, startDotToSvg } from './graphviz-renderer';
import { GraphvizWorkerPool } from './graphviz-worker-pool';

/** Props of an {@link ArchitectureDiagram}. */
export interface ArchitectureDiagramProps {
  /**
   * File name (without extension) below the Vps folder.
   * @default 'architecture'
   */
  readonly fileName?: string;
}

/**
 * The host's architecture as a picture, drawn from the construct tree at synth:
 * `<vps>/architecture.dot` and `<vps>/architecture.svg` (Graphviz in WebAssembly, no system
 * package). Zones are clusters, services are boxes (Vault Agent sidecars are folded into a dotted
 * link from their workload to Vault), declared flows are arrows, the Internet enters through the
 * gateway only, and each public route is an arrow from the gateway: red for the two doors (Z1,
 * Z6), orange for admin UIs and the identity provider.
 */
export class ArchitectureDiagram extends Construct implements IDocumentProducer {
  private readonly fileName: string;
  private pending?: { readonly dot: string; readonly job: PendingSvg };

  constructor(scope: Vps, id = 'Architecture', props: ArchitectureDiagramProps = {}) {
    super(scope, checkedId(scope, id));
    DocumentProducers.mark(this);
    this.fileName = props.fileName ?? 'architecture';
    // Graphviz loads on another core while the rest of the tree is built (unless an earlier
    // synth in this process left its worker idle).
    GraphvizWorkerPool.shared.prestart();
    this.node.addValidation({
      validate: () => {
        if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(this.fileName)) return [`prop 'fileName' must be lower-case letters, digits and "-" (got ${JSON.stringify(this.fileName)})`];
        // The tree is complete once synth validates it: start the layout now, on another core,
        // so it overlaps with rendering the other files (it was the longest single step of synth).
        this.layout(this.toDot());
        return [];
      },
    });
  }

  /** The diagram in DOT, from the current tree. */
  public toDot(): string {
    const vps = Vps.of(this);
    const workloads = vps.node.findAll().filter((c): c is Workload => Workload.isWorkload(c) && Vps.of(c) === vps);
    const agents = workloads.filter((w): w is VaultAgent => w instanceof VaultAgent);
    const shown = workloads.filter((w) => !(w instanceof VaultAgent));
    const graph = WorkloadGraph.of(vps);
    const nodes: DiagramNode[] = shown.map((w) => ({
      service: w.serviceName, zone: w.zone, detail: detailOf(w),
      gateway: w._role === 'edge-gateway', job: !w.hasHealthCheck && w.ports.length === 0,
    }));
    const edges: DiagramEdge[] = [];
    const routed = new Set<string>();
    for (const gateway of vps.node.findAll().filter((c): c is Gateway => c instanceof Gateway)) {
      for (const route of gateway.routes) {
        if (!Workload.isWorkload(route.target)) continue;
        const kind = route.target.zone.isDoor ? 'door' : 'admin';
        edges.push({ from: gateway.workload.serviceName, to: route.target.serviceName, label: `${route.rule.host}${route.rule.pathPrefix}`, kind });
        routed.add(`${gateway.workload.serviceName}\u0000${route.target.serviceName}`);
      }
    }
    const seen = new Set<string>();
    for (const f of graph.allFlows()) {
      if (f.from instanceof VaultAgent || f.to instanceof VaultAgent) continue;
      const key = `${f.from.serviceName}\u0000${f.to.serviceName}`;
      if (routed.has(key) || seen.has(`${key}\u0000${f.port}`)) continue;
      seen.add(`${key}\u0000${f.port}`);
      edges.push({ from: f.from.serviceName, to: f.to.serviceName, label: `:${f.port}`, kind: 'flow' });
    }
    for (const agent of agents) {
      for (const f of graph.flowsFrom(agent)) edges.push({ from: agent.workload.serviceName, to: f.to.serviceName, label: 'agent', kind: 'vault' });
    }
    return architectureDot(vps.name, nodes, edges);
  }

  public renderDocuments(): RenderedDocument[] {
    const dot = this.toDot();
    this.layout(dot);
    return [{ path: `${this.basePath()}.dot`, content: dot, producer: this.node.path }];
  }

  /** The SVG, collected after the posture check: the layout runs on another core meanwhile. */
  public renderDeferredDocuments(): RenderedDocument[] {
    // Synth has started the layout by now (validation, rendering); a direct call starts it here.
    const { job } = this.pending ?? this.layout(this.toDot());
    this.pending = undefined;
    return [{ path: `${this.basePath()}.svg`, content: job.svg(), producer: this.node.path }];
  }

  /** Collects a layout under way (its worker goes back to the pool for the next synth). */
  public abandonDeferredDocuments(): void {
    const pending = this.pending;
    this.pending = undefined;
    try {
      pending?.job.svg();
    } catch {
      // the failed synth reports its own error; a failed layout has stopped its worker
    }
  }

  /** The layout of `dot`: the one under way when it is for the same DOT, else a new one. */
  private layout(dot: string): { readonly dot: string; readonly job: PendingSvg } {
    if (this.pending?.dot !== dot) {
      this.pending?.job.discard();
      this.pending = { dot, job: startDotToSvg(dot) };
    }
    return this.pending;
  }

  private basePath(): string {
    return `${Vps.of(this).name}/${this.fileName}`;
  }

  public verifyDocuments(): ValidationIssue[] {
    return [];
  }
}
