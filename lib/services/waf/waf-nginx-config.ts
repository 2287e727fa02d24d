/** The nginx configuration of a {@link CrsWaf}: one TLS server in front of the protected backends. */

/** One protected backend, as the nginx config needs it. */
export interface NginxBackend {
  /** Upstream name (letters, digits, "_"). */
  readonly upstream: string;
  /** The backend's service name: its DNS name and the name its certificate is verified for. */
  readonly serviceName: string;
  /** Its TLS port. */
  readonly port: number;
  /** The path prefix routed to it. */
  readonly pathPrefix: string;
}

/** What the nginx config depends on. */
export interface NginxSettings {
  /** The HTTPS port. */
  readonly httpsPort: number;
  /** The loopback-only health port (plain HTTP, inside the container's own network namespace). */
  readonly healthPort: number;
  /** nginx worker processes. */
  readonly workerProcesses: number;
  /** The ModSecurity connector module. */
  readonly modulePath: string;
  /** The ModSecurity rules file. */
  readonly rulesFile: string;
  /** A writable scratch folder (tmpfs) for the pid file and nginx's temp files. */
  readonly tmpDir: string;
  /** Server certificate (with its chain). */
  readonly certificate: string;
  /** Its private key. */
  readonly privateKey: string;
  /** Client certificate presented to the backends. */
  readonly clientCertificate: string;
  /** Its private key. */
  readonly clientPrivateKey: string;
  /** The internal CA bundle: verifies the backends and the clients. */
  readonly caBundle: string;
  /** Service names whose client certificate may call the WAF (the workloads with a declared flow to it). */
  readonly allowedClients: readonly string[];
  /** Largest request body in bytes. */
  readonly maxBodyBytes: number;
  /** The protected backends. */
  readonly backends: readonly NginxBackend[];
}

/** TLS 1.2 AEAD suites with forward secrecy (TLS 1.3 suites are always AEAD). */
const CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';

/** Escapes a literal for an nginx regular expression (service names are [a-z0-9-] already). */
const regexLiteral = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `nginx.conf`. */
export function renderNginxConf(s: NginxSettings, header: string): string {
  const t = s.tmpDir;
  const lines: string[] = [
    header,
    '',
    `load_module ${s.modulePath};`,
    `worker_processes ${s.workerProcesses};`,
    `pid ${t}/nginx.pid;`,
    'error_log stderr warn;',
    'daemon off;',
    '',
    'events {',
    '  worker_connections 1024;',
    '}',
    '',
    'http {',
    '  server_tokens off;',
    '  default_type application/octet-stream;',
    '  # Every path nginx writes to is on the tmpfs: the root filesystem is read-only.',
    `  client_body_temp_path ${t}/client-body;`,
    `  proxy_temp_path ${t}/proxy;`,
    `  fastcgi_temp_path ${t}/fastcgi;`,
    `  uwsgi_temp_path ${t}/uwsgi;`,
    `  scgi_temp_path ${t}/scgi;`,
    '',
    '  # JSON access log: no query string, no header but the request id, never Authorization or Cookie (Z9-K01).',
    '  log_format mlsec_json escape=json \'{"time":"$time_iso8601","request_id":"$http_x_request_id","remote_addr":"$remote_addr",\'',
    '    \'"client":"$ssl_client_s_dn","method":"$request_method","path":"$uri","status":"$status","request_length":"$request_length",\'',
    '    \'"bytes_sent":"$bytes_sent","request_time":"$request_time","upstream_status":"$upstream_status"}\';',
    '  access_log /dev/stdout mlsec_json;',
    '',
    `  client_max_body_size ${s.maxBodyBytes};`,
    '  client_body_buffer_size 128k;',
    '  keepalive_timeout 60s;',
    '',
    '  modsecurity on;',
    `  modsecurity_rules_file ${s.rulesFile};`,
    '',
    '  ssl_protocols TLSv1.2 TLSv1.3;',
    `  ssl_ciphers ${CIPHERS};`,
    '  ssl_prefer_server_ciphers off;',
    '  ssl_session_tickets off;',
    '',
    '  # Only the declared clients (their certificate\'s CN is their service name) get past the TLS handshake\'s CA check.',
    '  map $ssl_client_s_dn $mlsec_client_allowed {',
    '    default 0;',
    ...s.allowedClients.map((c) => `    "~^CN=${regexLiteral(c)}(,|$)" 1;`),
    '  }',
    '',
  ];
  for (const b of s.backends) {
    lines.push(
      `  upstream ${b.upstream} {`,
      `    server ${b.serviceName}:${b.port};`,
      '    keepalive 8;',
      '  }',
      '',
    );
  }
  lines.push(
    '  server {',
    `    listen ${s.httpsPort} ssl;`,
    '    server_name _;',
    `    ssl_certificate ${s.certificate};`,
    `    ssl_certificate_key ${s.privateKey};`,
    `    ssl_client_certificate ${s.caBundle};`,
    '    ssl_verify_client on;',
    '    ssl_verify_depth 2;',
    '    # The callers are the gateway (and other declared clients): the address they forwarded is the real client.',
    '    set_real_ip_from 0.0.0.0/0;',
    '    set_real_ip_from ::/0;',
    '    real_ip_header X-Forwarded-For;',
    '',
    '    if ($mlsec_client_allowed = 0) {',
    '      return 403;',
    '    }',
    '',
  );
  for (const b of s.backends) {
    lines.push(
      `    location ^~ ${b.pathPrefix} {`,
      `      proxy_pass https://${b.upstream};`,
      '      proxy_http_version 1.1;',
      '      proxy_set_header Connection "";',
      '      proxy_set_header Host $host;',
      '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '      proxy_set_header X-Forwarded-Proto https;',
      '      # The backend\'s certificate is verified with the internal CA for its service name; the WAF presents its own.',
      '      proxy_ssl_verify on;',
      '      proxy_ssl_verify_depth 2;',
      `      proxy_ssl_trusted_certificate ${s.caBundle};`,
      `      proxy_ssl_name ${b.serviceName};`,
      '      proxy_ssl_server_name on;',
      '      proxy_ssl_protocols TLSv1.2 TLSv1.3;',
      `      proxy_ssl_certificate ${s.clientCertificate};`,
      `      proxy_ssl_certificate_key ${s.clientPrivateKey};`,
      '      proxy_ssl_session_reuse on;',
      '      proxy_connect_timeout 5s;',
      '      proxy_read_timeout 60s;',
      '    }',
      '',
    );
  }
  lines.push(
    '    # Nothing else is routed.',
    '    location / {',
    '      return 404;',
    '    }',
    '  }',
    '',
    '  # Health endpoint for the container\'s own health check: loopback only, no rules, no log.',
    '  server {',
    `    listen 127.0.0.1:${s.healthPort};`,
    '    modsecurity off;',
    '    access_log off;',
    '    location = /healthz {',
    '      return 200 "ok\\n";',
    '    }',
    '    location / {',
    '      return 404;',
    '    }',
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}
