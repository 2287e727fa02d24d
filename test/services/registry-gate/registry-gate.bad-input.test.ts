/** Bad inputs of RegistryGate: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing, Zone } from '../../../lib';
import { RegistryGate, RegistryGateProps } from '../../../lib/services/registry-gate';
import { expectClearError } from '../../property/support';
import { factoryHost } from '../mlflow/support';
import { consumerWorkload } from '../support';

const PATH = 'lab/registry-gate';

/** A factory host and a gate whose props are the valid ones overridden by `props`. */
function gateWith(props: Partial<RegistryGateProps> | Record<string, unknown>) {
  const h = factoryHost();
  const make = () => new RegistryGate(h.vps, 'registry-gate', { registry: h.mlflow, vault: h.vault, ...props } as RegistryGateProps);
  return { ...h, make };
}

describe('RegistryGate bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const h = gateWith({});
    h.make().allowReader(consumerWorkload(h.vps, 'fetcher', Zone.Z6_SERVING));
    expect(() => Testing.synth(h.app)).not.toThrow();
  });

  it.each([[undefined], [null], ['mlflow'], [{}]])('refuses the registry %j', (registry) => {
    const h = gateWith({ registry });
    expectClearError(() => h.make(), { paths: [PATH], prop: "prop 'registry'", allowed: /MlflowServer/ });
  });

  it.each([[undefined], ['vault'], [{}]])('refuses the vault %j (the registry takes Vault-issued client certificates only)', (vault) => {
    const h = gateWith({ vault });
    expectClearError(() => h.make(), { paths: [PATH], prop: "prop 'vault'", allowed: /VaultServer/ });
  });

  it.each([[0], [1001], [2.5], ['20'], [-1]])('refuses requestsPerSecond %j', (requestsPerSecond) => {
    const h = gateWith({ requestsPerSecond });
    h.make().allowReader(consumerWorkload(h.vps, 'fetcher', Zone.Z6_SERVING));
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: "prop 'requestsPerSecond'", allowed: /1.*1000/ });
  });

  it.each([[[]], [['git_sha', 'git_sha']], [['lifecycle_state']], [['has space']], [['-x']], [['x'.repeat(251)]], ['git_sha'], [[1]], [null]])('refuses requiredTags %j', (requiredTags) => {
    const h = gateWith({ requiredTags });
    h.make().allowReader(consumerWorkload(h.vps, 'fetcher', Zone.Z6_SERVING));
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: "prop 'requiredTags'", allowed: /non-empty list of distinct tag keys/ });
  });

  it.each([[[]], [['Revoked']], [['Candidate', 'Approved']], [['approved']], ['Approved'], [null]])('refuses servableStates %j', (servableStates) => {
    const h = gateWith({ servableStates });
    h.make().allowReader(consumerWorkload(h.vps, 'fetcher', Zone.Z6_SERVING));
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: "prop 'servableStates'", allowed: /'Staging' and 'Approved'/ });
  });

  it('refuses a gate without any client (nothing may call it)', () => {
    const h = gateWith({});
    h.make();
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: /no client/, allowed: /allowReader.*allowPublisher/ });
  });

  it.each([[undefined], ['fetcher'], [{}]])('refuses a client that is no Workload (%j)', (client) => {
    const h = gateWith({});
    const gate = h.make();
    expectClearError(() => gate.allowReader(client as never), { paths: [PATH], prop: /allowReader/, allowed: /Workload/ });
    expectClearError(() => gate.allowPublisher(client as never), { paths: [PATH], prop: /allowPublisher/, allowed: /Workload/ });
  });

  it('refuses a client in both classes (a publisher reads on its own listener)', () => {
    const h = gateWith({});
    const gate = h.make();
    const ci = consumerWorkload(h.vps, 'promoter', Zone.Z4_FACTORY);
    gate.allowPublisher(ci);
    expectClearError(() => gate.allowReader(ci), { paths: [PATH, 'lab/promoter'], prop: /allowReader/, allowed: /already a publisher/ });
  });
});
