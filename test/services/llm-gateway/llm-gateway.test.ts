/** LlmGateway: the compose service, the LiteLLM config, the prompt file and the Vault grants, asserted field by field. */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { LLM_REQUEST_FIELDS } from '../../../lib/services/llm-gateway';
import { llmLab, PROVIDER_HOST, SYSTEM_PROMPT } from './fixture';

const { app } = llmLab();
const assembly = Testing.synth(app);
const compose = parse(assembly.file('lab/docker-compose.yml'));
const svc = compose.services['llm-gateway'];
const configText = assembly.file('lab/llm-gateway/config.yaml');
const config = parse(configText);

describe('LlmGateway', () => {
  it('is the hardened Z6 llm-gateway, the only member of the egress network', () => {
    expect(svc['x-mlsec'].role).toBe('llm-gateway');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.user).not.toMatch(/^0:/);
    expect(svc.networks).toContain('egress');
    expect(compose.networks.egress.internal).toBe(false);
    for (const [name, s] of Object.entries<any>(compose.services)) if (name !== 'llm-gateway') expect(s.networks ?? [], name).not.toContain('egress');
    expect(svc.image).toBe('ghcr.io/berriai/litellm:v1.80.11-stable.1');
  });

  it('keeps every key out of compose and synth-out: agent-rendered files exported by the start script', () => {
    expect(svc.environment.LITELLM_MASTER_KEY_FILE).toBe('/run/vault/master-key');
    expect(svc.environment.LLM_PROVIDER_OPENAI_API_KEY_FILE).toBe('/run/vault/provider-openai-api-key');
    expect(Object.keys(svc.environment).filter((k) => /KEY$|TOKEN|SECRET/.test(k))).toEqual([]);
    expect(svc.command[0]).toMatch(/\[ -n "\$\$LLM_PROVIDER_OPENAI_API_KEY" \] \|\| \{ echo .* exit 1; \}/);
    expect(svc.command[0]).toContain('--ssl_certfile_path /run/vault/');
    expect(config.model_list[0].litellm_params.api_key).toBe('os.environ/LLM_PROVIDER_OPENAI_API_KEY');
    expect(config.general_settings.master_key).toBe('os.environ/LITELLM_MASTER_KEY');
    const policy = assembly.file('lab/vault/policies/llm-gateway.hcl');
    expect(policy).toContain('kv/data/lab/core/llm-provider/openai');
    // The provider key path is readable by the gateway only.
    for (const p of assembly.paths().filter((x) => x.startsWith('lab/vault/policies/') && !x.endsWith('llm-gateway.hcl'))) expect(assembly.file(p), p).not.toContain('llm-provider');
  });

  it('renders the allow-listed model through the fixed system prompt, with filters and limits', () => {
    const entry = {
      model_name: 'chat',
      litellm_params: {
        model: 'dotprompt/openai/gpt-4o-mini', prompt_id: 'gateway-system', api_base: `https://${PROVIDER_HOST}/v1`, api_key: 'os.environ/LLM_PROVIDER_OPENAI_API_KEY',
        timeout: 60, max_tokens: 1024, max_retries: 0, store: false, input_cost_per_token: 0.00001, output_cost_per_token: 0.00002, max_budget: 50, budget_duration: '30d',
      },
      model_info: { region: 'eu', provider_host: PROVIDER_HOST },
    };
    // Twice, identical: one deployment id (one budget) on LiteLLM's routed path, where the budget is checked.
    expect(config.model_list).toEqual([entry, entry]);
    expect(assembly.file('lab/llm-gateway/prompts/gateway-system.prompt')).toBe(`System: ${SYSTEM_PROMPT}\n`);
    expect(config.litellm_settings).toMatchObject({ turn_off_message_logging: true, redact_user_api_key_info: true, global_prompt_directory: '/etc/litellm/prompts' });
    expect(config.general_settings.global_max_parallel_requests, 'request limits are the door\'s (rateLimit, inFlightReq per client)').toBeUndefined();
    const [input, output] = config.guardrails;
    expect(input.litellm_params).toMatchObject({ guardrail: 'litellm_content_filter', mode: 'pre_call', default_on: true });
    expect(input.litellm_params.patterns.map((p: any) => p.name)).toEqual(['ignore_previous', 'reveal_system_prompt', 'jailbreak', 'invisible_characters', 'private_key', 'bearer_api_key']);
    expect(input.litellm_params.patterns.every((p: any) => p.action === 'BLOCK')).toBe(true);
    expect(output.litellm_params).toMatchObject({ mode: 'post_call', default_on: true });
    expect(output.litellm_params.patterns.filter((p: any) => p.pattern_type === 'prebuilt').map((p: any) => p.pattern_name)).toEqual(expect.arrayContaining(['br_cpf', 'credit_card', 'email']));
    expect(output.litellm_params.patterns.every((p: any) => p.action === 'MASK')).toBe(true);
  });

  it('caps spend at 50 USD per 30 days by default, split evenly across the models', () => {
    const { app, llm } = llmLab({ props: { budget: { maxUsd: 10, period: '1d' } } });
    llm.addModel({ name: 'local', provider: 'hosted_vllm', model: 'qwen2.5-7b', apiBase: `https://${PROVIDER_HOST}/v1`, region: 'eu' });
    const models = parse(Testing.synth(app).file('lab/llm-gateway/config.yaml')).model_list;
    expect(models.map((m: any) => m.model_name)).toEqual(['chat', 'chat', 'local', 'local']);
    for (const m of models) expect(m.litellm_params).toMatchObject({ max_budget: 5, budget_duration: '1d' });
    // No price given: LiteLLM's own list prices it (or counts it as free).
    expect(models[2].litellm_params).not.toHaveProperty('input_cost_per_token');
    expect(models[2].litellm_params).not.toHaveProperty('output_cost_per_token');
    // LiteLLM's proxy-wide max_budget needs its database: it is not written, as it would enforce nothing.
    expect(config.litellm_settings).not.toHaveProperty('max_budget');
    const three = llmLab({ props: { budget: { maxUsd: 50 } } });
    three.llm.addModel({ name: 'b', provider: 'openai', model: 'gpt-4o', apiBase: `https://${PROVIDER_HOST}/v1`, region: 'eu' });
    three.llm.addModel({ name: 'c', provider: 'openai', model: 'gpt-4.1', apiBase: `https://${PROVIDER_HOST}/v1`, region: 'eu' });
    const shares = parse(Testing.synth(three.app).file('lab/llm-gateway/config.yaml')).model_list.map((m: any) => m.litellm_params);
    expect(shares.every((p: any) => p.max_budget === 16.666666 && p.budget_duration === '30d')).toBe(true);
  });

  it('gives an allowed client the flow, the gateway key file, the CA and the URL', () => {
    const client = compose.services['assistant-api'];
    expect(client.environment).toMatchObject({ LLM_GATEWAY_URL: 'https://llm-gateway:4000/v1', LLM_GATEWAY_API_KEY_FILE: '/run/vault/llm-gateway-api-key', LLM_GATEWAY_CA_FILE: '/run/secrets/ca.crt' });
    const shared = (client.networks as string[]).filter((n) => (svc.networks as string[]).includes(n));
    expect(shared).toHaveLength(1);
    expect(shared[0]).not.toBe('egress');
  });

  it('is deterministic', () => {
    expect(Testing.synth(llmLab().app).file('lab/llm-gateway/config.yaml')).toBe(configText);
    expect(configText).toMatchSnapshot();
  });
});

