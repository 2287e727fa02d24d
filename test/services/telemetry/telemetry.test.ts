/**
 * The Z9 pipeline as synthesized: the collector, Loki and Grafana compose services and their
 * configuration files, asserted key by key (the snapshots only guard against unnoticed drift).
 * grafana.ini is read back with a real INI parser (Python's configparser, strict: duplicate
 * sections or keys fail) and every key is checked against Grafana's documented settings; the
 * role mapping is evaluated by a real JMESPath engine (Debian's python3-jmespath).
 */
import { spawnSync } from 'child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MlsecError, Testing } from '../../../lib';
import { renderIni } from '../../../lib/services/telemetry/grafana-ini';
import { roleAttributePath } from '../../../lib/services/telemetry/grafana-settings';
import { CREDENTIAL_KEY_PATTERN, REDACTED_VALUES } from '../../../lib/services/telemetry/redaction-rules';
import { synthLab, telemetryLab } from './support';

const plain = synthLab(telemetryLab());
const full = synthLab(telemetryLab({ grafana: true }));

/** A Go RE2 pattern with a leading `(?i)` as a JavaScript RegExp (the patterns here use only syntax both share). */
const re = (pattern: string) => (pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern));

function hardened(svc: any, user = '10001:10001') {
  expect(svc.labels).toEqual({ 'mlsec.zone': 'z9' });
  expect(svc.ports).toBeUndefined();
  expect(svc.read_only).toBe(true);
  expect(svc.cap_drop).toEqual(['ALL']);
  expect(svc.cap_add).toBeUndefined();
  expect(svc.security_opt).toEqual(['no-new-privileges:true']);
  expect(svc.user).toBe(user);
  expect(svc.pids_limit).toBeGreaterThan(0);
}

describe('OtelCollector', () => {
  const svc = plain.compose.services['otel-collector'];
  const config = parse(plain.file('otel-collector/otelcol.yaml'));

  it('is a hardened Z9 service listening on OTLP 4317/4318 for declared senders only', () => {
    hardened(svc);
    expect(svc.image).toBe('otel/opentelemetry-collector-contrib:0.161.0');
    expect(svc.command).toEqual(['--config=file:/etc/otelcol-contrib/config.yaml']);
    expect(svc.expose).toEqual(['4317', '4318']);
    expect(svc.deploy.resources.limits).toEqual({ cpus: '0.5', memory: '512M' });
    expect(svc.volumes).toContainEqual({ type: 'bind', source: './otel-collector/otelcol.yaml', target: '/etc/otelcol-contrib/config.yaml', read_only: true });
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'loki', port: 3100 }]);
    expect(svc['x-mlsec'].overrides.map((o: any) => o.control)).toEqual(['healthcheck']);
  });

  it('requires a client certificate of the platform CA on both OTLP receivers', () => {
    for (const proto of ['grpc', 'http']) {
      const r = config.receivers.otlp.protocols[proto];
      expect(r.endpoint).toBe(proto === 'grpc' ? '0.0.0.0:4317' : '0.0.0.0:4318');
      expect(r.tls).toEqual({ cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key', client_ca_file: '/run/secrets/ca.crt', min_version: '1.2', reload_interval: '1h' });
    }
    expect(config.receivers.otlp.protocols.http.max_request_body_size).toBe(4 * 1024 * 1024);
    expect(config.receivers.otlp.protocols.http.include_metadata).toBe(false);
  });

  it('runs memory limit, credential drop, PII masking and batching in that order, failing closed', () => {
    expect(config.service.pipelines).toEqual({ logs: { receivers: ['otlp'], processors: ['memory_limiter', 'transform/drop-credentials', 'redaction/pii', 'batch'], exporters: ['otlphttp/loki'] } });
    expect(config.processors.memory_limiter).toEqual({ check_interval: '1s', limit_mib: 409, spike_limit_mib: 102 });
    const transform = config.processors['transform/drop-credentials'];
    expect(transform.error_mode).toBe('propagate');
    expect(transform.log_statements.map((s: any) => s.context)).toEqual(['resource', 'scope', 'log']);
    for (const group of transform.log_statements) expect(group.statements[0]).toBe(`delete_matching_keys(attributes, "${CREDENTIAL_KEY_PATTERN}")`);
    expect(transform.log_statements[2].statements[1]).toBe(`delete_matching_keys(body, "${CREDENTIAL_KEY_PATTERN}") where IsMap(body)`);
    const redaction = config.processors['redaction/pii'];
    expect(redaction).toMatchObject({ allow_all_keys: true, blocked_key_patterns: [CREDENTIAL_KEY_PATTERN], redact_all_types: true, summary: 'info' });
    expect(redaction.masking_string).toBeUndefined();
    expect(redaction.blocked_values).toEqual(REDACTED_VALUES.map((v) => v.pattern));
  });

  it('writes logs to Loki over mTLS as the platform tenant; its own metrics listener is off', () => {
    expect(config.exporters['otlphttp/loki']).toMatchObject({
      logs_endpoint: 'https://loki:3100/otlp/v1/logs',
      headers: { 'X-Scope-OrgID': 'platform' },
      tls: { ca_file: '/run/secrets/ca.crt', cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key', min_version: '1.2', reload_interval: '1h' },
      sending_queue: { enabled: true },
      retry_on_failure: { enabled: true },
    });
    expect(config.exporters['otlphttp/loki'].tls.insecure_skip_verify).toBeUndefined();
    expect(config.service.telemetry.metrics).toEqual({ level: 'none' });
  });

  it('acceptFrom gives the sender the flow, its client certificate and the OTLP SDK settings', () => {
    const api = plain.compose.services['features-api'];
    expect(api['x-mlsec'].flows).toEqual([{ to: 'otel-collector', port: 4318 }]);
    expect(api.environment).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel-collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/run/secrets/ca.crt',
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/run/secrets/clienttls.crt',
      MLSEC_OTLP_CLIENT_KEY_FILE: '/run/secrets/clienttls.key',
    });
    const grpc = synthLab(telemetryLab({ protocol: 'grpc' })).compose.services['features-api'];
    expect(grpc['x-mlsec'].flows).toEqual([{ to: 'otel-collector', port: 4317 }]);
    expect(grpc.environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('https://otel-collector:4317');
    // With Vault the sender's client certificate is Vault-issued.
    expect(full.compose.services['features-api'].environment.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE).toBe('/run/vault/vault-tls.crt');
  });

  it('matches the snapshot', () => {
    expect(plain.file('otel-collector/otelcol.yaml')).toMatchSnapshot();
  });
});

