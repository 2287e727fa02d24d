import { ServiceGraph } from './service-graph';
import type { DocumentKind, SourceDocument } from './source-document';

/**
 * What rules read: the documents of one host (synthesized, or given to `mlsec check`) and the
 * service graph derived from its compose files.
 */
export class PostureModel {
  private graphs?: ServiceGraph[];

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
}
