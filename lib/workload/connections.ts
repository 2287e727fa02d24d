import type { Workload } from './workload';
import { WorkloadGraph } from './workload-graph';
import { Zone } from './zone';

/** Options of a declared flow. */
export interface FlowOptions {
  /** TCP port the server listens on; must be one of its declared `ports`. */
  readonly port: number;
  /**
   * Whether the client starts only after the server is healthy (compose `depends_on`).
   * @default true
   */
  readonly startsAfter?: boolean;
}

/**
 * The declared network flows of a workload. A flow is the only thing that puts two workloads on
 * a common network: no flow, no shared network.
 */
export class Connections {
  /** @internal */
  public readonly _problems: string[] = [];

  constructor(private readonly owner: Workload) {}

  /** Lets this workload open connections to `server` on `options.port`. */
  public allowTo(server: Workload, options: FlowOptions): void {
    this.declare(this.owner, server, options);
  }

  /** Lets `client` open connections to this workload on `options.port`. */
  public allowFrom(client: Workload, options: FlowOptions): void {
    this.declare(client, this.owner, options);
  }

  private declare(from: Workload, to: Workload, options: FlowOptions): void {
    const port = options?.port;
    if (from === to) {
      this._problems.push(`a flow from '${from.node.path}' to itself is not allowed`);
      return;
    }
    if (!to.ports.includes(port)) {
      const listens = to.ports.length > 0 ? to.ports.join(', ') : 'no ports';
      this._problems.push(`flow from '${from.node.path}' to '${to.node.path}': prop 'port' must be a port '${to.node.path}' listens on (${listens}), got ${JSON.stringify(port)}`);
      return;
    }
    // An invalid zone is reported by the workload's own validation; it cannot name a network.
    if (!Zone.isZone(from.zone) || !Zone.isZone(to.zone)) return;
    const graph = WorkloadGraph.of(from);
    if (WorkloadGraph.of(to) !== graph) {
      this._problems.push(`flow from '${from.node.path}' to '${to.node.path}' crosses hosts; a flow must stay inside one Vps`);
      return;
    }
    graph.addFlow({ from, to, port, startsAfter: options.startsAfter ?? true });
  }
}
