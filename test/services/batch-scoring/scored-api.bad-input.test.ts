/** Bad inputs of ScoredApi: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { ScoredApi, ScoredApiProps } from '../../../lib/services/batch-scoring';
import { expectClearError, ExpectedError } from '../../property/support';
import { OpaPolicy, OpaServer } from '../../../lib/services/opa';
import { pdpScoringHost, ScoringServers, scoringServers } from './support';

type Expected = Omit<ExpectedError, 'paths'> & { paths?: string[] };

function apiRejects(props: (s: ScoringServers) => Record<string, unknown>, expected: Expected) {
  const s = scoringServers();
  new ScoredApi(s.vps, 'scored-api', { scored: s.scored, models: ['fraud-score'], ...props(s) } as unknown as ScoredApiProps);
  return expectClearError(() => Testing.synth(s.app), { paths: ['lab/scored-api'], ...expected });
}

describe('ScoredApi bad input', () => {
  it('accepts the valid baseline', () => {
    const s = scoringServers();
    new ScoredApi(s.vps, 'scored-api', { scored: s.scored, models: ['fraud-score'] });
    expect(() => Testing.synth(s.app)).not.toThrow();
  });

  it.each([[[]], [undefined], ['fraud-score'], [Array.from({ length: 33 }, (_, i) => `m${i}`)]])('refuses the model list %j', (models) => {
    apiRejects(() => ({ models }), { prop: "prop 'models'", allowed: /1 to 32 model names/ });
  });

  it.each([['Fraud'], ['fraud_score'], ['a|b'], ['(?:.*)'], ['-x'], [42]])('refuses the model name %j', (name) => {
    apiRejects(() => ({ models: [name] }), { prop: "prop 'models[0]'", allowed: /lower-case letters, digits and "-"/ });
  });

  it('refuses a repeated model', () => {
    apiRejects(() => ({ models: ['a', 'a'] }), { prop: "prop 'models'", allowed: /each model once/ });
  });

  it.each([[0], [10_001], [2.5]])('refuses %j requests per second', (requestsPerSecond) => {
    apiRejects(() => ({ requestsPerSecond }), { prop: "prop 'requestsPerSecond'", allowed: 'an integer from 1 to 10000' });
  });

  it.each([[undefined], [{ server: {} }]])('refuses the scored store %j', (scored) => {
    apiRejects(() => ({ scored }), { prop: "prop 'scored'", allowed: /server: PostgresServer/ });
  });

  it('refuses a client that is no workload', () => {
    const s = scoringServers();
    const api = new ScoredApi(s.vps, 'scored-api', { scored: s.scored, models: ['fraud-score'] });
    expectClearError(() => api.allowClient({} as never), { paths: ['lab/scored-api'], prop: 'allowClient', allowed: /must be a Workload/ });
  });

  describe('with a decision point', () => {
    const pdp = (s: ScoringServers) => {
      const opa = new OpaServer(s.vps, 'opa', { vault: s.vault });
      opa.addPolicy(OpaPolicy.routeAllowList({ package: 'z6.scores', routes: [{ client: 'core-banking', pathPrefix: '/scores/fraud-score/', methods: ['GET'] }] }));
      return opa;
    };

    it('accepts the valid baseline', () => {
      expect(() => Testing.synth(pdpScoringHost().app)).not.toThrow();
    });

    it.each([['Z6.Scores'], ['system.authz'], ['z6/scores'], ['z6.scores.allow"}'], [42], [undefined]])('refuses the package %j', (pkg) => {
      apiRejects((s) => ({ decisionPoint: { server: pdp(s), package: pkg } }), { prop: "prop 'decisionPoint.package'", allowed: /Rego package|must not/ });
    });

    it.each([[{}], [{ server: {}, package: 'z6.scores' }], ['opa']])('refuses the decision point %j', (decisionPoint) => {
      apiRejects(() => ({ decisionPoint }), { prop: "prop 'decisionPoint'", allowed: /server: OpaServer, package/ });
    });

    it('refuses a package the PDP does not serve (the OpaServer names the API\'s grant)', () => {
      const s = scoringServers();
      new ScoredApi(s.vps, 'scored-api', { scored: s.scored, models: ['fraud-score'], decisionPoint: { server: pdp(s), package: 'z6.other' } });
      expectClearError(() => Testing.synth(s.app), { paths: ['lab/opa'], prop: /grantQuery\(lab\/scored-api\): prop 'packages' names "z6.other"/, allowed: /served: z6\.scores/ });
    });

    it('refuses allowClient: callers come through the gateway, which alone writes the identity header', () => {
      const h = pdpScoringHost();
      h.api.allowClient(h.consumers[0]);
      expectClearError(() => Testing.synth(h.app), { paths: ['lab/scored-api'], prop: "allowClient(lab/core-banking): prop 'decisionPoint'", allowed: /gateway\.expose\(api, \{ auth: RouteAuth\.mtls/ });
    });
  });
});
