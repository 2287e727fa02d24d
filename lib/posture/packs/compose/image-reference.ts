import { interpolate, UNRESOLVED_MARK } from './interpolation';

/** A parsed `image:` reference. */
export interface ImageReference {
  /** The reference as written. */
  readonly written: string;
  /** Registry host (`docker.io` when none is named). */
  readonly registry: string;
  /** Repository path without the registry, e.g. `library/postgres`, `hashicorp/vault`. */
  readonly repository: string;
  /** Last path segment of the repository, lower-cased, e.g. `postgres`, `vault`. */
  readonly name: string;
  /** Tag, when one is written (after defaults of `${VAR:-x}` are applied). */
  readonly tag?: string;
  /** Digest (`sha256:…`), when one is written. */
  readonly digest?: string;
  /** Whether part of the reference comes from a variable the file does not define. */
  readonly unresolved: boolean;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Parses an image reference; undefined for anything that is not a non-empty string. */
export function parseImage(value: unknown): ImageReference | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const written = value.trim();
  const { text, unresolved } = interpolate(written);
  const at = text.indexOf('@');
  const nameAndTag = at < 0 ? text : text.slice(0, at);
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const slash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.lastIndexOf(':');
  const name = colon > slash ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon > slash ? nameAndTag.slice(colon + 1) : undefined;
  const parts = name.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost' || parts[0].includes(UNRESOLVED_MARK))) {
    registry = parts.shift()!.toLowerCase();
    if (DOCKER_HUB.has(registry)) registry = 'docker.io';
  }
  const repository = parts.join('/');
  return {
    written,
    registry,
    repository,
    name: (parts[parts.length - 1] ?? '').toLowerCase(),
    tag,
    digest,
    unresolved: unresolved.length > 0 || text.includes(UNRESOLVED_MARK),
  };
}
