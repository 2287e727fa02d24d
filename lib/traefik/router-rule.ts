import { DNS_NAME } from '../core/vps';
import { collect, checkPattern, describeValue } from '../core/prop-rules';

/** HTTP methods a router may restrict to. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

const METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** A path prefix: leading slash, URL path characters only (no backtick, so the rule cannot be broken out of). */
const PATH_PREFIX = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/**
 * A Traefik v3 router rule built from intent: an explicit `Host`, a `PathPrefix` and optionally
 * the allowed methods, e.g. ``Host(`infer.lab.example.com`) && PathPrefix(`/v2/models/`) && Method(`POST`)``.
 * Never a catch-all: a host is always required.
 */
export class RouterRule {
  /** A rule for one host, one path prefix and (optionally) a set of methods. */
  public static hostAndPath(host: string, pathPrefix = '/', methods: readonly HttpMethod[] = []): RouterRule {
    return new RouterRule(host, pathPrefix, Array.isArray(methods) ? [...methods] : methods);
  }

  private constructor(
    /** The host name matched exactly. */
    public readonly host: string,
    /** The path prefix matched. */
    public readonly pathPrefix: string,
    /** Methods allowed; empty means any. */
    public readonly methods: readonly HttpMethod[],
  ) {}

  /** Whether two rules can match the same request on host and path prefix (same host, same prefix). */
  public overlaps(other: RouterRule): boolean {
    return this.host === other.host && this.pathPrefix === other.pathPrefix;
  }

  /** Problems with the rule's parts, naming the props. */
  public validate(): string[] {
    const methodsOk = Array.isArray(this.methods) && this.methods.every((m) => METHODS.includes(m));
    return collect(
      checkPattern('host', this.host, DNS_NAME, 'a lower-case DNS name with at least two labels, e.g. "infer.lab.example.com" (no wildcard, no port)'),
      checkPattern('pathPrefix', this.pathPrefix, PATH_PREFIX, 'a path starting with "/", e.g. "/v2/models/"'),
      methodsOk ? undefined : `prop 'methods' must list HTTP methods among ${METHODS.join(', ')} (got ${describeValue(this.methods)})`,
    );
  }

  /** The rule in Traefik v3 syntax. */
  public render(): string {
    const parts = [`Host(\`${this.host}\`)`];
    if (this.pathPrefix !== '/') parts.push(`PathPrefix(\`${this.pathPrefix}\`)`);
    if (this.methods.length === 1) parts.push(`Method(\`${this.methods[0]}\`)`);
    if (this.methods.length > 1) parts.push(`(${this.methods.map((m) => `Method(\`${m}\`)`).join(' || ')})`);
    return parts.join(' && ');
  }
}
