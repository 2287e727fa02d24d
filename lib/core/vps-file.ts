import { Construct } from 'constructs';
import { DocumentProducers, IDocumentProducer, RenderedDocument } from './document';
import { ValidationIssue } from './errors';
import { MlsecError } from './errors';
import { checkedId } from './names';
import { describeValue } from './prop-rules';
import { StructuredText } from './structured-text';
import { Vps } from './vps';

/** Props of a {@link VpsFile}. */
export interface VpsFileProps {
  /** Path below the Vps folder, `/`-separated, e.g. `app/settings.json`. */
  readonly path: string;
  /**
   * The file's text, or a function called at synth so later mutations still reach it. A
   * {@link StructuredText} also hands its data and key positions to verification and the posture
   * rules, so synth does not parse its own output again.
   */
  readonly content: string | (() => string | StructuredText);
  /**
   * The document kind the posture rules audit it as (`vault-policy`, `vault-config`, …).
   * @default none (not audited)
   */
  readonly kind?: string;
  /**
   * Its data, for kinds whose text cannot be parsed synchronously (HCL): called at synth.
   * @default none
   */
  readonly data?: () => unknown;
  /**
   * Checks the rendered text with the consumer's own parser or schema; each returned message is
   * a verification error (the synth writes nothing). `data` is the text's data when the content
   * is a {@link StructuredText}.
   * @default none
   */
  readonly verify?: (content: string, data: unknown) => string[];
}

/** A plain text file in the Vps folder (a config a workload mounts read-only). */
export class VpsFile extends Construct implements IDocumentProducer {
  /** Path below the Vps folder. */
  public readonly path: string;
  private readonly content: string | (() => string | StructuredText);
  private readonly kind?: string;
  private readonly data?: () => unknown;
  private readonly verify?: (content: string, data: unknown) => string[];

  constructor(scope: Construct, id: string, props: VpsFileProps) {
    super(scope, checkedId(scope, id));
    DocumentProducers.mark(this);
    this.path = props?.path;
    this.content = props?.content;
    this.kind = props?.kind;
    this.data = props?.data;
    this.verify = props?.verify;
    this.node.addValidation({
      validate: () => [
        ...(typeof this.content === 'string' || typeof this.content === 'function'
          ? []
          : [`prop 'content' must be a string or a function returning one (got ${describeValue(this.content)})`]),
        ...(
        typeof this.path === 'string' && /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))(?!.*\/\/)[A-Za-z0-9._\-/]+$/.test(this.path) && !this.path.endsWith('/')
          ? []
          : [`prop 'path' must be a relative path of letters, digits and ._-/ without ".", ".." or empty segments (got ${describeValue(this.path)})`]),
      ],
    });
  }

  /** Path of the file relative to the compose file, for bind mounts. */
  public get composePath(): string {
    return `./${this.path}`;
  }

  public renderDocuments(): RenderedDocument[] {
    const produced = typeof this.content === 'function' ? this.content() : this.content;
    const path = `${Vps.of(this).name}/${this.path}`;
    const kind = this.kind === undefined ? {} : { kind: this.kind };
    if (StructuredText.isStructuredText(produced)) {
      return [{ path, content: produced.text, producer: this.node.path, ...kind, data: produced.data, locations: produced.locations }];
    }
    if (typeof produced !== 'string') {
      throw new MlsecError(`[${this.node.path}] prop 'content' must produce a string or a StructuredText (got ${describeValue(produced)})`);
    }
    return [{ path, content: produced, producer: this.node.path, ...kind, ...(this.data === undefined ? {} : { data: this.data() }) }];
  }

  public verifyDocuments(documents: readonly RenderedDocument[]): ValidationIssue[] {
    const verify = this.verify;
    if (!verify) return [];
    return documents.flatMap((d) => verify(d.content, d.data).map((message) => ({ path: this.node.path, message: `${d.path}: ${message}` })));
  }
}