describe('LlmGateway.addRequestFieldFilter', () => {
  const lab = llmLab();
  const route = lab.llm.addRequestFieldFilter();
  const out = Testing.synth(lab.app);
  const services = parse(out.file('lab/docker-compose.yml')).services;

  it('puts a block-mode WAF without CRS in the gateway\'s zone in front of it, on the chat-completions path', () => {
    expect(route).toMatchObject({ pathPrefix: '/v1/chat/completions', port: 8443, backend: lab.llm, backendPort: 4000 });
    expect(route.workload.node.path).toBe('lab/llm-waf');
    expect(route.workload.mode).toBe('block');
    expect(services['llm-waf'].labels['mlsec.zone']).toBe('z6');
    expect(services['llm-waf']['x-mlsec'].flows).toContainEqual({ to: 'llm-gateway', port: 4000 });
    expect(services['llm-waf']['x-mlsec'].overrides).toContainEqual(expect.objectContaining({ control: 'waf-core-rule-set', setting: 'off' }));
  });

  it('lets through only the chat-completion fields, none of the LiteLLM options a client could abuse', () => {
    const modsec = out.file('lab/llm-waf/modsecurity.conf');
    const allowed = /ARGS_NAMES "!@rx \^json\\\.\(\?:([a-z_|]+)\)/.exec(modsec)?.[1].split('|');
    expect(allowed).toEqual([...LLM_REQUEST_FIELDS].sort());
    expect(allowed).toEqual(expect.arrayContaining(['messages', 'model', 'max_tokens', 'temperature', 'stream']));
    for (const field of ['prompt_id', 'prompt_variables', 'prompt_version', 'metadata', 'guardrails', 'api_key', 'api_base', 'base_url', 'fallbacks', 'mock_response']) expect(allowed, field).not.toContain(field);
  });
});
