import type { Rule, RuleHit } from '../../rule';
import { routerMiddlewaresPath, TraefikConfig } from './dynamic-config';
import { isTrue, itemsOf, numberOf, stringOf } from './value-readers';

/** One year, the HSTS max-age browsers' preload lists require. */
const ONE_YEAR = 31_536_000;

/** What a security-headers middleware must set, each as a test over a `headers` section. */
const HEADER_REQUIREMENTS: readonly { readonly what: string; readonly met: (h: Record<string, unknown>) => boolean }[] = [
  { what: `stsSeconds >= ${ONE_YEAR} with stsIncludeSubdomains`, met: (h) => (numberOf(h.stsSeconds) ?? 0) >= ONE_YEAR && isTrue(h.stsIncludeSubdomains) },
  { what: 'contentTypeNosniff', met: (h) => isTrue(h.contentTypeNosniff) },
  { what: 'frameDeny or customFrameOptionsValue', met: (h) => isTrue(h.frameDeny) || !!stringOf(h.customFrameOptionsValue)?.trim() },
  { what: 'referrerPolicy', met: (h) => !!stringOf(h.referrerPolicy)?.trim() },
  { what: 'contentSecurityPolicy or permissionsPolicy', met: (h) => !!stringOf(h.contentSecurityPolicy)?.trim() || !!stringOf(h.permissionsPolicy)?.trim() },
];

/**
 * TRF-09: every public router (see `EntryPoints`: on a 80/443 or web/websecure entry point, or
 * with `entryPoints` unset) runs a `headers` middleware (its own, in a chain, or on its entry
 * point) that sets HSTS for a year with subdomains, nosniff, frame denial, a referrer policy and
 * a CSP or permissions policy; the requirements may be split across several headers
 * middlewares. A headers middleware with `isDevelopment: true` (which disables
 * AllowedHosts/SSL/STS checks) is flagged wherever it is defined.
 */
export const TRF_09: Rule = {
  id: 'TRF-09',
  title: 'Public routers send the browser security headers',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'HSTS stops TLS-stripping, nosniff and a CSP limit script injection, frame denial stops clickjacking of the portals and admin UIs, and a referrer policy keeps tokens in URLs from leaking to third parties.',
  remediation: 'Attach a headers middleware with stsSeconds: 31536000, stsIncludeSubdomains: true, contentTypeNosniff: true, frameDeny: true, referrerPolicy: no-referrer and a contentSecurityPolicy; never ship isDevelopment: true.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-18', 'CM-6'], 'csa-aicm': ['AIS'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    for (const router of config.routers) {
      if (!config.isPublic(router)) continue;
      const headers = config.effectiveOfType(router, 'headers').map((h) => h.settings);
      const path = routerMiddlewaresPath(router);
      if (headers.length === 0) {
        hits.push({ document: router.document, path, message: `public router '${router.name}' has no security-headers middleware`, granular: router.name });
        continue;
      }
      const missing = HEADER_REQUIREMENTS.filter((r) => !headers.some((h) => r.met(h))).map((r) => r.what);
      if (missing.length > 0) {
        hits.push({ document: router.document, path, message: `public router '${router.name}' has security headers without ${missing.join(', ')}`, granular: router.name });
      }
    }
    for (const { middleware, settings } of config.middlewaresOfType('headers')) {
      if (isTrue(settings.isDevelopment)) {
        hits.push({ document: middleware.document, path: [...middleware.path, 'headers', 'isDevelopment'], message: `headers middleware '${middleware.name}' sets isDevelopment: true`, granular: middleware.name });
      }
    }
    return hits;
  },
};

/**
 * TRF-10: a headers middleware allows credentialed CORS from any origin:
 * `accessControlAllowCredentials: true` together with `*` or `null` in
 * `accessControlAllowOriginList`, or an over-broad `accessControlAllowOriginListRegex` (see
 * {@link overBroadOriginRegex}).
 */
export const TRF_10: Rule = {
  id: 'TRF-10',
  title: 'Credentialed CORS is limited to exact origins',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'With credentials allowed, a wildcard or loosely matched origin lets any web page make authenticated requests with the victim\'s cookies or tokens and read the answers (model outputs, data, admin APIs).',
  remediation: 'List exact origins (https://portal.example.org) in accessControlAllowOriginList, or anchor regexes (^https://[a-z0-9-]+\\.example\\.org$); or drop accessControlAllowCredentials.',
  controls: { 'nist-800-53-r5': ['AC-3', 'AC-4', 'SC-7'], 'csa-aicm': ['AIS', 'IAM'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const { middleware, settings } of TraefikConfig.of(model).middlewaresOfType('headers')) {
      if (!isTrue(settings.accessControlAllowCredentials)) continue;
      const base = [...middleware.path, 'headers'];
      itemsOf(settings.accessControlAllowOriginList).forEach((origin, i) => {
        if (typeof origin === 'string' && (origin.trim() === '*' || origin.trim().toLowerCase() === 'null')) {
          hits.push({ document: middleware.document, path: [...base, 'accessControlAllowOriginList', i], message: `headers middleware '${middleware.name}' allows credentialed CORS from origin '${origin.trim()}'`, granular: middleware.name });
        }
      });
      itemsOf(settings.accessControlAllowOriginListRegex).forEach((regex, i) => {
        const why = typeof regex === 'string' ? overBroadOriginRegex(regex) : undefined;
        if (why) {
          hits.push({ document: middleware.document, path: [...base, 'accessControlAllowOriginListRegex', i], message: `headers middleware '${middleware.name}' allows credentialed CORS from origin regex '${regex}', which ${why}`, granular: middleware.name });
        }
      });
    }
    return hits;
  },
};

/**
 * Why an origin regex admits foreign origins, or undefined when it is tight: it is a bare
 * wildcard, it is not anchored at the end (`^https://app\.example\.org` also matches
 * `https://app.example.org.evil.io`), or a `.*`/`.+` in it is not followed by an escaped dot
 * (`^https://.*example\.org$` also matches `https://evilexample.org`); a wildcard right after
 * `:` (a port) is fine.
 */
export function overBroadOriginRegex(regex: string): string | undefined {
  const r = regex.trim();
  if (/^\^?(\.\*|\.\+|\*)\$?$/.test(r)) return 'matches every origin';
  if (!/(\$|\\z)$/.test(r)) return 'is not anchored with $ and also matches longer host names';
  const wildcards = [...r.matchAll(/\.[*+]\)?/g)];
  const intoDomain = (m: RegExpMatchArray): boolean => r[m.index! - 1] !== ':' && r.slice(m.index! + m[0].length, m.index! + m[0].length + 2) !== '\\.';
  if (wildcards.some(intoDomain)) return 'lets a wildcard run into the registrable domain';
  return undefined;
}
