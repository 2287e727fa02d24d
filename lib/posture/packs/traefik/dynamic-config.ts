import type { PostureModel } from '../../posture-model';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { EntryPoints } from './entry-points';
import { entriesOf, fileProviderName, hasKey, isFalse, isRecord, itemsOf, stringOf } from './value-readers';

/** One HTTP router of a dynamic (file-provider) configuration. */
export interface RouterView {
  /** Router name. */
  readonly name: string;
  /** The dynamic configuration it is in. */
  readonly document: SourceDocument;
  /** `['http', 'routers', name]`. */
  readonly path: DocumentPath;
  /** Its data (an empty object when the file gives none). */
  readonly data: Record<string, unknown>;
  /** `rule`, or '' when absent or not a string. */
  readonly rule: string;
  /** `service` as written (`api@internal`, `mlflow@file`, `mlflow`), if a string. */
  readonly service?: string;
  /** `entryPoints` (strings only), or undefined when unset or empty: then the default entry points. */
  readonly entryPoints?: readonly string[];
  /** Whether the router has a `tls` section (`tls: {}`, `tls:` or `tls: true`). */
  readonly hasTls: boolean;
}

/** One middleware of a dynamic configuration. */
export interface MiddlewareView {
  /** Middleware name. */
  readonly name: string;
  /** The dynamic configuration it is in. */
  readonly document: SourceDocument;
  /** `['http', 'middlewares', name]`. */
  readonly path: DocumentPath;
  /** Its data (an empty object when the file gives none). */
  readonly data: Record<string, unknown>;
}

/** One TLS option (`tls.options.<name>`). */
export interface TlsOptionView {
  /** Option name (`default`, `modern`, `mtls`, …). */
  readonly name: string;
  /** The dynamic configuration it is in. */
  readonly document: SourceDocument;
  /** `['tls', 'options', name]`. */
  readonly path: DocumentPath;
  /** Its data (an empty object when the file gives none). */
  readonly data: Record<string, unknown>;
}

/** A middleware of one type, with that type's settings (empty when the file gives none). */
export interface TypedMiddleware {
  /** The middleware. */
  readonly middleware: MiddlewareView;
  /** Its settings for the type, e.g. the `rateLimit` section. */
  readonly settings: Record<string, unknown>;
}

/** Middleware types that authenticate a request. */
export const AUTH_MIDDLEWARES = ['basicAuth', 'digestAuth', 'forwardAuth'] as const;

/**
 * What the Traefik rules read from a model: routers, middlewares and TLS options of every
 * dynamic configuration, and the entry points of every static one. Middleware references are
 * resolved in the router's own file first, then in the other dynamic files (the file provider
 * merges a directory); `name@file` is `name`; a reference to another provider or one that
 * resolves nowhere is treated as absent. `chain` middlewares are expanded.
 */
export class TraefikConfig {
  private static readonly cache = new WeakMap<PostureModel, TraefikConfig>();

  /** The (cached) view of a model. */
  public static of(model: PostureModel): TraefikConfig {
    let config = TraefikConfig.cache.get(model);
    if (!config) {
      config = new TraefikConfig(model);
      TraefikConfig.cache.set(model, config);
    }
    return config;
  }

  /** The dynamic configurations. */
  public readonly dynamics: readonly SourceDocument[];
  /** Every HTTP router, file by file. */
  public readonly routers: readonly RouterView[];
  /** Every HTTP middleware, file by file. */
  public readonly middlewares: readonly MiddlewareView[];
  /** Every TLS option, file by file. */
  public readonly tlsOptions: readonly TlsOptionView[];
  /** The entry points of the static configurations. */
  public readonly entryPoints: EntryPoints;
  private readonly middlewaresByName = new Map<string, MiddlewareView[]>();

  private constructor(model: PostureModel) {
    this.dynamics = model.ofKind('traefik-dynamic');
    this.entryPoints = EntryPoints.of(model);
    const routers: RouterView[] = [];
    const middlewares: MiddlewareView[] = [];
    const tlsOptions: TlsOptionView[] = [];
    for (const document of this.dynamics) {
      const http = isRecord(document.data) ? document.data.http : undefined;
      for (const [name, raw] of entriesOf(isRecord(http) ? http.routers : undefined)) {
        const data = isRecord(raw) ? raw : {};
        routers.push({
          name,
          document,
          path: ['http', 'routers', name],
          data,
          rule: stringOf(data.rule) ?? '',
          service: stringOf(data.service),
          entryPoints: namedEntryPoints(data.entryPoints),
          hasTls: hasKey(data, 'tls') && !isFalse(data.tls),
        });
      }
      for (const [name, raw] of entriesOf(isRecord(http) ? http.middlewares : undefined)) {
        middlewares.push({ name, document, path: ['http', 'middlewares', name], data: isRecord(raw) ? raw : {} });
      }
      const tls = isRecord(document.data) ? document.data.tls : undefined;
      for (const [name, raw] of entriesOf(isRecord(tls) ? tls.options : undefined)) {
        tlsOptions.push({ name, document, path: ['tls', 'options', name], data: isRecord(raw) ? raw : {} });
      }
    }
    this.routers = routers;
    this.middlewares = middlewares;
    this.tlsOptions = tlsOptions;
    for (const m of middlewares) (this.middlewaresByName.get(m.name) ?? this.middlewaresByName.set(m.name, []).get(m.name)!).push(m);
  }

