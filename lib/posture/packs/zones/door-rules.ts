import type { Rule, RuleHit } from '../../rule';
import { ServiceRoles } from './service-roles';
import { resolveRouters } from './traefik-routes';

/** Zones whose services may sit behind a public router: Z1 ingestion and Z6 inference. */
const DOOR_ZONES = ['z1', 'z6'];

/** INV-01: every public router leads to one of the two doors, or to a UI behind OIDC and an allow-list. */
export const ZONE_01: Rule = {
  id: 'ZONE-01',
  title: 'Public routers lead only to the two doors (Z1 ingestion, Z6 inference)',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'All traffic enters through two controlled doors; a public router to any other zone bypasses ingestion validation and inference controls (CONTROLS.md INV-01).',
  remediation: 'Route only Z1/Z6 workloads publicly; put management UIs behind forwardAuth (OIDC) plus an ipAllowList middleware.',
  controls: { 'nist-800-53-r5': ['SC-7', 'AC-4'], 'csa-aicm': ['IVS', 'AIS'], 'owasp-llm-2025': ['LLM10'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const router of resolveRouters(model)) {
      if (!router.isPublic) continue;
      const guarded = router.middlewares.some((m) => m?.forwardAuth) && router.middlewares.some((m) => m?.ipAllowList);
      for (const target of router.targets) {
        if (target.zone !== undefined && !DOOR_ZONES.includes(target.zone) && !guarded) {
          hits.push({
            document: router.document,
            path: router.path,
            message: `public router '${router.name}' targets '${target.name}' in ${target.zone}, which is neither a door (z1, z6) nor guarded by forwardAuth + ipAllowList`,
            granular: router.name,
          });
        }
      }
    }
    return hits;
  },
};

/** INV-02: only the edge proxy publishes host ports, and only 443 (and 80 to redirect). */
export const ZONE_02: Rule = {
  id: 'ZONE-02',
  title: 'Only the edge gateway publishes host ports, and only 443/80',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'A published port on any other service is a third door that skips TLS termination, authentication and rate limits at the edge (CONTROLS.md INV-02).',
  remediation: 'Remove `ports:` from the service and expose it through the gateway; the gateway publishes 443 (and 80 for the redirect) only.',
  controls: { 'cis-docker-1.6': ['5.9', '5.14'], 'nist-800-53-r5': ['SC-7', 'CM-7'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const graph of model.serviceGraphs()) {
      for (const s of graph.services) {
        const ports: unknown[] = Array.isArray(s.data?.ports) ? s.data.ports : [];
        if (ports.length === 0) continue;
        if (!ServiceRoles.isEdgeGateway(s)) {
          hits.push({ document: s.document, path: ['services', s.name, 'ports'], message: `service '${s.name}' publishes host ports but is not the edge gateway`, granular: s.name });
          continue;
        }
        ports.forEach((p, i) => {
          const published = publishedPort(p);
          if (published !== undefined && published !== '443' && published !== '80') {
            hits.push({ document: s.document, path: ['services', s.name, 'ports', i], message: `edge gateway '${s.name}' publishes port ${published}; only 443 and 80 are allowed`, granular: `${s.name}:${published}` });
          }
        });
      }
    }
    return hits;
  },
};

/** INV-14: every public router carries the full middleware chain. */
export const ZONE_14: Rule = {
  id: 'ZONE-14',
  title: 'Every public router has security headers, rate limit, body limit, in-flight limit and authentication',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'The doors are only controlled if each public route enforces headers, abuse limits and authentication; ingestion routes accept POST only (CONTROLS.md INV-14).',
  remediation: 'Attach headers, rateLimit, buffering (maxRequestBodyBytes), inFlightReq and an auth middleware (forwardAuth/basicAuth) or an mTLS TLS option to the router; restrict Z1 routes with Method(`POST`).',
  controls: { 'nist-800-53-r5': ['SC-5', 'SC-7', 'AC-3', 'IA-2'], 'csa-aicm': ['IVS', 'IAM', 'AIS'], 'owasp-llm-2025': ['LLM10'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const router of resolveRouters(model)) {
      if (!router.isPublic || router.data?.service === 'api@internal') continue;
      const has = (key: string) => router.middlewares.some((m) => m?.[key] !== undefined);
      const mtls = /RequireAndVerifyClientCert/.test(String(router.tlsOption?.clientAuth?.clientAuthType));
      const missing = [
        has('headers') ? undefined : 'headers',
        has('rateLimit') ? undefined : 'rateLimit',
        has('buffering') ? undefined : 'buffering (body limit)',
        has('inFlightReq') ? undefined : 'inFlightReq',
        has('forwardAuth') || has('basicAuth') || has('digestAuth') || mtls ? undefined : 'authentication',
      ].filter((m): m is string => m !== undefined);
      if (router.targets.some((t) => t.zone === 'z1') && !/Method\(\s*`POST`\s*\)/.test(String(router.data?.rule))) missing.push('POST-only rule for ingestion');
      if (missing.length > 0) {
        hits.push({ document: router.document, path: router.path, message: `public router '${router.name}' lacks ${missing.join(', ')}`, granular: router.name });
      }
    }
    return hits;
  },
};

/** The published host port of a compose port entry (short or long syntax), as a string. */
function publishedPort(entry: unknown): string | undefined {
  if (typeof entry === 'number') return undefined;
  if (typeof entry === 'string') {
    const parts = entry.replace(/\/(tcp|udp|sctp)$/, '').replace(/^\[[^\]]*\]:/, '').split(':');
    return parts.length >= 2 ? parts[parts.length - 2] : undefined;
  }
  if (entry && typeof entry === 'object' && 'published' in entry) return String((entry as any).published);
  return undefined;
}
