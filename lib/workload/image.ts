import { checkPattern, collect, describeValue } from '../core/prop-rules';

/** Options of {@link Image.fromRegistry}. */
export interface ImageOptions {
  /**
   * Content digest (`sha256:` + 64 hex) read from the registry. Never invent one: a digest not
   * read from a registry is a defect.
   * @default no digest (the posture report flags tag-only images)
   */
  readonly digest?: string;
}

/**
 * A container image pinned to an exact version tag, and to a digest when one was read from the
 * registry. `latest`, missing tags and version-less tags are rejected at synth.
 */
export class Image {
  /** An image by repository and exact version tag, e.g. `Image.fromRegistry('postgres', '15.8')`. */
  public static fromRegistry(repository: string, tag: string, options: ImageOptions = {}): Image {
    return new Image(repository, tag, options.digest);
  }

  /** Parses `repository:tag[@sha256:…]`. */
  public static parse(reference: string): Image {
    const text = typeof reference === 'string' ? reference : '';
    const at = text.indexOf('@');
    // Everything after the first '@' is the digest, so a second '@' fails its pattern instead of vanishing.
    const nameAndTag = at < 0 ? text : text.slice(0, at);
    const digest = at < 0 ? undefined : text.slice(at + 1);
    const colon = nameAndTag.lastIndexOf(':');
    const slash = nameAndTag.lastIndexOf('/');
    if (colon <= slash) return new Image(nameAndTag, '', digest, reference);
    return new Image(nameAndTag.slice(0, colon), nameAndTag.slice(colon + 1), digest, reference);
  }

  private constructor(
    /** Repository, with registry host when not Docker Hub. */
    public readonly repository: string,
    /** Exact version tag. */
    public readonly tag: string,
    /** Digest read from the registry, when known. */
    public readonly digest?: string,
    private readonly original?: unknown,
  ) {}

  /** The reference compose pulls: `repository:tag[@digest]`. */
  public get reference(): string {
    return `${this.repository}:${this.tag}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** Problems with this image reference, naming the prop. */
  public validate(prop = 'image'): string[] {
    if (this.original !== undefined && typeof this.original !== 'string') {
      return [`prop '${prop}' must be an image reference string (got ${describeValue(this.original)})`];
    }
    const problems = collect(
      checkPattern(`${prop}.repository`, this.repository, REPOSITORY, 'a lower-case image repository such as "postgres" or "ghcr.io/org/app"'),
      checkPattern(`${prop}.tag`, this.tag, TAG, 'an exact version tag with a digit, such as "15.8" or "1.27.1-alpine"'),
      this.digest === undefined ? undefined : checkPattern(`${prop}.digest`, this.digest, DIGEST, 'a registry digest "sha256:" + 64 hex characters'),
    );
    if (typeof this.tag === 'string' && /^latest$|^(stable|main|master|edge|nightly)$/i.test(this.tag)) {
      problems.push(`prop '${prop}.tag' must be an exact version, not the moving tag ${describeValue(this.tag)}`);
    }
    return problems;
  }
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?/)?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^(?=[^\s]*[0-9])[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
