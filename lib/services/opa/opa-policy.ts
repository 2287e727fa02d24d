import { InferenceScope } from './inference-scope';
import type { InferenceScopeProps, IOpaPolicy, RegistryDownloadProps, RouteAllowListProps } from './opa-policy-types';
import { RegistryDownload } from './registry-download';
import { RouteAllowList } from './route-allow-list';

/**
 * The policies an {@link OpaServer} can serve, each generated from typed data (no Rego is
 * written by hand, so a value can never become a rule). Add them with `opa.addPolicy(…)`.
 */
export abstract class OpaPolicy {
  /**
   * CONTROLS.md Z1-K06: a client → path allow-map, deny by default; e.g. `partner-a` may only
   * `POST /ingest/partner-a/…`. Input `{ client, method, path }`.
   */
  public static routeAllowList(props: RouteAllowListProps): IOpaPolicy {
    return new RouteAllowList(props);
  }

  /**
   * CONTROLS.md Z6-K01 / Z8-K08: the caller's token holds scope
   * `inference:<model>:<version>:invoke` for a declared model version, its tenant claim equals
   * the request's tenant (and is one the model serves), and the call came over mTLS. Input
   * `{ model, version, tenant, mtls, claims: { scope, tenant } }` (claims of a token the PEP
   * has verified).
   */
  public static inferenceScope(props: InferenceScopeProps): IOpaPolicy {
    return new InferenceScope(props);
  }

  /**
   * CONTROLS.md Z5-K06 / Z6-K04 `registry.download`: only an allowed role of the model's own
   * tenant may fetch a version whose stage is allowed (Approved by default), that is neither
   * revoked nor quarantined, and whose `revalidate_by` is still ahead. Input
   * `{ subject: { role, tenant }, model: { name, version, stage, tenant, revoked, quarantined, revalidate_by } }`.
   */
  public static registryDownload(props: RegistryDownloadProps): IOpaPolicy {
    return new RegistryDownload(props);
  }
}
