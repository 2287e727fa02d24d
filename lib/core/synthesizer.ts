import { IConstruct } from 'constructs';
import { Assembly, AssemblyFile, MANIFEST_FILE } from './assembly';
import { canonicalJson } from './canonical-json';
import { DocumentProducers, IDocumentProducer, RenderedDocument } from './document';
import { MlsecError, ValidationError, ValidationIssue, VerificationError } from './errors';
import { SynthPhases } from './synth-phase';

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /**
   * Called with the files of the assembly as they are settled: the verified documents before the
   * phases run, then the phases' documents and the manifest. A throw later still fails the synth.
   * @default none
   */
  readonly onFiles?: (files: readonly AssemblyFile[]) => void;
}

/**
 * The synth pipeline (ARCHITECTURE.md §3): validate every construct (all errors at once) →
 * render every document in memory → verify each against its real schema → registered phases
 * (the posture check) → deferred documents (read by nothing above) → assemble with a manifest.
 * Nothing here writes to disk.
 */
export function synthesize(root: IConstruct, options: SynthesizeOptions = {}): Assembly {
  const constructs = root.node.findAll();
  const producers = constructs.filter(DocumentProducers.isProducer);
  const deferred = new Set(producers.filter((p) => p.renderDeferredDocuments !== undefined));
  try {
    const invalid: ValidationIssue[] = [];
    for (const c of constructs) {
      for (const message of c.node.validate()) invalid.push({ path: c.node.path || '<app>', message });
    }
    if (invalid.length > 0) throw new ValidationError(invalid);
    return assemble(root, producers, deferred, options);
  } catch (err) {
    // Work started for deferred files (a layout thread, started by validation) ends with the synth.
    for (const p of deferred) {
      try {
        p.abandonDeferredDocuments?.();
      } catch {
        // the synth's own error is the one to report
      }
    }
    throw err;
  }
}

/** Render → verify → phases → deferred documents → manifest; `deferred` loses each producer it has collected. */
function assemble(root: IConstruct, producers: readonly IDocumentProducer[], deferred: Set<IDocumentProducer>, options: SynthesizeOptions): Assembly {
  const rendered = producers.map((p) => ({ producer: p, documents: renderSafely(p, () => p.renderDocuments()) }));

  const unverified: ValidationIssue[] = [];
  for (const { producer, documents } of rendered) unverified.push(...producer.verifyDocuments(documents));
  if (unverified.length > 0) throw new VerificationError(unverified);

  const documents = rendered.flatMap((r) => r.documents);
  const assembly = new Assembly();
  const add = (docs: readonly RenderedDocument[]) => {
    const files = docs.map((doc) => ({ path: doc.path, content: doc.content, producer: doc.producer }));
    for (const file of files) assembly.addFile(file);
    options.onFiles?.(files);
  };
  add(documents);
  const phased: RenderedDocument[] = [];
  for (const phase of SynthPhases.all()) phased.push(...phase.run({ root, documents: [...documents, ...phased] }));
  add(phased);
  add([...deferred].flatMap((p) => {
    deferred.delete(p);
    return renderSafely(p, () => p.renderDeferredDocuments!());
  }));
  add([{
    path: MANIFEST_FILE,
    producer: root.node.path || '<app>',
    content: canonicalJson({ manifestVersion: 1, generator: 'mlsec-cdk', files: assembly.manifest() }),
  }]);
  return assembly;
}

function renderSafely(producer: IConstruct, render: () => RenderedDocument[]): RenderedDocument[] {
  try {
    return render();
  } catch (err) {
    if (err instanceof MlsecError) throw err;
    throw new MlsecError(`[${producer.node.path}] rendering failed: ${(err as Error)?.message ?? String(err)}`);
  }
}