describe('the redaction rules (JavaScript reading of the RE2 patterns)', () => {
  const keys = re(CREDENTIAL_KEY_PATTERN);
  it.each(['authorization', 'Authorization', 'http.request.header.authorization', 'Proxy-Authorization', 'http.request.header.cookie', 'Cookie', 'Set-Cookie', 'http.response.header.set-cookie', 'x-api-key', 'deployment.api_key', 'client_secret', 'db.password', 'refresh_token'])('drops the key %s', (key) => {
    expect(keys.test(key)).toBe(true);
  });
  it.each(['author', 'request_id', 'cookies_enabled', 'http.route', 'service.name', 'tokenizer', 'secretary_name'])('keeps the key %s', (key) => {
    expect(keys.test(key)).toBe(false);
  });
  const masked = (text: string) => REDACTED_VALUES.some((v) => re(v.pattern).test(text));
  it.each(['CPF 123.456.789-09', 'cpf 12345678909', 'mail maria.silva@example.com', 'Bearer abc.def-ghi', 'authorization: basic dXNlcjpwYXNzd29yZA==', 'eyJhbGciOi.eyJzdWIiOi.sig'])('masks %s', (text) => {
    expect(masked(text)).toBe(true);
  });
  it.each(['request 42 ok', 'latency_ms 123', 'order 1234-5678', 'trace 4bf92f3577b34da6'])('leaves %s alone', (text) => {
    expect(masked(text)).toBe(false);
  });
});

