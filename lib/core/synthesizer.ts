import { IConstruct } from 'constructs';
import { Assembly, AssemblyFile, MANIFEST_FILE } from './assembly';
import { canonicalJson } from './canonical-json';
import { DocumentProducers, RenderedDocument } from './document';
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
 * (the posture check) → assemble with a manifest. Nothing here writes to disk.
 */
export function synthesize(root: IConstruct, options: SynthesizeOptions = {}): Assembly {
  const constructs = root.node.findAll();

  const invalid: ValidationIssue[] = [];
  for (const c of constructs) {
    for (const message of c.node.validate()) invalid.push({ path: c.node.path || '<app>', message });
  }
  if (invalid.length > 0) throw new ValidationError(invalid);

  const producers = constructs.filter(DocumentProducers.isProducer);
  const rendered = producers.map((p) => ({ producer: p, documents: renderSafely(p) }));

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
  add([{
    path: MANIFEST_FILE,
    producer: root.node.path || '<app>',
    content: canonicalJson({ manifestVersion: 1, generator: 'mlsec-cdk', files: assembly.manifest() }),
  }]);
  return assembly;
}

function renderSafely(producer: IConstruct & { renderDocuments(): RenderedDocument[] }): RenderedDocument[] {
  try {
    return producer.renderDocuments();
  } catch (err) {
    if (err instanceof MlsecError) throw err;
    throw new MlsecError(`[${producer.node.path}] rendering failed: ${(err as Error)?.message ?? String(err)}`);
  }
}
