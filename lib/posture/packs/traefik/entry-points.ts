import type { PostureModel } from '../../posture-model';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { entriesOf, fileProviderName, hasKey, isRecord, isTrue, itemsOf, stringOf } from './value-readers';

/** One entry point of a static configuration. */
export interface EntryPointView {
  /** Its name (`web`, `websecure`, …). */
  readonly name: string;
  /** The static configuration it is declared in. */
  readonly document: SourceDocument;
  /** Its data path, `['entryPoints', name]`. */
  readonly path: DocumentPath;
  /** Its data (an empty object when the file gives none). */
  readonly data: Record<string, unknown>;
  /** Port of `address` (`:443`, `0.0.0.0:443/tcp`, `[::]:443`), if it parses. */
  readonly port?: number;
  /** Host part of `address`, empty when bound to every interface. */
  readonly host: string;
  /** Whether `http.tls` is set on the entry point (its routers then terminate TLS). */
  readonly staticTls: boolean;
  /** Whether `asDefault: true` is set. */
  readonly asDefault: boolean;
}

/** Conventional names of the public plain-HTTP and TLS entry points. */
const PLAIN_NAMES = new Set(['web', 'http']);
const TLS_NAMES = new Set(['websecure', 'https']);

/**
 * The entry points of every static configuration in the model, and the classification the rules
 * share:
 * - **public**: bound to a non-loopback address on port 80 or 443, or named `web`, `websecure`,
 *   `http` or `https` (also when no static configuration is present). A port mapped by compose
 *   from 443 to another container port is only recognised by name.
 * - **TLS**: `http.tls` set on the entry point, port 443 or 8443, or named `websecure`/`https`.
 * - **plain**: not TLS, and port 80 or named `web`/`http`.
 * A router without `entryPoints` listens on the default entry points: those with `asDefault`,
 * else every declared one; with no static configuration in the model, `web` and `websecure`
 * are assumed (Traefik's conventional pair).
 */
export class EntryPoints {
  /** Reads the entry points of every `traefik-static` document of the model. */
  public static of(model: PostureModel): EntryPoints {
    const statics = model.ofKind('traefik-static');
    const views: EntryPointView[] = [];
    for (const document of statics) {
      for (const [name, raw] of entriesOf(document.data?.entryPoints)) {
        const data = isRecord(raw) ? raw : {};
        const address = stringOf(data.address) ?? '';
        const match = /^(.*):(\d+)(?:\/(?:tcp|udp))?$/.exec(address.trim());
        views.push({
          name,
          document,
          path: ['entryPoints', name],
          data,
          port: match ? Number(match[2]) : undefined,
          host: match ? match[1].replace(/^\[|\]$/g, '') : '',
          staticTls: isRecord(data.http) && hasKey(data.http, 'tls') && data.http.tls !== false,
          asDefault: isTrue(data.asDefault),
        });
      }
    }
    return new EntryPoints(statics, views);
  }

  private constructor(
    /** The static configurations of the model. */
    public readonly statics: readonly SourceDocument[],
    /** Every declared entry point, in document order. */
    public readonly all: readonly EntryPointView[],
  ) {}

  /** Whether any static configuration is present (otherwise names are all the rules know). */
  public get known(): boolean {
    return this.statics.length > 0;
  }

  /** The declared entry point called `name`, if any. */
  public get(name: string): EntryPointView | undefined {
    return this.all.find((e) => e.name === name);
  }

  /** Whether the entry point is reachable from the internet (see the class comment). */
  public isPublic(name: string): boolean {
    const view = this.get(name);
    if (view && isLoopback(view.host)) return false;
    if (view && (view.port === 80 || view.port === 443)) return true;
    return PLAIN_NAMES.has(name) || TLS_NAMES.has(name);
  }

  /** Whether the entry point carries TLS traffic. */
  public isTls(name: string): boolean {
    const view = this.get(name);
    if (view?.staticTls) return true;
    if (view?.port === 443 || view?.port === 8443) return true;
    return TLS_NAMES.has(name) && !(view?.port === 80);
  }

  /** Whether the entry point carries plain HTTP. */
  public isPlain(name: string): boolean {
    if (this.isTls(name)) return false;
    const view = this.get(name);
    return view?.port === 80 || PLAIN_NAMES.has(name);
  }

  /** Whether routers on this entry point terminate TLS without a router-level `tls`. */
  public hasStaticTls(name: string): boolean {
    return this.get(name)?.staticTls ?? false;
  }

  /** The entry points a router listens on: its `entryPoints`, or the defaults when unset. */
  public forRouter(explicit: readonly string[] | undefined): string[] {
    if (explicit !== undefined) return [...explicit];
    if (!this.known) return ['web', 'websecure'];
    const defaults = this.all.filter((e) => e.asDefault);
    return [...new Set((defaults.length > 0 ? defaults : this.all).map((e) => e.name))];
  }

  /** Middleware references attached to an entry point (`entryPoints.<n>.http.middlewares`). */
  public middlewaresOf(name: string): string[] {
    const http = this.get(name)?.data.http;
    return isRecord(http) ? itemsOf(http.middlewares).filter((m): m is string => typeof m === 'string') : [];
  }

  /** The TLS option named by `entryPoints.<n>.http.tls.options`, without `@file`, if any. */
  public tlsOptionOf(name: string): string | undefined {
    const http = this.get(name)?.data.http;
    return isRecord(http) && isRecord(http.tls) ? fileProviderName(http.tls.options) : undefined;
  }

  /** Whether some entry point trusts upstream proxies (`forwardedHeaders.trustedIPs` non-empty). */
  public trustsUpstreamProxies(): boolean {
    return this.all.some((e) => isRecord(e.data.forwardedHeaders) && itemsOf(e.data.forwardedHeaders.trustedIPs).length > 0);
  }
}

/** Whether a host part of an address is a loopback interface. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
