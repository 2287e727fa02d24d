import { describeValue } from '../../core/prop-rules';
import { CLIENT_CERT_INFO_STATEMENTS, CLIENT_CN_EXPRESSION } from '../../gateway/client-cert-info';
import type { TlsFiles } from '../../workload/mounts';
import type { OpaServer } from '../opa/opa-server';
import { packageProblem } from '../opa/rego';

/** Where the {@link ScoredApi} asks who may read which scores (CONTROLS.md Z8-K09, Z6-K11). */
export interface ScoredApiDecisionPoint {
  /** The policy decision point (it must serve `package`, e.g. an `OpaPolicy.routeAllowList`). */
  readonly server: OpaServer;
  /**
   * The policy package asked, e.g. `z6.scores`: its `allow` rule gets `{ client, method, path }`
   * (the `OpaPolicy.routeAllowList` input).
   */
  readonly package: string;
}

/** Problems of a `decisionPoint` prop, naming `decisionPoint.<field>`. */
export function decisionPointProblems(dp: ScoredApiDecisionPoint | undefined): string[] {
  if (dp === undefined) return [];
  if (dp === null || typeof dp !== 'object' || typeof (dp.server as { grantQuery?: unknown } | undefined)?.grantQuery !== 'function') {
    return [`prop 'decisionPoint' must be { server: OpaServer, package } (got ${describeValue(dp)})`];
  }
  const problem = packageProblem('decisionPoint.package', dp.package);
  return problem ? [problem] : [];
}

/**
 * The processors that decide, before any SQL, whether the request is served: the identity from the
 * header (strictly parsed), then the PDP's answer for `{ client, method: "GET", path }` over mTLS.
 * They leave `@authz` = "allow" only when OPA answered `{"result": true}`; anything else (no or a
 * malformed header, OPA down, refusing the certificate, an error, no result, a non-boolean) leaves
 * "deny", with the error flag cleared so the answer is the generic 403, never the 503.
 */
export function decisionProcessors(url: string, pkg: string, tls: TlsFiles): object[] {
  return [
    { mapping: IDENTITY },
    {
      switch: [{
        check: '@client != ""',
        processors: [{
          branch: {
            request_map: 'root = {"input": {"client": @client, "method": "GET", "path": "/scores/%s/%s".format(@model, @entity_id)}}',
            processors: [{
              http: {
                url: `${url}/v1/data/${pkg.split('.').join('/')}/allow`,
                verb: 'POST',
                headers: { 'Content-Type': 'application/json' },
                timeout: '2s',
                // One try: a slow or failing PDP is a denial, answered quickly.
                retries: 0,
                tls: { enabled: true, root_cas_file: tls.caBundle, client_certs: [{ cert_file: tls.certificate, key_file: tls.privateKey }] },
              },
            }],
            result_map: 'meta authz = if this.result == true { "allow" } else { "deny" }',
          },
        }],
      }],
    },
    { catch: [{ mapping: 'meta authz = "deny"' }] },
  ];
}

/**
 * Keeps only the route's variables and the identity: request headers are dropped, so a caller's
 * own header can never set `authz` or `client`.
 */
const IDENTITY = [
  ...CLIENT_CERT_INFO_STATEMENTS,
  'let model = @model',
  'let entity = @entity_id',
  'meta = deleted()',
  'meta model = $model',
  'meta entity_id = $entity',
  // No match (or no header) is an empty identity.
  `meta client = ${CLIENT_CN_EXPRESSION}`,
  'meta authz = "deny"',
].join('\n');

/** The answer when the PDP did not allow the request: no reason, no detail. */
export const FORBIDDEN = 'meta = deleted()\nmeta http_status = "403"\nroot = {"error": "forbidden"}';
