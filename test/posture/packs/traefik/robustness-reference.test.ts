import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import type { DocumentKind } from '../../../../lib';
import { TRAEFIK_PACK } from '../../../../lib/posture/packs/traefik';
import { auditFiles, auditHost } from './audit-files';

const pack = TRAEFIK_PACK;
const fixture = (name: string): string => readFileSync(join(__dirname, '../../fixtures/traefik', name), 'utf8');

/** Documents no rule may choke on: empty, scalar, list-shaped, null and wrongly typed sections. */
const ODD_ANY = ['', 'null', '42', '"just text"', '[1, 2, 3]', '{}'];

const ODD_STATIC = [
  'api: null\nentryPoints: null\nproviders: null\nglobal: null\nping: null\nmetrics: null\n',
  'api: [1]\nentryPoints: [web, websecure]\nproviders: [docker]\naccessLog: 5\nlog: []\n',
  `entryPoints:
  web: null
  websecure: 5
  odd:
    address: 443
    forwardedHeaders: { insecure: [], trustedIPs: "0.0.0.0/0" }
    proxyProtocol: null
    http: { redirections: { entryPoint: null }, middlewares: "x@file", tls: true }
providers: { docker: [1], swarm: "unix:///var/run/docker.sock" }
accessLog: { fields: { headers: { names: [Authorization], defaultMode: 3 } } }
log: { level: 5 }
certificatesResolvers: { le: null, x: { acme: { storage: 5, caServer: [] } }, y: [] }
experimental: { plugins: { a: null, b: [], c: { version: 1 } } }
metrics: { prometheus: null }
serversTransport: 1
tcpServersTransport: { tls: null }
global: { sendAnonymousUsage: null }
`,
];

const ODD_DYNAMIC = [
  'http: null\ntls: null\ntcp: null\n',
  'http: { routers: null, middlewares: [1], services: "x", serversTransports: [1] }\ntls: { options: [1] }\n',
  `http:
  routers:
    a: null
    b: 1
    c: { rule: 5, entryPoints: "web", middlewares: { x: 1 }, tls: null, service: 3 }
    d: { rule: "Host(\`vault.x\`)", entryPoints: [5, null], middlewares: [n, null, 7, "m@file", "z@docker"], tls: { options: [] } }
  middlewares:
    m: null
    n: { chain: { middlewares: [m, n, 5, "n@file"] } }
    h: { headers: null }
    h2: { headers: { accessControlAllowCredentials: "true", accessControlAllowOriginList: "*", accessControlAllowOriginListRegex: [5, null] } }
    r: { rateLimit: [] }
    r2: { rateLimit: { average: {}, sourceCriterion: { ipStrategy: 5 } } }
    f: { forwardAuth: { address: 5, authResponseHeaders: "x", tls: 1 } }
    b: { basicAuth: { users: "a:b" } }
    d: { digestAuth: { users: [1, null, "a", "b:c"] } }
    i: { ipAllowList: { sourceRange: "0.0.0.0/0" } }
    w: { ipWhiteList: null }
  serversTransports: { s: null, t: [] }
tcp: { serversTransports: { a: { tls: null }, b: 5 } }
tls: { options: { a: null, b: { cipherSuites: "x", minVersion: 12, maxVersion: [], sniStrict: "yes", clientAuth: 5 } } }
`,
];

const ODD_COMPOSE = [
  'services: null\n',
  'services: [1]\n',
  `services:
  traefik:
    image: traefik:v3.1.4
    command: 5
    environment: "x"
    volumes: "x"
    labels: 5
  t2: { image: 5, command: [5, null, "--api.insecure"], environment: [5, "TRAEFIK_LOG_LEVEL"], volumes: [5, null, { source: 5 }] }
  db: { image: postgres, labels: [5, null] }
  x: null
`,
];

async function expectNoThrow(kind: DocumentKind, texts: readonly string[]): Promise<void> {
  for (const text of texts) {
    await expect(auditFiles([{ kind, file: `odd.${kind}.yml`, text }], pack), `${kind}: ${text}`).resolves.toBeInstanceOf(Array);
  }
}

describe('traefik pack robustness', () => {
  it('never throws on odd static files', async () => {
    await expectNoThrow('traefik-static', [...ODD_ANY, ...ODD_STATIC]);
  });

  it('never throws on odd dynamic files', async () => {
    await expectNoThrow('traefik-dynamic', [...ODD_ANY, ...ODD_DYNAMIC]);
  });

  it('never throws on odd compose files', async () => {
    await expectNoThrow('compose', [...ODD_ANY, ...ODD_COMPOSE]);
  });

  it('never throws when odd static, dynamic and compose files are audited together', async () => {
    const files = [
      ...ODD_STATIC.map((text, i) => ({ kind: 'traefik-static' as const, file: `static-${i}.yml`, text })),
      ...ODD_DYNAMIC.map((text, i) => ({ kind: 'traefik-dynamic' as const, file: `dynamic-${i}.yml`, text })),
      ...ODD_COMPOSE.map((text, i) => ({ kind: 'compose' as const, file: `compose-${i}.yml`, text })),
    ];
    const findings = await auditFiles(files, pack);
    expect(findings.length).toBeGreaterThan(0);
  });
});

const COMPOSE = `services:
  traefik:
    image: traefik:v3.1.4
    ports: ["443:443", "80:80"]
    volumes:
      - ./traefik/traefik.yml:/etc/traefik/traefik.yml:ro
      - ./traefik/dynamic:/etc/traefik/dynamic:ro
      - letsencrypt:/letsencrypt
volumes:
  letsencrypt: {}
`;

describe('the hardened reference configuration', () => {
  it('yields no traefik finding with its static file, dynamic file and compose service', async () => {
    const findings = await auditHost({ static: fixture('traefik.yml'), dynamic: fixture('dynamic.yml'), compose: COMPOSE }, TRAEFIK_PACK);
    expect(findings.map((f) => `${f.file}:${f.line} ${f.granularId} ${f.message}`)).toEqual([]);
  });
});
