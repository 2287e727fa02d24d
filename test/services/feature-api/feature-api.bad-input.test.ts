/** Bad inputs of FeatureApi: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { RedisServer, Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { FeatureApi, FeatureApiProps } from '../../../lib/services/feature-api';
import { expectClearError, ExpectedError } from '../../property/support';

const PATH = 'lab/api';
const GOOD = [{ name: 'customer_risk', fields: ['score'] }];

/** A lab with a feature store and an API whose props are `props(store)` over valid defaults; expects synth to fail clearly. */
function rejects(props: (store: RedisServer, vps: Vps) => Partial<FeatureApiProps> | Record<string, unknown>, expected: Omit<ExpectedError, 'paths'> & { paths?: string[] }, after?: (api: FeatureApi) => void) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store' });
  const api = new FeatureApi(vps, 'api', { store, featureGroups: GOOD, ...props(store, vps) } as FeatureApiProps);
  after?.(api);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], ...expected });
}

describe('FeatureApi bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store' });
    new FeatureApi(vps, 'api', { store, featureGroups: GOOD });
    expect(() => Testing.synth(app)).not.toThrow();
  });

  it.each([[undefined], [null], ['feature-store'], [{}]])('refuses the store %j', (store) => {
    rejects(() => ({ store }), { prop: "prop 'store'", allowed: /RedisServer/ });
  });

  it('refuses a store that is not a feature store', () => {
    rejects((_s, vps) => ({ store: new RedisServer(vps, 'cache', { zone: Zone.Z3_CURATED, use: 'cache' }) }), { prop: "prop 'store'", allowed: /use 'feature-store'/ });
  });

  it.each([[undefined], [[]], ['customer_risk'], [{ name: 'x', fields: ['a'] }]])('refuses the featureGroups %j', (featureGroups) => {
    rejects(() => ({ featureGroups }), { prop: "prop 'featureGroups'", allowed: /non-empty array/ });
  });

  it.each([['Customer'], ['1group'], ['group-a'], ['group:a'], ['group*'], ['a'.repeat(64)], [''], [undefined], [7]])('refuses the group name %j', (name) => {
    rejects(() => ({ featureGroups: [{ name, fields: ['score'] }] }), { prop: "prop 'featureGroups[0].name'", allowed: /lower-case letters, digits and "_"/ });
  });

  it('refuses a group declared twice', () => {
    rejects(() => ({ featureGroups: [...GOOD, ...GOOD] }), { prop: "prop 'featureGroups[1].name'", allowed: /declared twice/ });
  });

  it.each([[undefined], [[]], ['score'], [Array.from({ length: 101 }, (_, i) => `f${i}`)]])('refuses the fields %j', (fields) => {
    rejects(() => ({ featureGroups: [{ name: 'customer_risk', fields }] }), { prop: "prop 'featureGroups[0].fields'", allowed: /1-100 field names/ });
  });

  it.each([['Score'], ['score-1'], ['score.x'], ['_score'], [''], [null]])('refuses the field name %j', (field) => {
    rejects(() => ({ featureGroups: [{ name: 'customer_risk', fields: ['ok', field] }] }), { prop: "prop 'featureGroups[0].fields[1]'", allowed: /lower-case letters, digits and "_"/ });
  });

  it('refuses a field listed twice', () => {
    rejects(() => ({ featureGroups: [{ name: 'customer_risk', fields: ['score', 'score'] }] }), { prop: "prop 'featureGroups[0].fields[1]'", allowed: /listed twice/ });
  });

  it('refuses a null group', () => {
    rejects(() => ({ featureGroups: [null] }), { prop: "prop 'featureGroups[0]'", allowed: /an object/ });
  });

  it('refuses a client that is not a Workload', () => {
    rejects(() => ({}), { prop: 'allowClient', allowed: /must be a Workload/ }, (api) => api.allowClient('model-server' as unknown as Workload));
  });

  it("refuses to run without the store's Vault when the store hands its passwords out through Vault", () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    const store = new RedisServer(vps, 'feature-store', { zone: Zone.Z3_CURATED, use: 'feature-store', vault });
    new FeatureApi(vps, 'api', { store, featureGroups: GOOD });
    expectClearError(() => Testing.synth(app), { paths: [PATH], prop: "prop 'vault'", allowed: /VaultServer of prop 'store'/ });
  });
});
