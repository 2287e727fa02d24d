import type { PostureModel } from '../../posture-model';
import type { ServiceNode } from '../../service-graph';
import type { DocumentPath, SourceDocument } from '../../source-document';

/** One HTTP router of a Traefik dynamic configuration, resolved as far as the zone rules need. */
export interface ResolvedRouter {
  /** Router name. */
  readonly name: string;
  /** The dynamic config it is in. */
  readonly document: SourceDocument;
  /** Its data path. */
  readonly path: DocumentPath;
  /** Its data. */
  readonly data: any;
  /** Whether it listens on a public entry point (443/80, `web`/`websecure`, or all when unset). */
  readonly isPublic: boolean;
  /** Middlewares it uses, resolved in the same document (`name@file` → `name`); unresolved ones are absent. */
  readonly middlewares: readonly any[];
  /** Compose services its Traefik service forwards to (by URL host). */
  readonly targets: readonly ServiceNode[];
  /** The TLS option it names (`tls.options`), resolved across the dynamic files, if any. */
  readonly tlsOption?: any;
  /** URLs of its service's servers, resolved across the dynamic files. */
  readonly serverUrls: readonly string[];
}

/**
 * Every HTTP router of every dynamic config in the model, with its middlewares and targets. The
 * file provider merges all its files into one namespace, so names resolve in the router's own
 * file first, then in any other dynamic file.
 */
export function resolveRouters(model: PostureModel): readonly ResolvedRouter[] {
  return model.view(readRouters);
}

function readRouters(model: PostureModel): readonly ResolvedRouter[] {
  const services = model.serviceGraphs().flatMap((g) => g.services);
  const publicEntryPoints = publicEntryPointNames(model);
  const documents = model.ofKind('traefik-dynamic');
  const lookup = (own: SourceDocument, section: (d: any) => any, name: string): any => {
    for (const d of [own, ...documents.filter((x) => x !== own)]) {
      const found = section(d.data)?.[name];
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const out: ResolvedRouter[] = [];
  for (const document of documents) {
    const routers = document.data?.http?.routers;
    if (!routers || typeof routers !== 'object') continue;
    for (const [name, router] of Object.entries<any>(routers)) {
      const entryPoints: unknown[] = Array.isArray(router?.entryPoints) ? router.entryPoints : [];
      const isPublic = entryPoints.length === 0 || entryPoints.some((e) => typeof e === 'string' && publicEntryPoints.has(e));
      const middlewares = (Array.isArray(router?.middlewares) ? router.middlewares : [])
        .map((m: unknown) => (typeof m === 'string' ? lookup(document, (d) => d?.http?.middlewares, m.replace(/@file$/, '')) : undefined))
        .filter((m: unknown) => m !== undefined && m !== null);
      const serviceName = typeof router?.service === 'string' ? router.service.replace(/@file$/, '') : undefined;
      const servers = serviceName ? lookup(document, (d) => d?.http?.services, serviceName)?.loadBalancer?.servers : undefined;
      const serverUrls: string[] = (Array.isArray(servers) ? servers : []).map((s: any) => s?.url).filter((u: unknown): u is string => typeof u === 'string');
      const hosts = serverUrls.map((u) => hostOf(u)).filter((h: string | undefined): h is string => !!h);
      const tlsName = typeof router?.tls?.options === 'string' ? router.tls.options.replace(/@file$/, '') : undefined;
      const tlsOption = tlsName === undefined ? undefined : lookup(document, (d) => d?.tls?.options, tlsName);
      out.push({ name, document, path: ['http', 'routers', name], data: router, isPublic, middlewares, targets: services.filter((s) => hosts.includes(s.name)), tlsOption, serverUrls });
    }
  }
  return Object.freeze(out);
}

/** Entry points on ports 80/443 or named web/websecure in any static config (or those names by default). */
function publicEntryPointNames(model: PostureModel): Set<string> {
  const names = new Set(['web', 'websecure', 'http', 'https']);
  for (const document of model.ofKind('traefik-static')) {
    for (const [name, ep] of Object.entries<any>(document.data?.entryPoints ?? {})) {
      if (typeof ep?.address === 'string' && /:(80|443)(\/|$)/.test(ep.address)) names.add(name);
    }
  }
  return names;
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const match = /^[a-z]+:\/\/([^/:]+)/i.exec(url);
  return match?.[1];
}
