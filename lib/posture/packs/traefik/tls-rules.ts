import type { Rule, RuleHit } from '../../rule';
import { RouterView, TraefikConfig } from './dynamic-config';
import { hasKey, isRecord, isTrue, itemsOf, stringOf } from './value-readers';

/** Go's TLS version names, weakest first. */
const TLS_VERSIONS = ['VersionSSL30', 'VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'];
const TLS12 = TLS_VERSIONS.indexOf('VersionTLS12');

/** AEAD suites with forward secrecy (ECDHE + AES-GCM/ChaCha20-Poly1305) and the TLS 1.3 suites. */
const STRONG_SUITE = /^TLS_(ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305(_SHA256)?)|AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/;

/**
 * TRF-05: HTTP is only a redirect. Flags (a) a public plain-HTTP entry point (port 80 or
 * `web`/`http`) without `http.redirections.entryPoint.to` (scheme https, the default) and without
 * a router on it that applies a `redirectScheme` to https; (b) a router bound explicitly to both
 * a plain and a TLS entry point; (c) a router on a TLS entry point (explicitly, or by default
 * when `entryPoints` is unset) without `tls`, unless the entry point sets `http.tls`; (d) a
 * public router only on plain entry points with no redirect anywhere.
 */
export const TRF_05: Rule = {
  id: 'TRF-05',
  title: 'Plain HTTP only redirects to HTTPS; routers on the TLS entry point terminate TLS',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Credentials, tokens and model inputs must never cross the internet in clear text; a router without tls on the TLS entry point never matches TLS requests, and one bound to both serves the same route in clear text.',
  remediation: 'Set entryPoints.web.http.redirections.entryPoint.to: websecure (scheme https); bind routers to websecure only and give each `tls` (or set http.tls on the entry point).',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-23'], 'csa-aicm': ['CEK', 'IVS'] },
  kinds: ['traefik-static', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    const eps = config.entryPoints;
    const redirectsAt = (name: string): boolean => entryPointRedirects(eps.get(name)?.data) || config.routers.some((r) => (r.entryPoints ?? []).includes(name) && redirectsToHttps(config, r));
    for (const ep of eps.all) {
      if (!eps.isPlain(ep.name) || !eps.isPublic(ep.name) || redirectsAt(ep.name)) continue;
      const http = ep.data.http;
      const path = isRecord(http) && hasKey(http, 'redirections') ? [...ep.path, 'http', 'redirections'] : ep.path;
      hits.push({ document: ep.document, path, message: `entryPoint '${ep.name}' (${stringOf(ep.data.address) ?? 'no address'}) serves plain HTTP without a redirect to https`, granular: ep.name });
    }
    for (const router of config.routers) {
      const listening = config.entryPointsOf(router);
      const plain = listening.filter((e) => eps.isPlain(e));
      const tls = listening.filter((e) => eps.isTls(e));
      if (router.entryPoints !== undefined && plain.length > 0 && tls.length > 0) {
        hits.push({ document: router.document, path: [...router.path, 'entryPoints'], message: `router '${router.name}' is bound to both plain entryPoint '${plain[0]}' and TLS entryPoint '${tls[0]}'`, granular: router.name });
        continue;
      }
      const needsTls = tls.filter((e) => !eps.hasStaticTls(e));
      if (!router.hasTls && needsTls.length > 0) {
        const how = router.entryPoints === undefined ? ' (entryPoints unset: it listens on every default entryPoint)' : '';
        hits.push({ document: router.document, path: router.path, message: `router '${router.name}' is on TLS entryPoint '${needsTls[0]}' but has no tls${how}`, granular: router.name });
        continue;
      }
      if (!router.hasTls && tls.length === 0 && plain.length > 0 && config.isPublic(router) && !redirectsToHttps(config, router) && !plain.every((e) => entryPointRedirects(eps.get(e)?.data))) {
        hits.push({ document: router.document, path: router.path, message: `router '${router.name}' serves plain HTTP on entryPoint '${plain[0]}' with no redirect to https`, granular: router.name });
      }
    }
    return hits;
  },
};

