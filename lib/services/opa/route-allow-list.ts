import { describeValue } from '../../core/prop-rules';
import { GENERATED_POLICY, type RouteMethod, type IOpaPolicy, type RouteAllowListProps } from './opa-policy-types';
import { packageProblem, RegoCase, regoHeader, regoLiteral } from './rego';

const METHODS: readonly RouteMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** A client identity: a certificate CN, an OIDC client id or a source name. */
const CLIENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** "/" then segments of unreserved characters, each followed by "/". */
const PREFIX = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,63}\/){0,8}$/;

/** Z1-K06: the client → path allow-map ({@link OpaPolicy.routeAllowList}). */
export class RouteAllowList implements IOpaPolicy {
  public readonly packageName: string;
  public readonly description = 'CONTROLS.md Z1-K06: a client may call only the path prefixes and methods granted to it; anything else is denied.';
  private readonly routes: RouteAllowListProps['routes'];

  constructor(props: RouteAllowListProps) {
    Object.defineProperty(this, GENERATED_POLICY, { value: true });
    this.packageName = props?.package;
    this.routes = props?.routes;
  }

  public problems(): string[] {
    const out: string[] = [];
    const pkg = packageProblem('package', this.packageName);
    if (pkg) out.push(pkg);
    if (!Array.isArray(this.routes) || this.routes.length === 0) {
      out.push(`prop 'routes' must list at least one route grant { client, pathPrefix, methods } (got ${describeValue(this.routes)})`);
      return out;
    }
    this.routes.forEach((r, i) => {
      const at = `routes[${i}]`;
      if (!CLIENT.test(String(r?.client)) || typeof r?.client !== 'string') out.push(`prop '${at}.client' must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (got ${describeValue(r?.client)})`);
      if (typeof r?.pathPrefix !== 'string' || !PREFIX.test(r.pathPrefix) || /(^|\/)\.\.?\//.test(r.pathPrefix)) {
        out.push(`prop '${at}.pathPrefix' must start and end with "/" and have segments of letters, digits, "-", "_", "~" or "." (no "." or ".." segments, no "%") (got ${describeValue(r?.pathPrefix)})`);
      }
      const methods = r?.methods;
      if (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => !METHODS.includes(m)) || new Set(methods).size !== methods.length) {
        out.push(`prop '${at}.methods' must be a non-empty list of distinct methods from ${METHODS.join(', ')} (got ${describeValue(methods)})`);
      }
    });
    return out;
  }

  public renderPolicy(source: string): string {
    const routes = this.routes.map((r) => ({ client: r.client, methods: [...r.methods].sort(), path_prefix: r.pathPrefix }));
    return `${regoHeader(this.description, source)}package ${this.packageName}

# The grants: client, methods and path prefix.
routes := ${regoLiteral(routes, true)}

default allow := false

allow if {
	safe_path
	some route in routes
	route.client == input.client
	input.method in route.methods
	startswith(input.path, route.path_prefix)
}

# A path that could mean another one once decoded or normalised by the backend is never allowed.
safe_path if {
	is_string(input.path)
	startswith(input.path, "/")
	not contains(input.path, "..")
	not contains(input.path, "//")
	not contains(input.path, "%")
	not contains(input.path, "\\\\")
}
`;
  }

  public testCases(): RegoCase[] {
    const cases: RegoCase[] = [];
    const clients = new Set(this.routes.map((r) => r.client));
    this.routes.forEach((r, i) => {
      const path = `${r.pathPrefix}record-1`;
      const method = [...r.methods].sort()[0];
      const ok = { client: r.client, method, path };
      cases.push({ name: `route ${i} ${r.client} ${method}`, input: ok, allow: true });
      const stranger = ['intruder', 'intruder-2', 'intruder-3'].find((c) => !clients.has(c))!;
      cases.push({ name: `route ${i} for another client`, input: { ...ok, client: stranger }, allow: false });
      const other = METHODS.find((m) => !r.methods.includes(m));
      if (other) cases.push({ name: `route ${i} with method ${other}`, input: { ...ok, method: other }, allow: false });
      cases.push({ name: `route ${i} outside its prefix`, input: { ...ok, path: `${r.pathPrefix.slice(0, -1)}-other/x` }, allow: false });
      cases.push({ name: `route ${i} with a dot-dot path`, input: { ...ok, path: `${r.pathPrefix}../../admin` }, allow: false });
      cases.push({ name: `route ${i} with an encoded path`, input: { ...ok, path: `${r.pathPrefix}%2e%2e/admin` }, allow: false });
      cases.push({ name: `route ${i} without a client`, input: { method, path }, allow: false });
    });
    cases.push({ name: 'an empty input', input: {}, allow: false });
    return cases;
  }
}
