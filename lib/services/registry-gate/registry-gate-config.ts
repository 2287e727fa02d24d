import { httpsApiInput } from '../benthos/benthos-service';
import { ALIAS_REQUIRES, APPROVAL_TAGS, LIFECYCLE_STATE_TAG, LIFECYCLE_STATES, LIFECYCLE_TRANSITIONS, SERVING_ALIASES } from '../mlflow/model-lifecycle';

/** The port readers (the Z6 fetchers) call: GET only. */
export const REGISTRY_GATE_READER_PORT = 8443;
/** The port publishers (the CI promote pipeline) call: the reads and the lifecycle writes. */
export const REGISTRY_GATE_PUBLISHER_PORT = 8444;
/** The environment variables (from the gate's delivered env file) holding `<client>=<sha256 of its token>,…` per class. */
export const REGISTRY_GATE_TOKEN_VARIABLES = { reader: 'MLSEC_REGISTRY_GATE_READERS', publisher: 'MLSEC_REGISTRY_GATE_PUBLISHERS' } as const;
/** The cache holding one lock per registered model while a lifecycle write on it is checked and made. */
const LOCKS = 'gate_locks';
/**
 * How long a lock outlives a request that never released it: longer than a lookup and a write at
 * their 55 s timeouts, so a slow write is never overtaken. Every outcome of a request releases it;
 * this only bounds a lost release.
 */
const LOCK_TTL = '2m';

/** The state a version without a `lifecycle_state` tag is in: it may only become a Candidate. */
const NO_STATE = '(none)';

/** What the gate's configuration is made of. */
export interface RegistryGateConfigOptions {
  /** Its server certificate (container path). */
  readonly certificate: string;
  /** The certificate's key (container path). */
  readonly privateKey: string;
  /** The registry's base URL, `https://<mlflow>:5000`. */
  readonly trackingUri: string;
  /** The CA bundle that verifies the registry. */
  readonly caBundle: string;
  /** The gate's client certificate at the registry. */
  readonly clientCertificate: string;
  /** That certificate's key. */
  readonly clientKey: string;
  /** Whether the readers' listener exists (a class without clients has none: nothing to call). */
  readonly readers: boolean;
  /** Whether the publishers' listener exists. */
  readonly publishers: boolean;
  /** Requests per second over both listeners. */
  readonly requestsPerSecond: number;
  /** The states a model version must be in for readers to download its artifacts. */
  readonly servableStates: readonly string[];
  /** The version tags (Z5-K01) a version must carry, non-empty, to enter or move along the lifecycle and to hold an alias. */
  readonly requiredTags: readonly string[];
}

/**
 * The request mapping: authenticates the bearer token against the listener's class, then either
 * denies (`gate_action: deny`, status and message) or names the one MLflow call to make —
 * verb, target path and query rebuilt from checked values, body rebuilt from checked fields —
 * and, for a lifecycle write, the version lookup and the check it needs, and the model to lock. Every metadata key the
 * request brought (headers, query, cookies: all client-controlled) is dropped; only `gate_*` stay.
 */
