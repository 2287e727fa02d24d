import type { RouterView } from './dynamic-config';

/**
 * What a router serves, guessed from its name, its service and its rule (hosts and paths), split
 * into lower-case words at every non-alphanumeric character (`vault-ui`, ``Host(`vault.lab`)``,
 * `mlflow@file` all yield the word `vault`/`mlflow`).
 */
export class RouterPurpose {
  /**
   * The admin surface a router exposes, or undefined. Admin UIs are:
   * - `traefik-dashboard`: the service is `api@internal` or `dashboard@internal`;
   * - `vault`, `grafana`, `mlflow`, `airflow`, `jupyter` (also jupyterhub/jupyterlab),
   *   `portainer`, `pgadmin`: that word in the router name, service or rule;
   * - `minio-console`: the words `minio` and `console` together;
   * - `keycloak-admin`: the word `keycloak` (or `kc`) with `admin`, or a Keycloak router whose
   *   rule has no `Path`/`PathPrefix` at all (the whole host, admin console included).
   */
  public static adminSurface(router: RouterView): string | undefined {
    const service = (router.service ?? '').toLowerCase();
    if (service === 'api@internal' || service === 'dashboard@internal') return 'traefik-dashboard';
    const words = RouterPurpose.words(router);
    for (const label of ['vault', 'grafana', 'mlflow', 'airflow', 'portainer', 'pgadmin']) if (words.has(label)) return label;
    if ([...words].some((w) => /^jupyter(hub|lab)?$/.test(w))) return 'jupyter';
    if (words.has('minio') && words.has('console')) return 'minio-console';
    if (words.has('keycloak') || words.has('kc')) {
      if (words.has('admin') || !/\bPath(Prefix|Regexp)?\s*\(/.test(router.rule)) return 'keycloak-admin';
    }
    return undefined;
  }

  /** Whether the router is the Traefik dashboard/API (`api@internal`). */
  public static isDashboard(router: RouterView): boolean {
    return RouterPurpose.adminSurface(router) === 'traefik-dashboard';
  }

  /**
   * Whether the router serves model inference or accepts uploads: a word starting with infer,
   * predict, generat, complet, embed, upload, ingest or llm, or one of serve, serving, chat,
   * ollama, vllm, triton, tgi, kserve.
   */
  public static isInferenceOrUpload(router: RouterView): boolean {
    return [...RouterPurpose.words(router)].some((w) => /^(infer|predict|generat|complet|embed|upload|ingest|llm)/.test(w) || /^(serve|serving|chat|chatbot|ollama|vllm|triton|tgi|kserve)$/.test(w));
  }

  /**
   * Whether the router is an API (it accepts request bodies): an inference/upload router, or a
   * word starting with `api` or a version word (`v1`, `v2`) in its name, service or rule. The
   * Traefik dashboard (`api@internal`) is not.
   */
  public static isApi(router: RouterView): boolean {
    if (RouterPurpose.isDashboard(router)) return false;
    return RouterPurpose.isInferenceOrUpload(router) || [...RouterPurpose.words(router)].some((w) => /^api/.test(w) || /^v\d+$/.test(w));
  }

  /** The words of a router's name, service (provider suffix dropped) and rule. */
  public static words(router: RouterView): Set<string> {
    const service = (router.service ?? '').replace(/@[a-z0-9-]+$/i, '');
    const text = `${router.name} ${service} ${router.rule}`.toLowerCase();
    return new Set(text.split(/[^a-z0-9]+/).filter((w) => w !== ''));
  }
}
