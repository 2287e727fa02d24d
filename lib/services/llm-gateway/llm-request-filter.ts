import type { VaultServer } from '../../vault/vault-server';
import { Zone } from '../../workload/zone';
import { CrsWaf, WafRoute } from '../waf/crs-waf';
import type { LlmGateway } from './llm-gateway';

/**
 * The top-level fields of an OpenAI chat-completion request a client may send to the LLM door;
 * the door's WAF refuses any other. Left out on purpose, because LiteLLM acts on them: the prompt
 * management fields (`prompt_id`, `prompt_variables`, `prompt_version`: they replace the fixed
 * system prompt), `metadata`, `tags`, `guardrails`, `api_key`, `api_base`, `base_url`,
 * `fallbacks`, `mock_response`, `caching`/`cache` and every other LiteLLM-only parameter.
 */
export const LLM_REQUEST_FIELDS: readonly string[] = [
  'frequency_penalty', 'logit_bias', 'logprobs', 'max_completion_tokens', 'max_tokens', 'messages', 'model', 'n',
  'parallel_tool_calls', 'presence_penalty', 'response_format', 'seed', 'stop', 'stream', 'stream_options',
  'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user',
];

/** Why the filter hop runs without CRS (printed with the service's lifted defaults). */
const NO_CRS_REASON = 'the hop only enforces the request-field allow-list; CRS SQL/XSS signatures match ordinary prompts, and LiteLLM guardrails filter their content';

/**
 * The LLM gateway's request-field filter (see `LlmGateway.addRequestFieldFilter`): a CrsWaf in
 * the gateway's zone, block mode, CRS off with its reason, letting only JSON bodies of
 * {@link LLM_REQUEST_FIELDS} through to `gateway` on `port` for `POST <pathPrefix>`.
 */
export function addRequestFieldFilter(gateway: LlmGateway, id: string, vault: VaultServer, port: number): WafRoute {
  const waf = new CrsWaf(gateway.node.scope!, id, {
    zone: Zone.Z6_SERVING, mode: 'block', vault,
    coreRuleSet: { enabled: false, reason: NO_CRS_REASON },
    allowedJsonFields: [...LLM_REQUEST_FIELDS],
  });
  return waf.protect(gateway, { port, pathPrefix: '/v1/chat/completions' });
}
