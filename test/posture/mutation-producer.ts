import { Construct } from 'constructs';
import { DocumentProducers, IDocumentProducer, RenderedDocument, Vps } from '../../lib';

/**
 * Emits one extra document of a given kind into a Vps, as the later L2s (Traefik, Vault,
 * Keycloak) will: lets the tests prove that synth audits every artifact family.
 */
export class ExtraDocument extends Construct implements IDocumentProducer {
  constructor(scope: Construct, id: string, private readonly doc: { path: string; kind: string; content: string; data?: unknown }) {
    super(scope, id);
    DocumentProducers.mark(this);
  }

  public renderDocuments(): RenderedDocument[] {
    return [{ path: `${Vps.of(this).name}/${this.doc.path}`, content: this.doc.content, producer: this.node.path, kind: this.doc.kind, data: this.doc.data }];
  }

  public verifyDocuments() {
    return [];
  }
}