describe('LokiServer', () => {
  const svc = plain.compose.services.loki;
  const config = parse(plain.file('loki/loki.yaml'));

  it('is a hardened Z9 service with a data volume and no route or published port', () => {
    hardened(svc);
    expect(svc.image).toBe('grafana/loki:3.7.8');
    expect(svc.command).toEqual(['-config.file=/etc/loki/loki.yaml']);
    expect(svc.expose).toEqual(['3100']);
    expect(svc.volumes).toContainEqual({ type: 'volume', source: 'loki-data', target: '/loki', read_only: false });
    expect(plain.compose.services.traefik).toBeUndefined();
  });

  it('serves HTTPS only with required client certificates, gRPC on the loopback, multi-tenant', () => {
    expect(config.auth_enabled).toBe(true);
    expect(config.server).toMatchObject({
      http_listen_address: '0.0.0.0', http_listen_port: 3100, grpc_listen_address: '127.0.0.1', grpc_listen_port: 9095, tls_min_version: 'VersionTLS12',
      http_tls_config: { cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key', client_ca_file: '/run/secrets/ca.crt', client_auth_type: 'RequireAndVerifyClientCert' },
    });
    expect(config.common.instance_addr).toBe('127.0.0.1');
    expect(config.analytics).toEqual({ reporting_enabled: false });
  });

  it('keeps logs 365 days by default and as configured (Z9-K06), deleted by the compactor', () => {
    expect(config.limits_config.retention_period).toBe('8760h');
    expect(config.compactor).toMatchObject({ retention_enabled: true, delete_request_store: 'filesystem' });
    expect(config.schema_config.configs).toEqual([{ from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }]);
    expect(config.limits_config.allow_structured_metadata).toBe(true);
    const two = synthLab(telemetryLab({ loki: { retentionDays: 730, tenant: 'audit' } }));
    const c2 = parse(two.file('loki/loki.yaml'));
    expect(c2.limits_config.retention_period).toBe('17520h');
    expect(parse(two.file('otel-collector/otelcol.yaml')).exporters['otlphttp/loki'].headers).toEqual({ 'X-Scope-OrgID': 'audit' });
  });

  it('is reachable only by the collector and Grafana (their declared flows)', () => {
    const to = (s: string) => (full.compose.services[s]['x-mlsec'].flows ?? []).filter((f: any) => f.to === 'loki');
    expect(to('otel-collector')).toEqual([{ to: 'loki', port: 3100 }]);
    expect(to('grafana')).toEqual([{ to: 'loki', port: 3100 }]);
    const clients = Object.entries(full.compose.services).filter(([, s]: [string, any]) => (s['x-mlsec']?.flows ?? []).some((f: any) => f.to === 'loki')).map(([n]) => n).sort();
    expect(clients).toEqual(['grafana', 'otel-collector']);
  });

  it('matches the snapshot', () => {
    expect(plain.file('loki/loki.yaml')).toMatchSnapshot();
  });
});

/** Debian's Python 3 (configparser; JMESPath from the Debian package python3-jmespath). */
const PYTHON = '/usr/bin/python3';

/**
 * Evaluates a JMESPath expression on claims with a real JMESPath implementation (python3-jmespath;
 * Grafana uses go-jmespath, both implement the JMESPath specification). Returns the JSON result,
 * or `{ error }` when the expression raises (Grafana then refuses the login under role_attribute_strict).
 */
function jmespath(expression: string, claims: unknown): unknown {
  const script = 'import json,sys\ntry:\n import jmespath\nexcept ImportError:\n sys.exit(3)\nq,d=json.loads(sys.stdin.read())\ntry:\n print(json.dumps(jmespath.search(q,d)))\nexcept Exception as e:\n print(json.dumps({"error":type(e).__name__}))';
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify([expression, claims]), encoding: 'utf8' });
  if (r.status === 3) throw new Error(`JMESPath for Python is missing: run \`apt-get install python3-jmespath\` (Debian's package, for ${PYTHON})`);
  if (r.status !== 0) throw new Error(`${PYTHON} jmespath failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

/** grafana.ini through Python's configparser (strict, no interpolation): section → key → value. */
function readIni(text: string): Record<string, Record<string, string>> {
  const script = 'import configparser,json,sys\np=configparser.ConfigParser(interpolation=None,strict=True,inline_comment_prefixes=None)\np.optionxform=str\np.read_string(sys.stdin.read())\nprint(json.dumps({s:dict(p[s]) for s in p.sections()}))';
  const r = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} configparser could not read grafana.ini: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

/** The settings this library writes, as Grafana's configuration reference documents them (section → keys). */
const DOCUMENTED: Record<string, string[]> = {
  'paths': ['data', 'plugins', 'provisioning'],
  'server': ['protocol', 'http_port', 'domain', 'root_url', 'cert_file', 'cert_key', 'min_tls_version', 'router_logging', 'enable_gzip'],
  'database': ['type', 'wal'],
  'analytics': ['reporting_enabled', 'check_for_updates', 'check_for_plugin_updates', 'feedback_links_enabled'],
  'security': ['disable_initial_admin_creation', 'secret_key', 'cookie_secure', 'cookie_samesite', 'disable_gravatar', 'strict_transport_security', 'strict_transport_security_max_age_seconds', 'x_content_type_options', 'x_xss_protection', 'content_security_policy', 'allow_embedding'],
  'snapshots': ['enabled', 'external_enabled'],
  'public_dashboards': ['enabled'],
  'users': ['allow_sign_up', 'allow_org_create', 'auto_assign_org'],
  'auth': ['disable_login_form', 'login_maximum_inactive_lifetime_duration', 'login_maximum_lifetime_duration', 'token_rotation_interval_minutes', 'oauth_allow_insecure_email_lookup'],
  'auth.basic': ['enabled'],
  'auth.anonymous': ['enabled'],
  'auth.proxy': ['enabled'],
  'auth.generic_oauth': ['enabled', 'name', 'allow_sign_up', 'auto_login', 'client_id', 'client_secret', 'scopes', 'empty_scopes', 'auth_url', 'token_url', 'api_url', 'signout_redirect_url', 'use_pkce', 'use_refresh_token', 'login_attribute_path', 'email_attribute_path', 'name_attribute_path', 'role_attribute_path', 'role_attribute_strict', 'allow_assign_grafana_admin', 'skip_org_role_sync', 'tls_skip_verify_insecure', 'tls_client_ca'],
  'plugins': ['plugin_admin_enabled', 'public_key_retrieval_disabled'],
  'news': ['news_feed_enabled'],
  'log': ['mode', 'level'],
  'log.console': ['format'],
};

describe('GrafanaServer', () => {
  const svc = full.compose.services.grafana;
  const ini = readIni(full.file('grafana/grafana.ini'));

  it('is a hardened Z9 service with HTTPS, a health check and flows only to the IdP and Loki', () => {
    hardened(svc, '472:472');
    expect(svc.image).toBe('grafana/grafana:12.3.2');
    expect(svc.expose).toEqual(['3000']);
    expect(svc.healthcheck.test).toEqual(['CMD', 'wget', '-q', '--no-check-certificate', '-O', '/dev/null', 'https://127.0.0.1:3000/api/health']);
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'keycloak', port: 8443 }, { to: 'loki', port: 3100 }]);
    expect(svc.volumes).toContainEqual({ type: 'bind', source: './grafana/grafana.ini', target: '/etc/grafana/grafana.ini', read_only: true });
    expect(svc.volumes).toContainEqual({ type: 'bind', source: './grafana/provisioning/datasources/mlsec.yaml', target: '/etc/grafana/provisioning/datasources/mlsec.yaml', read_only: true });
  });

  it('writes only documented Grafana settings, each once (strict INI parse)', () => {
    expect(Object.keys(ini).sort()).toEqual(Object.keys(DOCUMENTED).sort());
    for (const [section, keys] of Object.entries(ini)) expect(Object.keys(keys).sort(), `[${section}]`).toEqual([...DOCUMENTED[section]].sort());
  });

  it('allows no login but the realm OIDC client with PKCE, and no anonymous, basic or sign-up access', () => {
    expect(ini.auth.disable_login_form).toBe('true');
    expect(ini['auth.basic'].enabled).toBe('false');
    expect(ini['auth.anonymous'].enabled).toBe('false');
    expect(ini['auth.proxy'].enabled).toBe('false');
    expect(ini.users.allow_sign_up).toBe('false');
    expect(ini.security.disable_initial_admin_creation).toBe('true');
    const oauth = ini['auth.generic_oauth'];
    expect(oauth).toMatchObject({
      enabled: 'true', use_pkce: 'true', client_id: 'grafana', client_secret: '$__file{/run/vault/oidc-client-secret}',
      auth_url: 'https://auth.lab.example.com/realms/lab/protocol/openid-connect/auth',
      token_url: 'https://keycloak:8443/realms/lab/protocol/openid-connect/token',
      api_url: 'https://keycloak:8443/realms/lab/protocol/openid-connect/userinfo',
      role_attribute_strict: 'true', allow_assign_grafana_admin: 'false', tls_skip_verify_insecure: 'false', tls_client_ca: '/run/secrets/ca.crt',
    });
    expect(oauth.role_attribute_path).toBe("(contains(realm_access.roles[*], 'admin')) && 'Admin' || (contains(realm_access.roles[*], 'auditor') || contains(realm_access.roles[*], 'security')) && 'Viewer'");
  });

  it.each([
    [['admin', 'auditor'], 'Admin'],
    [['security'], 'Viewer'],
    [['auditor', 'reader'], 'Viewer'],
    [['ml-trainer'], false],
    [[], false],
  ])('maps the realm roles %j to %j with a real JMESPath engine (false: login refused)', (roles, expected) => {
    expect(jmespath(ini['auth.generic_oauth'].role_attribute_path, { sub: 'u1', realm_access: { roles } })).toEqual(expected);
  });

  it('refuses a token without realm roles (the expression fails; strict mode refuses the login)', () => {
    expect(jmespath(ini['auth.generic_oauth'].role_attribute_path, { sub: 'u1' })).toEqual({ error: expect.any(String) });
  });

  it('maps an editor level when one is configured', () => {
    const path = roleAttributePath({ admin: ['admin'], editor: ['ml-sec', 'data-engineer'], viewer: ['auditor'] });
    expect(jmespath(path, { realm_access: { roles: ['data-engineer'] } })).toBe('Editor');
    expect(jmespath(path, { realm_access: { roles: ['data-engineer', 'admin'] } })).toBe('Admin');
  });

  it('serves HTTPS with its Vault certificate and sets Secure, SameSite cookies', () => {
    expect(ini.server).toMatchObject({ protocol: 'https', http_port: '3000', root_url: 'https://grafana.lab.example.com/', cert_file: '/run/vault/vault-tls.crt', cert_key: '/run/vault/vault-tls.key', min_tls_version: 'TLS1.2' });
    expect(ini.security).toMatchObject({ cookie_secure: 'true', cookie_samesite: 'lax', secret_key: '$__file{/run/vault/secret-key}', strict_transport_security: 'true', allow_embedding: 'false' });
    expect(ini.analytics.reporting_enabled).toBe('false');
    expect(ini.snapshots.external_enabled).toBe('false');
  });

  it('provisions Loki read-only over verified mTLS with the tenant, PEMs read from files', () => {
    const ds = parse(full.file('grafana/provisioning/datasources/mlsec.yaml'));
    expect(ds).toEqual({
      apiVersion: 1, prune: true,
      datasources: [{
        name: 'Loki', uid: 'loki', type: 'loki', access: 'proxy', url: 'https://loki:3100', isDefault: true, editable: false,
        jsonData: { tlsAuth: true, tlsAuthWithCACert: true, tlsSkipVerify: false, serverName: 'loki', httpHeaderName1: 'X-Scope-OrgID', timeout: 60 },
        secureJsonData: { tlsCACert: '$__file{/run/secrets/ca.crt}', tlsClientCert: '$__file{/run/vault/vault-tls.crt}', tlsClientKey: '$__file{/run/vault/vault-tls.key}', httpHeaderValue1: 'platform' },
      }],
    });
  });

  it('keeps every secret out of synth output: agent templates and $__file references only', () => {
    for (const p of full.assembly.paths()) {
      const text = full.assembly.file(p);
      expect(text, p).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    }
    const agent = full.assembly.paths().filter((p) => p.startsWith('lab/vault/agent/grafana/'));
    expect(agent.length).toBeGreaterThan(0);
    expect(Object.keys(svc.environment).sort()).toEqual(['GF_PATHS_CONFIG', 'GF_PATHS_DATA', 'GF_PATHS_PROVISIONING', 'MLSEC_GRAFANA_CLIENT_SECRET_FILE', 'MLSEC_GRAFANA_SECRET_KEY_FILE']);
  });

  it('matches the snapshots', () => {
    expect(full.file('grafana/grafana.ini')).toMatchSnapshot();
    expect(full.file('grafana/provisioning/datasources/mlsec.yaml')).toMatchSnapshot();
  });
});

describe('the Z9 stack as a whole', () => {
  it('synthesizes byte-identical output twice', () => {
    const again = synthLab(telemetryLab({ grafana: true }));
    for (const p of full.assembly.paths()) expect(again.assembly.file(p), p).toBe(full.assembly.file(p));
  });

  it.each([['without Vault', false], ['with Vault, Keycloak and Grafana', true]])('passes the posture rules of a default app, not only rendering (%s)', (_label, grafana) => {
    expect(() => Testing.synth(telemetryLab({ grafana, posture: true }).app)).not.toThrow();
  });
});

describe('renderIni', () => {
  it.each([['a\nb'], ['x;y'], ['# c'], [' lead'], ['trail '], ['a\rb']])('refuses the value %j rather than write a line Grafana would read differently', (value) => {
    expect(() => renderIni('h', [['s', { k: value }]])).toThrow(MlsecError);
    expect(() => renderIni('h', [['s', { k: value }]])).toThrow(/grafana\.ini \[s\] k/);
  });
  it('writes sections in order and values verbatim', () => {
    expect(renderIni('head', [['a', { x: 1, y: true, z: '' }], ['b.c', { w: '$__file{/run/x}' }]])).toBe('# head\n\n[a]\nx = 1\ny = true\nz =\n\n[b.c]\nw = $__file{/run/x}\n');
  });
});
