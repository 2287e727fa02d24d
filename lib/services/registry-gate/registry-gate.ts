import { Construct } from 'constructs';
import { MlsecError } from '../../core/errors';
import { checkInteger, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultKvSecret } from '../../vault/vault-grants';
import type { VaultServer } from '../../vault/vault-server';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { BenthosService, BenthosServiceProps } from '../benthos/benthos-service';
import type { MlflowClientFiles, MlflowServer } from '../mlflow/mlflow-server';
import { LIFECYCLE_STATE_TAG, LifecycleState, REQUIRED_VERSION_TAGS } from '../mlflow/model-lifecycle';
import {
  REGISTRY_GATE_PUBLISHER_PORT, REGISTRY_GATE_READER_PORT, REGISTRY_GATE_TOKEN_VARIABLES, renderRegistryGateConfig,
} from './registry-gate-config';

/** Props of a {@link RegistryGate}. */
export interface RegistryGateProps extends BenthosServiceProps {
  /** The MLflow server whose registry it fronts; the gate calls it with its own client certificate. */
  readonly registry: MlflowServer;
  /**
   * Requests per second the gate accepts over both listeners (Z5-K10: rate limited); more are
   * answered 429.
   * @default 20
   */
  readonly requestsPerSecond?: number;
  /**
   * The states a model version must be in for readers to download its artifacts (CONTROLS.md §5
   * #9: production serves Approved only; add Staging only on a non-production host).
   * @default ['Approved']
   */
  readonly servableStates?: LifecycleState[];
  /**
   * The version tags (CONTROLS.md Z5-K01) a model version must carry, each non-empty, before the
   * gate moves it to Candidate, Staging or Approved or points an alias at it; a version missing one
   * is refused 403 naming them. Revoked and Quarantined are never held up by a missing tag.
   * Approved also always needs `security_decision` = `PASS` and an `approved_by` other than
   * `created_by` (Z5-K03, Z5-K04).
   * @default REQUIRED_VERSION_TAGS (the catalog's list)
   */
  readonly requiredTags?: readonly string[];
}

/** An MLflow tag key the gate can check (a plain key; no spaces). */
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,249}$/;

/** The states {@link RegistryGateProps.servableStates} may name. */
const SERVABLE: readonly LifecycleState[] = ['Staging', 'Approved'];

/** File name of the token digests the gate's agent renders (`/run/vault/<service>-tokens.env`). */
const TOKENS_ENV = (service: string) => `${service}-tokens.env`;

/** What a client of the gate is given by {@link RegistryGate.allowReader} or {@link RegistryGate.allowPublisher}. */
export interface RegistryGateClientFiles {
  /** `https://<gate>:<port>`, the drop-in for MLflow's base URL (`MLSEC_REGISTRY_GATE_URL`). */
  readonly url: string;
  /** The CA bundle that verifies the gate (`MLSEC_REGISTRY_GATE_CA_FILE`). */
  readonly caBundle: string;
  /** Its bearer token, rendered by its own Vault Agent and sent as `Authorization: Bearer <token>` (`MLSEC_REGISTRY_GATE_TOKEN_FILE`). */
  readonly tokenFile: string;
}

type ClientClass = 'reader' | 'publisher';

/**
 * The registry gate of Z5 (CONTROLS.md Z5-K02, Z5-K10, §5 #10): MLflow OSS has no hook that can
 * refuse a registry write, so this allow-listing reverse proxy is the only door to its REST API
 * for the registry's clients. It forwards, with its own client certificate, only:
 * - reads, for every client: a registered model, a model version, its download URI, a serving
 *   alias, and an artifact download (`mlflow-artifacts/artifacts/<path>`, what the fetcher calls)
 *   only when a model version in a servable state (Approved by default) holds that artifact;
 * - for publishers (the CI promote pipeline) also the lifecycle writes: the version tag
 *   `lifecycle_state` set to a state the lifecycle allows from the version's current one
 *   (`model-lifecycle.ts`; a version without a state may only become Candidate), a serving alias
 *   set only on a version whose state may hold it, and a serving alias removed.
 * Everything else — stage transitions (deprecated), deleting the lifecycle tag (it would let a
 * version leave Revoked), any other tag, model or version write, delete or search — is answered
 * 403 with a JSON error and never forwarded; the forwarded request is rebuilt from checked values.
 * The lifecycle writes on one model are serialized (a lock per model, taken before the state is
 * read and released after the write): Approved and Revoked sent together cannot both pass their
 * checks against the same Staging, so a revocation is never overwritten. The writer that finds the
 * lock taken gets 409 `RESOURCE_CONFLICT` and retries.
 *
 * Benthos' HTTP server cannot ask for client certificates, so callers are told apart by two
 * listeners and bearer tokens: readers call 8443 (GET only), publishers 8444; each client gets its
 * own bootstrap-generated token, seeded into Vault KV at a path only that client may read
 * (`kv/data/<vps>/core/<client>/<gate>`) and rendered by its agent. The gate holds only the SHA-256
 * of each, per listener: its own agent renders them into its env file from KV paths only the gate
 * may read (`kv/data/<vps>/core/<gate>/token-<client>`). A token works only on its own class's listener, a missing or unknown one is
 * 401, and a class without clients has no listener at all (fail closed). The flows are declared
 * per port; the token is what holds when a network reaches both.
 * Benthos' own metrics (Prometheus) are served over HTTPS on 4195 (`BENTHOS_METRICS_PORT`) for Z9 to
 * scrape (`Z9Observability.scrape`).
 */
