import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import schema from './generated/compose-spec.schema.json';

let compiled: ValidateFunction | undefined;

/** One schema violation, located by JSON pointer into the compose document. */
export interface ComposeSchemaError {
  /** JSON pointer, e.g. `/services/api/read_only`. */
  readonly pointer: string;
  /** What the schema expected. */
  readonly message: string;
}

/**
 * Validates a compose document against the current Compose Specification JSON schema (vendored in
 * `generated/`). The validator is compiled once per process (about 250 ms) and reused.
 */
export function validateComposeDocument(doc: unknown): ComposeSchemaError[] {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (compiled(doc)) return [];
  return (compiled.errors ?? []).map(describe);
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
