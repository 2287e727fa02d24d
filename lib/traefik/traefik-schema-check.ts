import { parse } from 'yaml';
import { schemaProblems, TraefikSchemaKind } from '../posture/packs/traefik/schema-validation';

/**
 * The rendered file checked against the vendored SchemaStore Traefik schema: our own output gets
 * no unknown key either (only the options documented as newer than the schema are known).
 * Checks what Traefik will read: the text's data as its writer recorded it (a
 * {@link StructuredText}, whose tests prove it parses back to that data), else the parsed text.
 */
export function traefikSchemaProblems(kind: TraefikSchemaKind, text: string, data?: unknown): string[] {
  const problems = schemaProblems(kind, data !== undefined ? data : parse(text));
  return problems.map((p) => `does not validate against the SchemaStore Traefik schema: ${p.message}`);
}
