import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { TRAEFIK_PACK } from '../../../../lib/posture/packs/traefik';
import { TRAEFIK_SCHEMA_DIR } from '../../../../lib/posture/packs/traefik/schema-validation';
import { audit, hitsOf } from '../../support';
import { auditHost, hitsIn } from './audit-files';

const pack = TRAEFIK_PACK;
const fixture = (name: string): string => readFileSync(join(__dirname, '../../fixtures/traefik', name), 'utf8');

const HARDENED_STATIC = fixture('traefik.yml');

describe('TRF-19 access log and log level', () => {
  it('passes the hardened static file', async () => {
    expect(hitsOf(await audit('traefik-static', HARDENED_STATIC, { pack }), 'TRF-19')).toEqual([]);
  });

  it('flags a missing access log and DEBUG logging', async () => {
    const text = `log:
  level: DEBUG
entryPoints:
  websecure: { address: ":443" }
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-19')).toEqual(['TRF-19[accessLog]@1', 'TRF-19[log.level]@2']);
  });

  it('flags credential headers kept by name or by defaultMode', async () => {
    const byName = `accessLog:
  fields:
    headers:
      names:
        authorization: keep
        Cookie: redact
`;
    expect(hitsOf(await audit('traefik-static', byName, { pack }), 'TRF-19')).toEqual(['TRF-19[accessLog.Authorization]@5']);
    const byDefault = `accessLog:
  format: json
  fields:
    headers:
      defaultMode: keep
      names: { Authorization: drop, Proxy-Authorization: drop, Set-Cookie: redact }
`;
    expect(hitsOf(await audit('traefik-static', byDefault, { pack }), 'TRF-19')).toEqual(['TRF-19[accessLog.Cookie]@5']);
  });

  it('flags --log.level=DEBUG on the command line', async () => {
    const compose = 'services:\n  traefik:\n    image: traefik:v3.1.4\n    command: ["--log.level=debug", "--accesslog=true"]\n';
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-19')).toEqual(['TRF-19[log.level]@4']);
  });
});

describe('TRF-20 ACME storage, CA and plugins', () => {
  it('passes the hardened static file', async () => {
    expect(hitsOf(await audit('traefik-static', HARDENED_STATIC, { pack }), 'TRF-20')).toEqual([]);
  });

  it('flags unset, relative and ephemeral storage, a staging CA and unpinned plugins', async () => {
    const text = `certificatesResolvers:
  default-store:
    acme:
      email: ops@lab.example.org
      httpChallenge: { entryPoint: web }
  relative:
    acme:
      storage: acme.json
  scratch:
    acme:
      storage: /tmp/acme.json
      caServer: https://acme-staging-v02.api.letsencrypt.org/directory
experimental:
  plugins:
    waf:
      moduleName: github.com/example/traefik-waf
      version: latest
    geoblock:
      moduleName: github.com/PascalMinder/geoblock
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-20')).toEqual(['TRF-20[default-store]@3', 'TRF-20[relative]@8', 'TRF-20[scratch]@11', 'TRF-20[scratch]@12', 'TRF-20[waf]@17', 'TRF-20[geoblock]@18']);
  });

  it('checks the storage directory against the Traefik service volumes when compose is present', async () => {
    const staticText = 'certificatesResolvers:\n  le:\n    acme:\n      storage: /letsencrypt/acme.json\n';
    const mounted = `services:
  traefik:
    image: traefik:v3.1.4
    volumes: ["acme:/letsencrypt"]
    tmpfs: [/tmp]
volumes:
  acme: {}
`;
    expect(hitsIn(await auditHost({ static: staticText, compose: mounted }, pack), 'TRF-20', 'traefik.yml')).toEqual([]);
    const unmounted = mounted.replace('["acme:/letsencrypt"]', '["acme:/data"]');
    expect(hitsIn(await auditHost({ static: staticText, compose: unmounted }, pack), 'TRF-20', 'traefik.yml')).toEqual(['TRF-20[le]@4']);
  });
});

