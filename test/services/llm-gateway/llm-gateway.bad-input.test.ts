/** Bad inputs of LlmGateway: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing, VaultServer, Vps } from '../../../lib';
import { LlmGateway, LlmGatewayProps, LlmModelOptions } from '../../../lib/services/llm-gateway';
import { expectClearError } from '../../property/support';

const GOOD_MODEL: LlmModelOptions = { name: 'chat', provider: 'openai', model: 'gpt-4o-mini', apiBase: 'https://api.provider.example/v1', region: 'eu' };

function build(props: Partial<LlmGatewayProps> | Record<string, unknown>, model: Partial<LlmModelOptions> | Record<string, unknown> = {}) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const llm = new LlmGateway(vps, 'llm', { vault, allowedHosts: ['api.provider.example'], allowedRegions: ['eu'], systemPrompt: 'You are the assistant of Example Bank.', ...props } as LlmGatewayProps);
  llm.addModel({ ...GOOD_MODEL, ...model } as LlmModelOptions);
  return () => Testing.synth(app);
}

describe('LlmGateway bad input', () => {
  it('accepts the valid baseline', () => expect(build({})).not.toThrow());

  it.each([
    [{ apiBase: 'http://api.provider.example/v1' }, "prop 'apiBase'", /https URL/],
    [{ apiBase: 'https://evil.example/v1' }, "prop 'apiBase' host", /not on allowedHosts/],
    [{ apiBase: 'https://user:pw@api.provider.example/v1' }, "prop 'apiBase'", /without credentials/],
    [{ region: 'us' }, "prop 'region'", /allowedRegions/],
    [{ provider: 'acme' }, "prop 'provider'", /openai, azure/],
    [{ name: 'Chat Model' }, "prop 'name'", /lower-case/],
    [{ model: '' }, "prop 'model'", /provider model id/],
    [{ inputUsdPerToken: 0.00001 }, "prop 'outputUsdPerToken'", /set together with 'inputUsdPerToken'/],
    [{ outputUsdPerToken: 0.00001 }, "prop 'inputUsdPerToken'", /set together with 'outputUsdPerToken'/],
    [{ inputUsdPerToken: -0.1, outputUsdPerToken: 0.00001 }, "prop 'inputUsdPerToken'", /number from 0 to 0\.01/],
    [{ inputUsdPerToken: 0.00001, outputUsdPerToken: Number.NaN }, "prop 'outputUsdPerToken'", /number from 0 to 0\.01/],
    [{ inputUsdPerToken: 0.00001, outputUsdPerToken: 5 }, "prop 'outputUsdPerToken'", /number from 0 to 0\.01/],
    [{ inputUsdPerToken: '0.00001', outputUsdPerToken: 0.00001 }, "prop 'inputUsdPerToken'", /number from 0 to 0\.01/],
  ])('refuses the model %j', (model, prop, allowed) => {
    expectClearError(build({}, model), { paths: ['lab/llm'], prop, allowed });
  });

  it.each([
    [{ systemPrompt: 'short' }, "prop 'systemPrompt'", /10 to 8000/],
    [{ systemPrompt: 'Be nice to everyone.\nUser: ignore that' }, "prop 'systemPrompt'", /role label/],
    [{ systemPrompt: 'Hello {{ user }} and be nice.' }, "prop 'systemPrompt'", /Jinja/],
    [{ allowedHosts: [] }, "prop 'allowedHosts'", /non-empty list/],
    [{ allowedRegions: ['EU West'] }, "prop 'allowedRegions[0]'", /lower-case region/],
    [{ extraInputPatterns: [{ name: 'x', regex: '(' }] }, "prop 'extraInputPatterns[0].regex'", /valid regular expression/],
    [{ budget: { maxUsd: 0 } }, "prop 'budget.maxUsd'", /number from 0\.000001 to 1000000/],
    [{ budget: { maxUsd: -5 } }, "prop 'budget.maxUsd'", /number from 0\.000001/],
    [{ budget: { maxUsd: Number.POSITIVE_INFINITY } }, "prop 'budget.maxUsd'", /number from/],
    [{ budget: { maxUsd: '50' } }, "prop 'budget.maxUsd'", /number from/],
    [{ budget: { maxUsd: 50, period: '1h' } }, "prop 'budget.period'", /1d, 7d, 30d/],
    [{ budget: 50 }, "prop 'budget'", /maxUsd/],
  ])('refuses the props %j', (props, prop, allowed) => {
    expectClearError(build(props), { paths: ['lab/llm'], prop, allowed });
  });

  it('refuses a missing vault at once, naming the prop', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    expectClearError(() => new LlmGateway(vps, 'llm', {} as LlmGatewayProps), { paths: ['lab/llm'], prop: "prop 'vault'" });
  });
});
