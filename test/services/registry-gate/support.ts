import { App, Testing, Workload, Zone } from '../../../lib';
import { RegistryGate, RegistryGateProps } from '../../../lib/services/registry-gate';
import { FactoryHost, factoryHost } from '../mlflow/support';
import { consumerWorkload } from '../support';

/** The factory host (Vault, registry DB and store, MLflow, a trainer) plus the gate, a Z6 fetcher (reader) and a CI promoter (publisher). */
export interface GateHost extends FactoryHost {
  readonly gate: RegistryGate;
  readonly fetcher: Workload;
  readonly promoter: Workload;
}

/** Builds the host; `props` overrides RegistryGate props. */
export function gateHost(props: Partial<RegistryGateProps> = {}, app: App = Testing.app()): GateHost {
  const h = factoryHost({}, app);
  const gate = new RegistryGate(h.vps, 'registry-gate', { registry: h.mlflow, vault: h.vault, ...props });
  const fetcher = consumerWorkload(h.vps, 'fetcher', Zone.Z6_SERVING);
  const promoter = consumerWorkload(h.vps, 'promoter', Zone.Z4_FACTORY);
  gate.allowReader(fetcher);
  gate.allowPublisher(promoter);
  return { ...h, gate, fetcher, promoter };
}