export function gateRequestMapping(): string {
  const name = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
  const version = '^[1-9][0-9]{0,8}$';
  // A run's proxied artifact, `<experiment>/<run id>/artifacts/…`, in the fetcher's rules (model-fetch-script.ts
  // valid_artifact: at most 16 segments of at most 128 characters, none starting with "."); RE2 refuses nested
  // repeat counts above 1000, so the counts are checked on the split path.
  const artifact = '^[0-9]{1,19}/[0-9a-f]{32}/artifacts(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$';
  const states = JSON.stringify(LIFECYCLE_STATES);
  const aliases = JSON.stringify(SERVING_ALIASES);
  return `
map name_ok {
  root = this.type() == "string" && this.re_match(${JSON.stringify(name)})
}
map version_ok {
  root = this.type() == "string" && this.re_match(${JSON.stringify(version)})
}
let cls = metadata("gate_class")
let states = ${states}
let aliases = ${aliases}
let tokens = if $cls == "publisher" { env("${REGISTRY_GATE_TOKEN_VARIABLES.publisher}").or("") } else if $cls == "reader" { env("${REGISTRY_GATE_TOKEN_VARIABLES.reader}").or("") } else { "" }
let presented = @Authorization.or("")
let token = if $presented.has_prefix("Bearer ") { $presented.trim_prefix("Bearer ") } else { "" }
let digest = $token.hash("sha256").encode("hex")
let callers = if $token.length() < 32 { [] } else { $tokens.split(",").map_each(e -> e.split("=")).filter(e -> e.length() == 2 && e.index(1) == $digest).map_each(e -> e.index(0)) }
let caller = $callers.index(0).or("")
let verb = @gate_verb.or("")
let path = @gate_path.or("")
let q = {"name": @name, "version": @version, "alias": @alias}
let body = if $verb == "POST" || $verb == "DELETE" { content().parse_json().catch(null) } else { null }
let d = match {
  $cls != "reader" && $cls != "publisher" => {"status": "403", "message": "unknown listener"}
  $caller == "" => {"status": "401", "message": "a registered bearer token of this listener's class is required"}
  @Cookie != null => {"status": "403", "message": "cookies are not accepted"}
  $path.has_suffix("/transition-stage") => {"status": "403", "message": "stage transitions are deprecated and refused: the lifecycle is the tag ${LIFECYCLE_STATE_TAG} and the serving aliases"}
  $verb == "GET" && $path == "mlflow/registered-models/get" && $q.name.apply("name_ok") => {"action": "GET", "target": "mlflow/registered-models/get?name=" + $q.name.escape_url_query()}
  $verb == "GET" && ($path == "mlflow/model-versions/get" || $path == "mlflow/model-versions/get-download-uri") && $q.name.apply("name_ok") && $q.version.apply("version_ok") => {"action": "GET", "target": $path + "?name=" + $q.name.escape_url_query() + "&version=" + $q.version}
  $verb == "GET" && $path == "mlflow/registered-models/alias" && $q.name.apply("name_ok") && $aliases.contains($q.alias) => {"action": "GET", "target": "mlflow/registered-models/alias?name=" + $q.name.escape_url_query() + "&alias=" + $q.alias}
  $verb == "GET" && $path.has_prefix("mlflow-artifacts/artifacts/") && $path.trim_prefix("mlflow-artifacts/artifacts/").re_match(${JSON.stringify(artifact)}) && $path.trim_prefix("mlflow-artifacts/artifacts/").split("/").length() <= 16 && $path.trim_prefix("mlflow-artifacts/artifacts/").split("/").all(s -> s.length() <= 128) => {"action": "GET", "target": $path, "check": "servable", "lookup": "mlflow/model-versions/search?max_results=200&filter=" + ("run_id='" + $path.split("/").index(3) + "'").escape_url_query()}
  $cls != "publisher" => {"status": "403", "message": "not a read this listener allows"}
  $verb == "POST" && $path == "mlflow/model-versions/set-tag" && $body.type() == "object" && $body.keys().all(k -> ["name", "version", "key", "value"].contains(k)) && $body.name.apply("name_ok") && $body.version.apply("version_ok") && $body.key == "${LIFECYCLE_STATE_TAG}" && $states.contains($body.value) => {"action": "POST", "target": $path, "body": {"name": $body.name, "version": $body.version, "key": "${LIFECYCLE_STATE_TAG}", "value": $body.value}, "check": "transition", "want": $body.value, "lookup": "mlflow/model-versions/get?name=" + $body.name.escape_url_query() + "&version=" + $body.version, "lock": $body.name}
  $verb == "POST" && $path == "mlflow/registered-models/alias" && $body.type() == "object" && $body.keys().all(k -> ["name", "alias", "version"].contains(k)) && $body.name.apply("name_ok") && $body.version.apply("version_ok") && $aliases.contains($body.alias) => {"action": "POST", "target": $path, "body": {"name": $body.name, "alias": $body.alias, "version": $body.version}, "check": "alias", "want": $body.alias, "lookup": "mlflow/model-versions/get?name=" + $body.name.escape_url_query() + "&version=" + $body.version, "lock": $body.name}
  $verb == "DELETE" && $path == "mlflow/registered-models/alias" && $body.type() == "object" && $body.keys().all(k -> ["name", "alias"].contains(k)) && $body.name.apply("name_ok") && $aliases.contains($body.alias) => {"action": "DELETE", "target": $path, "body": {"name": $body.name, "alias": $body.alias}, "lock": $body.name}
  _ => {"status": "403", "message": "only the ${LIFECYCLE_STATE_TAG} tag (to a lifecycle state) and the serving aliases ${SERVING_ALIASES.join(', ')} may be written"}
}
root = if $d.action.or("") == "POST" || $d.action.or("") == "DELETE" { $d.body.format_json(no_indent: true) } else { "" }
meta = deleted()
meta gate_class = $cls
meta gate_caller = if $caller == "" { "unauthenticated" } else { $caller }
meta gate_request = $verb + " /api/2.0/" + $path
meta gate_action = $d.action.or("deny")
meta gate_target = $d.target.or("")
meta gate_status = $d.status.or("")
meta gate_message = $d.message.or("")
meta gate_check = $d.check.or("")
meta gate_want = $d.want.or("")
meta gate_lookup = $d.lookup.or("")
meta gate_lock = $d.lock.or("")
`.trim();
}

