import type { DocumentPath, SourceDocument } from '../../source-document';

/**
 * Compose files are read as YAML 1.1, where an unquoted `22:22` is the base-60 number 1342 and
 * `0:0` is 0. These helpers recover what the author actually typed, so rules can report the
 * misread and still judge the intended value.
 */

/** A YAML 1.1 base-60 integer as written: digits, then one or more `:NN` groups. */
const SEXAGESIMAL = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/;

/**
 * The plain scalar written at `path` (a list item or a key's value), as it appears in the text;
 * undefined when it cannot be found (flow maps, aliases, multi-line values).
 */
export function writtenScalar(document: SourceDocument, path: DocumentPath): string | undefined {
  try {
    const at = document.locate(path);
    const line = document.text.split(/\r?\n/)[at.line - 1];
    if (line === undefined) return undefined;
    let rest = line.slice(at.column - 1);
    if (typeof path[path.length - 1] === 'string') {
      // The location is the key: skip `key:` to reach the value.
      const key = /^(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s:#][^:#]*?)\s*:(?:\s+|$)/.exec(rest);
      if (!key) return undefined;
      rest = rest.slice(key[0].length);
    } else {
      rest = rest.replace(/^-\s+/, '');
    }
    const token = /^[^\s,\]}#]+/.exec(rest);
    return token ? token[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When the number at `path` was written as a base-60 literal such as `22:22` (read by YAML 1.1 as
 * 1342), the text the author wrote; else undefined.
 */
export function sexagesimalMisread(document: SourceDocument, path: DocumentPath, value: unknown): string | undefined {
  if (typeof value !== 'number') return undefined;
  const written = writtenScalar(document, path);
  return written !== undefined && SEXAGESIMAL.test(written) ? written : undefined;
}

/**
 * The text of a scalar that should be a string: strings as they are, numbers as written in the
 * file (YAML 1.1 reads `build: .` as NaN and `22:22` as 1342); undefined for other values.
 */
export function writtenText(document: SourceDocument, path: DocumentPath, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return undefined;
  return writtenScalar(document, path) ?? (Number.isFinite(value) ? String(value) : undefined);
}
