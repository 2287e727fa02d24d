import { Construct } from 'constructs';
import { MlsecError } from '../../core/errors';
import { checkInteger, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Workload } from '../../workload/workload';
import { Zone } from '../../workload/zone';
import type { OpaQueryGrant } from '../opa/opa-server';
import { BenthosService, BenthosServiceProps, httpsApiInput } from '../benthos/benthos-service';
import { decisionPointProblems, decisionProcessors, FORBIDDEN, ScoredApiDecisionPoint } from './scored-api-authz';
import { ENTITY_ID_PATTERN, postgresDsn, SCORED_COLUMNS, SCORED_SCHEMA, ScoredStore, scoredStoreProblems, scoredTableOf } from './scored-store';

/** Props of a {@link ScoredApi}. */
export interface ScoredApiProps extends BenthosServiceProps {
  /** The scored store it reads (SELECT only). */
  readonly scored: ScoredStore;
  /** The models whose scores it serves: lower-case letters, digits and "-" (each has its `<model>_scores` table). */
  readonly models: string[];
  /**
   * Requests per second it answers, all clients together (above: 429).
   * @default 50
   */
  readonly requestsPerSecond?: number;
  /**
   * The policy decision point that says which client may read which model's scores (CONTROLS.md
   * Z8-K09, Z6-K11): every request is asked about, before any SQL, and served only when the answer
   * is exactly `true`. Callers then come through the gateway's mTLS route only: `allowClient` is
   * refused (see {@link ScoredApi}).
   * @default none: any caller the flows admit is served
   */
  readonly decisionPoint?: ScoredApiDecisionPoint;
}

/** The HTTPS port of the API. */
export const SCORED_API_PORT = 8443;
const PREFIX = 'SCORED_PG';
const MODEL = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const RATE_LIMIT = 'scored_api';

/**
 * The Z6 scored API (CONTROLS.md Z6-K10, Z6-K11, Z7 → Z6): Z7 consumers read stored scores here,
 * never from the store. HTTPS on 8443, one route: `GET /scores/<model>/<entity_id>` answers the
 * latest score of that entity (`entity_id`, `score`, `model_version`, `scored_at`) as JSON; an
 * unknown model, entity or path is 404, any other method 405, a database failure a generic 503
 * (no table, host or SQL in any answer). The entity id reaches SQL only as a bound parameter
 * (`where entity_id = ?`), never in the text of a statement. It logs in with its client
 * certificate and holds SELECT on the score schema only. Benthos' HTTP server does not verify
 * client certificates: who may call it is decided by the flows `allowClient` declares (and, for
 * callers outside the host, by the gateway's mTLS route in front of it).
 *
 * With a `decisionPoint` it is a policy enforcement point (INV-20, fail closed): the caller is the
 * CN of the verified client certificate that the gateway's `RouteAuth.mtls` route passes in
 * `X-Forwarded-Tls-Client-Cert-Info` (strictly parsed; missing or malformed → 403), and OPA is
 * asked `POST <pdp>/v1/data/<package>/allow` with `{ client, method: "GET", path: "/scores/<model>/<id>" }`
 * over HTTPS with the API's own Vault-issued client certificate. Anything but `{"result": true}` —
 * a denial, no result, OPA unreachable or refusing — is the same generic 403; no query runs.
 * Trust assumption: the header is believed because Traefik's `passTLSClientCert` overwrites it
 * with what it verified. Benthos cannot verify client certificates itself, so a caller that
 * reached the API directly could write the header: with a decision point, `allowClient` is
 * refused and the only declared caller is the gateway (`gateway.expose(api, { auth: RouteAuth.mtls … })`).
 * Benthos' own metrics (Prometheus) are served over HTTPS on 4195 (`BENTHOS_METRICS_PORT`) for Z9 to
 * scrape (`Z9Observability.scrape`), with a decision point also `opa_denies_total{policy}` (every
 * request it refused, the PDP down included).
 */
export class ScoredApi extends BenthosService {
  /** The models it serves. */
  public readonly models: readonly string[];
  private readonly apiProps: ScoredApiProps;
  private readonly pdp?: OpaQueryGrant;
  private readonly clientProblems: string[] = [];

