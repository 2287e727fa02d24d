import type { Rule, RuleHit } from '../../rule';
import { cliTrue, traefikCliOptions } from './cli-options';
import { AUTH_MIDDLEWARES, TraefikConfig } from './dynamic-config';
import { RouterPurpose } from './router-purpose';
import { isRecord, isTrue } from './value-readers';

/**
 * TRF-01: `api.insecure: true` in `traefik.yml`, or `--api.insecure[=true]` /
 * `TRAEFIK_API_INSECURE=true` on a Traefik container in compose. It serves the dashboard and the
 * API on the `traefik` entry point (:8080) with no authentication at all.
 */
export const TRF_01: Rule = {
  id: 'TRF-01',
  title: 'The Traefik API and dashboard are not served in insecure mode',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale: 'api.insecure publishes the dashboard and the full configuration API without authentication on the traefik entry point; anyone who reaches port 8080 reads every route, middleware and backend address.',
  remediation: 'Remove api.insecure (or set it to false) and expose the dashboard through a router to api@internal with TLS, a Host() rule, an auth middleware and an ipAllowList.',
  controls: { 'nist-800-53-r5': ['AC-3', 'CM-7', 'SC-7'], 'csa-aicm': ['IAM', 'IVS'] },
  kinds: ['traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('traefik-static')) {
      const api = document.data?.api;
      if (isRecord(api) && isTrue(api.insecure)) {
        hits.push({ document, path: ['api', 'insecure'], message: 'api.insecure is true: the dashboard and API are served without authentication', granular: 'api.insecure' });
      }
    }
    for (const option of traefikCliOptions(model)) {
      if (option.key === 'api.insecure' && cliTrue(option)) {
        hits.push({ document: option.document, path: option.path, message: `service '${option.service}' starts Traefik with api.insecure=true: the dashboard and API are served without authentication`, granular: 'api.insecure' });
      }
    }
    return hits;
  },
};

/**
 * TRF-02: a router to `api@internal` (the dashboard and API) must have an auth middleware
 * (basicAuth, digestAuth or forwardAuth, possibly inside a chain or on its entry point), an
 * ipAllowList, TLS and a `Host()` rule; `api.debug: true` (pprof and expvar handlers) is flagged
 * in the file and on the command line.
 */
export const TRF_02: Rule = {
  id: 'TRF-02',
  title: 'The dashboard router is authenticated, allow-listed, TLS-only and host-bound; api.debug is off',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'The dashboard exposes the whole routing table and backend addresses; without authentication, an allow-list, TLS and a Host() rule it is reachable by anyone on any host name. api.debug adds pprof and runtime handlers.',
  remediation: 'Give the api@internal router `tls`, a Host() rule, an auth middleware (forwardAuth to the IdP, or basicAuth with a usersFile) and an ipAllowList of admin ranges; remove api.debug.',
  controls: { 'nist-800-53-r5': ['AC-3', 'IA-2', 'SC-7', 'SC-8', 'CM-7'], 'csa-aicm': ['IAM', 'IVS'] },
  kinds: ['traefik-static', 'traefik-dynamic', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    for (const router of config.routers) {
      if (!RouterPurpose.isDashboard(router)) continue;
      const middlewares = config.effectiveMiddlewares(router);
      const missing: string[] = [];
      if (!middlewares.some((m) => AUTH_MIDDLEWARES.some((t) => t in m.data))) missing.push('an auth middleware');
      if (!middlewares.some((m) => 'ipAllowList' in m.data || 'ipWhiteList' in m.data)) missing.push('an ipAllowList');
      if (!config.terminatesTls(router)) missing.push('tls');
      if (!/\bHost(Regexp)?\s*\(/.test(router.rule)) missing.push('a Host() rule');
      if (missing.length > 0) {
        hits.push({ document: router.document, path: router.path, message: `router '${router.name}' exposes ${router.service} without ${missing.join(', ')}`, granular: router.name });
      }
    }
    for (const document of model.ofKind('traefik-static')) {
      const api = document.data?.api;
      if (isRecord(api) && isTrue(api.debug)) {
        hits.push({ document, path: ['api', 'debug'], message: 'api.debug is true: debug and pprof handlers are served with the API', granular: 'api.debug' });
      }
    }
    for (const option of traefikCliOptions(model)) {
      if (option.key === 'api.debug' && cliTrue(option)) {
        hits.push({ document: option.document, path: option.path, message: `service '${option.service}' starts Traefik with api.debug=true`, granular: 'api.debug' });
      }
    }
    return hits;
  },
};
