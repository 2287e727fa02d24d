import type { Rule, RuleHit } from '../../rule';
import { TraefikConfig } from './dynamic-config';
import { RouterPurpose } from './router-purpose';
import { hasKey, isRecord, isTrue, itemsOf, stringOf } from './value-readers';

/** A CIDR that admits every address. */
const EVERYWHERE = /^\s*(0\.0\.0\.0\/0|::\/0|0::0\/0)\s*$/;

/**
 * TRF-08: an internal admin endpoint (Vault, Keycloak admin, MLflow, MinIO console, Grafana,
 * Airflow, Jupyter … — see {@link RouterPurpose.adminSurface}; the Traefik dashboard is TRF-02's)
 * has neither mutual TLS (its TLS option — own, entry point's or `default` — sets
 * `clientAuth.clientAuthType: RequireAndVerifyClientCert`) nor a `forwardAuth` middleware.
 */
export const TRF_08: Rule = {
  id: 'TRF-08',
  title: 'Admin endpoints require mTLS or forwardAuth',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Admin consoles hold the keys to the platform (secrets, identities, models, buckets); relying on each tool\'s own login page exposes it to credential stuffing and its own vulnerabilities before any central control applies.',
  remediation: 'Give the router a TLS option with clientAuth.clientAuthType: RequireAndVerifyClientCert and the admin CA in caFiles, or a forwardAuth middleware to the IdP (OIDC) in front of the console.',
  controls: { 'nist-800-53-r5': ['IA-2', 'IA-3', 'AC-17', 'SC-8'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['traefik-static', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    for (const router of config.routers) {
      const surface = RouterPurpose.adminSurface(router);
      if (surface === undefined || surface === 'traefik-dashboard') continue;
      const option = config.terminatesTls(router) ? config.tlsOptionOf(router) : undefined;
      const clientAuth = option && isRecord(option.data.clientAuth) ? option.data.clientAuth : undefined;
      const mtls = stringOf(clientAuth?.clientAuthType) === 'RequireAndVerifyClientCert';
      if (mtls || config.effectiveOfType(router, 'forwardAuth').length > 0) continue;
      hits.push({ document: router.document, path: router.path, message: `admin router '${router.name}' (${surface}) has neither mTLS (RequireAndVerifyClientCert) nor forwardAuth`, granular: router.name });
    }
    return hits;
  },
};

/**
 * TRF-14: an admin UI router (see {@link RouterPurpose.adminSurface}, the dashboard included)
 * runs no `ipAllowList` (or deprecated `ipWhiteList`) middleware; any allow-list middleware whose
 * `sourceRange` is empty or contains `0.0.0.0/0` or `::/0` allows everyone and is flagged
 * wherever it is defined; every `ipWhiteList` is flagged as deprecated (removed in a future
 * Traefik; rename to ipAllowList).
 */
export const TRF_14: Rule = {
  id: 'TRF-14',
  title: 'Admin UIs are restricted to an IP allow-list of admin ranges',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'An admin console reachable from the whole internet is one leaked password or one unpatched bug away from compromise; an allow-list of admin or VPN ranges removes it from the attack surface.',
  remediation: 'Attach an ipAllowList middleware whose sourceRange lists only the admin/VPN ranges (never 0.0.0.0/0 or ::/0); rename ipWhiteList to ipAllowList.',
  controls: { 'nist-800-53-r5': ['AC-3', 'AC-17', 'SC-7'], 'csa-aicm': ['IAM', 'IVS'] },
  kinds: ['traefik-static', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    for (const router of config.routers) {
      const surface = RouterPurpose.adminSurface(router);
      if (surface === undefined) continue;
      const listed = config.effectiveMiddlewares(router).some((m) => hasKey(m.data, 'ipAllowList') || hasKey(m.data, 'ipWhiteList'));
      if (!listed) hits.push({ document: router.document, path: router.path, message: `admin router '${router.name}' (${surface}) has no ipAllowList middleware`, granular: router.name });
    }
    for (const type of ['ipAllowList', 'ipWhiteList']) {
      for (const { middleware, settings } of config.middlewaresOfType(type)) {
        const base = [...middleware.path, type];
        if (type === 'ipWhiteList') hits.push({ document: middleware.document, path: base, message: `middleware '${middleware.name}' uses the deprecated ipWhiteList; use ipAllowList`, granular: middleware.name });
        const ranges = itemsOf(settings.sourceRange);
        if (ranges.length === 0) hits.push({ document: middleware.document, path: base, message: `${type} '${middleware.name}' has an empty sourceRange`, granular: middleware.name });
        ranges.forEach((range, i) => {
          if (typeof range === 'string' && EVERYWHERE.test(range)) {
            hits.push({ document: middleware.document, path: [...base, 'sourceRange', i], message: `${type} '${middleware.name}' admits ${range.trim()}, i.e. every address`, granular: middleware.name });
          }
        });
      }
    }
    return hits;
  },
};

/**
 * TRF-15: a `forwardAuth` middleware sends credentials over plain HTTP to a host outside the
 * compose network (a dotted public name or public IP; single-label service names, private and
 * loopback addresses and `.internal`/`.local`/`.lan`/`.svc` names are internal), sets
 * `trustForwardHeader: true` while no entry point declares `forwardedHeaders.trustedIPs`, sets
 * `tls.insecureSkipVerify: true`, or copies auth response headers without an allow-list
 * (`authResponseHeaders`, or a `authResponseHeadersRegex` narrower than `.*`).
 */
export const TRF_15: Rule = {
  id: 'TRF-15',
  title: 'forwardAuth uses TLS to external verifiers, trusts no forged headers and allow-lists response headers',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'forwardAuth forwards cookies and tokens to the verifier: in clear text or to an unverified certificate they can be stolen; trusting client X-Forwarded-* lets callers spoof the URI and IP the policy decides on; without a header allow-list no identity headers are passed, or forged ones survive.',
  remediation: 'Use https:// for verifiers outside the host, keep tls.insecureSkipVerify off, set trustForwardHeader only behind trusted proxies, and list the identity headers in authResponseHeaders (e.g. X-Auth-User, X-Client-Id).',
  controls: { 'nist-800-53-r5': ['IA-2', 'AC-3', 'SC-8', 'SC-23'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['traefik-static', 'traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    const trusted = config.entryPoints.trustsUpstreamProxies();
    for (const { middleware, settings } of config.middlewaresOfType('forwardAuth')) {
      const base = [...middleware.path, 'forwardAuth'];
      const at = (key: string): (string | number)[] => [...base, key];
      const address = stringOf(settings.address)?.trim() ?? '';
      const url = /^http:\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(address);
      if (url && isExternalHost(url[1].replace(/^\[|\]$/g, ''))) {
        hits.push({ document: middleware.document, path: at('address'), message: `forwardAuth '${middleware.name}' sends credentials over plain HTTP to external ${address}`, granular: middleware.name });
      }
      if (isTrue(settings.trustForwardHeader) && !trusted) {
        hits.push({ document: middleware.document, path: at('trustForwardHeader'), message: `forwardAuth '${middleware.name}' sets trustForwardHeader: true but no entryPoint declares forwardedHeaders.trustedIPs`, granular: middleware.name });
      }
      if (isRecord(settings.tls) && isTrue(settings.tls.insecureSkipVerify)) {
        hits.push({ document: middleware.document, path: [...base, 'tls', 'insecureSkipVerify'], message: `forwardAuth '${middleware.name}' sets tls.insecureSkipVerify: true`, granular: middleware.name });
      }
      const listed = itemsOf(settings.authResponseHeaders).some((h) => typeof h === 'string' && h.trim() !== '');
      const regex = stringOf(settings.authResponseHeadersRegex)?.trim() ?? '';
      if (!listed && (regex === '' || /^\^?\.[*+]\$?$/.test(regex))) {
        hits.push({ document: middleware.document, path: base, message: `forwardAuth '${middleware.name}' has no authResponseHeaders allow-list`, granular: middleware.name });
      }
    }
    return hits;
  },
};

/**
 * TRF-18: `basicAuth`/`digestAuth` users are written inline in the dynamic file (they belong in
 * a mounted `usersFile` secret; MEDIUM), or an entry is not hashed (HIGH): a basicAuth password
 * that is not `$apr1$` (MD5-crypt) or bcrypt (`$2a$`/`$2b$`/`$2y$`) — unsalted `{SHA}` counts as
 * unhashed — or a digestAuth entry whose third field is not a 32-hex-digit HA1.
 */
export const TRF_18: Rule = {
  id: 'TRF-18',
  title: 'basicAuth/digestAuth users are hashed and kept in a mounted usersFile',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale: 'A plaintext or unsalted password in a routing file is readable by anyone with the repository, the synth output or a config backup; even hashed entries belong in a secret file so the config can be shared and reviewed.',
  remediation: 'Generate bcrypt entries (htpasswd -nbB user pass) into a file delivered as a compose secret (or rendered by Vault Agent) and reference it with usersFile; remove users from the dynamic config.',
  controls: { 'nist-800-53-r5': ['IA-5', 'SC-28'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['traefik-dynamic'],
  check(model) {
    const hits: RuleHit[] = [];
    const config = TraefikConfig.of(model);
    for (const type of ['basicAuth', 'digestAuth'] as const) {
      for (const { middleware, settings } of config.middlewaresOfType(type)) {
        const users = itemsOf(settings.users);
        if (users.length === 0) continue;
        const base = [...middleware.path, type, 'users'];
        hits.push({ document: middleware.document, path: base, message: `${type} '${middleware.name}' lists ${users.length} user(s) inline instead of a mounted usersFile`, granular: middleware.name, severity: 'medium' });
        users.forEach((entry, i) => {
          if (typeof entry !== 'string' || !entry.includes(':')) return;
          const user = entry.slice(0, entry.indexOf(':'));
          if (!(type === 'basicAuth' ? basicHashed(entry) : digestHashed(entry))) {
            hits.push({ document: middleware.document, path: [...base, i], message: `${type} '${middleware.name}' stores user '${user}' without a salted hash`, granular: middleware.name });
          }
        });
      }
    }
    return hits;
  },
};

function basicHashed(entry: string): boolean {
  return /^\$(apr1|2[aby])\$/.test(entry.slice(entry.indexOf(':') + 1));
}

function digestHashed(entry: string): boolean {
  const parts = entry.split(':');
  return parts.length === 3 && /^[0-9a-f]{32}$/i.test(parts[2]);
}

/** Whether a forwardAuth host is outside the compose network and the host itself. */
export function isExternalHost(host: string): boolean {
  const h = host.toLowerCase();
  if (!h.includes('.') && !h.includes(':')) return false;
  if (h === 'localhost' || /\.(internal|local|lan|localhost|svc|docker|home\.arpa)$/.test(h) || h.endsWith('.cluster.local')) return false;
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return !(a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254));
  }
  if (h.includes(':')) return !(h === '::1' || /^f[cd]/.test(h) || /^fe80/.test(h));
  return true;
}