export class RegistryGate extends BenthosService {
  /** The registry it fronts. */
  public readonly registry: MlflowServer;
  /** The gate's own client files of the registry. */
  public readonly registryClient: MlflowClientFiles;
  private readonly clients = new Map<string, { workload: Workload; cls: ClientClass; token: Credential; digest: VaultKvSecret; tokenFile: string }>();
  private readonly gateProps: RegistryGateProps;

  constructor(scope: Construct, id: string, props: RegistryGateProps) {
    const p = props ?? ({} as RegistryGateProps);
    const missing = collect(
      typeof p.registry?.allowClient === 'function' ? undefined : `prop 'registry' must be the MlflowServer whose registry the gate fronts (got ${describeValue(p.registry)})`,
      typeof p.vault?.enablePki === 'function' ? undefined : `prop 'vault' must be the VaultServer issuing the gate's certificate (the registry accepts Vault-issued client certificates only; got ${describeValue(p.vault)})`,
    );
    if (missing.length > 0) throw new MlsecError(`[${scope?.node?.path || '<app>'}/${id}] ${missing.join('; ')}`);
    super(scope, id, p, { zone: Zone.Z5_REGISTRY, ports: [REGISTRY_GATE_READER_PORT, REGISTRY_GATE_PUBLISHER_PORT], tlsUsage: 'server-and-client', metrics: true });
    this.noHealthCheck('the Benthos image is built FROM scratch (no shell or HTTP client to probe with); its clients fail closed while it is down');
    this.gateProps = p;
    this.registry = p.registry;
    this.registryClient = p.registry.allowClient(this);
    // The token digests per class, rendered by the gate's own agent (it holds a grant already: its certificate).
    const variable = (cls: ClientClass) => ({
      name: REGISTRY_GATE_TOKEN_VARIABLES[cls],
      entries: [...this.clients.values()].filter((c) => c.cls === cls).map((c) => ({ key: c.workload.serviceName, path: c.digest.dataPath })),
    });
    this.addEnvFile(p.vault!.agentOf(this)!.addTemplate({
      fileName: TOKENS_ENV(this.serviceName),
      template: 'kv-sha256-env',
      values: () => ({ variables: [variable('reader'), variable('publisher')] }),
    }));
    this.node.addValidation({
      validate: () => collect(
        p.requestsPerSecond === undefined ? undefined : checkInteger('requestsPerSecond', p.requestsPerSecond, 1, 1000),
        p.servableStates === undefined || (Array.isArray(p.servableStates) && p.servableStates.length > 0 && p.servableStates.every((st) => SERVABLE.includes(st)))
          ? undefined
          : `prop 'servableStates' must be a non-empty list of ${SERVABLE.map((st) => `'${st}'`).join(' and ')} (got ${describeValue(p.servableStates)})`,
        requiredTagsProblem(p.requiredTags),
        this.clients.size > 0 ? undefined : 'the gate has no client: call allowReader (the Z6 fetchers) or allowPublisher (the CI promote pipeline)',
      ),
    });
  }

  /**
   * Lets `client` read the registry through the gate (port 8443, GET only): the flow, the CA
   * bundle and its own bearer token, announced by `MLSEC_REGISTRY_GATE_URL`,
   * `MLSEC_REGISTRY_GATE_CA_FILE` and `MLSEC_REGISTRY_GATE_TOKEN_FILE`.
   */
  public allowReader(client: Workload): RegistryGateClientFiles {
    return this.allow(client, 'reader', REGISTRY_GATE_READER_PORT);
  }

