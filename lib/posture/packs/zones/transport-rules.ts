import type { Rule, RuleHit } from '../../rule';
import { resolveRouters } from './traefik-routes';

/**
 * INV-15: the gateway reaches its backends over TLS. A router whose service forwards to a
 * compose service over plain `http://` is a finding; an exception is declared on the route
 * (`plainHttpBackendReason`) and appears acknowledged, with its reason, in the report.
 */
export const ZONE_15: Rule = {
  id: 'ZONE-15',
  title: 'The gateway reaches its backends over TLS',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Requests carry client identities, tokens and payloads past the TLS termination at the edge; a plain-HTTP hop exposes them to anything on the internal network (CONTROLS.md INV-15, Z6-K02).',
  remediation: 'Serve the backend over HTTPS with a certificate of the internal CA and point the service at https:// with a serversTransport that verifies it; declare a plain-HTTP exception explicitly only when the backend cannot serve TLS.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-23'], 'csa-aicm': ['CEK', 'IVS'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const router of resolveRouters(model)) {
      for (const target of router.targets) {
        const plain = router.serverUrls.some((u) => /^http:\/\//i.test(u) && new RegExp(`^http://${target.name}(?::|/|$)`, 'i').test(u));
        if (plain) {
          hits.push({ document: router.document, path: router.path, message: `router '${router.name}' forwards to '${target.name}' over plain HTTP`, granular: router.name });
        }
      }
    }
    return hits;
  },
};
