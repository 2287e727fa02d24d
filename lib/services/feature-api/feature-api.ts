import { Construct } from 'constructs';
import { checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { SecretSource } from '../../secrets/secret-source';
import { AGENT_OUTPUT_DIR } from '../../vault/agent/vault-agent';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import { BenthosService, BenthosServiceProps, httpsApiInput } from '../benthos/benthos-service';
import type { RedisGrant } from '../redis/redis-grant';
import { RedisServer } from '../redis/redis-server';

/** A feature group the API serves: `GET /features/<name>/<entity>` returns exactly `fields`. */
export interface FeatureGroup {
  /** The group's name: lower-case letters, digits and "_", starting with a letter (at most 63). */
  readonly name: string;
  /** The features returned, in this order: lower-case letters, digits and "_" (1-100 fields). */
  readonly fields: string[];
}

/** Props of a {@link FeatureApi}. */
export interface FeatureApiProps extends BenthosServiceProps {
  /** The online feature store (a `RedisServer` with `use: 'feature-store'`) it reads. */
  readonly store: RedisServer;
  /** The feature groups served; anything else answers 404. */
  readonly featureGroups: FeatureGroup[];
}

/** The HTTPS port the API listens on. */
export const FEATURE_API_PORT = 8443;
/** The route: Benthos (gorilla/mux) puts `{group}` and `{entity}` into the message's metadata. */
export const FEATURE_API_PATH = '/features/{group}/{entity}';
/** The Redis hash of an entity's features: `fs:<group>:<entity>`. */
export const FEATURE_KEY_PREFIX = 'fs';
const GROUP = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD = /^[a-z][a-z0-9_]{0,62}$/;
/** Entity ids as the request may carry them: no ":" (the key separator), no "/", no space. */
export const ENTITY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const ENV_FILE = 'redis.env';

/**
 * The Z3 online feature API (CONTROLS.md Z3 "feature store", Z3-K07, Z3-K10): the only reader of
 * the online Redis, so model servers and other clients hold no Redis credential. HTTPS
 * `GET /features/<group>/<entity>` answers the declared fields of the hash `fs:<group>:<entity>`
 * (`HMGET`, so undeclared fields are never read) as a JSON object; a malformed group or entity
 * answers 400, an undeclared group or an entity with none of the fields 404, every other verb 405,
 * a store failure 503. Its Redis ACL user may only read `fs:<group>:*` of the declared groups
 * (`-@write`); writing features is the feature pipeline's grant, never this API's. Callers are
 * declared with `allowClient` (the flow is the only way onto its network).
 *
 * Benthos reads no password file, so the Redis password reaches it as a dotenv file (`--env-file`):
 * rendered by the Vault Agent (template `kv-env`) when the store uses Vault, otherwise delivered by
 * the bootstrap — never in synth-out or the compose file.
 * Benthos' own metrics (Prometheus) are served over HTTPS on 4195 (`BENTHOS_METRICS_PORT`) for Z9 to
 * scrape (`Z9Observability.scrape`).
 */
export class FeatureApi extends BenthosService {
  /** The store it reads. */
  public readonly store: RedisServer;
  /** The groups it serves, in the order declared. */
  public readonly featureGroups: readonly FeatureGroup[];
  private readonly apiProblems: string[] = [];

  constructor(scope: Construct, id: string, props: FeatureApiProps) {
    const p = props ?? ({} as FeatureApiProps);
    super(scope, id, p, { zone: Zone.Z3_CURATED, ports: [FEATURE_API_PORT], tlsUsage: 'server', metrics: true });
    this.noHealthCheck('the Benthos image is built FROM scratch (no shell or HTTP client to probe with); callers get a connection error while it is down');
    this.store = p.store;
    const groupProblems = featureGroupProblems(p.featureGroups);
    // A copy: the grant is made now, so later edits of the caller's arrays must not change the config.
    const groups = groupProblems.length === 0 ? p.featureGroups.map((g) => ({ name: g.name, fields: [...g.fields] })) : [];
    this.featureGroups = groups;
    this.node.addValidation({
      validate: () => [
        ...(p.store instanceof RedisServer ? [] : [`prop 'store' must be a RedisServer (got ${describeValue(p.store)})`]),
        ...(p.store instanceof RedisServer && p.store.use !== 'feature-store' ? [`prop 'store' must be a RedisServer with use 'feature-store' (got use ${describeValue(p.store.use)})`] : []),
        ...groupProblems,
        ...this.apiProblems,
      ],
    });
    if (!(p.store instanceof RedisServer) || p.store.use !== 'feature-store' || groupProblems.length > 0) return;
    // Read-only on the declared groups' keys only; @connection for HELLO (RESP3 and AUTH in one).
    // The password reaches Benthos as a dotenv file only (passwordFile: false: no second copy).
    const grant = p.store.grantAccess(this, { keys: groups.map((g) => `${FEATURE_KEY_PREFIX}:${g.name}:*`), commands: ['read', 'connection'], passwordFile: false });
    if (grant) this.addEnvFile(this.passwordEnvFile(p.store, grant));
  }

  /**
   * Lets `client` (a model server, a scoring job) call the API on its HTTPS port: declares the
   * flow and gives it the internal CA bundle and `FEATURE_API_URL` / `FEATURE_API_CA_FILE`.
   */
  public allowClient(client: Workload): void {
    if (!Workload.isWorkload(client)) {
      this.apiProblems.push(`allowClient: the client must be a Workload (got ${describeValue(client)})`);
      return;
    }
    this.connections.allowFrom(client, { port: FEATURE_API_PORT });
    client.addEnvironment('FEATURE_API_URL', `https://${this.serviceName}:${FEATURE_API_PORT}/features`);
    client.addEnvironment('FEATURE_API_CA_FILE', client.addSecret(SecretSource.caBundle(Vps.of(this))));
  }

  /** The dotenv file (container path) holding `REDIS_PASSWORD`, from Vault or the bootstrap as the store delivers it. */
  private passwordEnvFile(store: RedisServer, grant: RedisGrant): string {
    if (!grant.passwordSecret) {
      const credential = grant.credential!;
      return this.addSecret(SecretSource.derived(ENV_FILE, (ctx) => `REDIS_PASSWORD=${ctx.credential(credential)}\n`));
    }
    // The store seeds the password into KV on its own Vault, which must be ours.
    const agent = this.vault?.agentOf(this);
    if (!agent || grant.passwordSecret.node.scope !== this.vault) {
      this.apiProblems.push(`prop 'vault' must be the VaultServer of prop 'store' (${store.node.path} hands its passwords out through Vault; got ${describeValue(this.vault?.node.path)})`);
      return `${AGENT_OUTPUT_DIR}/${ENV_FILE}`;
    }
    return agent.addTemplate({ fileName: ENV_FILE, template: 'kv-env', values: { name: 'REDIS_PASSWORD', path: grant.passwordSecret.dataPath, field: 'password' } });
  }

  protected renderConfig(): Record<string, unknown> {
    return {
      input: {
        ...httpsApiInput({ port: FEATURE_API_PORT, path: FEATURE_API_PATH, verbs: ['GET'], timeout: '5s', status: '${! @feature_api_status }' }, this.tls),
      },
      pipeline: {
        processors: [
          { mapping: featureRequestMapping(this.featureGroups) },
          {
            switch: [{
              check: '@feature_api_status == "200"',
              processors: [
                {
                  branch: {
                    request_map: 'root = [this.key].merge(this.fields)',
                    processors: [{
                      redis: {
                        // User and password come from the grant's variables and the env file; the
                        // host name is the one the store's certificate is checked against.
                        url: 'rediss://${REDIS_USERNAME}:${REDIS_PASSWORD}@${REDIS_HOST}:${REDIS_PORT}',
                        kind: 'simple',
                        tls: {
                          enabled: true,
                          root_cas_file: '${REDIS_TLS_CA_FILE}',
                          client_certs: [{ cert_file: '${REDIS_TLS_CERT_FILE}', key_file: '${REDIS_TLS_KEY_FILE}' }],
                        },
                        command: 'hmget',
                        args_mapping: 'root = this',
                        retries: 1,
                        retry_period: '100ms',
                      },
                    }],
                    result_map: 'root.values = this',
                  },
                },
                { mapping: RESPONSE_MAPPING },
              ],
            }],
          },
          // A store failure: no detail to the caller (Benthos logs it).
          { catch: [{ mapping: 'meta feature_api_status = "503"\nroot = {"error": "feature store unavailable"}' }] },
        ],
      },
      output: { sync_response: {} },
    };
  }
}

/**
 * The request check: the path parameters (validated, and equal to the request path — query
 * parameters and cookies also land in metadata and could shadow them), every other metadata key
 * dropped, a status, and the hash key and fields to read.
 */
export function featureRequestMapping(groups: readonly FeatureGroup[]): string {
  const fields = JSON.stringify(Object.fromEntries(groups.map((g) => [g.name, g.fields])));
  return [
    'let group = @group.or("")',
    'let entity = @entity.or("")',
    'let path = @http_server_request_path.or("")',
    'meta = deleted()',
    `let groups = ${fields}`,
    `let status = if !$group.re_match(${JSON.stringify(GROUP.source)}) || !$entity.re_match(${JSON.stringify(ENTITY_PATTERN.source)}) || $path != "/features/" + $group + "/" + $entity { "400" } else if $groups.get($group) == null { "404" } else { "200" }`,
    'meta feature_api_status = $status',
    `root = if $status == "200" { {"key": "${FEATURE_KEY_PREFIX}:" + $group + ":" + $entity, "fields": $groups.get($group)} } else if $status == "400" { {"error": "bad request"} } else { {"error": "not found"} }`,
    '',
  ].join('\n');
}

/** HMGET's answer (one value or null per field) as `{field: value}`; none at all is an unknown entity. */
const RESPONSE_MAPPING = [
  'let values = this.values',
  'meta feature_api_status = if $values.all(v -> v == null) { "404" } else { "200" }',
  'root = if $values.all(v -> v == null) { {"error": "not found"} } else { this.fields.enumerated().fold({}, t -> t.tally.merge({(t.value.value): $values.index(t.value.index)})) }',
  '',
].join('\n');

/** What is wrong with `featureGroups`, each naming the prop. */
function featureGroupProblems(groups: unknown): string[] {
  if (!Array.isArray(groups) || groups.length === 0) return [`prop 'featureGroups' must be a non-empty array of { name, fields } (got ${describeValue(groups)})`];
  const problems: string[] = [];
  const seen = new Set<string>();
  groups.forEach((g: FeatureGroup, i) => {
    const where = `featureGroups[${i}]`;
    if (g === null || typeof g !== 'object') {
      problems.push(`prop '${where}' must be an object { name, fields } (got ${describeValue(g)})`);
      return;
    }
    problems.push(...collect(checkPattern(`${where}.name`, g.name, GROUP, 'lower-case letters, digits and "_", starting with a letter, at most 63 characters')));
    if (seen.has(g.name)) problems.push(`prop '${where}.name' ${describeValue(g.name)} is declared twice`);
    seen.add(g.name);
    if (!Array.isArray(g.fields) || g.fields.length === 0 || g.fields.length > 100) {
      problems.push(`prop '${where}.fields' must be an array of 1-100 field names (got ${describeValue(g.fields)})`);
      return;
    }
    const names = new Set<string>();
    g.fields.forEach((f, j) => {
      problems.push(...collect(checkPattern(`${where}.fields[${j}]`, f, FIELD, 'lower-case letters, digits and "_", starting with a letter, at most 63 characters')));
      if (names.has(f)) problems.push(`prop '${where}.fields[${j}]' ${describeValue(f)} is listed twice`);
      names.add(f);
    });
  });
  return problems;
}
