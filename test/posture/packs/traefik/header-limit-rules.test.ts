import { describe, expect, it } from 'vitest';
import { overBroadOriginRegex } from '../../../../lib/posture/packs/traefik/header-rules';
import { audit, hitsOf } from '../../support';
import { auditHost, FAST_PACK, hitsIn } from './audit-files';

const pack = FAST_PACK;

const FULL_HEADERS = `    secure-headers:
      headers:
        stsSeconds: 63072000
        stsIncludeSubdomains: true
        contentTypeNosniff: true
        customFrameOptionsValue: SAMEORIGIN
        referrerPolicy: strict-origin-when-cross-origin
        permissionsPolicy: "camera=(), microphone=()"
`;

describe('TRF-09 security headers', () => {
  it('passes a public router with a complete headers middleware', async () => {
    const text = `http:
  routers:
    portal:
      rule: Host(\`portal.lab.example.org\`)
      entryPoints: [websecure]
      middlewares: [secure-headers@file]
      service: portal
      tls: {}
  middlewares:
${FULL_HEADERS}`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-09')).toEqual([]);
  });

  it('flags a public router without headers and one whose headers miss requirements', async () => {
    const text = `http:
  routers:
    bare:
      rule: Host(\`bare.lab.example.org\`)
      service: bare
    weak:
      rule: Host(\`weak.lab.example.org\`)
      middlewares:
        - hsts-only
      service: weak
  middlewares:
    hsts-only:
      headers:
        stsSeconds: 86400
        frameDeny: true
`;
    const findings = await audit('traefik-dynamic', text, { pack });
    expect(hitsOf(findings, 'TRF-09')).toEqual(['TRF-09[bare]@3', 'TRF-09[weak]@8']);
    expect(findings.find((f) => f.granularId === 'TRF-09[weak]')?.message).toBe(
      "public router 'weak' has security headers without stsSeconds >= 31536000 with stsIncludeSubdomains, contentTypeNosniff, referrerPolicy, contentSecurityPolicy or permissionsPolicy",
    );
  });

  it('accepts requirements split over two headers middlewares, one of them on the entry point', async () => {
    const findings = await auditHost({
      static: `entryPoints:
  websecure:
    address: ":443"
    http:
      middlewares: [hsts@file]
`,
      dynamic: `http:
  routers:
    app:
      rule: Host(\`app.lab.example.org\`)
      entryPoints: [websecure]
      middlewares: [browser]
      service: app
      tls: {}
  middlewares:
    hsts: { headers: { stsSeconds: 31536000, stsIncludeSubdomains: true } }
    browser:
      headers: { contentTypeNosniff: true, frameDeny: true, referrerPolicy: no-referrer, contentSecurityPolicy: "default-src 'self'" }
`,
    }, pack);
    expect(hitsIn(findings, 'TRF-09', 'dynamic.yml')).toEqual([]);
  });

  it('ignores routers on internal entry points only', async () => {
    const findings = await auditHost({
      static: 'entryPoints:\n  metrics: { address: "127.0.0.1:8082" }\n',
      dynamic: 'http:\n  routers:\n    prom: { rule: Path(`/metrics`), entryPoints: [metrics], service: prometheus@internal }\n',
    }, pack);
    expect(hitsIn(findings, 'TRF-09', 'dynamic.yml')).toEqual([]);
  });

  it('flags isDevelopment: true on any headers middleware', async () => {
    const text = `http:
  middlewares:
${FULL_HEADERS}        isDevelopment: true
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-09')).toEqual(['TRF-09[secure-headers]@11']);
  });
});

describe('TRF-10 credentialed CORS', () => {
  it('passes exact origins and tightly anchored regexes', async () => {
    const text = `http:
  middlewares:
    cors:
      headers:
        accessControlAllowCredentials: true
        accessControlAllowOriginList: [https://portal.lab.example.org]
        accessControlAllowOriginListRegex: ['^https://([a-z0-9-]+\\.)?lab\\.example\\.org(:.*)?$']
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-10')).toEqual([]);
  });

  it('passes a wildcard without credentials', async () => {
    const text = 'http:\n  middlewares:\n    open-cors: { headers: { accessControlAllowOriginList: ["*"] } }\n';
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-10')).toEqual([]);
  });

  it('flags *, null and over-broad regexes with credentials', async () => {
    const text = `http:
  middlewares:
    cors:
      headers:
        accessControlAllowCredentials: true
        accessControlAllowOriginList:
          - https://portal.lab.example.org
          - "*"
          - "null"
        accessControlAllowOriginListRegex:
          - '^https://.*example\\.org$'
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-10')).toEqual(['TRF-10[cors]@8', 'TRF-10[cors]@9', 'TRF-10[cors]@11']);
  });

  it('explains why an origin regex is over-broad', () => {
    expect(overBroadOriginRegex('.*')).toBe('matches every origin');
    expect(overBroadOriginRegex('^https://app\\.example\\.org')).toMatch(/not anchored/);
    expect(overBroadOriginRegex('^https://.+example\\.org$')).toMatch(/wildcard/);
    expect(overBroadOriginRegex('^https://.*\\.example\\.org$')).toBeUndefined();
    expect(overBroadOriginRegex('^https://app\\.example\\.org(:.*)?$')).toBeUndefined();
  });
});

const EDGE = 'entryPoints:\n  web: { address: ":80" }\n  websecure: { address: ":443" }\n  internal: { address: "127.0.0.1:9000" }\n';
const BEHIND_LB = `entryPoints:
  websecure:
    address: ":443"
    forwardedHeaders:
      trustedIPs: [10.0.0.10/32]
`;

describe('TRF-11 rate limits', () => {
  it('passes a public router with an explicit per-client limit, and ignores internal routers', async () => {
    const findings = await auditHost({
      static: EDGE,
      dynamic: `http:
  routers:
    predict:
      rule: Host(\`api.lab.example.org\`)
      entryPoints: [websecure]
      middlewares: [per-client]
      service: predict
      tls: {}
    health:
      rule: Path(\`/health\`)
      entryPoints: [internal]
      service: predict
  middlewares:
    per-client:
      rateLimit: { average: 10, period: 1s, burst: 20 }
`,
    }, pack);
    expect(hitsIn(findings, 'TRF-11', 'dynamic.yml')).toEqual([]);
  });

  it('flags a public router without a rate limit', async () => {
    const text = 'http:\n  routers:\n    upload:\n      rule: Host(`up.lab.example.org`)\n      middlewares: [other]\n      service: upload\n';
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-11')).toEqual(['TRF-11[upload]@5']);
  });

  it('flags average 0 or text, and implicit period or burst', async () => {
    const text = `http:
  middlewares:
    off:
      rateLimit:
        average: 0
        period: 1m
        burst: 5
    implicit:
      rateLimit:
        average: 100
    junk:
      rateLimit: { average: lots, period: 1s, burst: 1 }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-11')).toEqual(['TRF-11[off]@5', 'TRF-11[implicit]@9', 'TRF-11[junk]@12']);
  });

  it('flags an ipStrategy depth when Traefik is the edge, and none behind a trusted load balancer', async () => {
    const limits = `http:
  middlewares:
    by-xff:
      rateLimit:
        average: 10
        period: 1s
        burst: 20
        sourceCriterion:
          ipStrategy: { depth: 1 }
    by-peer:
      rateLimit: { average: 10, period: 1s, burst: 20 }
    by-client-id:
      rateLimit:
        average: 10
        period: 1s
        burst: 20
        sourceCriterion: { requestHeaderName: X-Client-Id }
`;
    expect(hitsIn(await auditHost({ static: EDGE, dynamic: limits }, pack), 'TRF-11', 'dynamic.yml')).toEqual(['TRF-11[by-xff]@8']);
    expect(hitsIn(await auditHost({ static: BEHIND_LB, dynamic: limits }, pack), 'TRF-11', 'dynamic.yml')).toEqual(['TRF-11[by-peer]@11']);
  });
});

describe('TRF-12 in-flight limit on inference and upload routers', () => {
  it('passes an inference router with inFlightReq and ignores a UI router', async () => {
    const text = `http:
  routers:
    llm-chat:
      rule: Host(\`chat.lab.example.org\`)
      middlewares: [concurrency]
      service: vllm
    grafana:
      rule: Host(\`grafana.lab.example.org\`)
      service: grafana
  middlewares:
    concurrency: { inFlightReq: { amount: 8 } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-12')).toEqual([]);
  });

  it('flags inference and upload routers without a positive amount', async () => {
    const text = `http:
  routers:
    predict:
      rule: Host(\`api.lab.example.org\`) && PathPrefix(\`/v1/predict\`)
      service: model-server
    docs-upload:
      rule: Host(\`in.lab.example.org\`)
      middlewares: [zero]
      service: ingest-docs
  middlewares:
    zero: { inFlightReq: { amount: 0 } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-12')).toEqual(['TRF-12[predict]@3', 'TRF-12[docs-upload]@8']);
  });
});

describe('TRF-13 request body limit', () => {
  it('passes an API router with a positive maxRequestBodyBytes (through a chain), and ignores the dashboard', async () => {
    const text = `http:
  routers:
    ingest:
      rule: Host(\`api.lab.example.org\`) && PathPrefix(\`/ingest/csv\`)
      middlewares: [ingest-chain]
      service: ingest-csv
    dashboard:
      rule: Host(\`traefik.lab.example.org\`)
      service: api@internal
  middlewares:
    ingest-chain: { chain: { middlewares: [body-10m] } }
    body-10m: { buffering: { maxRequestBodyBytes: 10485760 } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-13')).toEqual([]);
  });

  it('flags API routers without buffering or with the unlimited default', async () => {
    const text = `http:
  routers:
    features-api:
      rule: Host(\`features.lab.example.org\`)
      service: feature-api
    scoring:
      rule: Host(\`score.lab.example.org\`) && PathPrefix(\`/v2\`)
      middlewares: [unlimited]
      service: scoring
  middlewares:
    unlimited: { buffering: { memRequestBodyBytes: 1048576 } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-13')).toEqual(['TRF-13[features-api]@3', 'TRF-13[scoring]@8']);
  });
});