/**
 * The check of a lifecycle write against the version's current state (from the lookup): the
 * transition must be in LIFECYCLE_TRANSITIONS (a version without a state may only become a
 * Candidate), and an alias may only point at a version in a state ALIAS_REQUIRES allows.
 */
export function checkMapping(servable: readonly string[], requiredTags: readonly string[]): string {
  const transitions = JSON.stringify({ [NO_STATE]: ['Candidate'], ...LIFECYCLE_TRANSITIONS });
  const requires = JSON.stringify(ALIAS_REQUIRES);
  const tag = (key: string) => `$tags.filter(t -> t.key == ${JSON.stringify(key)}).map_each(t -> t.value.or("").string().trim()).index(0).or("")`;
  return `
let current = @gate_current.or("")
let from = if $current == "" { "${NO_STATE}" } else { $current }
let parsed = @gate_tags.or("[]").parse_json().catch([])
let tags = if $parsed.type() == "array" { $parsed } else { [] }
let present = $tags.filter(t -> t.value.or("").string().trim() != "").map_each(t -> t.key)
let missing = ${JSON.stringify(requiredTags)}.filter(k -> !$present.contains(k))
let tagged = @gate_check == "alias" || (@gate_check == "transition" && ["Candidate", "Staging", "Approved"].contains(@gate_want))
let approver = ${tag(APPROVAL_TAGS.approver)}
let problem = match {
  @gate_lookup_status != "200" => "the model version does not exist or cannot be read"
  @gate_check == "transition" && !${transitions}.get($from).or([]).contains(@gate_want) => "the lifecycle does not allow " + $from + " -> " + @gate_want
  @gate_check == "alias" && !${requires}.get(@gate_want).or([]).contains($current) => "the alias " + @gate_want + " may not point at a version in state " + $from
  $tagged && $missing.length() > 0 => "the version lacks the required tags (Z5-K01): " + $missing.join(", ")
  @gate_check == "transition" && @gate_want == "Approved" && ${tag(APPROVAL_TAGS.decision)} != "${APPROVAL_TAGS.pass}" => "Approved needs the tag ${APPROVAL_TAGS.decision} = ${APPROVAL_TAGS.pass} (Z5-K03)"
  @gate_check == "transition" && @gate_want == "Approved" && ($approver == "" || $approver == ${tag(APPROVAL_TAGS.creator)}) => "Approved needs the tag ${APPROVAL_TAGS.approver} naming someone other than ${APPROVAL_TAGS.creator} (Z5-K04)"
  @gate_check == "servable" && @gate_servable != true => "the artifact is not part of a model version in a servable state (${servable.join(', ')})"
  _ => ""
}
meta gate_action = if $problem == "" { @gate_action } else { "deny" }
meta gate_status = if $problem == "" { @gate_status } else if @gate_lookup_status == "404" { "404" } else { "403" }
meta gate_message = if $problem == "" { @gate_message } else { $problem }
`.trim();
}

