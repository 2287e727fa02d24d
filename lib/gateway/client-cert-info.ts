/**
 * What the gateway tells a backend about the client certificate it verified, and how a Benthos
 * backend reads it: the leaf's CN, strictly, or nothing. Routes with `RouteAuth.mtls` carry it
 * (Traefik's `passTLSClientCert` sets the header and replaces any value the client sent).
 */

/** The header Traefik's `passTLSClientCert` sets (and overwrites) with the verified client certificate's fields. */
export const CLIENT_CERT_INFO_HEADER = 'X-Forwarded-Tls-Client-Cert-Info';

/** A CN the header can carry as an identity: a service-name-like string, at most 64 characters (X.509's bound). */
export const CLIENT_CN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The decoded header value accepted, nothing else. Traefik writes one record per certificate
 * the client sent, leaf first, joined by ","; a record is `Subject="<fields>"` then `;SAN="…"`, the
 * subject fields in the order DC, C, ST, L, O, OU, SN, CN, each `K=V` followed by ",". So the leaf's
 * CN is the last field of the first record, and the identity is exactly that CN (a service name).
 * A value with a quote, ";" or "," inside another subject field, no CN, or anything unexpected after
 * it does not match.
 */
export const CLIENT_CERT_INFO = `^Subject="(?:(?:DC|C|ST|L|O|OU|SN)=[^",;=]*,)*CN=(${CLIENT_CN.source.slice(1, -1)})"`
  + '(?:;SAN="[^"]*")?(?:,(?:Subject="[^"]*")?(?:;?SAN="[^"]*")?)*$';

/**
 * Bloblang statements that bind `$decoded` to the header's value, query-unescaped, or "" when it
 * is absent, longer than 8 KiB or holds a character Traefik never writes unescaped (a raw quote,
 * "=" or ";" cannot come from the gateway). {@link CLIENT_CN_EXPRESSION} reads the CN from it.
 */
export const CLIENT_CERT_INFO_STATEMENTS: readonly string[] = [
  `let info = metadata("${CLIENT_CERT_INFO_HEADER}").or("")`,
  'let decoded = if $info.length() <= 8192 && $info.re_match("^[A-Za-z0-9%+._~-]+$") { $info.unescape_url_query().catch("") } else { "" }',
];

/** The leaf certificate's CN from `$decoded` (see {@link CLIENT_CERT_INFO_STATEMENTS}), or "": the pattern is anchored, one match or none. */
export const CLIENT_CN_EXPRESSION = `$decoded.re_find_all_submatch(${JSON.stringify(CLIENT_CERT_INFO)}).index(0).index(1).catch("").or("")`;
