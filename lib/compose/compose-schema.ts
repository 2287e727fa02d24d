import type { ErrorObject } from 'ajv';
import { validate } from './generated/compose-spec.validator';

/** One schema violation, located by JSON pointer into the compose document. */
export interface ComposeSchemaError {
  /** JSON pointer, e.g. `/services/api/read_only`. */
  readonly pointer: string;
  /** What the schema expected. */
  readonly message: string;
}

/** The standalone validator's call shape (the generated module is not type-checked). */
type StandaloneValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Validates a compose document against the current Compose Specification JSON schema. The
 * validator is precompiled by `npx projen gen:compose` into `generated/` (ajv standalone), so a
 * process pays no schema compilation.
 */
export function validateComposeDocument(doc: unknown): ComposeSchemaError[] {
  const validator = validate as StandaloneValidator;
  if (validator(doc)) return [];
  return (validator.errors ?? []).map(describe);
}

function describe(error: ErrorObject): ComposeSchemaError {
  const params = error.params as Record<string, unknown>;
  const detail = params.additionalProperty
    ? ` '${params.additionalProperty}'`
    : params.allowedValues
      ? ` ${JSON.stringify(params.allowedValues)}`
      : '';
  return { pointer: error.instancePath || '/', message: `${error.message ?? 'is invalid'}${detail}` };
}
