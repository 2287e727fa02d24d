import { Construct, IConstruct } from 'constructs';
import { compareCodePoints } from '../core/canonical-json';
import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { ComposeNetwork } from '../compose/compose-network';
import type { Workload } from './workload';

/** A declared flow: `from` opens connections to `to` on `port`. */
export interface Flow {
  /** The client. */
  readonly from: Workload;
  /** The server. */
  readonly to: Workload;
  /** TCP port on the server. */
  readonly port: number;
  /** Whether `from` waits for `to` to be healthy before it starts. */
  readonly startsAfter: boolean;
}

/**
 * The flows of one Vps and the networks they imply. A flow puts both ends on the internal network
 * of their zone pair (`z3`, or `z1-z3` across zones); a workload without flows gets no network at
 * all. Start order (`depends_on`) follows the flows; a cycle is an error that prints the cycle.
 */
export class WorkloadGraph extends Construct {
  /** The graph of the Vps that `scope` belongs to (created on first use). */
  public static of(scope: IConstruct): WorkloadGraph {
    const vps = Vps.of(scope);
    const existing = vps.node.tryFindChild(GRAPH_ID);
    if (existing === undefined) return new WorkloadGraph(vps, GRAPH_ID);
    if (existing instanceof WorkloadGraph) return existing;
    throw new MlsecError(`[${existing.node.path}] id '${GRAPH_ID}' is reserved directly under a Vps for its flow networks; choose another id`);
  }

  private readonly flows: Flow[] = [];
  /** Flows by either end, so per-workload lookups do not scan every flow. */
  private readonly flowsOf = new Map<Workload, Flow[]>();
  private readonly networks = new Map<string, ComposeNetwork>();
  private readonly edgeMembers = new Set<Workload>();
  private readonly egressMembers = new Set<Workload>();

  private constructor(scope: Vps, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => [...this.cycles(), ...this.hostBindingClashes()] });
  }

  /** Records a flow and creates the network it needs. */
  public addFlow(flow: Flow): void {
    this.flows.push(flow);
    for (const end of [flow.from, flow.to]) {
      const list = this.flowsOf.get(end);
      if (list) list.push(flow);
      else this.flowsOf.set(end, [flow]);
    }
    const key = WorkloadGraph.networkKey(flow);
    if (!this.networks.has(key)) {
      this.networks.set(key, new ComposeNetwork(this, key, { spec: { internal: true } }));
    }
  }

  /**
   * Puts the edge gateway on the one non-internal network, `edge`: its published ports need it.
   * Nothing else joins it (posture ZONE-03/ZONE-08 check that no data store or other service does).
   */
  public addEdgeMember(gateway: Workload): void {
    if (!this.networks.has(EDGE)) this.networks.set(EDGE, new ComposeNetwork(this, EDGE, { spec: { internal: false } }));
    this.edgeMembers.add(gateway);
  }

  /**
   * Puts a workload on the one network with internet egress, `egress`. Only the LLM gateway
   * belongs there (posture ZONE-08 fails any other member): it is the platform's single way out.
   */
  public addEgressMember(workload: Workload): void {
    if (!this.networks.has(EGRESS)) this.networks.set(EGRESS, new ComposeNetwork(this, EGRESS, { spec: { internal: false } }));
    this.egressMembers.add(workload);
  }

  /** Every flow, in declaration order. */
  public allFlows(): readonly Flow[] {
    return this.flows;
  }

  /** Names of the networks a workload joins, sorted. */
  public networksOf(workload: Workload): string[] {
    const names = new Set<string>();
    for (const flow of this.flowsOf.get(workload) ?? []) names.add(this.networks.get(WorkloadGraph.networkKey(flow))!.name);
    if (this.edgeMembers.has(workload)) names.add(this.networks.get(EDGE)!.name);
    if (this.egressMembers.has(workload)) names.add(this.networks.get(EGRESS)!.name);
    return [...names].sort(compareCodePoints);
  }

  /** The flows `workload` opens, in declaration order. */
  public flowsFrom(workload: Workload): Flow[] {
    return (this.flowsOf.get(workload) ?? []).filter((f) => f.from === workload);
  }

  /** The workloads `workload` must start after. */
  public dependenciesOf(workload: Workload): Workload[] {
    const out: Workload[] = [];
    for (const flow of this.flowsOf.get(workload) ?? []) {
      if (flow.from === workload && flow.startsAfter && !out.includes(flow.to)) out.push(flow.to);
    }
    return out;
  }

  private static networkKey(flow: Flow): string {
    const zones = [flow.from.zone.index, flow.to.zone.index].sort((a, b) => a - b);
    return zones[0] === zones[1] ? `z${zones[0]}` : `z${zones[0]}-z${zones[1]}`;
  }

  /** Two publications of one host address and port: docker would refuse the second at start. */
  private hostBindingClashes(): string[] {
    const owners = new Map<string, string>();
    const found: string[] = [];
    const vps = Vps.of(this);
    for (const c of vps.node.findAll()) {
      const publications = (c as Partial<Workload>)._publications;
      if (!Array.isArray(publications) || Vps.of(c) !== vps) continue;
      for (const p of publications) {
        const key = `${p?.hostIp}:${p?.hostPort}`;
        const owner = owners.get(key);
        if (owner !== undefined) found.push(`prop 'publishPort': host binding ${key} is published by both '${owner}' and '${c.node.path}'`);
        else owners.set(key, c.node.path);
      }
    }
    return found;
  }

  /**
   * Every start-order cycle, printed as construct paths. Depth-first with an explicit stack: a
   * chain of thousands of workloads must not overflow the call stack.
   */
  private cycles(): string[] {
    const state = new Map<Workload, 'open' | 'done'>();
    const found: string[] = [];
    for (const flow of this.flows) {
      if (state.has(flow.from)) continue;
      const path: Workload[] = [flow.from];
      const pending: Workload[][] = [this.dependenciesOf(flow.from)];
      state.set(flow.from, 'open');
      while (path.length > 0) {
        const next = pending[pending.length - 1].shift();
        if (next === undefined) {
          state.set(path.pop()!, 'done');
          pending.pop();
        } else if (state.get(next) === 'open') {
          const cycle = [...path.slice(path.indexOf(next)), next].map((x) => x.node.path);
          found.push(`start-order cycle through declared flows: ${cycle.join(' -> ')}; pass { startsAfter: false } on one of these flows`);
        } else if (!state.has(next)) {
          state.set(next, 'open');
          path.push(next);
          pending.push(this.dependenciesOf(next));
        }
      }
    }
    return found;
  }
}

const GRAPH_ID = 'Networks';
const EDGE = 'edge';
const EGRESS = 'egress';
