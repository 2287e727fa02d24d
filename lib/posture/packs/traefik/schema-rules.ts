import type { Rule, RuleHit } from '../../rule';
import { schemaProblems, TRAEFIK_SCHEMA_FILES, TraefikSchemaKind } from './schema-validation';

/**
 * TRF-21: a Traefik file fails its SchemaStore schema (`traefik-v3-file-provider.json` for
 * dynamic files, `traefik-v3.json` for `traefik.yml`), validated with ajv. A wrong type, a
 * missing required key or an impossible shape is MEDIUM; a key the schema does not know is LOW
 * (the schemas lag Traefik a little, so it may be a new option rather than a typo). The schemas
 * are read from the vendored `schemas/schemastore` of the repository; without them the rule reports
 * nothing.
 */
export const TRF_21: Rule = {
  id: 'TRF-21',
  title: 'Traefik files validate against the SchemaStore Traefik v3 schemas',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Traefik ignores or rejects what it cannot decode — a misspelt middleware key silently drops a security control (a rateLimt never limits) and a wrong type can disable a whole provider file.',
  remediation: 'Fix the key or value to the Traefik v3 reference; if Traefik documents an option the schema lacks, acknowledge the finding with the documentation link.',
  controls: { 'nist-800-53-r5': ['CM-6', 'SI-10'], 'csa-aicm': ['IVS'] },
  kinds: ['traefik-static', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const kind of Object.keys(TRAEFIK_SCHEMA_FILES) as TraefikSchemaKind[]) {
      for (const document of model.ofKind(kind)) {
        for (const problem of schemaProblems(kind, document.data)) {
          hits.push({
            document,
            path: problem.path,
            message: problem.message,
            granular: problem.path.length > 0 ? problem.path.join('.') : undefined,
            severity: problem.unknownKey ? 'low' : undefined,
          });
        }
      }
    }
    return hits;
  },
};