  constructor(scope: Construct, id: string, props: ScoredApiProps) {
    const p = props ?? ({} as ScoredApiProps);
    super(scope, id, p, { zone: Zone.Z6_SERVING, ports: [SCORED_API_PORT], tlsUsage: 'server', metrics: true });
    this.noHealthCheck('the Benthos image is built FROM scratch (no shell or HTTP client to probe with); its clients see a refused connection while it is down');
    this.apiProps = p;
    this.models = Array.isArray(p.models) ? [...p.models] : [];
    const problems = [
      ...scoredStoreProblems('scored', p.scored),
      ...collect(
        Array.isArray(p.models) && p.models.length >= 1 && p.models.length <= 32 ? undefined : `prop 'models' must be a list of 1 to 32 model names (got ${describeValue(p.models)})`,
        ...this.models.map((m, i) => checkPattern(`models[${i}]`, m, MODEL, 'lower-case letters, digits and "-" (at most 64), starting and ending with a letter or digit')),
        new Set(this.models).size === this.models.length ? undefined : `prop 'models' must name each model once (got ${describeValue(p.models)})`,
        p.requestsPerSecond === undefined ? undefined : checkInteger('requestsPerSecond', p.requestsPerSecond, 1, 10_000),
      ),
      ...decisionPointProblems(p.decisionPoint),
    ];
    if (problems.length === 0) {
      p.scored.server.grantConnect(this, { database: p.scored.database, schema: p.scored.schema ?? SCORED_SCHEMA, privileges: ['SELECT'], authentication: 'cert', envPrefix: PREFIX });
      // The OpaServer validates that it serves the package (naming this grant).
      if (p.decisionPoint) this.pdp = p.decisionPoint.server.grantQuery(this, { packages: [p.decisionPoint.package] });
    }
    this.node.addValidation({ validate: () => [...problems, ...this.clientProblems] });
  }

  /** With a decision point, `opa_denies_total{policy}`: the requests its PDP did not allow. */
  public override get providedMetrics(): readonly string[] {
    return this.apiProps.decisionPoint === undefined ? [] : ['opa_denies_total{policy}'];
  }

  /** Lets `client` (e.g. a Z7 consumer) call the API: a flow to its HTTPS port. */
  public allowClient(client: Workload): void {
    if (!Workload.isWorkload(client)) throw new MlsecError(`[${this.node.path}] allowClient: the client must be a Workload (got ${describeValue(client)})`);
    if (this.apiProps.decisionPoint !== undefined) {
      this.clientProblems.push(`allowClient(${client.node.path}): prop 'decisionPoint' is set, so callers must come through the gateway's mTLS route `
        + '(it alone writes the verified identity header); expose the API with gateway.expose(api, { auth: RouteAuth.mtls(…) }) instead of allowClient');
      return;
    }
    client.connections.allowTo(this, { port: SCORED_API_PORT });
  }

  protected renderConfig(): Record<string, unknown> {
    const p = this.apiProps;
    return {
      // The router matches only known models and well-formed ids: anything else is its 404.
      input: httpsApiInput({
        port: SCORED_API_PORT, path: `/scores/{model:(?:${this.models.join('|')})}/{entity_id:${ENTITY_ID_PATTERN}}`,
        verbs: ['GET'], timeout: '5s', rateLimit: RATE_LIMIT, status: '${! meta("http_status") }',
      }, this.tls),
      pipeline: { processors: this.pdp ? this.guarded(this.pdp) : this.serve() },
      output: { sync_response: {} },
      rate_limit_resources: [{ label: RATE_LIMIT, local: { count: p.requestsPerSecond ?? 50, interval: '1s' } }],
    };
  }

  /** Decide first; query only when allowed; a database failure is still the generic 503. */
  private guarded(pdp: OpaQueryGrant): object[] {
    const [lookup, response, failure] = this.serve();
    const pkg = this.apiProps.decisionPoint!.package;
    return [
      ...decisionProcessors(pdp.url, pkg, pdp.tls),
      // Z9-K04's deny counter as the enforcement point sees it: a PDP that is down or refuses is a
      // deny too (fail closed). An allow adds 0, so the series exists from the first request.
      { metric: { type: 'counter_by', name: 'opa_denies_total', labels: { policy: pkg }, value: '${! if @authz == "allow" { 0 } else { 1 } }' } },
      { switch: [{ check: '@authz == "allow"', processors: [lookup, response] }, { processors: [{ mapping: FORBIDDEN }] }] },
      failure,
    ];
  }

  /** The lookup, the answer and the failure fallback. */
  private serve(): object[] {
    const schema = this.apiProps.scored.schema ?? SCORED_SCHEMA;
    const dsn = postgresDsn(this, PREFIX);
    return [
      {
        switch: this.models.map((m) => ({
          check: `@model == "${m}"`,
          processors: [{
            sql_select: {
              driver: 'postgres',
              dsn,
              table: `${schema}.${scoredTableOf(m)}`,
              columns: [...SCORED_COLUMNS],
              where: 'entity_id = ?',
              args_mapping: 'root = [ @entity_id ]',
              suffix: 'ORDER BY scored_at DESC LIMIT 1',
              conn_max_open: 4,
            },
          }],
        })),
      },
      { mapping: RESPONSE },
      // Any failure above (database down, …): one generic answer.
      { catch: [{ mapping: 'meta = deleted()\nmeta http_status = "503"\nroot = {"error": "unavailable"}' }] },
    ];
  }
}

/** The answer: the row, or 404. Only the status travels as metadata (request headers are dropped). */
const RESPONSE = [
  'meta = deleted()',
  'meta http_status = if this.length() == 0 { "404" } else { "200" }',
  'root = if this.length() == 0 { {"error": "not found"} } else {',
  '  {"entity_id": this.index(0).entity_id, "score": this.index(0).score, "model_version": this.index(0).model_version, "scored_at": this.index(0).scored_at}',
  '}',
].join('\n');
