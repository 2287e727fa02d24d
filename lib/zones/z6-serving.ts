import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { Gateway } from '../gateway/gateway';
import { RouteAuth } from '../gateway/route-auth';
import { LLM_GATEWAY_PORT, LlmGateway, LlmGatewayProps, LlmModelOptions } from '../services/llm-gateway/llm-gateway';
import { RedisServer } from '../services/redis/redis-server';
import { VaultServer } from '../vault/vault-server';
import { VaultTransitKey } from '../vault/vault-grants';
import { HealthCheck } from '../workload/health-check';
import { Image } from '../workload/image';
import { Workload } from '../workload/workload';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';

/** Options of {@link Z6Serving.addLlmGateway}. */
export interface ServingLlmOptions extends Omit<LlmGatewayProps, 'vault'> {
  /** The models it serves (each on an allowed host and region). */
  readonly models: LlmModelOptions[];
  /**
   * Public host name of the LLM door.
   * @default llm.<the Vps domain>
   */
  readonly host?: string;
}

/** Props of {@link Z6Serving}. */
export interface Z6ServingProps {
  /** Vault: the LLM gateway's certificate and keys come from it. */
  readonly vault: VaultServer;
  /** The edge gateway: the inference door is one of its two public doors. */
  readonly gateway: Gateway;
  /** The online feature store the model server reads. */
  readonly featureStore: RedisServer;
  /** The Transit key models are signed with; the server may only verify with it. */
  readonly modelSignKey: VaultTransitKey;
  /**
   * Public host name of the inference door.
   * @default infer.<the Vps domain>
   */
  readonly inferenceHost?: string;
  /**
   * Memory of the model server, MiB.
   * @default 1024
   */
  readonly modelServerMemoryMiB?: number;
}

/**
 * Z6, serving and inference (L3; CONTROLS.md Z6): the online model server behind the inference
 * door (`POST /v2/models/…`, client certificates, 512 KiB bodies, per-client limits), reading
 * features from the Z3 store with a key-pattern-scoped Redis user and allowed only to *verify*
 * with the model-signing key.
 */
export class Z6Serving extends SecurityZone {
  /** The online model server. */
  public readonly modelServer: Workload;
  /** The inference door's host name. */
  public readonly inferenceHost: string;
  private llm?: LlmGateway;
  private readonly servingProps: Z6ServingProps;

  constructor(scope: Vps, id: string, props: Z6ServingProps) {
    super(scope, id, Zone.Z6_SERVING);
    const p = props ?? ({} as Z6ServingProps);
    this.servingProps = p;
    this.inferenceHost = p.inferenceHost ?? `infer.${Vps.of(this).domain}`;
    this.modelServer = new Workload(this, 'model-server', {
      zone: Zone.Z6_SERVING,
      image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
      ports: [8080],
      command: ['mlserver', 'start', '/mnt/models'],
      resources: { memoryMiB: p.modelServerMemoryMiB ?? 1024, cpus: 1 },
      environment: { MLSERVER_HTTP_PORT: '8080', MLSERVER_GRPC_PORT: '8081', MLSERVER_METRICS_PORT: '8082' },
      healthCheck: HealthCheck.command(['python', '-c', "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/v2/health/ready', timeout=3)"]),
    });
    this.modelServer.addDataVolume('models', '/mnt/models');
    p.featureStore?.grantAccess(this.modelServer, { keys: ['features:*'], commands: ['read', 'string', 'hash', 'connection'] });
    p.modelSignKey?.grantVerify(this.modelServer);
    p.gateway?.expose(this.modelServer, {
      host: this.inferenceHost, pathPrefix: '/v2/models/', methods: ['POST'], auth: RouteAuth.mtls(),
      plainHttpBackendReason: 'MLServer 1.6 serves plain HTTP only; the hop stays on the internal z1-z6 network, which only the gateway and the model server join',
    });
    this.addControl({ id: 'INV-08', title: 'all LLM use goes through the LLM gateway, the only holder of provider keys', rules: ['ZONE-08'] });
    this.addControl({ id: 'INV-06', title: 'only signed registry models are served (fetch and verify before start)', gap: 'the model volume is filled by the operator; the fetch-and-verify job is not built in this release' });
  }

  /** The LLM gateway, once added. */
  public get llmGateway(): LlmGateway | undefined {
    return this.llm;
  }

  /**
   * Adds the LLM gateway (the platform's only egress and only holder of provider keys) and routes
   * it as part of the Z6 door: `POST /v1/chat/completions` on its own host, client certificates,
   * the door's per-client rate and in-flight limits in front of the gateway key.
   */
  public addLlmGateway(options: ServingLlmOptions): LlmGateway {
    if (this.llm) throw new MlsecError(`[${this.node.path}] addLlmGateway: the zone has its LLM gateway already ('${this.llm.node.path}'); one gateway holds all provider keys`);
    const { models, host, ...props } = options ?? ({} as ServingLlmOptions);
    this.llm = new LlmGateway(this, 'llm-gateway', { ...props, vault: this.servingProps.vault });
    for (const model of models ?? []) this.llm.addModel(model);
    this.servingProps.gateway?.expose(this.llm, {
      host: host ?? `llm.${Vps.of(this).domain}`, pathPrefix: '/v1/chat/completions', methods: ['POST'], port: LLM_GATEWAY_PORT, auth: RouteAuth.mtls(),
      rateLimit: { average: 5, burst: 10 }, inFlight: 4,
    });
    this.addControl({ id: 'Z6-K07', title: 'LLM gateway: fixed system prompt, input and output filters, model and host allow-lists, no message logging', builtBy: 'LlmGateway (LiteLLM content-filter guardrails; limits at the door)' });
    return this.llm;
  }
}
