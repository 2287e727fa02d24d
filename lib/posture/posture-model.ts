import { ServiceGraph } from './service-graph';
import type { DocumentKind, SourceDocument } from './source-document';

/**
 * What rules read: the documents of one host (synthesized, or given to `mlsec check`) and the
 * service graph derived from its compose files.
 */
export class PostureModel {
  private graphs?: ServiceGraph[];
  private readonly views = new Map<(model: PostureModel) => unknown, unknown>();

  constructor(
    /** The documents, in a stable order. */
    public readonly documents: readonly SourceDocument[],
  ) {}

  /** Documents of one kind. */
  public ofKind(kind: DocumentKind): SourceDocument[] {
    return this.documents.filter((d) => d.kind === kind);
  }

  /** One service graph per compose document. */
  public serviceGraphs(): readonly ServiceGraph[] {
    this.graphs ??= this.ofKind('compose').map((d) => new ServiceGraph(d));
    return this.graphs;
  }

  /**
   * What `build` derives from the documents (every Vault policy, every resolved router …),
   * built on first use and shared by the rules of this model: several rules read the same view,
   * and the documents are frozen, so it cannot go stale. A view is read-only for its readers.
   */
  public view<T>(build: (model: PostureModel) => T): T {
    if (!this.views.has(build)) this.views.set(build, build(this));
    return this.views.get(build) as T;
  }
}
