import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';

/** The SARIF 2.1.0 schema vendored in schemas/schemastore (draft-07). */
export const SARIF_SCHEMA_FILE = path.join(__dirname, '..', '..', '..', 'schemas', 'schemastore', 'sarif-2.1.0.json');

let validator: ValidateFunction | undefined;

/** An ajv validator for SARIF 2.1.0 (formats checked with small stand-ins: ajv-formats is not a dependency). */
export function sarifValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(fs.readFileSync(SARIF_SCHEMA_FILE, 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('uri', (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  validator = ajv.compile(schema);
  return validator;
}

/** Validation errors of a SARIF log, as `instancePath message` lines (empty when valid). */
export function sarifErrors(log: unknown): string[] {
  const validate = sarifValidator();
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
