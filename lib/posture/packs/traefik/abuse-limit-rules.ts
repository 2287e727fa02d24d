import type { Rule, RuleHit } from '../../rule';
import { routerMiddlewaresPath, TraefikConfig } from './dynamic-config';
import { RouterPurpose } from './router-purpose';
import { hasKey, isRecord, isTrue, itemsOf, numberOf, stringOf } from './value-readers';

/**
 * TRF-11: every public router runs a `rateLimit` middleware (its own, in a chain or on its entry
 * point); every rateLimit sets `average` > 0 and explicit `period` and `burst`; and its
 * `sourceCriterion` matches the proxy depth, checked when a static configuration is present:
 * - Traefik is the edge (no entry point has `forwardedHeaders.trustedIPs`) but the limit keys on
 *   `ipStrategy.depth`/`excludedIPs`: X-Forwarded-For from untrusted clients is dropped, so the
 *   client IP resolves empty and every client shares one bucket;
 * - Traefik sits behind trusted proxies but the limit keys on the peer address (no ipStrategy,
 *   no requestHeaderName): every client behind the proxy shares the proxy's bucket.
 */
export const TRF_11: Rule = {
  id: 'TRF-11',
  title: 'Public routers are rate limited per client',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Without a per-client rate limit one client can exhaust inference capacity (and budget), brute-force logins or extract a model by querying it at volume; a limit keyed on the wrong address is either global or per-proxy.',
  remediation: 'Attach a rateLimit middleware with average > 0, period and burst set, and a sourceCriterion that matches the deployment (no ipStrategy at the edge; ipStrategy.depth = number of trusted proxies behind a load balancer; or requestHeaderName: X-Client-Id after authentication).',
  controls: { 'owasp-llm-2025': ['LLM10'], 'owasp-ml-2023': ['ML05'], 'nist-800-53-r5': ['SC-5'], 'csa-aicm': ['IVS', 'AIS'] },
  kinds: ['traefik-static', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    for (const router of config.routers) {
      if (config.isPublic(router) && config.effectiveOfType(router, 'rateLimit').length === 0) {
        hits.push({ document: router.document, path: routerMiddlewaresPath(router), message: `public router '${router.name}' has no rateLimit middleware`, granular: router.name });
      }
    }
    const trusts = config.entryPoints.trustsUpstreamProxies();
    for (const { middleware, settings } of config.middlewaresOfType('rateLimit')) {
      const base = [...middleware.path, 'rateLimit'];
      const average = numberOf(settings.average) ?? (typeof settings.average === 'string' ? Number.NaN : undefined);
      if (average === undefined || !(average > 0)) {
        hits.push({ document: middleware.document, path: hasKey(settings, 'average') ? [...base, 'average'] : base, message: `rateLimit '${middleware.name}' has average ${settings.average === undefined ? 'unset' : String(settings.average)}, which disables rate limiting`, granular: middleware.name });
      }
      const implicit = ['period', 'burst'].filter((k) => settings[k] === undefined || settings[k] === null);
      if (implicit.length > 0) {
        hits.push({ document: middleware.document, path: base, message: `rateLimit '${middleware.name}' leaves ${implicit.join(' and ')} implicit`, granular: middleware.name });
      }
      if (!config.entryPoints.known) continue;
      const criterion = isRecord(settings.sourceCriterion) ? settings.sourceCriterion : {};
      const strategy = isRecord(criterion.ipStrategy) ? criterion.ipStrategy : undefined;
      const byForwardedFor = strategy !== undefined && ((numberOf(strategy.depth) ?? 0) > 0 || itemsOf(strategy.excludedIPs).length > 0);
      const byHeader = !!stringOf(criterion.requestHeaderName)?.trim();
      const criterionPath = hasKey(settings, 'sourceCriterion') ? [...base, 'sourceCriterion'] : base;
      if (!trusts && byForwardedFor && !byHeader) {
        hits.push({ document: middleware.document, path: criterionPath, message: `rateLimit '${middleware.name}' keys on X-Forwarded-For (ipStrategy) but no entryPoint trusts upstream proxies, so every client shares one bucket`, granular: middleware.name });
      } else if (trusts && !byForwardedFor && !byHeader && !isTrue(criterion.requestHost)) {
        hits.push({ document: middleware.document, path: criterionPath, message: `rateLimit '${middleware.name}' keys on the peer address although entryPoints trust upstream proxies, so every client shares the proxy's bucket`, granular: middleware.name });
      }
    }
    return hits;
  },
};

/**
 * TRF-12: an inference or upload router (see {@link RouterPurpose.isInferenceOrUpload}) runs no
 * `inFlightReq` middleware with `amount` > 0.
 */
export const TRF_12: Rule = {
  id: 'TRF-12',
  title: 'Inference and upload routers cap concurrent requests',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Inference and uploads are slow and memory-hungry; a rate limit alone still lets a burst of long requests pin every worker or GPU slot.',
  remediation: 'Attach an inFlightReq middleware with an amount sized to the model server\'s worker count (e.g. 10) per client.',
  controls: { 'owasp-llm-2025': ['LLM10'], 'nist-800-53-r5': ['SC-5'], 'csa-aicm': ['IVS'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const config = TraefikConfig.of(model);
    return config.routers
      .filter((r) => RouterPurpose.isInferenceOrUpload(r) && !config.effectiveOfType(r, 'inFlightReq').some(({ settings }) => (numberOf(settings.amount) ?? 0) > 0))
      .map((router) => ({ document: router.document, path: routerMiddlewaresPath(router), message: `inference/upload router '${router.name}' has no inFlightReq middleware with amount > 0`, granular: router.name }));
  },
};

/**
 * TRF-13: an API, inference or upload router (see {@link RouterPurpose.isApi}) runs no
 * `buffering` middleware with `maxRequestBodyBytes` > 0 (Traefik's default 0 is unlimited).
 */
export const TRF_13: Rule = {
  id: 'TRF-13',
  title: 'API and upload routers cap the request body size',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Without a body limit a single request can stream gigabytes into an ingestion or inference service (memory exhaustion, zip bombs, oversized prompts).',
  remediation: 'Attach a buffering middleware with maxRequestBodyBytes sized to the route (e.g. 10485760 for 10 MB uploads, far less for JSON APIs).',
  controls: { 'owasp-llm-2025': ['LLM10'], 'nist-800-53-r5': ['SC-5', 'SI-10'], 'csa-aicm': ['IVS', 'AIS'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const config = TraefikConfig.of(model);
    return config.routers
      .filter((r) => RouterPurpose.isApi(r) && !config.effectiveOfType(r, 'buffering').some(({ settings }) => (numberOf(settings.maxRequestBodyBytes) ?? 0) > 0))
      .map((router) => ({ document: router.document, path: routerMiddlewaresPath(router), message: `API/upload router '${router.name}' has no buffering middleware with maxRequestBodyBytes > 0`, granular: router.name }));
  },
};
