import { Construct } from 'constructs';
import { canonicalYaml } from '../../core/canonical-yaml';
import { MlsecError } from '../../core/errors';
import { checkInteger, checkNumber, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { DNS_NAME, Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultKvSecret } from '../../vault/vault-grants';
import type { VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { WorkloadGraph } from '../../workload/workload-graph';
import { Zone } from '../../workload/zone';
import type { WafRoute } from '../waf/crs-waf';
import { filterPatternProblem, inputFilterPatterns, LlmFilterPattern, outputFilterPatterns } from './llm-filters';
import { addRequestFieldFilter, LLM_REQUEST_FIELDS } from './llm-request-filter';

/** The HTTPS port the gateway serves the OpenAI-compatible API on. */
export const LLM_GATEWAY_PORT = 4000;
/** The LiteLLM release: keep in sync with tools/install-litellm.sh and test/support/real-servers/litellm.ts. */
export const LITELLM_VERSION = '1.80.11';
const CONFIG_DIR = '/etc/litellm';
const PROMPT_ID = 'gateway-system';
/** Providers whose API LiteLLM speaks, by its own prefix. */
export const LLM_PROVIDERS = ['openai', 'azure', 'anthropic', 'mistral', 'hosted_vllm'] as const;
/** A provider LiteLLM speaks. */
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** Props of an {@link LlmGateway}. */
export interface LlmGatewayProps {
  /** Vault: issues the gateway's certificate and holds the provider keys and the gateway key. */
  readonly vault: VaultServer;
  /** Host names the models' `apiBase` may point at: the egress allow-list (exact names). */
  readonly allowedHosts: string[];
  /** Regions models may be pinned to (each model's `region` must be one of them). */
  readonly allowedRegions: string[];
  /**
   * The fixed system prompt the gateway puts first in every conversation. Plain text: no line may
   * start with a role label (`System:`, `User:`, `Assistant:`) and no `{{`, `{%` or `{#` (the
   * prompt file is a Jinja template).
   */
  readonly systemPrompt: string;
  /**
   * Seconds a provider call may take before it is abandoned.
   * @default 60
   */
  readonly timeoutSeconds?: number;
  /**
   * `max_tokens` sent to the provider when the client sets none.
   * @default 1024
   */
  readonly defaultMaxTokens?: number;
  /**
   * Further input patterns refused (BLOCK), after the built-in injection, invisible-character and secret patterns.
   * @default none
   */
  readonly extraInputPatterns?: LlmFilterPattern[];
  /**
   * Further output patterns masked, after the built-in CPF, card, e-mail and key patterns.
   * @default none
   */
  readonly extraOutputPatterns?: LlmFilterPattern[];
  /**
   * The spend cap (the cost circuit breaker of Z6-K07): once the spend of a period reaches it, the
   * gateway answers 429 without calling the provider until the period ends. Split evenly across
   * the models (each gets `maxUsd / models`, rounded down to a micro-USD), because LiteLLM 1.80.11
   * keeps budgets in memory per deployment only (its proxy-wide `max_budget` needs its database).
   * Spend counts from the models' prices: set `inputUsdPerToken` on a model LiteLLM has no price for.
   * Restarting the gateway starts a new period.
   * @default 50 USD per 30 days
   */
  readonly budget?: LlmBudget;
  /**
   * The image.
   * @default ghcr.io/berriai/litellm:v1.80.11-stable.1
   */
  readonly image?: Image;
  /**
   * Resource limits.
   * @default 1 CPU, 1024 MiB
   */
  readonly resources?: ResourceLimits;
}

/** A spend cap of the gateway. */
export interface LlmBudget {
  /** The most the gateway spends per period, in USD (0.000001 to 1 000 000). */
  readonly maxUsd: number;
  /**
   * The period after which the spend starts again from 0.
   * @default '30d'
   */
  readonly period?: LlmBudgetPeriod;
}

/** Budget periods, as LiteLLM's `budget_duration` reads them. */
export const LLM_BUDGET_PERIODS = ['1d', '7d', '30d'] as const;
/** A budget period. */
export type LlmBudgetPeriod = (typeof LLM_BUDGET_PERIODS)[number];
/** The default spend cap. */
export const DEFAULT_LLM_BUDGET: Required<LlmBudget> = { maxUsd: 50, period: '30d' };
const MICRO_USD = 1_000_000;

/** One model on the allow-list. */
export interface LlmModelOptions {
  /** The name clients ask for (`model` of the request): lower-case letters, digits, ".", "_" and "-". */
  readonly name: string;
  /** The provider whose API the gateway speaks; its key is `kv/<vps>/core/llm-provider/<provider>`, field `api_key`. */
  readonly provider: LlmProvider;
  /** The provider's model id, e.g. `gpt-4o-mini`. */
  readonly model: string;
  /** The provider's API base URL: https, on a host of `allowedHosts`, no credentials or query. */
  readonly apiBase: string;
  /** The region the provider serves this model from (one of `allowedRegions`). */
  readonly region: string;
  /**
   * USD the provider charges per input (prompt) token, 0 to 0.01: LiteLLM's
   * `input_cost_per_token`, so the spend of a model missing from LiteLLM's price list (a private
   * or self-hosted model, else counted as free) counts against `budget`. Set with
   * `outputUsdPerToken`.
   * @default LiteLLM's own price list for the provider model
   */
  readonly inputUsdPerToken?: number;
  /**
   * USD the provider charges per output (completion) token, 0 to 0.01: LiteLLM's
   * `output_cost_per_token`. Set with `inputUsdPerToken`.
   * @default LiteLLM's own price list for the provider model
   */
  readonly outputUsdPerToken?: number;
}

/** The highest per-token price accepted: 10 000 USD per million tokens, far above any listed model. */
export const MAX_USD_PER_TOKEN = 0.01;

const MODEL_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const PROVIDER_MODEL = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const REGION = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * The LLM gateway of Z6 (CONTROLS.md Z6-K07, INV-08, §5 #20): LiteLLM's proxy (MIT core), the
 * only workload on the `egress` network and the only holder of provider keys. Clients reach it
 * over HTTPS on the internal network with the gateway key (`allowClient`); it serves only the
 * models of its allow-list, puts the fixed system prompt first, refuses injection phrases,
 * invisible characters and secrets in the input (403, before any provider call), masks CPF, card
 * numbers, e-mail addresses and keys in the output, and logs no message content. Request and
 * concurrency limits per client are the door's (expose it through the gateway: rateLimit and
 * inFlightReq run before it), because LiteLLM without its database enforces none on this path.
 * Spend is capped per period (`budget`, LiteLLM's in-memory deployment budgets: 429 once reached)
 * and computed from each model's price (`inputUsdPerToken` or LiteLLM's price list).
 * Configuration only: no custom Python runs in the gateway. LiteLLM (1.80) also obeys request
 * fields of its own — a client's `prompt_id` replaces the fixed system prompt — and no setting
 * refuses them, so a client must reach it only through a hop that lets {@link LLM_REQUEST_FIELDS}
 * alone through: `addRequestFieldFilter` (which `Z6Serving.addLlmGateway` calls).
 */
export class LlmGateway extends Workload {
  /** The LiteLLM configuration. */
  public readonly config: VpsFile;
  /** The fixed system prompt, as LiteLLM's dotprompt file. */
  public readonly promptFile: VpsFile;
  /** The gateway key (`master_key`) clients present as `Authorization: Bearer`. */
  public readonly apiKey: VaultKvSecret;
  private readonly gatewayProps: LlmGatewayProps;
  private readonly models: LlmModelOptions[] = [];
  private readonly providerKeys = new Map<LlmProvider, string>();
  private readonly llmProblems: string[] = [];
  private readonly command: string[];
  private readonly tls: { readonly certificate: string; readonly privateKey: string };

  constructor(scope: Construct, id: string, props: LlmGatewayProps) {
    const p = props ?? ({} as LlmGatewayProps);
    // Nothing sensible can be built without it: the certificate and every key come from Vault.
    if (typeof p.vault?.enablePki !== 'function') throw new MlsecError(`[${scope?.node?.path || '<app>'}/${id}] prop 'vault' must be the VaultServer issuing its certificate and holding its keys (got ${describeValue(p.vault)})`);
    const command: string[] = [];
    super(scope, id, {
      zone: Zone.Z6_SERVING,
      image: p.image ?? Image.fromRegistry('ghcr.io/berriai/litellm', 'v1.80.11-stable.1'),
      ports: [LLM_GATEWAY_PORT],
      resources: p.resources ?? { cpus: 1, memoryMiB: 1024 },
      entrypoint: ['/bin/sh', '-ec'],
      command, // the start script, rewritten as providers are added
      // Liveness over the HTTPS listener; the certificate names the service, not 127.0.0.1.
      healthCheck: HealthCheck.command(['python3', '-c', `import ssl,urllib.request as u; u.urlopen('https://127.0.0.1:${LLM_GATEWAY_PORT}/health/liveliness', context=ssl._create_unverified_context(), timeout=5)`]),
    });
    this.gatewayProps = p;
    this.command = command;
    this._role = 'llm-gateway';
    WorkloadGraph.of(this).addEgressMember(this);
    this.tls = p.vault.enablePki().grantIssue(this, { usage: 'server', ttlHours: 48 });
    const environment: Record<string, string> = {
      HOME: '/tmp',
      DISABLE_ADMIN_UI: 'True',
      NO_DOCS: 'True',
      NO_REDOC: 'True',
      LITELLM_LOG: 'WARNING',
    };
    for (const [k, v] of Object.entries(environment)) this.addEnvironment(k, v);

    // LiteLLM refuses a master key without the `sk-` prefix: seed KV with the prefixed value.
    const key = new Credential(this, 'ApiKey', { name: `${this.serviceName}-api-key`, description: `gateway key of ${this.node.path} (LiteLLM master key)` });
    this.apiKey = p.vault.addKvSecret(`${id}ApiKey`, {
      path: `${Vps.of(this).name}/core/${this.serviceName}/api-key`,
      seed: { api_key: { from: key, seedName: `${this.serviceName}-api-key-sk`, transform: (v) => `sk-${v}` } },
    });
    this.apiKey.grantRead(this, { fields: { api_key: 'LITELLM_MASTER_KEY_FILE' }, fileNames: { api_key: 'master-key' } });

    this.promptFile = new VpsFile(this, 'SystemPrompt', {
      path: `${this.serviceName}/prompts/${PROMPT_ID}.prompt`,
      content: () => `System: ${String(p.systemPrompt).trim()}\n`,
    });
    this.mountFile(this.promptFile, `${CONFIG_DIR}/prompts/${PROMPT_ID}.prompt`);
    this.config = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/config.yaml`,
      content: () => canonicalYaml(this.renderConfig(), {
        header: `LiteLLM ${LITELLM_VERSION} proxy configuration of ${this.node.path}, generated by mlsec-cdk. Do not edit.`,
        topLevelOrder: ['model_list', 'litellm_settings', 'router_settings', 'general_settings', 'guardrails'],
      }),
    });
    this.mountFile(this.config, `${CONFIG_DIR}/config.yaml`);
    this.writeStartScript();
    this.node.addValidation({ validate: () => [...this.llmProblems, ...this.propProblems(p)] });
  }

  /**
   * Puts a model on the allow-list. Its provider's key is read from Vault KV
   * `<vps>/core/llm-provider/<provider>`, field `api_key` (written by the operator), by this
   * gateway only.
   */
  public addModel(options: LlmModelOptions): void {
    const o = options ?? ({} as LlmModelOptions);
    const where = `addModel(${describeValue(o.name)})`;
    const problems = collect(
      checkPattern('name', o.name, MODEL_NAME, 'lower-case letters, digits, ".", "_" and "-"'),
      (LLM_PROVIDERS as readonly string[]).includes(o.provider) ? undefined : `prop 'provider' must be one of ${LLM_PROVIDERS.join(', ')} (got ${describeValue(o.provider)})`,
      checkPattern('model', o.model, PROVIDER_MODEL, 'a provider model id of letters, digits and ._:/-'),
      this.apiBaseProblem(o.apiBase),
      (this.gatewayProps.allowedRegions ?? []).includes(o.region) ? undefined : `prop 'region' must be one of allowedRegions ${describeValue(this.gatewayProps.allowedRegions)} (got ${describeValue(o.region)})`,
      this.models.some((m) => m.name === o.name) ? `prop 'name': model ${describeValue(o.name)} is already on the allow-list` : undefined,
      ...pricingProblems(o),
    );
    this.llmProblems.push(...problems.map((m) => `${where}: ${m}`));
    this.models.push(o);
    if ((LLM_PROVIDERS as readonly string[]).includes(o.provider) && !this.providerKeys.has(o.provider)) {
      const variable = `LLM_PROVIDER_${o.provider.toUpperCase()}_API_KEY`;
      const secret = this.gatewayProps.vault.addKvSecret(`${this.node.id}Provider-${o.provider}`, { path: `${Vps.of(this).name}/core/llm-provider/${o.provider.replace(/_/g, '-')}` });
      secret.grantRead(this, { fields: { api_key: `${variable}_FILE` }, fileNames: { api_key: `provider-${o.provider.replace(/_/g, '-')}-api-key` } });
      this.providerKeys.set(o.provider, variable);
      this.writeStartScript();
    }
  }

  /**
   * Puts the request-field filter in front of the gateway (a CrsWaf `id` in its zone, see
   * {@link LLM_REQUEST_FIELDS}) and returns its route; expose that instead of the gateway:
   * `gateway.expose(route.workload, { pathPrefix: route.pathPrefix, port: route.port, … })`.
   */
  public addRequestFieldFilter(id = 'llm-waf'): WafRoute {
    return addRequestFieldFilter(this, id, this.gatewayProps.vault, LLM_GATEWAY_PORT);
  }

  /**
   * Lets `client` call the gateway: a flow to its HTTPS port, the gateway key as an agent-rendered
   * file (`LLM_GATEWAY_API_KEY_FILE`), the internal CA (`LLM_GATEWAY_CA_FILE`) and the URL
   * (`LLM_GATEWAY_URL`).
   */
  public allowClient(client: Workload): void {
    client.connections.allowTo(this, { port: LLM_GATEWAY_PORT });
    this.apiKey.grantRead(client, { fields: { api_key: 'LLM_GATEWAY_API_KEY_FILE' }, fileNames: { api_key: `${this.serviceName}-api-key` } });
    client.addSecret(SecretSource.caBundle(Vps.of(this)), { envVar: 'LLM_GATEWAY_CA_FILE' });
    client.addEnvironment('LLM_GATEWAY_URL', `https://${this.serviceName}:${LLM_GATEWAY_PORT}/v1`);
  }

  /** The models on the allow-list. */
  public get allowedModels(): readonly string[] {
    return this.models.map((m) => m.name);
  }

  /**
   * The entrypoint script: exports each key from its agent-rendered file (never in compose, argv
   * or synth-out), refusing an empty one, then starts LiteLLM on HTTPS only.
   */
  private writeStartScript(): void {
    const load = (variable: string) => `${variable}="$(cat "$${variable}_FILE")"; [ -n "$${variable}" ] || { echo "llm-gateway: $${variable}_FILE is empty" >&2; exit 1; }; export ${variable}`;
    const variables = ['LITELLM_MASTER_KEY', ...[...this.providerKeys.values()].sort()];
    const script = [
      ...variables.map(load),
      `exec litellm --config ${CONFIG_DIR}/config.yaml --host 0.0.0.0 --port ${LLM_GATEWAY_PORT} --num_workers 1 --ssl_certfile_path ${this.tls.certificate} --ssl_keyfile_path ${this.tls.privateKey}`,
    ].join('\n');
    this.command.splice(0, this.command.length, script);
  }

  private renderConfig(): object {
    const p = this.gatewayProps;
    const models = [...this.models].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const budget = { ...DEFAULT_LLM_BUDGET, ...p.budget };
    const share = budgetShare(budget.maxUsd, models.length);
    return {
      // Each model twice, identical: LiteLLM 1.80.11 sends a name with one dotprompt/ deployment
      // down a shortcut that skips the router's budget check; two identical entries share one
      // deployment id, hence one budget, and take the routed path, where the budget is checked.
      model_list: models.flatMap((m) => [m, m]).map((m) => ({
        model_name: m.name,
        litellm_params: {
          // dotprompt/: LiteLLM's prompt management puts the prompt file's system message first.
          model: `dotprompt/${m.provider}/${m.model}`,
          prompt_id: PROMPT_ID,
          api_base: m.apiBase,
          api_key: `os.environ/${this.providerKeys.get(m.provider)}`,
          timeout: p.timeoutSeconds ?? 60,
          max_tokens: p.defaultMaxTokens ?? 1024,
          max_retries: 0,
          max_budget: share,
          budget_duration: budget.period,
          ...(m.inputUsdPerToken === undefined ? {} : { input_cost_per_token: m.inputUsdPerToken, output_cost_per_token: m.outputUsdPerToken }),
          // OpenAI's "do not store" flag; other providers drop it (drop_params).
          ...(m.provider === 'openai' || m.provider === 'azure' ? { store: false } : {}),
        },
        model_info: { region: m.region, provider_host: new URL(m.apiBase).hostname },
      })),
      litellm_settings: {
        global_prompt_directory: `${CONFIG_DIR}/prompts`,
        drop_params: true,
        turn_off_message_logging: true,
        redact_user_api_key_info: true,
        json_logs: true,
        request_timeout: p.timeoutSeconds ?? 60,
        num_retries: 0,
      },
      router_settings: { num_retries: 0, timeout: p.timeoutSeconds ?? 60 },
      general_settings: {
        master_key: 'os.environ/LITELLM_MASTER_KEY',
        disable_spend_logs: true,
      },
      guardrails: [
        { guardrail_name: 'input-filter', litellm_params: { guardrail: 'litellm_content_filter', mode: 'pre_call', default_on: true, patterns: inputFilterPatterns(p.extraInputPatterns ?? []) } },
        { guardrail_name: 'output-filter', litellm_params: { guardrail: 'litellm_content_filter', mode: 'post_call', default_on: true, patterns: outputFilterPatterns(p.extraOutputPatterns ?? []) } },
      ],
    };
  }

  private apiBaseProblem(apiBase: unknown): string | undefined {
    const allowed = 'an https URL without credentials, query or fragment on a host of allowedHosts';
    let url: URL;
    try {
      url = new URL(String(apiBase));
    } catch {
      return `prop 'apiBase' must be ${allowed} (got ${describeValue(apiBase)})`;
    }
    if (typeof apiBase !== 'string' || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash || /\s/.test(apiBase)) {
      return `prop 'apiBase' must be ${allowed} (got ${describeValue(apiBase)})`;
    }
    if (!(this.gatewayProps.allowedHosts ?? []).includes(url.hostname)) {
      return `prop 'apiBase' host ${describeValue(url.hostname)} is not on allowedHosts ${describeValue(this.gatewayProps.allowedHosts)}`;
    }
    return undefined;
  }

  private propProblems(p: LlmGatewayProps): string[] {
    const prompt = p.systemPrompt;
    const listOf = (prop: string, value: unknown, pattern: RegExp, what: string) => Array.isArray(value) && value.length > 0
      ? value.map((v, i) => checkPattern(`${prop}[${i}]`, v, pattern, what))
      : [`prop '${prop}' must be a non-empty list of ${what} (got ${describeValue(value)})`];
    return collect(
      ...listOf('allowedHosts', p.allowedHosts, DNS_NAME, 'lower-case DNS names'),
      ...listOf('allowedRegions', p.allowedRegions, REGION, 'lower-case region names'),
      typeof prompt === 'string' && prompt.trim().length >= 10 && prompt.length <= 8000 ? undefined : `prop 'systemPrompt' must be text of 10 to 8000 characters (got ${describeValue(prompt)})`,
      typeof prompt === 'string' && /^\s*(system|user|assistant)\s*:/im.test(prompt) ? "prop 'systemPrompt' must not have a line starting with a role label (System:, User:, Assistant:): it would start another message" : undefined,
      typeof prompt === 'string' && /\{\{|\{%|\{#|^---/m.test(prompt) ? "prop 'systemPrompt' must not contain '{{', '{%', '{#' or a line starting with '---' (the prompt file is a Jinja template with front matter)" : undefined,
      ...budgetProblems(p.budget, this.models.length),
      p.timeoutSeconds === undefined ? undefined : checkInteger('timeoutSeconds', p.timeoutSeconds, 1, 600),
      p.defaultMaxTokens === undefined ? undefined : checkInteger('defaultMaxTokens', p.defaultMaxTokens, 1, 200_000),
      ...(p.extraInputPatterns ?? []).map((x, i) => filterPatternProblem(`extraInputPatterns[${i}]`, x)),
      ...(p.extraOutputPatterns ?? []).map((x, i) => filterPatternProblem(`extraOutputPatterns[${i}]`, x)),
      this.models.length > 0 ? undefined : 'no model on the allow-list: call addModel() at least once',
    );
  }
}

/** Per-token prices come as a pair, each a finite USD amount from 0 to {@link MAX_USD_PER_TOKEN}. */
function pricingProblems(o: LlmModelOptions): (string | undefined)[] {
  const input = o.inputUsdPerToken;
  const output = o.outputUsdPerToken;
  if (input === undefined && output === undefined) return [];
  if (input === undefined || output === undefined) {
    return [`prop '${input === undefined ? 'inputUsdPerToken' : 'outputUsdPerToken'}' must be set together with '${input === undefined ? 'outputUsdPerToken' : 'inputUsdPerToken'}' (a price for prompt and for completion tokens)`];
  }
  return [checkNumber('inputUsdPerToken', input, 0, MAX_USD_PER_TOKEN), checkNumber('outputUsdPerToken', output, 0, MAX_USD_PER_TOKEN)];
}

/** Each model's part of the cap, rounded down to a micro-USD so the parts never add up to more. */
function budgetShare(maxUsd: number, models: number): number {
  return Math.floor((maxUsd * MICRO_USD) / Math.max(models, 1)) / MICRO_USD;
}

function budgetProblems(budget: LlmBudget | undefined, models: number): (string | undefined)[] {
  if (budget === undefined) return [];
  if (budget === null || typeof budget !== 'object') return [`prop 'budget' must be { maxUsd, period? } (got ${describeValue(budget)})`];
  const max = checkNumber('budget.maxUsd', budget.maxUsd, 1 / MICRO_USD, 1_000_000);
  return [
    max,
    budget.period === undefined || (LLM_BUDGET_PERIODS as readonly string[]).includes(budget.period) ? undefined : `prop 'budget.period' must be one of ${LLM_BUDGET_PERIODS.join(', ')} (got ${describeValue(budget.period)})`,
    // LiteLLM reads a budget of 0 as "no budget": every model needs at least a micro-USD.
    max === undefined && budgetShare(budget.maxUsd, models) <= 0 ? `prop 'budget.maxUsd' ${budget.maxUsd} is less than 0.000001 USD per model for ${models} models` : undefined,
  ];
}
