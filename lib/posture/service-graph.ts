import type { SourceDocument } from './source-document';

/** One compose service as the zone rules see it. */
export interface ServiceNode {
  /** Compose service name. */
  readonly name: string;
  /** The compose document it is in. */
  readonly document: SourceDocument;
  /** Its data. */
  readonly data: any;
  /** Zone id from `x-mlsec.zone` or the `mlsec.zone` label (`z0`…`z9`), if declared. */
  readonly zone?: string;
  /** Role from `x-mlsec.role` (e.g. `edge-gateway`, `llm-gateway`, `data-store`), if declared. */
  readonly role?: string;
  /** Networks it joins (none with `network_mode: none`; `default` when it names none). */
  readonly networks: readonly string[];
  /** Declared flows from `x-mlsec.flows`: the services it may call and on which port. */
  readonly flows: readonly { readonly to: string; readonly port?: number }[];
}

/**
 * The service graph of one compose document: who joins which network, who declared flows to
 * whom, and who can effectively reach whom (in compose, reachability is network membership).
 */
export class ServiceGraph {
  /** Services, in document order. */
  public readonly services: readonly ServiceNode[];
  /** Networks declared `internal: true`. */
  public readonly internalNetworks: ReadonlySet<string>;

  constructor(public readonly document: SourceDocument) {
    const services = document.data?.services;
    this.services = services && typeof services === 'object' ? Object.entries(services).map(([name, data]) => node(document, name, data)) : [];
    const networks = document.data?.networks ?? {};
    this.internalNetworks = new Set(Object.entries(networks).filter(([, n]: [string, any]) => n?.internal === true).map(([name]) => name));
  }

  /** The service called `name`. */
  public service(name: string): ServiceNode | undefined {
    return this.services.find((s) => s.name === name);
  }

  /** Whether a network can reach outside the host (not `internal: true`). */
  public isExternal(network: string): boolean {
    return !this.internalNetworks.has(network);
  }

  /** The members of every network, in document order. */
  public membersByNetwork(): Map<string, ServiceNode[]> {
    const members = new Map<string, ServiceNode[]>();
    for (const s of this.services) for (const n of s.networks) (members.get(n) ?? members.set(n, []).get(n)!).push(s);
    return members;
  }
}

function node(document: SourceDocument, name: string, data: any): ServiceNode {
  const meta = data?.['x-mlsec'] ?? {};
  const labels = data?.labels;
  const labelZone = Array.isArray(labels)
    ? labels.find((l: unknown) => typeof l === 'string' && l.startsWith('mlsec.zone='))?.slice('mlsec.zone='.length)
    : labels?.['mlsec.zone'];
  let networks: string[];
  if (data?.network_mode !== undefined) networks = [];
  else if (Array.isArray(data?.networks)) networks = data.networks.filter((n: unknown) => typeof n === 'string');
  else if (data?.networks && typeof data.networks === 'object') networks = Object.keys(data.networks);
  else networks = ['default'];
  const flows = Array.isArray(meta.flows)
    ? meta.flows.filter((f: any) => typeof f?.to === 'string').map((f: any) => ({ to: f.to, port: typeof f.port === 'number' ? f.port : undefined }))
    : [];
  return {
    name,
    document,
    data,
    zone: typeof meta.zone === 'string' ? meta.zone : typeof labelZone === 'string' ? labelZone : undefined,
    role: typeof meta.role === 'string' ? meta.role : undefined,
    networks,
    flows,
  };
}