  /**
   * Lets `client` read and make the lifecycle writes through the gate (port 8444): as
   * `allowReader`, on the publishers' listener. Give it only to the pipeline identity (Z5-K02).
   */
  public allowPublisher(client: Workload): RegistryGateClientFiles {
    return this.allow(client, 'publisher', REGISTRY_GATE_PUBLISHER_PORT);
  }

  protected renderConfig(): Record<string, unknown> {
    const classes = [...this.clients.values()].map((c) => c.cls);
    return renderRegistryGateConfig({
      certificate: this.tls.certificate,
      privateKey: this.tls.privateKey,
      trackingUri: this.registryClient.trackingUri,
      caBundle: this.registryClient.caBundle,
      clientCertificate: this.registryClient.certificate,
      clientKey: this.registryClient.privateKey,
      readers: classes.includes('reader'),
      publishers: classes.includes('publisher'),
      requestsPerSecond: this.gateProps.requestsPerSecond ?? 20,
      servableStates: [...new Set(this.gateProps.servableStates ?? ['Approved'])],
      requiredTags: this.requiredTags,
    });
  }

  /** The version tags a version must carry to move along the lifecycle (Z5-K01). */
  public get requiredTags(): readonly string[] {
    return this.gateProps.requiredTags ?? REQUIRED_VERSION_TAGS;
  }

  private allow(client: Workload, cls: ClientClass, port: number): RegistryGateClientFiles {
    const what = cls === 'reader' ? 'allowReader' : 'allowPublisher';
    if (!Workload.isWorkload(client)) throw new MlsecError(`[${this.node.path}] ${what}: the client must be a Workload (got ${describeValue(client)})`);
    const known = this.clients.get(client.serviceName);
    if (known && known.cls !== cls) throw new MlsecError(`[${this.node.path}] ${what}(${client.node.path}): it is already a ${known.cls}; a client has one class (a publisher reads on its own listener)`);
    const entry = known ?? this.addClient(client, cls, this.gateProps.vault!);
    client.connections.allowTo(this, { port });
    const caBundle = client.addSecret(SecretSource.caBundle(Vps.of(client)));
    const files: RegistryGateClientFiles = { url: `https://${this.serviceName}:${port}`, caBundle, tokenFile: entry.tokenFile };
    client.addEnvironment('MLSEC_REGISTRY_GATE_URL', files.url);
    client.addEnvironment('MLSEC_REGISTRY_GATE_CA_FILE', caBundle);
    return files;
  }

  /**
   * The client's token, seeded into KV twice: itself at a path only the client reads (its agent
   * renders `MLSEC_REGISTRY_GATE_TOKEN_FILE`), and its SHA-256 at a path only the gate reads.
   */
  private addClient(client: Workload, cls: ClientClass, vault: VaultServer) {
    const name = client.serviceName;
    const vps = Vps.of(this).name;
    const token = new Credential(this, `Token-${name}`, {
      name: `${this.serviceName}-${cls}-${name}`,
      description: `bearer token of ${client.node.path} at the registry gate ${this.node.path} (${cls})`,
    });
    const secret = vault.addKvSecret(`RegistryGate-${this.serviceName}-${name}`, { path: `${vps}/core/${name}/${this.serviceName}`, seed: { token } });
    secret.grantRead(client, { fields: { token: 'MLSEC_REGISTRY_GATE_TOKEN_FILE' }, fileNames: { token: `${this.serviceName}-token` } });
    const digest = vault.addKvSecret(`RegistryGate-${this.serviceName}-${name}-sha256`, { path: `${vps}/core/${this.serviceName}/token-${name}`, seed: { sha256: { sha256Of: token } } });
    digest.grantRead(this);
    const entry = { workload: client, cls, token, digest, tokenFile: client._environment.MLSEC_REGISTRY_GATE_TOKEN_FILE };
    this.clients.set(name, entry);
    return entry;
  }
}

function requiredTagsProblem(tags: unknown): string | undefined {
  if (tags === undefined) return undefined;
  const ok = Array.isArray(tags) && tags.length > 0 && tags.every((t) => typeof t === 'string' && TAG_KEY.test(t) && t !== LIFECYCLE_STATE_TAG) && new Set(tags).size === tags.length;
  return ok ? undefined : `prop 'requiredTags' must be a non-empty list of distinct tag keys (letters, digits, "_", "." and "-"; not '${LIFECYCLE_STATE_TAG}', which the gate writes itself) (got ${describeValue(tags)})`;
}
