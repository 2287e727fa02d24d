import type { PostureModel } from '../../posture-model';
import type { RuleHit } from '../../rule';
import type { Severity } from '../../severity';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { asMap, isExtensionKey } from './compose-values';

/** One service of one compose document, as the compose rules read it. */
export interface ComposeService {
  /** The compose document. */
  readonly document: SourceDocument;
  /** Service name. */
  readonly name: string;
  /** Its definition (a mapping). */
  readonly data: Readonly<Record<string, unknown>>;
  /** `['services', name]`. */
  readonly path: DocumentPath;
}

/** The services of one compose document: mappings under `services`, `x-` extension keys skipped. */
export function servicesOf(document: SourceDocument): ComposeService[] {
  const services = asMap(asMap(document.data)?.services);
  if (!services) return [];
  const out: ComposeService[] = [];
  for (const name of Object.keys(services)) {
    const data = asMap(services[name]);
    if (data && !isExtensionKey(name)) out.push({ document, name, data, path: ['services', name] });
  }
  return out;
}

/** Every service of every compose document of the model (listed once per model, shared by the rules). */
export function composeServices(model: PostureModel): readonly ComposeService[] {
  return model.view(readServices);
}

function readServices(model: PostureModel): readonly ComposeService[] {
  return Object.freeze(model.ofKind('compose').flatMap(servicesOf));
}

/** Options of {@link serviceHit}. */
export interface ServiceHitOptions {
  /** Granular id; the service name when omitted. */
  readonly granular?: string;
  /** Severity of this hit when it differs from the rule's. */
  readonly severity?: Severity;
}

/** A hit on `service` at `steps` below it (`[]` points at the service key). */
export function serviceHit(service: ComposeService, steps: DocumentPath, message: string, options: ServiceHitOptions = {}): RuleHit {
  return {
    document: service.document,
    path: [...service.path, ...steps],
    message,
    granular: options.granular ?? service.name,
    ...(options.severity ? { severity: options.severity } : {}),
  };
}

/** Runs `check` over every compose service of the model and collects its hits. */
export function eachService(model: PostureModel, check: (service: ComposeService) => RuleHit | RuleHit[] | undefined): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const service of composeServices(model)) {
    const found = check(service);
    if (Array.isArray(found)) hits.push(...found);
    else if (found) hits.push(found);
  }
  return hits;
}

/** The steps to a key of the service when it is present, else `[]` (the service itself). */
export function keyOrService(service: ComposeService, key: string): DocumentPath {
  return service.data[key] !== undefined ? [key] : [];
}