/**
 * TRF-06: every TLS option (including `default`) sets `minVersion` to `VersionTLS12` or
 * `VersionTLS13`; an unknown version name or a `maxVersion` below TLS 1.2 is flagged too.
 * Routers without `tls.options` use `default`; when no `default` is defined Traefik's built-in
 * one (TLS 1.2 floor) applies and nothing is reported.
 */
export const TRF_06: Rule = {
  id: 'TRF-06',
  title: 'Every TLS option sets minVersion to TLS 1.2 or later',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'TLS 1.0 and 1.1 are deprecated (RFC 8996) and allow downgrade and CBC padding-oracle attacks; an option without minVersion leaves the floor implicit.',
  remediation: 'Set minVersion: VersionTLS12 (or VersionTLS13) on every tls.options entry, including default.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-13'], 'csa-aicm': ['CEK'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const option of TraefikConfig.of(model).tlsOptions) {
      const min = option.data.minVersion;
      if (min === undefined || min === null) {
        hits.push({ document: option.document, path: option.path, message: `TLS option '${option.name}' has no minVersion`, granular: option.name });
      } else {
        const rank = TLS_VERSIONS.indexOf(String(min));
        if (rank < TLS12) {
          hits.push({ document: option.document, path: [...option.path, 'minVersion'], message: `TLS option '${option.name}' sets minVersion ${String(min)}${rank < 0 ? ', which is not a TLS version name' : ''}; require VersionTLS12 or later`, granular: option.name });
        }
      }
      const max = option.data.maxVersion;
      if (max !== undefined && max !== null && TLS_VERSIONS.indexOf(String(max)) < TLS12) {
        hits.push({ document: option.document, path: [...option.path, 'maxVersion'], message: `TLS option '${option.name}' caps maxVersion at ${String(max)}, below TLS 1.2`, granular: option.name });
      }
    }
    return hits;
  },
};

/**
 * TRF-07: `cipherSuites` of a TLS option lists a suite that is not AEAD with forward secrecy
 * (CBC, 3DES, RC4, static-RSA key exchange …); `sniStrict` is not true.
 */
export const TRF_07: Rule = {
  id: 'TRF-07',
  title: 'TLS options use only AEAD forward-secret cipher suites and strict SNI',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'CBC and 3DES suites are open to padding-oracle and Sweet32 attacks and RSA key exchange has no forward secrecy; without sniStrict, clients without (or with a wrong) SNI get the default certificate and any router.',
  remediation: 'List only TLS_ECDHE_*_WITH_AES_*_GCM_* and *_CHACHA20_POLY1305* suites (or omit cipherSuites with minVersion TLS 1.3) and set sniStrict: true.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-13', 'SC-23'], 'csa-aicm': ['CEK'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const option of TraefikConfig.of(model).tlsOptions) {
      itemsOf(option.data.cipherSuites).forEach((suite, i) => {
        if (typeof suite === 'string' && !STRONG_SUITE.test(suite.trim())) {
          hits.push({ document: option.document, path: [...option.path, 'cipherSuites', i], message: `TLS option '${option.name}' allows weak cipher suite ${suite}`, granular: option.name });
        }
      });
      if (!isTrue(option.data.sniStrict)) {
        const path = hasKey(option.data, 'sniStrict') ? [...option.path, 'sniStrict'] : option.path;
        hits.push({ document: option.document, path, message: `TLS option '${option.name}' does not set sniStrict: true`, granular: option.name });
      }
    }
    return hits;
  },
};

/** Whether a static entry point redirects to https (`http.redirections.entryPoint.to`). */
function entryPointRedirects(data: Record<string, unknown> | undefined): boolean {
  const http = data?.http;
  const redirections = isRecord(http) ? http.redirections : undefined;
  const entryPoint = isRecord(redirections) ? redirections.entryPoint : undefined;
  if (!isRecord(entryPoint) || !stringOf(entryPoint.to)) return false;
  const scheme = stringOf(entryPoint.scheme);
  return scheme === undefined || scheme.toLowerCase() === 'https';
}

/** Whether a router applies a redirectScheme middleware to https. */
function redirectsToHttps(config: TraefikConfig, router: RouterView): boolean {
  return config.effectiveOfType(router, 'redirectScheme').some(({ settings }) => (stringOf(settings.scheme) ?? '').toLowerCase() === 'https');
}
