/**
 * CrsWaf: the compose service, the three generated files (nginx.conf, modsecurity.conf,
 * crs-setup.conf) asserted line by line, the flows (gateway → WAF → backend) and the gateway's
 * route to the WAF; snapshots of the files are paired with these assertions. The files are run by
 * a real nginx + ModSecurity + CRS in crs-waf.real.test.ts.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing, VaultServer, Vps } from '../../../lib';
import { dockerComposeConfig } from '../../support/docker-compose';
import { AUDIT_LOG_PARTS, CrsWaf } from '../../../lib/services/waf';
import { BACKEND, buildWafLab, PROTECTED_PATH, PUBLIC_HOST } from './waf-fixture';

function synth(props: Parameters<typeof buildWafLab>[0] = {}) {
  const lab = buildWafLab(props);
  const assembly = Testing.synth(lab.app);
  const file = (rel: string) => assembly.file(`lab/${rel}`);
  return { lab, assembly, file, compose: parse(file('docker-compose.yml')), nginx: file('waf/nginx.conf'), modsec: file('waf/modsecurity.conf'), setup: file('waf/crs-setup.conf') };
}

const detect = synth();
const block = synth({ mode: 'block', paranoiaLevel: 2, inboundAnomalyThreshold: 10, outboundAnomalyThreshold: 8, requestBodyLimitBytes: 1048576 });

describe('CrsWaf: the compose service', () => {
  it('is a hardened Z1 service running nginx on the generated files, not the image entrypoint', () => {
    const svc = detect.compose.services.waf;
    expect(svc.image).toBe('owasp/modsecurity-crs:4.18.0-nginx-202509051009');
    expect(svc.entrypoint).toEqual(['nginx']);
    expect(svc.command).toEqual(['-c', '/etc/mlsec/waf/nginx.conf', '-e', 'stderr']);
    expect(svc.labels).toEqual({ 'mlsec.zone': 'z1' });
    expect(svc.expose).toEqual(['8443']);
    expect(svc.ports).toBeUndefined();
    expect(svc.user).toBe('101:101');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.cap_add).toBeUndefined();
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.tmpfs).toEqual(['/tmp:rw,noexec,nosuid,size=64m']);
    expect(svc.deploy.resources.limits).toEqual({ cpus: '1', memory: '512M' });
    expect(svc.pids_limit).toBe(128);
    expect(svc.healthcheck.test).toEqual(['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8081/healthz']);
    expect(svc.volumes).toEqual(['nginx.conf', 'modsecurity.conf', 'crs-setup.conf'].map((f) => ({ type: 'bind', source: `./waf/${f}`, target: `/etc/mlsec/waf/${f}`, read_only: true })));
    expect(svc.secrets).toEqual([{ source: 'waf.tls.crt', target: 'tls.crt' }, { source: 'waf.tls.key', target: 'tls.key' }, { source: 'waf.ca.crt', target: 'ca.crt' }]);
    expect(svc.environment).toBeUndefined();
    expect(svc['x-mlsec'].overrides).toBeUndefined();
  });

  it('is accepted by docker-compose config', () => {
    const r = dockerComposeConfig(detect.file('docker-compose.yml'));
    expect(r.status, r.stderr).toBe(0);
  });

  it('flows gateway → WAF (8443) → backend (8443); the gateway no longer reaches the backend', () => {
    const s = detect.compose.services;
    expect(s.waf['x-mlsec'].flows).toEqual([{ to: BACKEND, port: 8443 }]);
    expect(s.gateway['x-mlsec'].flows).toEqual([{ to: 'waf', port: 8443 }]);
    expect(s.waf.networks).toEqual(['z1']);
    expect(Object.keys(s.waf.depends_on)).toEqual([BACKEND]);
  });

  it('is what the gateway routes the public path to, over verified TLS to the name waf', () => {
    const route = parse(detect.file('traefik/dynamic/route-waf.yml'));
    const router = route.http.routers.waf;
    expect(router.rule).toBe(`Host(\`${PUBLIC_HOST}\`) && PathPrefix(\`${PROTECTED_PATH}\`) && Method(\`POST\`)`);
    expect(route.http.services.waf.loadBalancer.servers).toEqual([{ url: 'https://waf:8443' }]);
    expect(route.http.serversTransports['waf-backend'].serverName).toBe('waf');
    expect(detect.lab.route).toEqual({ workload: detect.lab.waf, port: 8443, pathPrefix: PROTECTED_PATH, backend: detect.lab.backend, backendPort: 8443 });
  });

  it('takes a Vault-issued server-and-client certificate when given Vault', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const vault = new VaultServer(vps, 'vault');
    new CrsWaf(vps, 'waf', { vault });
    const assembly = Testing.synth(app);
    const nginx = assembly.file('lab/waf/nginx.conf');
    expect(nginx).toContain('ssl_certificate /run/vault/vault-tls.crt;');
    expect(nginx).toContain('ssl_certificate_key /run/vault/vault-tls.key;');
    expect(nginx).not.toContain('proxy_pass'); // nothing protected yet: everything is 404
    const role = JSON.parse(assembly.file('lab/vault/pki/waf.json'));
    expect(role).toMatchObject({ allowed_domains: ['waf'], server_flag: true, client_flag: true });
    const svc = parse(assembly.file('lab/docker-compose.yml')).services.waf;
    expect(svc.secrets).toEqual([{ source: 'waf.ca.crt', target: 'ca.crt' }]);
    expect(svc.depends_on['waf-vault-agent']).toEqual({ condition: 'service_healthy' });
  });
});

describe('CrsWaf: nginx.conf', () => {
  const n = detect.nginx;
  it('serves TLS 1.2+ with its certificate and requires a client certificate of the internal CA', () => {
    expect(n).toContain('  ssl_protocols TLSv1.2 TLSv1.3;\n');
    expect(n).toMatch(/^ {4}listen 8443 ssl;$/m);
    expect(n).not.toMatch(/listen (80|8080)\b/);
    expect(n).toContain('    ssl_certificate /run/secrets/tls.crt;\n    ssl_certificate_key /run/secrets/tls.key;\n    ssl_client_certificate /run/secrets/ca.crt;\n    ssl_verify_client on;\n');
  });

  it('lets in only the declared clients (the gateway), by certificate CN', () => {
    expect(n).toContain('  map $ssl_client_s_dn $mlsec_client_allowed {\n    default 0;\n    "~^CN=gateway(,|$)" 1;\n  }\n');
    expect(n).toContain('    if ($mlsec_client_allowed = 0) {\n      return 403;\n    }\n');
  });

  it('proxies the protected prefix to its backend over verified TLS with its own client certificate; nothing else', () => {
    expect(n).toContain('  upstream ingest_transactions_8443 {\n    server ingest-transactions:8443;\n');
    const location = n.slice(n.indexOf(`location ^~ ${PROTECTED_PATH} {`), n.indexOf('    }\n', n.indexOf(`location ^~ ${PROTECTED_PATH} {`)));
    for (const line of ['proxy_pass https://ingest_transactions_8443;', 'proxy_ssl_verify on;', 'proxy_ssl_trusted_certificate /run/secrets/ca.crt;', `proxy_ssl_name ${BACKEND};`, 'proxy_ssl_server_name on;', 'proxy_ssl_certificate /run/secrets/tls.crt;', 'proxy_ssl_certificate_key /run/secrets/tls.key;']) {
      expect(location).toContain(`      ${line}\n`);
    }
    expect(n).toContain('    location / {\n      return 404;\n    }\n');
    expect(n.match(/proxy_pass/g)).toHaveLength(1);
  });

  it('runs ModSecurity, keeps every write on /tmp, logs JSON without headers or query strings', () => {
    expect(n).toContain('  modsecurity on;\n  modsecurity_rules_file /etc/mlsec/waf/modsecurity.conf;\n');
    expect(n).toContain('pid /tmp/nginx.pid;');
    for (const k of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) expect(n).toMatch(new RegExp(`^  ${k}_temp_path /tmp/`, 'm'));
    expect(n).toContain('access_log /dev/stdout mlsec_json;');
    expect(n).not.toMatch(/\$http_authorization|\$http_cookie|\$request_uri|\$args|\$request_body/);
    expect(n).toContain('client_max_body_size 10485760;');
    expect(block.nginx).toContain('client_max_body_size 1048576;');
    expect(n).toContain('    listen 127.0.0.1:8081;\n    modsecurity off;');
  });
});

describe('CrsWaf: modsecurity.conf and crs-setup.conf', () => {
  it('detects by default and blocks when asked', () => {
    expect(detect.modsec).toMatch(/^SecRuleEngine DetectionOnly$/m);
    expect(block.modsec).toMatch(/^SecRuleEngine On$/m);
    expect(detect.lab.waf.mode).toBe('detect');
  });

  it('audits JSON to stdout with the matched rules and never headers or bodies', () => {
    expect(AUDIT_LOG_PARTS).toBe('AHZ');
    expect(detect.modsec).toMatch(/^SecAuditLogParts AHZ$/m);
    expect(AUDIT_LOG_PARTS).not.toMatch(/[BCEFIJ]/);
    expect(detect.modsec).toMatch(/^SecAuditEngine RelevantOnly$/m);
    expect(detect.modsec).toMatch(/^SecAuditLogFormat JSON$/m);
    expect(detect.modsec).toMatch(/^SecAuditLog \/dev\/stdout$/m);
    expect(detect.modsec).toMatch(/^SecResponseBodyAccess Off$/m);
  });

  it('bounds and parses request bodies, then loads the CRS setup before the rules', () => {
    expect(detect.modsec).toMatch(/^SecRequestBodyLimit 10485760$/m);
    expect(block.modsec).toMatch(/^SecRequestBodyLimit 1048576$/m);
    expect(block.modsec).toMatch(/^SecRequestBodyNoFilesLimit 1048576$/m);
    expect(detect.modsec).toMatch(/^SecRequestBodyLimitAction Reject$/m);
    expect(detect.modsec).toContain('ctl:requestBodyProcessor=JSON');
    const setup = detect.modsec.indexOf('Include /etc/mlsec/waf/crs-setup.conf');
    const rules = detect.modsec.indexOf('Include /opt/owasp-crs/rules/*.conf');
    expect(setup).toBeGreaterThan(0);
    expect(rules).toBeGreaterThan(setup);
  });

  it('sets the paranoia level (CRS 3 and 4 names), the thresholds and the setup version', () => {
    expect(detect.setup).toContain('setvar:tx.blocking_paranoia_level=1,setvar:tx.detection_paranoia_level=1,setvar:tx.paranoia_level=1,setvar:tx.executing_paranoia_level=1');
    expect(block.setup).toContain('setvar:tx.blocking_paranoia_level=2');
    expect(detect.setup).toContain('setvar:tx.inbound_anomaly_score_threshold=5,setvar:tx.outbound_anomaly_score_threshold=4');
    expect(block.setup).toContain('setvar:tx.inbound_anomaly_score_threshold=10,setvar:tx.outbound_anomaly_score_threshold=8');
    expect(detect.setup).toContain('setvar:tx.crs_setup_version=4180');
    expect(detect.setup).toContain('SecDefaultAction "phase:2,log,auditlog,pass"');
  });

  it('is deterministic and matches the snapshots', async () => {
    expect(synth().nginx).toBe(detect.nginx);
    await expect(detect.nginx).toMatchFileSnapshot('__snapshots__/nginx.conf');
    await expect(block.modsec).toMatchFileSnapshot('__snapshots__/modsecurity.conf');
    await expect(block.setup).toMatchFileSnapshot('__snapshots__/crs-setup.conf');
  });
});

describe('CrsWaf: a request-field allow-list without CRS (the LLM door hop)', () => {
  const lab = buildWafLab({ mode: 'block', coreRuleSet: { enabled: false, reason: 'LLM prompts match the SQL and XSS signatures' }, allowedJsonFields: ['model', 'messages'] });
  const assembly = Testing.synth(lab.app);
  const modsec = assembly.file('lab/waf/modsecurity.conf');

  it('loads no CRS file and writes no CRS setup', () => {
    expect(modsec).not.toMatch(/^Include /m);
    expect(lab.waf.crsSetup).toBeUndefined();
    expect(assembly.paths()).not.toContain('lab/waf/crs-setup.conf');
    expect(parse(assembly.file('lab/docker-compose.yml')).services.waf.volumes.map((v: any) => v.target)).not.toContain('/etc/mlsec/waf/crs-setup.conf');
  });

  it('blocks: JSON only (415 otherwise) and only the listed top-level fields (403 otherwise), logging the field name', () => {
    expect(modsec).toMatch(/^SecRuleEngine On$/m);
    expect(modsec).toContain('SecRule &REQUEST_HEADERS:Content-Type "@eq 0" "id:200100,phase:1,t:none,deny,status:415');
    expect(modsec).toContain('SecRule REQUEST_HEADERS:Content-Type "!@rx ^application/json(?:;|$)" "id:200101,phase:1,t:none,t:lowercase,t:removeWhitespace,deny,status:415');
    expect(modsec).toContain(`SecRule ARGS_NAMES "!@rx ^json\\.(?:messages|model)(?:\\.|$)" "id:200102,phase:2,t:none,deny,status:403,log,msg:'Request field not on the route allow-list',logdata:'%{MATCHED_VAR}'"`);
    // The body limits and the parse-error denials still apply.
    expect(modsec).toContain('SecRule REQBODY_ERROR "!@eq 0"');
  });

  it('records CRS off, with its reason, among the service\'s lifted defaults', () => {
    const overrides = parse(assembly.file('lab/docker-compose.yml')).services.waf['x-mlsec'].overrides;
    expect(overrides).toContainEqual({ control: 'waf-core-rule-set', setting: 'off', reason: 'LLM prompts match the SQL and XSS signatures' });
  });
});
