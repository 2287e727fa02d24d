import { join } from 'path';
import { ErrorObject, ValidateFunction } from 'ajv';
import validateDynamic from '../../../traefik/generated/traefik-dynamic.validator';
import validateStatic from '../../../traefik/generated/traefik-static.validator';
import type { DocumentPath } from '../../source-document';
import { isRecord } from './value-readers';

/**
 * Where the vendored SchemaStore Traefik schemas are, `<repo>/schemas/schemastore`: the source of
 * the validators `npx projen gen:traefik` precompiles into lib/traefik/generated/.
 */
export const TRAEFIK_SCHEMA_DIR = join(__dirname, '../../../..', 'schemas', 'schemastore');

/** The schema file for each Traefik document kind. */
export const TRAEFIK_SCHEMA_FILES = { 'traefik-static': 'traefik-v3.json', 'traefik-dynamic': 'traefik-v3-file-provider.json' } as const;

/** Kinds the schemas validate. */
export type TraefikSchemaKind = keyof typeof TRAEFIK_SCHEMA_FILES;

/** One schema violation, reduced to what a person needs. */
export interface SchemaProblem {
  /** Data path of the offending value (for an unknown key: the key itself). */
  readonly path: DocumentPath;
  /** What is wrong, naming the path. */
  readonly message: string;
  /** Whether it is a key the schema does not know (often the schema lagging Traefik). */
  readonly unknownKey: boolean;
}

/**
 * Options Traefik v3.7 documents (and accepts) that the vendored SchemaStore snapshot does not
 * know yet, by kind and data path (`*` matches one segment): not reported as unknown keys.
 */
export const TRAEFIK_OPTIONS_NEWER_THAN_SCHEMA: Readonly<Record<TraefikSchemaKind, readonly string[]>> = {
  // entryPoints.<name>.http.aliasHeadersStrategy (v3.6+): what to do with header-name aliases such as X_Client_Id.
  'traefik-static': ['entryPoints.*.http.aliasHeadersStrategy'],
  'traefik-dynamic': [],
};

function isNewerOption(kind: TraefikSchemaKind, path: readonly (string | number)[]): boolean {
  return TRAEFIK_OPTIONS_NEWER_THAN_SCHEMA[kind].some((pattern) => {
    const parts = pattern.split('.');
    return parts.length === path.length && parts.every((p, i) => p === '*' || p === String(path[i]));
  });
}

/**
 * The validator for a kind: precompiled from the vendored schemas (`npx projen gen:traefik`), so a
 * process does not spend ~180 ms compiling both schemas.
 */
export function traefikValidator(kind: TraefikSchemaKind): ValidateFunction {
  return (kind === 'traefik-static' ? validateStatic : validateDynamic) as unknown as ValidateFunction;
}

/**
 * Validates data and reduces ajv's errors: the per-branch noise of a failed `oneOf`/`anyOf`
 * (every middleware type rejecting the others' keys) becomes one problem — an unknown key when
 * every branch rejects it, nothing when a deeper error explains the failure, else one shape
 * problem; `additionalProperties` errors become unknown-key problems at the key.
 */
export function schemaProblems(kind: TraefikSchemaKind, data: unknown): SchemaProblem[] {
  const validate = traefikValidator(kind);
  if (validate(data)) return [];
  const errors: ErrorObject[] = validate.errors ?? [];
  const noise = new Set<ErrorObject>();
  const out: SchemaProblem[] = [];
  for (const combinator of errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')) {
    const prefix = `${combinator.schemaPath}/`;
    const branches = errors.filter((e) => e !== combinator && e.instancePath === combinator.instancePath && e.schemaPath.startsWith(prefix));
    noise.add(combinator);
    branches.forEach((b) => noise.add(b));
    const branchOf = (e: ErrorObject): string => e.schemaPath.slice(prefix.length).split('/')[0];
    const branchCount = new Set(branches.map(branchOf)).size;
    const rejectedBy = new Map<string, Set<string>>();
    for (const b of branches) {
      if (b.keyword !== 'additionalProperties') continue;
      const key = String((b.params as { additionalProperty?: unknown }).additionalProperty);
      (rejectedBy.get(key) ?? rejectedBy.set(key, new Set()).get(key)!).add(branchOf(b));
    }
    // A key is unknown when every branch that failed here rejects it and no branch validated
    // inside it (a branch that recursed into the key, failing deeper, knows it).
    const inside = (key: string): boolean => errors.some((e) => e.instancePath === `${combinator.instancePath}/${escapePointer(key)}` || e.instancePath.startsWith(`${combinator.instancePath}/${escapePointer(key)}/`));
    const unknown = [...rejectedBy].filter(([key, by]) => branchCount > 0 && by.size === branchCount && !inside(key)).map(([key]) => key);
    for (const key of unknown) out.push(unknownKeyProblem(kind, data, combinator.instancePath, key));
    const deeper = errors.some((e) => e.instancePath.startsWith(`${combinator.instancePath}/`));
    if (unknown.length === 0 && !deeper) {
      const types = branches.filter((b) => b.keyword === 'type').map((b) => String((b.params as { type?: unknown }).type));
      const message = types.length > 0 && types.length === branches.length ? `must be ${[...new Set(types)].join(' or ')}` : Array.isArray((combinator.params as { passingSchemas?: unknown }).passingSchemas) ? 'matches more than one allowed form (e.g. two middleware types in one entry, or none)' : 'matches none of the allowed forms';
      out.push({ path: toPath(data, combinator.instancePath), message: `${dotted(data, combinator.instancePath)} ${message}`, unknownKey: false });
    }
  }
  for (const error of errors) {
    if (noise.has(error)) continue;
    if (error.keyword === 'additionalProperties') {
      out.push(unknownKeyProblem(kind, data, error.instancePath, String((error.params as { additionalProperty?: unknown }).additionalProperty)));
    } else {
      out.push({ path: toPath(data, error.instancePath), message: `${dotted(data, error.instancePath)} ${error.message ?? 'is invalid'}${allowed(error)}`, unknownKey: false });
    }
  }
  const seen = new Set<string>();
  return out.filter((p) => !(p.unknownKey && isNewerOption(kind, p.path))).filter((p) => {
    const key = `${p.path.join('\u0000')}\u0001${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unknownKeyProblem(kind: TraefikSchemaKind, data: unknown, pointer: string, key: string): SchemaProblem {
  const where = dotted(data, pointer);
  return {
    path: [...toPath(data, pointer), key],
    message: `unknown key '${key}' at ${where} (not in the SchemaStore ${TRAEFIK_SCHEMA_FILES[kind]} schema; a misspelling, or an option newer than the schema)`,
    unknownKey: true,
  };
}

function allowed(error: ErrorObject): string {
  const values = (error.params as { allowedValues?: unknown }).allowedValues;
  return Array.isArray(values) ? ` ${JSON.stringify(values)}` : '';
}

/** A JSON pointer as a data path; array indexes become numbers. */
export function toPath(data: unknown, pointer: string): (string | number)[] {
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(segment)) {
      out.push(Number(segment));
      node = node[Number(segment)];
    } else {
      out.push(segment);
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  return out;
}

function dotted(data: unknown, pointer: string): string {
  const path = toPath(data, pointer);
  return path.length === 0 ? 'the document' : path.join('.');
}
