import type { PostureModel } from '../../posture-model';
import { composeServices, vaultServers } from './compose-vault';
import { isObject, stringList } from './hcl-values';

/** A Traefik HTTP router that sends traffic to Vault. */
export interface VaultRoute {
  /** Router name. */
  readonly name: string;
  /** Whether an ipAllowList (ipWhiteList) or forwardAuth middleware applies, directly, through a chain or on its entry point. */
  readonly guarded: boolean;
}

interface RouterSpec {
  readonly name: string;
  readonly rule: string;
  readonly service: string;
  readonly middlewares: string[];
  readonly entryPoints?: string[];
  /** Declared in the labels of a Vault server service. */
  readonly onVault: boolean;
}

const GUARDS = new Set(['ipallowlist', 'ipwhitelist', 'forwardauth']);
const VAULTISH = /(^|[^a-z0-9])(vault|openbao)([^a-z0-9]|$)/i;

/**
 * The routers that reach Vault, from Traefik dynamic files and compose labels, with whether
 * an IP allow-list or forward-auth guards each. A router reaches Vault when its service or rule
 * names vault, its service's server URL points at a vault host, or it is declared on the Vault
 * service's own labels.
 */
export function vaultRoutes(model: PostureModel): VaultRoute[] {
  const routers: RouterSpec[] = [];
  const middlewareTypes = new Map<string, Set<string>>();
  const chains = new Map<string, string[]>();
  const serviceUrls = new Map<string, string[]>();
  const addType = (name: string, type: string) => (middlewareTypes.get(name) ?? middlewareTypes.set(name, new Set()).get(name)!).add(type.toLowerCase());

  for (const doc of model.ofKind('traefik-dynamic')) {
    const http = doc.data?.http;
    if (!isObject(http)) continue;
    for (const [name, r] of Object.entries(isObject(http.routers) ? http.routers : {})) {
      if (!isObject(r)) continue;
      routers.push({ name, rule: str(r.rule), service: bare(str(r.service)), middlewares: stringList(r.middlewares).map(bare), entryPoints: list(r.entryPoints), onVault: false });
    }
    for (const [name, m] of Object.entries(isObject(http.middlewares) ? http.middlewares : {})) {
      if (!isObject(m)) continue;
      for (const type of Object.keys(m)) addType(name, type);
      if (isObject(m.chain)) chains.set(name, stringList(m.chain.middlewares).map(bare));
    }
    for (const [name, s] of Object.entries(isObject(http.services) ? http.services : {})) {
      const servers = isObject(s) && isObject(s.loadBalancer) && Array.isArray(s.loadBalancer.servers) ? s.loadBalancer.servers : [];
      serviceUrls.set(name, servers.map((x: any) => str(x?.url)));
    }
  }

  const vaultNames = new Set(vaultServers(model).map((s) => `${s.document.file}\u0000${s.name}`));
  for (const service of composeServices(model)) {
    const labels = labelMap(service.data.labels);
    const byRouter = new Map<string, Record<string, string>>();
    for (const [key, value] of Object.entries(labels)) {
      const router = /^traefik\.http\.routers\.([^.]+)\.(\w+)$/.exec(key);
      if (router) (byRouter.get(router[1]) ?? byRouter.set(router[1], {}).get(router[1])!)[router[2]] = value;
      const mw = /^traefik\.http\.middlewares\.([^.]+)\.([^.]+)(\.(.+))?$/.exec(key);
      if (mw) {
        addType(mw[1], mw[2]);
        if (mw[2].toLowerCase() === 'chain' && mw[4] === 'middlewares') chains.set(mw[1], stringList(value).map(bare));
      }
    }
    const onVault = vaultNames.has(`${service.document.file}\u0000${service.name}`);
    for (const [name, r] of byRouter) {
      routers.push({ name, rule: r.rule ?? '', service: bare(r.service ?? service.name), middlewares: stringList(r.middlewares).map(bare), entryPoints: r.entrypoints ? stringList(r.entrypoints) : undefined, onVault });
    }
  }

  const guarded = (names: readonly string[], depth = 0): boolean =>
    depth < 8 && names.some((n) => [...(middlewareTypes.get(n) ?? [])].some((t) => GUARDS.has(t)) || guarded(chains.get(n) ?? [], depth + 1));
  const entryPointGuards = entryPointMiddlewares(model);

  return routers
    .filter((r) => r.onVault || VAULTISH.test(r.service) || VAULTISH.test(r.rule) || (serviceUrls.get(r.service) ?? []).some((u) => VAULTISH.test(u)))
    .map((r) => {
      const inherited = [...entryPointGuards].filter(([ep]) => r.entryPoints === undefined || r.entryPoints.includes(ep)).flatMap(([, mws]) => mws);
      return { name: r.name, guarded: guarded([...r.middlewares, ...inherited]) };
    });
}

/** Middlewares each static entry point applies to all its routers (`entryPoints.<ep>.http.middlewares`). */
function entryPointMiddlewares(model: PostureModel): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const doc of model.ofKind('traefik-static')) {
    const eps = doc.data?.entryPoints;
    if (!isObject(eps)) continue;
    for (const [name, ep] of Object.entries(eps)) {
      const mws = isObject(ep) && isObject(ep.http) ? stringList(ep.http.middlewares).map(bare) : [];
      if (mws.length > 0) out.set(name, mws);
    }
  }
  return out;
}

/** Compose labels in map or `key=value` list form. */
function labelMap(labels: unknown): Record<string, string> {
  if (Array.isArray(labels)) {
    return Object.fromEntries(labels.filter((l): l is string => typeof l === 'string' && l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }
  if (!isObject(labels)) return {};
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

/** A middleware or service name without its `@provider` suffix. */
function bare(name: string): string {
  return name.replace(/@[^@]*$/, '');
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function list(value: unknown): string[] | undefined {
  return Array.isArray(value) ? stringList(value) : undefined;
}
