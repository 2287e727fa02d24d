import type { HttpMethod } from '../../traefik/router-rule';
import type { RegoCase } from './rego';

/** Marks the policies the `OpaPolicy` factories make: the only ones a server accepts (no hand-written Rego). */
export const GENERATED_POLICY = Symbol.for('mlsec-cdk.OpaPolicy');

/**
 * One generated policy package: the Rego the server loads, and the unit tests `opa test` runs on
 * it. Every package opens with `default allow := false` (CONTROLS.md INV-20: an input the rules
 * do not match, or a missing field, is a deny).
 */
export interface IOpaPolicy {
  /** The Rego package, e.g. `z6.inference`; clients query `POST /v1/data/z6/inference/allow`. */
  readonly packageName: string;
  /** What the package decides, one line (the file header). */
  readonly description: string;
  /** The policy's Rego, for the construct at `source` (named in the header). */
  renderPolicy(source: string): string;
  /** The cases the generated `*_test.rego` asserts: at least one allow and one deny each. */
  testCases(): RegoCase[];
  /** What is wrong with the props: each message names the prop (`prop 'routes[0].client' …`). */
  problems(): string[];
}

/** An HTTP method a route grant may allow. */
export type RouteMethod = Exclude<HttpMethod, 'OPTIONS'>;

/** One client's access to one path prefix. */
export interface RouteGrant {
  /** The client identity the PEP puts in `input.client` (e.g. the partner's certificate CN or OIDC client id). */
  readonly client: string;
  /** The path prefix, starting and ending with "/" (so `/ingest/a/` never matches `/ingest/a-b/`). */
  readonly pathPrefix: string;
  /** The methods allowed on it. */
  readonly methods: readonly RouteMethod[];
}

/** Props of {@link OpaPolicy.routeAllowList}. */
export interface RouteAllowListProps {
  /** The Rego package, e.g. `z1.ingest`. */
  readonly package: string;
  /** The grants; anything not granted is denied. */
  readonly routes: readonly RouteGrant[];
}

/** One model that may be invoked. */
export interface InferenceModel {
  /** The model name (lower-case letters, digits, "-", "_"). */
  readonly name: string;
  /** Its versions that may be invoked, e.g. `['v2']`. */
  readonly versions: readonly string[];
  /**
   * The tenants it serves.
   * @default any tenant (the token's tenant must still equal the request's)
   */
  readonly tenants?: readonly string[];
}

/** Props of {@link OpaPolicy.inferenceScope}. */
export interface InferenceScopeProps {
  /** The Rego package, e.g. `z6.inference`. */
  readonly package: string;
  /** The models and versions that may be invoked; any other is denied. */
  readonly models: readonly InferenceModel[];
  /**
   * Whether `input.mtls` must be true (the PEP saw a verified client certificate).
   * @default true
   */
  readonly requireMtls?: boolean;
}

/** A registry stage a download may be allowed from. */
export type RegistryStage = 'Approved' | 'Staging';

/** Props of {@link OpaPolicy.registryDownload}. */
export interface RegistryDownloadProps {
  /** The Rego package, e.g. `z5.registry.download`. */
  readonly package: string;
  /**
   * The stages a version may be downloaded from. `Staging` only on non-production hosts (Z6-K04).
   * @default ['Approved']
   */
  readonly stages?: readonly RegistryStage[];
  /**
   * The subject roles that may download (CONTROLS.md Z5-K06).
   * @default ['Serving']
   */
  readonly roles?: readonly string[];
}
