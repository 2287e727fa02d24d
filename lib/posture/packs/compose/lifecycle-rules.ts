import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { ComposeService, eachService, serviceHit, servicesOf } from './compose-services';
import { asList, asMap, asText, isTrue, show } from './compose-values';

/** A service's healthcheck: present, missing, or switched off (and where). */
type Health = { state: 'ok' } | { state: 'missing' } | { state: 'disabled'; steps: DocumentPath; how: string };

function healthOf(s: ComposeService): Health {
  const hc = asMap(s.data.healthcheck);
  if (!hc) return { state: 'missing' };
  if (isTrue(hc.disable)) return { state: 'disabled', steps: ['healthcheck', 'disable'], how: 'disable: true' };
  const test = hc.test;
  const first = typeof test === 'string' ? test : asText(asList(test)?.[0]);
  if (first !== undefined && first.trim().toUpperCase() === 'NONE') return { state: 'disabled', steps: ['healthcheck', 'test'], how: `test: ${show(test)}` };
  return { state: 'ok' };
}

/** Services that others wait for with `condition: service_completed_successfully`: one-shot jobs. */
function oneShotJobs(services: readonly ComposeService[]): Set<string> {
  const jobs = new Set<string>();
  for (const s of services) {
    const deps = asMap(s.data.depends_on);
    if (!deps) continue;
    for (const name of Object.keys(deps)) if (asMap(deps[name])?.condition === 'service_completed_successfully') jobs.add(name);
  }
  return jobs;
}

/**
 * CMP-20: no healthcheck, or one switched off (`disable: true`, `test: ["NONE"]`). One-shot jobs
 * (waited for with `service_completed_successfully`) are skipped; LOW, since an image HEALTHCHECK
 * may exist that this file cannot see.
 */
export const HEALTHCHECK: Rule = {
  id: 'CMP-20',
  title: 'Service has no healthcheck',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Without a healthcheck a hung service looks alive: dependants start against it and nothing restarts or alerts.',
  remediation: 'Add a `healthcheck` with a cheap readiness probe (interval, timeout, retries, start_period).',
  controls: { 'cis-docker-1.6': ['5.27'], 'nist-800-53-r5': ['SI-4'], 'csa-aicm': ['BCR'] },
  kinds: ['compose'],
  check: (model) => {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('compose')) {
      const services = servicesOf(document);
      const jobs = oneShotJobs(services);
      for (const s of services) {
        if (jobs.has(s.name)) continue;
        const health = healthOf(s);
        if (health.state === 'missing') hits.push(serviceHit(s, s.data.healthcheck === undefined ? [] : ['healthcheck'], `service '${s.name}' has no healthcheck`));
        else if (health.state === 'disabled') hits.push(serviceHit(s, health.steps, `service '${s.name}' disables its healthcheck with ${health.how}`));
      }
    }
    return hits;
  },
};

/**
 * CMP-21: an unbounded restart loop: `restart: always`/`unless-stopped` (or a swarm
 * `restart_policy` with condition `any`) without a working healthcheck, or `on-failure` without
 * a maximum (`on-failure`, `on-failure:0`, `restart_policy` without `max_attempts`). Any bound is
 * accepted: KICS's "exactly 5" is not enforced.
 */
export const UNBOUNDED_RESTART: Rule = {
  id: 'CMP-21',
  title: 'Service restarts without bound',
  severity: 'info',
  level: 'info',
  priority: 'P3',
  rationale: 'A crash-looping service restarted forever hides the failure, burns CPU and log space, and retries an exploit as often as the attacker likes.',
  remediation: 'Use `restart: on-failure:5` (or another bound), or keep `always` only together with a healthcheck.',
  controls: { 'cis-docker-1.6': ['5.15'], 'nist-800-53-r5': ['SC-5', 'SI-4'], 'csa-aicm': ['BCR'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const healthy = healthOf(s).state === 'ok';
      const hits: RuleHit[] = [];
      const restart = asText(s.data.restart)?.trim().toLowerCase();
      if (restart !== undefined) {
        const onFailure = /^on-failure(?::\s*(-?\d+))?$/.exec(restart);
        if ((restart === 'always' || restart === 'unless-stopped') && !healthy) {
          hits.push(serviceHit(s, ['restart'], `service '${s.name}' sets restart: ${restart} without a working healthcheck`));
        } else if (onFailure && (onFailure[1] === undefined || Number(onFailure[1]) <= 0)) {
          hits.push(serviceHit(s, ['restart'], `service '${s.name}' sets restart: ${restart} without a positive retry maximum`));
        }
      }
      const policy = asMap(asMap(s.data.deploy)?.restart_policy);
      if (policy) {
        const condition = (asText(policy.condition) ?? 'any').trim().toLowerCase();
        const max = Number(policy.max_attempts);
        const bounded = policy.max_attempts !== undefined && Number.isFinite(max) && max > 0;
        if (!bounded && (condition === 'on-failure' || (condition === 'any' && !healthy))) {
          hits.push(serviceHit(s, ['deploy', 'restart_policy'], `service '${s.name}' sets deploy.restart_policy condition ${condition} without max_attempts`));
        }
      }
      return hits;
    }),
};
