import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Node as YamlNode, parseDocument } from 'yaml';
import { MlsecError } from '../core/errors';
import { HclLocator } from './hcl-locator';

/** The artifact families the rule packs read. */
export type DocumentKind = 'compose' | 'traefik-static' | 'traefik-dynamic' | 'vault-policy' | 'vault-config' | 'keycloak-realm' | 's3-policy';

/** Every document kind, in catalog order. */
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['compose', 'traefik-static', 'traefik-dynamic', 'vault-policy', 'vault-config', 'keycloak-realm', 's3-policy'];

/** A path into a document's data: keys and array indexes. */
export type DocumentPath = readonly (string | number)[];

/** A 1-based position in a file. */
export interface SourceLocation {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** A document that could not be parsed; names the file and the position. */
export class DocumentParseError extends MlsecError {
  constructor(
    /** The file. */
    public readonly file: string,
    /** Where parsing failed. */
    public readonly location: SourceLocation,
    detail: string,
  ) {
    super(`${file}:${location.line}:${location.column}: cannot parse: ${detail}`);
    this.name = 'DocumentParseError';
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * One rendered or hand-written document with its parsed data and a way back from a data path to
 * the line and column it came from. Data is deep-frozen: rules read it, never change it.
 */
export class SourceDocument {
  /**
   * Parses YAML (compose, Traefik) or JSON (Keycloak) text synchronously. Compose is read as
   * YAML 1.1 (what docker-compose 1.x reads: `yes` is true, `22:22` is a number), the others as
   * YAML 1.2; anchors, aliases and merge keys are resolved.
   */
  public static parseYaml(kind: DocumentKind, file: string, text: string): SourceDocument {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, version: kind === 'compose' ? '1.1' : '1.2', merge: true, uniqueKeys: true, prettyErrors: false });
    const error = doc.errors[0];
    if (error) {
      const pos = lineCounter.linePos(error.pos[0]);
      throw new DocumentParseError(file, { line: pos.line, column: pos.col }, error.message.split('\n')[0]);
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      throw new DocumentParseError(file, { line: 1, column: 1 }, (err as Error).message);
    }
    return new SourceDocument(kind, file, text, data, (path) => locateYaml(doc.contents, path, lineCounter, doc));
  }

  /**
   * A JSON document we rendered ourselves (a Keycloak realm, an S3 policy): `JSON.parse` reads
   * the data, and the YAML parser — ten times slower on a realm — runs only if a rule asks
   * where something is.
   */
  public static fromJson(kind: DocumentKind, file: string, text: string): SourceDocument {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return SourceDocument.parseYaml(kind, file, text); // its error names line and column
    }
    let located: SourceDocument | undefined;
    return new SourceDocument(kind, file, text, data, (path) => (located ??= SourceDocument.parseYaml(kind, file, text)).locate(path));
  }

  /**
   * An HCL document (Vault policy or server config) whose data was parsed by HashiCorp's parser
   * (`@cdktf/hcl2json`, asynchronous) or is known from the renderer; positions come from the text.
   */
  public static fromHcl(kind: DocumentKind, file: string, text: string, data: unknown): SourceDocument {
    const locator = new HclLocator(text);
    return new SourceDocument(kind, file, text, data, (path) => locator.locate(path));
  }

  /**
   * A document whose data and key positions are already known (recorded by the writer while it
   * wrote the text), so nothing is parsed again.
   */
  public static fromData(kind: DocumentKind, file: string, text: string, data: unknown, locations: ReadonlyMap<string, SourceLocation>): SourceDocument {
    return new SourceDocument(kind, file, text, data, (path) => {
      for (let n = path.length; n > 0; n--) {
        const hit = locations.get(path.slice(0, n).join('\u0000'));
        if (hit) return hit;
      }
      return { line: 1, column: 1 };
    });
  }

  /**
   * Parses any supported document: YAML/JSON synchronously, HCL with `@cdktf/hcl2json`.
   */
  public static async parse(kind: DocumentKind, file: string, text: string): Promise<SourceDocument> {
    if (kind !== 'vault-policy' && kind !== 'vault-config') return SourceDocument.parseYaml(kind, file, text);
    const { parse } = await import('@cdktf/hcl2json');
    let data: unknown;
    try {
      data = await parse(file, text);
    } catch (err) {
      const detail = String((err as Error)?.message ?? err);
      const match = /:(\d+),(\d+)/.exec(detail);
      throw new DocumentParseError(file, { line: match ? Number(match[1]) : 1, column: match ? Number(match[2]) : 1 }, detail.replace(/^parse config: /, ''));
    }
    return SourceDocument.fromHcl(kind, file, text, data);
  }

  /** The parsed data, deep-frozen. */
  public readonly data: any;
  /**
   * The construct that wrote the whole file (a synthesized VpsFile), when known: findings in it
   * are scoped to that construct, so acknowledgements made on it or its parents apply.
   */
  public producer?: string;

  private constructor(
    /** What kind of document it is. */
    public readonly kind: DocumentKind,
    /** File, relative to the output directory (synth) or as given (CLI). */
    public readonly file: string,
    /** The exact text. */
    public readonly text: string,
    data: unknown,
    private readonly locator: (path: DocumentPath) => SourceLocation,
  ) {
    this.data = deepFreeze(data ?? {});
  }

  /** Line and column of the deepest part of `path` present in the text (the key when there is one). */
  public locate(path: DocumentPath): SourceLocation {
    return this.locator(path);
  }

  /** The value at `path`, or undefined. */
  public get(path: DocumentPath): unknown {
    let node: any = this.data;
    for (const key of path) {
      if (node === null || typeof node !== 'object') return undefined;
      node = node[key as any];
    }
    return node;
  }

  /**
   * The construct that produced the value at `path`, when the document says so: compose services
   * carry it in `x-mlsec.construct`.
   */
  public constructPathAt(path: DocumentPath): string | undefined {
    if (this.kind === 'compose' && path[0] === 'services' && typeof path[1] === 'string') {
      const construct = this.data?.services?.[path[1]]?.['x-mlsec']?.construct;
      return typeof construct === 'string' ? construct : undefined;
    }
    return this.kind === 'compose' ? undefined : this.producer;
  }
}

function locateYaml(root: unknown, path: DocumentPath, lines: LineCounter, doc: any): SourceLocation {
  let node: unknown = root;
  let best: [number, number, number] | undefined = (root as YamlNode | undefined)?.range ?? undefined;
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = findPair(node, key, doc);
      if (!pair) break;
      best = ((pair.key as YamlNode)?.range ?? (pair.value as YamlNode)?.range ?? best) as typeof best;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key];
      best = ((node as YamlNode).range ?? best) as typeof best;
    } else {
      break;
    }
  }
  const pos = lines.linePos(best ? best[0] : 0);
  return { line: pos.line, column: pos.col };
}

/** The pair for `key` in a map, looking through `<<` merge keys as YAML merge does. */
function findPair(map: any, key: string | number, doc: any): any {
  for (const pair of map.items) {
    if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(key)) return pair;
  }
  for (const pair of map.items) {
    if (!isPair(pair) || !isScalar(pair.key) || (pair.key.value !== '<<' && typeof pair.key.value !== 'symbol')) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (let source of sources) {
      if (isAlias(source)) source = source.resolve(doc);
      if (isMap(source)) {
        const found = findPair(source, key, doc);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  // `!!binary` values become typed arrays, which cannot be frozen; rules treat them as opaque.
  if (ArrayBuffer.isView(value)) return value;
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
