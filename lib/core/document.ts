import { IConstruct } from 'constructs';
import { ValidationIssue } from './errors';

const DOCUMENT_PRODUCER = Symbol.for('mlsec-cdk.DocumentProducer');

/** A rendered file, before verification and writing. */
export interface RenderedDocument {
  /** Path relative to the output directory, `/`-separated. */
  readonly path: string;
  /** Exact text of the file. */
  readonly content: string;
  /** Construct path of the construct that produced it. */
  readonly producer: string;
  /**
   * What kind of artifact it is, for the posture rules (`compose`, `traefik-dynamic`, …).
   * @default none (not audited)
   */
  readonly kind?: string;
  /**
   * Its data when the text cannot be parsed synchronously (HCL), for the posture rules.
   * @default parsed from the text
   */
  readonly data?: unknown;
  /**
   * Line and column of data paths (joined with NUL), recorded while writing, so the posture
   * check locates findings without re-parsing the text.
   * @default located by parsing the text
   */
  readonly locations?: ReadonlyMap<string, { line: number; column: number }>;
}

/** A construct that renders files at synth time. */
export interface IDocumentProducer extends IConstruct {
  /** Renders this producer's files from the current state of the tree. */
  renderDocuments(): RenderedDocument[];
  /**
   * Verifies the rendered files against their real schema; each issue names the construct that
   * produced the offending value.
   */
  verifyDocuments(documents: readonly RenderedDocument[]): ValidationIssue[];
  /**
   * Files that no verification and no synth phase reads, finished after the phases so that work
   * started earlier on another thread (a diagram layout) overlaps them.
   * @default none
   */
  renderDeferredDocuments?(): RenderedDocument[];
  /**
   * Called instead of {@link renderDeferredDocuments} when synth fails: finishes or stops work
   * started for the deferred files, so none outlives the synth.
   * @default none
   */
  abandonDeferredDocuments?(): void;
}

/** Brand helpers so producers are found without `instanceof` across package copies. */
export class DocumentProducers {
  /** Marks a construct as a document producer. */
  public static mark(producer: IDocumentProducer): void {
    Object.defineProperty(producer, DOCUMENT_PRODUCER, { value: true });
  }

  /** Whether `x` is a document producer. */
  public static isProducer(x: unknown): x is IDocumentProducer {
    return x !== null && typeof x === 'object' && DOCUMENT_PRODUCER in x;
  }
}
