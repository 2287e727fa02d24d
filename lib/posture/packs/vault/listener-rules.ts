import type { Rule, RuleHit } from '../../rule';
import { coversPublicAddresses } from './cidr-ranges';
import { blocksOf, isObject, show, stringList, vaultBool } from './hcl-values';
import { tcpListeners } from './listeners';

/** TLS versions below 1.2, as Vault spells them. */
const OLD_TLS = new Set(['tls10', 'tls11']);

/** Cipher suites without forward secrecy or with CBC, RC4, 3DES, NULL, EXPORT or anonymous key exchange. */
export const WEAK_CIPHER = /(_CBC_|RC4|3DES|_DES_|NULL|EXPORT|anon|^TLS_RSA_)/i;

/** Redaction options a public listener should turn on (Vault 1.15+). */
export const REDACT_OPTIONS: readonly string[] = ['redact_addresses', 'redact_cluster_name', 'redact_version'];

/** VLT-01: a TCP listener with `tls_disable` true (`true`, `1`, `"true"`), or without a certificate and key. */
export const VLT_01: Rule = {
  id: 'VLT-01',
  title: 'Vault listener without TLS',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Tokens, unseal keys and secrets cross the listener; without TLS anyone on the network path reads them.',
  remediation: 'Remove tls_disable and set tls_cert_file and tls_key_file on every tcp listener (end-to-end TLS, also behind the proxy).',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-13'], 'csa-aicm': ['CEK', 'IVS'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const l of tcpListeners(model)) {
      if (l.tlsDisabled) {
        hits.push({ document: l.document, path: [...l.path, 'tls_disable'], granular: l.name, message: `listener '${l.name}' disables TLS (tls_disable = ${show(l.data.tls_disable)})` });
        continue;
      }
      const missing = ['tls_cert_file', 'tls_key_file'].filter((k) => typeof l.data[k] !== 'string' || l.data[k].trim() === '');
      if (missing.length > 0) hits.push({ document: l.document, path: l.path, granular: l.name, message: `listener '${l.name}' has no ${missing.join(' or ')}, so it cannot serve TLS` });
    }
    return hits;
  },
};

/** VLT-02: `tls_min_version` (or `tls_max_version`) below TLS 1.2, or a weak suite in `tls_cipher_suites`. */
export const VLT_02: Rule = {
  id: 'VLT-02',
  title: 'Vault listener allows old TLS or weak ciphers',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'TLS 1.0/1.1 and CBC, RC4, 3DES or static-RSA suites are broken or lack forward secrecy.',
  remediation: 'Set tls_min_version = "tls12" (better "tls13") and leave tls_cipher_suites unset or list only ECDHE AEAD suites.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-13'], 'csa-aicm': ['CEK'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const l of tcpListeners(model)) {
      for (const key of ['tls_min_version', 'tls_max_version']) {
        const value = l.data[key];
        if (typeof value === 'string' && OLD_TLS.has(value.trim().toLowerCase())) {
          hits.push({ document: l.document, path: [...l.path, key], granular: l.name, message: `listener '${l.name}' sets ${key} = "${value}", below tls12` });
        }
      }
      const weak = stringList(l.data.tls_cipher_suites).filter((s) => WEAK_CIPHER.test(s));
      if (weak.length > 0) {
        hits.push({ document: l.document, path: [...l.path, 'tls_cipher_suites'], granular: l.name, message: `listener '${l.name}' allows weak cipher suites ${weak.join(', ')}` });
      }
    }
    return hits;
  },
};