describe('TRF-22 metrics, ping and usage reporting', () => {
  it('passes the hardened static file', async () => {
    expect(hitsOf(await audit('traefik-static', HARDENED_STATIC, { pack }), 'TRF-22')).toEqual([]);
  });

  it('flags metrics and ping on public entry points and usage reporting left on', async () => {
    const text = `global:
  sendAnonymousUsage: true
entryPoints:
  web: { address: ":80" }
  websecure: { address: ":443" }
metrics:
  prometheus:
    entryPoint: websecure
ping:
  entryPoint: web
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-22')).toEqual(['TRF-22[global.sendAnonymousUsage]@2', 'TRF-22[metrics.prometheus]@8', 'TRF-22[ping]@10']);
  });

  it('leaves manually routed metrics to the routers and flags a missing global section', async () => {
    const text = `entryPoints:
  websecure: { address: ":443" }
metrics:
  prometheus: { entryPoint: websecure, manualRouting: true }
ping: {}
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-22')).toEqual(['TRF-22[global.sendAnonymousUsage]@1']);
  });
});

// The SchemaStore schemas are vendored in schemas/schemastore: TRF-21 always has them.
describe('TRF-21 SchemaStore validation', () => {
  it('has the vendored schemas', () => expect(existsSync(TRAEFIK_SCHEMA_DIR)).toBe(true));

  it('passes the hardened static and dynamic files', async () => {
    expect(hitsOf(await audit('traefik-static', fixture('traefik.yml'), { pack }), 'TRF-21')).toEqual([]);
    expect(hitsOf(await audit('traefik-dynamic', fixture('dynamic.yml'), { pack }), 'TRF-21')).toEqual([]);
  });

  it('reports a misspelt middleware type once, as a low-severity unknown key', async () => {
    const text = `http:
  middlewares:
    limit:
      rateLimt:
        average: 10
`;
    const findings = (await audit('traefik-dynamic', text, { pack })).filter((f) => f.ruleId === 'TRF-21');
    expect(findings.map((f) => `${f.granularId}@${f.line}`)).toEqual(['TRF-21[http.middlewares.limit.rateLimt]@4']);
    expect(findings.map((f) => [f.severity, f.level])).toEqual([['low', 'warning']]);
  });

  it('reports wrong types, missing required keys and impossible shapes as medium, without branch noise', async () => {
    const text = `http:
  routers:
    app:
      rule: Host(\`app.lab.example.org\`)
      entryPoints: websecure
  middlewares:
    headers:
      headers:
        stsSeconds: one-year
    limit:
      rateLimit:
        average: true
    two-in-one:
      headers: {}
      inFlightReq: { amount: 5 }
`;
    const findings = (await audit('traefik-dynamic', text, { pack })).filter((f) => f.ruleId === 'TRF-21');
    expect(findings.map((f) => `${f.granularId}@${f.line}`)).toEqual([
      'TRF-21[http.routers.app]@3',
      'TRF-21[http.routers.app.entryPoints]@5',
      'TRF-21[http.middlewares.headers.headers.stsSeconds]@9',
      'TRF-21[http.middlewares.limit.rateLimit.average]@12',
      'TRF-21[http.middlewares.two-in-one]@13',
    ]);
    expect(findings.every((f) => f.severity === 'medium')).toBe(true);
    expect(findings.map((f) => f.message)).toEqual([
      "http.routers.app must have required property 'service'",
      'http.routers.app.entryPoints must be array',
      'http.middlewares.headers.headers.stsSeconds must be integer',
      'http.middlewares.limit.rateLimit.average must be string or number',
      'http.middlewares.two-in-one matches none of the allowed forms',
    ]);
  });

  it('validates traefik.yml against the static schema', async () => {
    const text = `api:
  insecure: "no"
entryPoints:
  websecure:
    adress: ":443"
`;
    const findings = (await audit('traefik-static', text, { pack })).filter((f) => f.ruleId === 'TRF-21');
    expect(findings.map((f) => `${f.granularId}@${f.line}:${f.severity}`)).toEqual(['TRF-21[api.insecure]@2:medium', 'TRF-21[entryPoints.websecure.adress]@5:low']);
  });

  it('accepts options the schema leaves open (serversTransports, TLS option extras)', async () => {
    const text = `http:
  serversTransports:
    internal: { serverName: vault, rootCAs: [/run/secrets/ca.pem] }
tls:
  options:
    default: { minVersion: VersionTLS12, sniStrict: true, disableSessionTickets: true }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-21')).toEqual([]);
  });
});