  /** Middlewares of a given type (`headers`, `rateLimit`, …) with that type's settings. */
  public middlewaresOfType(type: string): TypedMiddleware[] {
    return ofType(this.middlewares, type);
  }

  /** Resolves a middleware reference as seen from `from` (see the class comment). */
  public resolveMiddleware(reference: unknown, from: SourceDocument): MiddlewareView | undefined {
    const name = fileProviderName(reference);
    if (name === undefined) return undefined;
    const candidates = this.middlewaresByName.get(name) ?? [];
    return candidates.find((m) => m.document === from) ?? candidates[0];
  }

  /** Resolves a TLS option name as seen from `from`. */
  public resolveTlsOption(name: string, from: SourceDocument): TlsOptionView | undefined {
    return this.tlsOptions.find((o) => o.document === from && o.name === name) ?? this.tlsOptions.find((o) => o.name === name);
  }

  /** The entry points a router listens on (explicit, else the defaults). */
  public entryPointsOf(router: RouterView): string[] {
    return this.entryPoints.forRouter(router.entryPoints);
  }

  /** Whether a router listens on a public entry point (unset `entryPoints` = every one). */
  public isPublic(router: RouterView): boolean {
    return this.entryPointsOf(router).some((e) => this.entryPoints.isPublic(e));
  }

  /** Whether a router terminates TLS: its own `tls`, or `http.tls` on all its entry points. */
  public terminatesTls(router: RouterView): boolean {
    if (router.hasTls) return true;
    const eps = this.entryPointsOf(router);
    return eps.length > 0 && eps.every((e) => this.entryPoints.hasStaticTls(e));
  }

  /**
   * The middlewares that run for a router: those of its entry points (static
   * `entryPoints.<n>.http.middlewares`), then its own, with chains expanded and unresolvable
   * references dropped.
   */
  public effectiveMiddlewares(router: RouterView): MiddlewareView[] {
    const out: MiddlewareView[] = [];
    const seen = new Set<MiddlewareView>();
    const visit = (reference: unknown, from: SourceDocument): void => {
      const middleware = this.resolveMiddleware(reference, from);
      if (!middleware || seen.has(middleware)) return;
      seen.add(middleware);
      out.push(middleware);
      const chain = middleware.data.chain;
      if (isRecord(chain)) for (const inner of itemsOf(chain.middlewares)) visit(inner, middleware.document);
    };
    for (const ep of this.entryPointsOf(router)) for (const reference of this.entryPoints.middlewaresOf(ep)) visit(reference, router.document);
    for (const reference of itemsOf(router.data.middlewares)) visit(reference, router.document);
    return out;
  }

  /** The settings of every middleware of `type` that runs for a router. */
  public effectiveOfType(router: RouterView, type: string): TypedMiddleware[] {
    return ofType(this.effectiveMiddlewares(router), type);
  }

  /**
   * The name of the TLS option a router uses: its own `tls.options`, else the
   * `http.tls.options` its entry points agree on, else `default`.
   */
  public tlsOptionNameOf(router: RouterView): string {
    const own = isRecord(router.data.tls) ? fileProviderName(router.data.tls.options) : undefined;
    if (own !== undefined) return own;
    const fromEntryPoints = new Set(this.entryPointsOf(router).map((e) => this.entryPoints.tlsOptionOf(e)));
    const [only] = [...fromEntryPoints];
    return fromEntryPoints.size === 1 && only !== undefined ? only : 'default';
  }

  /** The TLS option a router effectively uses, if defined in some dynamic configuration. */
  public tlsOptionOf(router: RouterView): TlsOptionView | undefined {
    return this.resolveTlsOption(this.tlsOptionNameOf(router), router.document);
  }
}

/** Where a router's middleware list is (or the router itself, when it has none). */
export function routerMiddlewaresPath(router: RouterView): DocumentPath {
  return hasKey(router.data, 'middlewares') ? [...router.path, 'middlewares'] : router.path;
}

/** The string entries of a router's `entryPoints`, or undefined when it names none. */
function namedEntryPoints(value: unknown): string[] | undefined {
  const names = itemsOf(value).filter((e): e is string => typeof e === 'string' && e !== '');
  return names.length > 0 ? names : undefined;
}

function ofType(middlewares: readonly MiddlewareView[], type: string): TypedMiddleware[] {
  return middlewares.flatMap((m) => {
    if (!hasKey(m.data, type)) return [];
    const settings = m.data[type];
    return [{ middleware: m, settings: isRecord(settings) ? settings : {} }];
  });
}