/** VLT-03: `x_forwarded_for_authorized_addrs` trusts `0.0.0.0/0`, `::/0` or another public range. */
export const VLT_03: Rule = {
  id: 'VLT-03',
  title: 'X-Forwarded-For trusted from public addresses',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Vault takes the client address from X-Forwarded-For sent by these sources; trusting public ranges lets any client spoof its address past CIDR-bound tokens and audit records.',
  remediation: 'List only the reverse proxy address or its private network (e.g. the Traefik container subnet).',
  controls: { 'nist-800-53-r5': ['SC-7', 'AC-3'], 'csa-aicm': ['IVS', 'IAM'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const l of tcpListeners(model)) {
      const open = stringList(l.data.x_forwarded_for_authorized_addrs).filter((a) => coversPublicAddresses(a) === true);
      if (open.length > 0) {
        hits.push({ document: l.document, path: [...l.path, 'x_forwarded_for_authorized_addrs'], granular: l.name, message: `listener '${l.name}' trusts X-Forwarded-For from public range ${open.join(', ')}` });
      }
    }
    return hits;
  },
};

/** VLT-04: unauthenticated metrics, pprof or in-flight request access on a listener that is not loopback-only. */
export const VLT_04: Rule = {
  id: 'VLT-04',
  title: 'Unauthenticated metrics or profiling on a network listener',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Metrics, pprof and in-flight request dumps reveal mounts, request paths, memory and timing to anyone who can reach the listener.',
  remediation: 'Leave unauthenticated_metrics_access / unauthenticated_pprof_access off and scrape with a token, or expose them only on a 127.0.0.1 listener.',
  controls: { 'nist-800-53-r5': ['AC-14', 'SC-7'], 'csa-aicm': ['IVS', 'LOG'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    const options: [string, string][] = [
      ['telemetry', 'unauthenticated_metrics_access'],
      ['profiling', 'unauthenticated_pprof_access'],
      ['inflight_requests_logging', 'unauthenticated_in_flight_requests_access'],
    ];
    for (const l of tcpListeners(model).filter((x) => !x.loopback)) {
      for (const [block, key] of options) {
        for (const b of blocksOf(l.data[block], [...l.path, block])) {
          if (vaultBool(b.data[key]) !== true) continue;
          hits.push({ document: l.document, path: [...b.path, key], granular: `${l.name}:${block}`, message: `listener '${l.name}' enables ${block}.${key} on a non-loopback address` });
        }
      }
    }
    return hits;
  },
};

/** VLT-12: a non-loopback listener without HSTS in `custom_response_headers`, or without the `redact_*` options. */
export const VLT_12: Rule = {
  id: 'VLT-12',
  title: 'Public listener without HSTS or redaction',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Without HSTS a browser reaching the UI can be downgraded to plain HTTP; unredacted responses disclose the Vault version, cluster name and node addresses.',
  remediation: 'Add "Strict-Transport-Security" to custom_response_headers "default", and set redact_addresses, redact_cluster_name and redact_version to true.',
  controls: { 'nist-800-53-r5': ['SC-8', 'SC-23', 'CM-7'], 'csa-aicm': ['AIS', 'IVS'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const l of tcpListeners(model).filter((x) => !x.loopback)) {
      if (!hasHsts(l.data.custom_response_headers)) {
        const path = l.data.custom_response_headers !== undefined ? [...l.path, 'custom_response_headers'] : l.path;
        hits.push({ document: l.document, path, granular: `${l.name}:hsts`, message: `listener '${l.name}' sends no Strict-Transport-Security header` });
      }
      const off = REDACT_OPTIONS.filter((k) => vaultBool(l.data[k]) !== true);
      if (off.length > 0) {
        const present = off.find((k) => l.data[k] !== undefined);
        hits.push({ document: l.document, path: present ? [...l.path, present] : l.path, granular: `${l.name}:redact`, message: `listener '${l.name}' does not turn on ${off.join(', ')}` });
      }
    }
    return hits;
  },
};

/** Whether any header group (attribute map or block form) sets a non-empty Strict-Transport-Security. */
function hasHsts(headers: unknown): boolean {
  const groups = Array.isArray(headers) ? headers.filter(isObject) : isObject(headers) ? [headers] : [];
  return groups.some((g) =>
    Object.values(g).some(
      (byName) => isObject(byName) && Object.entries(byName).some(([name, value]) => name.toLowerCase() === 'strict-transport-security' && stringList(value).length > 0),
    ),
  );
}
