import { parse } from 'yaml';
import { schemaProblems, TraefikSchemaKind } from '../posture/packs/traefik/schema-validation';

/**
 * The rendered file checked against the vendored SchemaStore Traefik schema: our own output gets
 * no unknown key either (only the options documented as newer than the schema are known).
 * Re-parses the text, so what is checked is what Traefik will read.
 */
export function traefikSchemaProblems(kind: TraefikSchemaKind, text: string): string[] {
  const problems = schemaProblems(kind, parse(text));
  return problems.map((p) => `does not validate against the SchemaStore Traefik schema: ${p.message}`);
}
