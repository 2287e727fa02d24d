import { App, documentAcknowledgement, evaluateRules, PostureModel, Rule, RuleHit, RulePack, SourceDocument, Vps } from '../../../lib';
import type { DocumentKind, PostureReportInput } from '../../../lib';

/**
 * A small, fixed rule catalog for report tests, so that report contents do not move when the
 * real packs change. Each rule flags one compose key per service (or nothing, for other kinds).
 */
function serviceFlag(id: string, key: string, value: unknown, fields: Partial<Rule>): Rule {
  return {
    id,
    title: `Service sets ${key}: ${String(value)}`,
    severity: 'high',
    level: 'error',
    priority: 'P1',
    rationale: `A service with ${key}: ${String(value)} weakens isolation.`,
    remediation: `Remove ${key} from the service.`,
    controls: {},
    kinds: ['compose'],
    ...fields,
    check(model: PostureModel): RuleHit[] {
      const hits: RuleHit[] = [];
      for (const document of model.ofKind('compose')) {
        for (const [name, service] of Object.entries<any>(document.data?.services ?? {})) {
          if (service?.[key] === value) hits.push({ document, path: ['services', name, key], message: `service '${name}' sets ${key}: ${String(value)}`, granular: name });
        }
      }
      return hits;
    },
  };
}

function otherKind(id: string, kind: DocumentKind, fields: Partial<Rule>): Rule {
  return {
    id,
    title: `A ${kind} rule`,
    severity: 'medium',
    level: 'warning',
    priority: 'P2',
    rationale: `Checks ${kind} documents.`,
    remediation: 'Fix the document.',
    controls: {},
    kinds: [kind],
    ...fields,
    check: () => [],
  };
}

/** CMP-01 fails on `api`; CMP-13 is acknowledged on `worker`; CMP-04 passes; VLT-14 and KC-07 are not evaluated. */
export const TEST_PACKS: readonly RulePack[] = [
  new RulePack('compose', [
    serviceFlag('CMP-01', 'privileged', true, { severity: 'critical', controls: { 'cis-docker-1.6': ['5.5'], 'nist-800-53-r5': ['AC-6', 'CM-2'], 'csa-aicm': ['IVS'] }, unsuppressible: true }),
    serviceFlag('CMP-04', 'network_mode', 'host', { controls: { 'cis-docker-1.6': ['5.10'], 'nist-800-53-r5': ['SC-7'], 'csa-aicm': ['IVS'] } }),
    serviceFlag('CMP-13', 'read_only', false, {
      severity: 'medium',
      level: 'warning',
      priority: 'P2',
      controls: { 'cis-docker-1.6': ['5.13'], 'nist-800-53-r5': ['CM-6'], 'csa-aicm': ['IVS'], 'owasp-ml-2023': ['ML06'] },
    }),
  ]),
  new RulePack('vault', [otherKind('VLT-14', 'vault-policy', { controls: { 'nist-800-53-r5': ['AC-6', 'AC-3'], 'csa-aicm': ['IAM'] } })]),
  new RulePack('keycloak', [otherKind('KC-07', 'keycloak-realm', { controls: { 'nist-800-53-r5': ['IA-2'], 'csa-aicm': ['IAM'], 'owasp-llm-2025': ['LLM02'] } })]),
];

/** A compose file with three zoned services: `api` (z6, privileged), `worker` (z3, writable root with a reason), `db` (no zone). */
export const COMPOSE_TEXT = `name: lab
services:
  api:
    image: registry.example.com/api:1.2.3
    privileged: true
    x-mlsec:
      construct: lab/api
      zone: z6
  worker:
    image: registry.example.com/worker:1.2.3
    read_only: false
    labels:
      mlsec.zone: z3
    x-mlsec:
      construct: lab/worker
      overrides:
        - control: read_only
          setting: "false"
          reason: the legacy worker writes its cache under /var/cache
  db:
    image: postgres:15.8-bookworm
`;

/** The report input of a host `lab` with {@link COMPOSE_TEXT} and {@link TEST_PACKS}. */
export function reportInput(options: { reportOnly?: { reason: string } } = {}): PostureReportInput {
  const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const model = new PostureModel([SourceDocument.parseYaml('compose', 'lab/docker-compose.yml', COMPOSE_TEXT)]);
  const rules = TEST_PACKS.flatMap((p) => p.rules);
  const findings = evaluateRules(model, rules, (f, rule) => (rule.unsuppressible ? undefined : documentAcknowledgement(f, model)));
  return { vps, model, findings, rules: TEST_PACKS, reportOnly: options.reportOnly };
}
