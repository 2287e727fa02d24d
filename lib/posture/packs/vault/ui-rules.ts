import type { Rule, RuleHit } from '../../rule';
import { vaultBool } from './hcl-values';
import { vaultRoutes } from './traefik-routes';

/**
 * VLT-11: `ui = true` while no Traefik router in front of Vault applies an ipAllowList or
 * forwardAuth middleware (TRF-14/15), or while some router to Vault applies neither. Routers are
 * read from Traefik dynamic files, compose labels and entry-point middlewares of the static file.
 */
export const VLT_11: Rule = {
  id: 'VLT-11',
  title: 'Vault UI without an IP allow-list or forward-auth',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'The UI is a login page for every auth method; reachable by anyone, it invites credential stuffing and phishing of operator logins.',
  remediation: 'Set ui = false, or route the UI only through a Traefik router with an ipAllowList (admin networks) or forwardAuth (SSO) middleware.',
  controls: { 'nist-800-53-r5': ['SC-7', 'AC-17'], 'csa-aicm': ['IVS', 'IAM'] },
  kinds: ['vault-config', 'traefik-dynamic', 'traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    const configs = model.ofKind('vault-config').filter((d) => vaultBool(d.data?.ui) === true);
    if (configs.length === 0) return hits;
    const routes = vaultRoutes(model);
    for (const document of configs) {
      if (!routes.some((r) => r.guarded)) {
        hits.push({ document, path: ['ui'], granular: 'ui', message: 'ui = true but no Traefik router to Vault applies an ipAllowList or forwardAuth middleware' });
      }
      for (const route of routes.filter((r) => !r.guarded)) {
        hits.push({ document, path: ['ui'], granular: route.name, message: `ui = true and Traefik router '${route.name}' reaches Vault without an ipAllowList or forwardAuth middleware` });
      }
    }
    return hits;
  },
};