/** One call to the registry, with the gate's client certificate; every answer of MLflow is passed on as it is. */
function registryCall(o: RegistryGateConfigOptions, verb: string, url: string): Record<string, unknown> {
  return {
    http: {
      url,
      verb,
      headers: verb === 'GET' ? {} : { 'Content-Type': 'application/json' },
      tls: {
        enabled: true,
        root_cas_file: o.caBundle,
        client_certs: [{ cert_file: o.clientCertificate, key_file: o.clientKey }],
      },
      extract_headers: { include_patterns: ['^content-type$'] },
      // MLflow's own error answers are answers (passed on with their status), not failures to retry.
      successful_on: [400, 401, 403, 404, 409, 413, 429, 500, 503],
      retries: 0,
      timeout: '55s',
    },
  };
}

/** The whole configuration (without `http` and `logger`, which every Benthos service shares). */
export function renderRegistryGateConfig(o: RegistryGateConfigOptions): Record<string, unknown> {
  const base = `${o.trackingUri}/api/2.0/`;
  const listener = (port: number, cls: 'reader' | 'publisher', verbs: string[], verb: string) => ({
    // The path is a route variable: set after the query parameters, so it is the request's own path.
    ...httpsApiInput({
      port, path: '/api/2.0/{gate_path:.+}', verbs, timeout: '60s', rateLimit: 'gate', status: '${! @gate_status }', contentType: '${! @gate_content_type }',
    }, { certificate: o.certificate, privateKey: o.privateKey }),
    // The class is the listener's, set after the request's own metadata (which a client controls).
    // The publishers' verb is Benthos' metadata, which a query parameter can shadow: that only picks
    // among the publisher's own operations, each forwarded with its fixed verb and rebuilt body.
    processors: [{ mutation: `meta gate_class = "${cls}"\nmeta gate_verb = ${verb}` }],
  });
  const inputs = [
    ...(o.readers ? [listener(REGISTRY_GATE_READER_PORT, 'reader', ['GET'], '"GET"')] : []),
    ...(o.publishers ? [listener(REGISTRY_GATE_PUBLISHER_PORT, 'publisher', ['GET', 'POST', 'DELETE'], '@http_server_verb')] : []),
  ];
  const deny = 'root = {"error_code": if @gate_status == "409" { "RESOURCE_CONFLICT" } else { "PERMISSION_DENIED" }, "message": "registry gate: " + @gate_message}\nmeta gate_content_type = "application/json"';
  const lockKey = 'lifecycle/${! @gate_lock }';
  return {
    input: { broker: { inputs } },
    pipeline: {
      threads: 2,
      processors: [
        { mapping: gateRequestMapping() },
        // A request the mapping could not read keeps the metadata its client set (gate_action
        // included): it is refused here, and every forward below also requires no error.
        { catch: [{ mapping: 'let cls = metadata("gate_class")\nroot = ""\nmeta = deleted()\nmeta gate_class = $cls\nmeta gate_caller = "unknown"\nmeta gate_action = "deny"\nmeta gate_status = "400"\nmeta gate_message = "malformed request"' }] },
        // Lifecycle writes on one model are serialized, so the state a check reads is the state its
        // write lands on: otherwise Staging -> Approved and Staging -> Revoked sent together both pass
        // their checks and the later write wins, leaving Revoked. A second writer gets 409 and retries.
        {
          switch: [{
            check: '!errored() && @gate_lock.or("") != ""',
            processors: [
              { cache: { resource: LOCKS, operator: 'add', key: lockKey, value: '${! @gate_caller }' } },
              { catch: [{ mutation: 'meta gate_action = "deny"\nmeta gate_status = "409"\nmeta gate_message = "another lifecycle write on this model is under way; retry"\nmeta gate_lock = ""' }] },
            ],
          }],
        },
        {
          switch: [{
            check: '!errored() && @gate_lookup.or("") != "" && @gate_action != "deny"',
            processors: [
              {
                branch: {
                  request_map: 'root = ""\nmeta gate_lookup = metadata("gate_lookup")',
                  processors: [registryCall(o, 'GET', `${base}\${! @gate_lookup }`)],
                  result_map: [
                    // `metadata()` reads the branch's answer; `@` would read the message being written.
                    'meta gate_lookup_status = metadata("http_status_code").string()',
                    // The version's tags, for the Z5-K01 and approval checks (a JSON text: metadata are strings;
                    // Benthos formats an empty array as "null", which the check reads as no tags).
                    'meta gate_tags = if metadata("http_status_code") == 200 { this.model_version.tags.or([]).format_json(no_indent: true).string() } else { "[]" }',
                    `meta gate_current = if metadata("http_status_code") == 200 { this.model_version.tags.or([]).filter(t -> t.key == "${LIFECYCLE_STATE_TAG}").map_each(t -> t.value).index(0).or("") } else { "" }`,
                    // An artifact is servable when a version in a servable state holds it (its source is a folder above it).
                    `meta gate_servable = metadata("http_status_code") == 200 && this.model_versions.or([]).filter(v -> ${JSON.stringify(o.servableStates)}.contains(v.tags.or([]).filter(t -> t.key == "${LIFECYCLE_STATE_TAG}").map_each(t -> t.value).index(0).or("")) && v.source.or("").has_prefix("mlflow-artifacts:/") && @gate_target.has_prefix("mlflow-artifacts/artifacts/" + v.source.trim_prefix("mlflow-artifacts:/") + "/")).length() > 0`,
                  ].join('\n'),
                },
              },
              { mutation: checkMapping(o.servableStates, o.requiredTags) },
            ],
          }],
        },
        {
          switch: [
            { check: '!errored() && @gate_action == "GET"', processors: [registryCall(o, 'GET', `${base}\${! @gate_target }`)] },
            { check: '!errored() && @gate_action == "POST"', processors: [registryCall(o, 'POST', `${base}\${! @gate_target }`)] },
            { check: '!errored() && @gate_action == "DELETE"', processors: [registryCall(o, 'DELETE', `${base}\${! @gate_target }`)] },
            { processors: [{ mapping: deny }] },
          ],
        },
        { mutation: 'meta gate_status = if @gate_action == "deny" { @gate_status } else { @http_status_code.string() }\nmeta gate_content_type = if @gate_action == "deny" { "application/json" } else { metadata("content-type").or("application/octet-stream") }' },
        // The registry could not be reached (or a step failed): an error, never the request echoed back.
        { catch: [{ mapping: 'root = {"error_code": "BAD_GATEWAY", "message": "registry gate: the registry did not answer"}\nmeta gate_status = "502"\nmeta gate_content_type = "application/json"' }] },
        // Every outcome above (forwarded, refused, failed) ends here: the model's lock is released.
        { switch: [{ check: '@gate_lock.or("") != ""', processors: [{ cache: { resource: LOCKS, operator: 'delete', key: lockKey } }] }] },
        {
          log: {
            level: 'INFO',
            message: 'registry gate decision',
            fields_mapping: 'root = {"class": @gate_class, "caller": @gate_caller, "request": @gate_request, "action": @gate_action, "status": @gate_status, "reason": @gate_message}',
          },
        },
      ],
    },
    output: { sync_response: {} },
    rate_limit_resources: [{ label: 'gate', local: { count: o.requestsPerSecond, interval: '1s' } }],
    cache_resources: [{ label: LOCKS, memory: { default_ttl: LOCK_TTL, compaction_interval: '10s' } }],
  };
}
