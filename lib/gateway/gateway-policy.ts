import { HeadersMiddleware } from '../traefik/generated/traefik-dynamic';
import type { TlsOptions } from '../traefik/traefik-dynamic-config';

/**
 * The gateway's fixed security policy: the TLS options and header sets every route gets. Kept in
 * one place so a reviewer reads the whole edge posture here.
 */

/** An IPv4 or IPv6 CIDR range (allow-lists, trusted proxies). */
export const CIDR_RANGE = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\/(?:3[0-2]|[12]?\d)$|^[0-9a-f:]+\/(?:12[0-8]|1[01]\d|[1-9]?\d)$/i;

/** TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are not configurable and all AEAD). */
export const AEAD_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
];

/** The `default` TLS options: TLS 1.2+, AEAD suites, strict SNI (no certificate for unknown names). */
export function defaultTlsOptions(): TlsOptions {
  return { minVersion: 'VersionTLS12', cipherSuites: [...AEAD_CIPHER_SUITES], curvePreferences: ['X25519', 'CurveP256', 'CurveP384'], sniStrict: true };
}

/** The `mtls-clients` TLS options: the default plus a verified client certificate from `caFile`. */
export function mtlsTlsOptions(caFile: string): TlsOptions {
  return { ...defaultTlsOptions(), clientAuth: { caFiles: [caFile], clientAuthType: 'RequireAndVerifyClientCert' } };
}

/** CSP for browser UIs (CONTROLS.md Z7-K06). */
export const UI_CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";
/** CSP for APIs: nothing may load, nothing may frame. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Security headers (CONTROLS.md Z6-K01, Z7-K06): HSTS 1 year with subdomains, nosniff, no framing, no referrer. */
export function securityHeaders(contentSecurityPolicy: string): HeadersMiddleware {
  return {
    stsSeconds: 31536000,
    stsIncludeSubdomains: true,
    stsPreload: true,
    forceSTSHeader: true,
    contentTypeNosniff: true,
    frameDeny: true,
    referrerPolicy: 'no-referrer',
    permissionsPolicy: 'geolocation=(), microphone=(), camera=()',
    contentSecurityPolicy,
    customResponseHeaders: { Server: '', 'X-Powered-By': '' },
  };
}
