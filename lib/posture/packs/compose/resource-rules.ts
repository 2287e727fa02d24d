import type { Rule } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { ComposeService, eachService, serviceHit } from './compose-services';
import { asMap, show } from './compose-values';
import { usesInterpolation } from './interpolation';

/**
 * Resource limits, checked whatever the file's `version:` says (KICS only checks CPU and memory
 * when a `version:` key exists, and pids only below version 3, so current Compose Spec files pass
 * unchecked there).
 */

/** What a limit value means: a real limit, no limit (0, -1), or unknown (interpolated, unreadable). */
type LimitState = 'limited' | 'unlimited' | 'unknown';

/** Reads a limit value: numbers and `512m`/`1.5g`/`0.5` strings; 0 and negatives mean unlimited. */
function limitState(value: unknown): LimitState {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? 'limited' : 'unlimited';
  if (typeof value !== 'string' || usesInterpolation(value)) return 'unknown';
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(value);
  if (!match) return 'unknown';
  return Number(match[1]) > 0 ? 'limited' : 'unlimited';
}

/** Where a limit can be written: a service key, or a key below `deploy.resources.limits`. */
interface LimitSource {
  readonly steps: DocumentPath;
  readonly label: string;
}

const LIMITS: DocumentPath = ['deploy', 'resources', 'limits'];

function valueAt(s: ComposeService, steps: DocumentPath): unknown {
  let node: unknown = s.data;
  for (const step of steps) node = asMap(node)?.[step as string];
  return node;
}

/** The hit for a service whose limit is missing or set to unlimited at every place it can be written. */
function limitHit(s: ComposeService, sources: readonly LimitSource[], what: string) {
  const present = sources.filter((src) => valueAt(s, src.steps) !== undefined && valueAt(s, src.steps) !== null);
  const unlimited = present.find((src) => limitState(valueAt(s, src.steps)) === 'unlimited');
  if (unlimited) return serviceHit(s, unlimited.steps, `service '${s.name}' sets ${unlimited.label}: ${show(valueAt(s, unlimited.steps))}, which means no ${what}`);
  if (present.length > 0) return undefined;
  const where = asMap(valueAt(s, LIMITS)) ? LIMITS : asMap(valueAt(s, ['deploy'])) ? ['deploy'] : [];
  return serviceHit(s, where, `service '${s.name}' has no ${what} (${sources.map((src) => src.label).join(' or ')})`);
}

/** CMP-17: no memory limit (`mem_limit` or `deploy.resources.limits.memory`), or an unlimited one. */
export const MEMORY_LIMIT: Rule = {
  id: 'CMP-17',
  title: 'Service has no memory limit',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Without a memory limit one leaking or attacked service (a model server fed huge inputs) drives the whole VPS into the OOM killer.',
  remediation: 'Set `deploy.resources.limits.memory` (or `mem_limit`) sized for the service.',
  controls: { 'cis-docker-1.6': ['5.11'], 'nist-800-53-r5': ['SC-5'], 'csa-aicm': ['IVS'], 'owasp-llm-2025': ['LLM10'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      limitHit(s, [{ steps: ['mem_limit'], label: 'mem_limit' }, { steps: [...LIMITS, 'memory'], label: 'deploy.resources.limits.memory' }], 'memory limit'),
    ),
};

/** CMP-18: no CPU limit (`cpus`, `deploy.resources.limits.cpus` or `cpu_quota`), or an unlimited one. */
export const CPU_LIMIT: Rule = {
  id: 'CMP-18',
  title: 'Service has no CPU limit',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Without a CPU limit one busy service starves the others on a small host, including the proxy and Vault.',
  remediation: 'Set `deploy.resources.limits.cpus` (or `cpus`).',
  controls: { 'cis-docker-1.6': ['5.12'], 'nist-800-53-r5': ['SC-5'], 'csa-aicm': ['IVS'], 'owasp-llm-2025': ['LLM10'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      limitHit(
        s,
        [
          { steps: ['cpus'], label: 'cpus' },
          { steps: [...LIMITS, 'cpus'], label: 'deploy.resources.limits.cpus' },
          { steps: ['cpu_quota'], label: 'cpu_quota' },
        ],
        'CPU limit',
      ),
    ),
};

/** CMP-19: no PID limit (`pids_limit` or `deploy.resources.limits.pids`), or -1/0 (unlimited). */
export const PIDS_LIMIT: Rule = {
  id: 'CMP-19',
  title: 'Service has no PID limit',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Without a PID limit a fork bomb in one container exhausts the host\'s process table and takes every service down.',
  remediation: 'Set `pids_limit` (or `deploy.resources.limits.pids`) to a positive number such as 128.',
  controls: { 'cis-docker-1.6': ['5.29'], 'nist-800-53-r5': ['SC-5'], 'csa-aicm': ['IVS'], 'owasp-llm-2025': ['LLM10'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      limitHit(s, [{ steps: ['pids_limit'], label: 'pids_limit' }, { steps: [...LIMITS, 'pids'], label: 'deploy.resources.limits.pids' }], 'PID limit'),
    ),
};
