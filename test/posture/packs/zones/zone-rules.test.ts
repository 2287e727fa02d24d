import { describe, expect, it } from 'vitest';
import { evaluateRules, PostureModel, SourceDocument } from '../../../../lib';
import { ZONES_PACK } from '../../../../lib/posture/packs/zones';
import { hitsOf } from '../../support';

const BASELINE = `
    image: example/app:1.2.3
    read_only: true
    user: "10001:10001"
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    pids_limit: 64
    deploy: { resources: { limits: { cpus: "0.5", memory: 128M } } }
    healthcheck: { test: ["CMD", "true"] }`;

function zones(compose: string, dynamic?: string, staticConfig?: string) {
  const docs = [SourceDocument.parseYaml('compose', 'docker-compose.yml', compose)];
  if (dynamic) docs.push(SourceDocument.parseYaml('traefik-dynamic', 'dynamic.yml', dynamic));
  if (staticConfig) docs.push(SourceDocument.parseYaml('traefik-static', 'traefik.yml', staticConfig));
  return evaluateRules(new PostureModel(docs), ZONES_PACK.rules);
}

const TWO_ZONES = `services:
  gateway:${BASELINE.replace('example/app:1.2.3', 'traefik:v3.1.4')}
    ports: ["443:443"]
    networks: [edge, z1-gw]
  ingest:${BASELINE}
    labels: { mlsec.zone: z1 }
    networks: [z1-gw]
  db:${BASELINE.replace('example/app:1.2.3', 'postgres:15.8')}
    labels: { mlsec.zone: z3 }
    networks: [z3]
networks:
  edge: {}
  z1-gw: { internal: true }
  z3: { internal: true }
`;

const GOOD_ROUTES = `http:
  routers:
    ingest:
      rule: "Host(\`in.lab.example.com\`) && PathPrefix(\`/ingest\`) && Method(\`POST\`)"
      entryPoints: [websecure]
      middlewares: [headers, limit, body, inflight, auth]
      service: ingest
  middlewares:
    headers: { headers: { stsSeconds: 31536000 } }
    limit: { rateLimit: { average: 10, burst: 20 } }
    body: { buffering: { maxRequestBodyBytes: 1048576 } }
    inflight: { inFlightReq: { amount: 10 } }
    auth: { forwardAuth: { address: "https://oauth2-proxy:4180/oauth2/auth" } }
  services:
    ingest: { loadBalancer: { servers: [{ url: "https://ingest:8443" }] } }
`;

describe('ZONE-01 two doors', () => {
  it('passes a public router to a Z1 service', () => {
    expect(hitsOf(zones(TWO_ZONES, GOOD_ROUTES), 'ZONE-01')).toEqual([]);
  });

  it('flags a public router to a Z3 service without forwardAuth + ipAllowList', () => {
    const routes = GOOD_ROUTES.replace('url: "https://ingest:8443"', 'url: "http://db:5432"');
    expect(hitsOf(zones(TWO_ZONES, routes), 'ZONE-01')).toEqual(['ZONE-01[ingest]@3']);
  });
});

describe('ZONE-02 only the gateway publishes', () => {
  it('passes the gateway on 443', () => {
    expect(hitsOf(zones(TWO_ZONES), 'ZONE-02')).toEqual([]);
  });

  it('flags a published database port and a gateway on 8080', () => {
    const compose = TWO_ZONES.replace('ports: ["443:443"]', 'ports: ["443:443", "127.0.0.1:8080:8080"]').replace('    networks: [z3]\n', '    networks: [z3]\n    ports: ["127.0.0.1:5432:5432"]\n');
    expect(hitsOf(zones(compose), 'ZONE-02')).toEqual(['ZONE-02[gateway:8080]@11', 'ZONE-02[db]@35']);
  });
});

describe('ZONE-03 no path from the edge to data stores', () => {
  it('passes a database on an internal network of its own', () => {
    expect(hitsOf(zones(TWO_ZONES, GOOD_ROUTES), 'ZONE-03')).toEqual([]);
  });

  it('flags a database on the edge network and a router that targets it', () => {
    const compose = TWO_ZONES.replace('    networks: [z3]', '    networks: [z3, edge]');
    const routes = GOOD_ROUTES.replace('url: "https://ingest:8443"', 'url: "http://db:5432"');
    expect(hitsOf(zones(compose, routes), 'ZONE-03')).toEqual(['ZONE-03[db:edge]@34', 'ZONE-03[ingest]@3']);
  });
});

describe('ZONE-08 egress only through the LLM gateway', () => {
  it('passes internal networks and an llm-gateway on the egress network', () => {
    const compose = `services:\n  llm:${BASELINE}\n    x-mlsec: { role: llm-gateway }\n    networks: [egress]\nnetworks:\n  egress: {}\n`;
    expect(hitsOf(zones(compose), 'ZONE-08')).toEqual([]);
  });

  it('flags a trainer on the egress network and a service left on the default network', () => {
    const compose = `services:\n  trainer:${BASELINE}\n    networks: [egress]\n  loose:${BASELINE}\nnetworks:\n  egress: {}\n`;
    expect(hitsOf(zones(compose), 'ZONE-08')).toEqual(['ZONE-08[trainer:egress]@11', 'ZONE-08[loose:default]@12']);
  });
});

describe('ZONE-11 secrets outside the output', () => {
  it('passes a secret file outside the project folder read through /run/secrets', () => {
    const compose = `services:\n  api:${BASELINE}\n    environment: { DB_PASSWORD_FILE: /run/secrets/db }\n    network_mode: none\nsecrets:\n  db: { file: ../../secrets/lab/db }\n`;
    expect(hitsOf(zones(compose), 'ZONE-11')).toEqual([]);
  });

  it('flags a secret file inside the folder and a *_FILE variable pointing elsewhere', () => {
    const compose = `services:\n  api:${BASELINE}\n    environment: { DB_PASSWORD_FILE: /etc/app/password }\n    network_mode: none\nsecrets:\n  db: { file: ./db-password.txt }\n`;
    expect(hitsOf(zones(compose), 'ZONE-11')).toEqual(['ZONE-11[api:DB_PASSWORD_FILE]@11', 'ZONE-11[db]@14']);
  });

  it('cannot be acknowledged', () => {
    expect(ZONES_PACK.rules.find((r) => r.id === 'ZONE-11')?.unsuppressible).toBe(true);
  });
});

describe('ZONE-13 container baseline', () => {
  it('passes the hardened baseline, and a lifted control that carries its reason', () => {
    const compose = `services:\n  api:${BASELINE.replace('read_only: true', 'read_only: false')}\n    network_mode: none\n    x-mlsec: { overrides: [{ control: read_only, setting: "false", reason: "vendor image writes its cache at runtime" }] }\n`;
    expect(hitsOf(zones(compose), 'ZONE-13')).toEqual([]);
  });

  it('flags each missing control in one finding per service', () => {
    const findings = zones(`services:\n  bare:\n    image: example/app:1.2.3\n    network_mode: none\n`);
    expect(hitsOf(findings, 'ZONE-13')).toEqual(['ZONE-13[bare]@2']);
    expect(findings.find((f) => f.ruleId === 'ZONE-13')?.message).toBe(
      "service 'bare' lacks read_only: true, no-new-privileges, cap_drop: [ALL], a non-root user, a memory limit, a CPU limit, a pids limit, a health check",
    );
  });
});

describe('ZONE-14 middleware chain on public routers', () => {
  it('passes the full chain with a POST-only ingestion rule', () => {
    expect(hitsOf(zones(TWO_ZONES, GOOD_ROUTES), 'ZONE-14')).toEqual([]);
  });

  it('flags a router without rate limit and an ingestion rule that accepts any method', () => {
    const routes = GOOD_ROUTES.replace('middlewares: [headers, limit, body, inflight, auth]', 'middlewares: [headers, body, inflight, auth]').replace(' && Method(`POST`)', '');
    const findings = zones(TWO_ZONES, routes);
    expect(hitsOf(findings, 'ZONE-14')).toEqual(['ZONE-14[ingest]@3']);
    expect(findings.find((f) => f.ruleId === 'ZONE-14')?.message).toBe("public router 'ingest' lacks rateLimit, POST-only rule for ingestion");
  });

  it('accepts mTLS through a TLS option in place of an auth middleware', () => {
    const routes = GOOD_ROUTES.replace(', auth]', ']').replace('      service: ingest', '      service: ingest\n      tls: { options: partners }') + 'tls:\n  options:\n    partners: { minVersion: VersionTLS12, clientAuth: { clientAuthType: RequireAndVerifyClientCert } }\n';
    expect(hitsOf(zones(TWO_ZONES, routes), 'ZONE-14')).toEqual([]);
  });
});

describe('ZONE-15 TLS from the gateway to its backends', () => {
  it('passes an https backend', () => {
    expect(hitsOf(zones(TWO_ZONES, GOOD_ROUTES), 'ZONE-15')).toEqual([]);
  });

  it('flags a plain-HTTP backend, resolving the service in another dynamic file', () => {
    const routes = GOOD_ROUTES.replace(/ {2}services:\n.*\n$/, '');
    const services = 'http:\n  services:\n    ingest: { loadBalancer: { servers: [{ url: "http://ingest:8080" }] } }\n';
    const docs = [
      SourceDocument.parseYaml('compose', 'docker-compose.yml', TWO_ZONES),
      SourceDocument.parseYaml('traefik-dynamic', 'routes.yml', routes),
      SourceDocument.parseYaml('traefik-dynamic', 'services.yml', services),
    ];
    const findings = evaluateRules(new PostureModel(docs), ZONES_PACK.rules);
    expect(hitsOf(findings, 'ZONE-15')).toEqual(['ZONE-15[ingest]@3']);
    expect(findings.find((f) => f.ruleId === 'ZONE-15')?.message).toBe("router 'ingest' forwards to 'ingest' over plain HTTP");
  });
});

describe('ZONE-30 effective reachability', () => {
  const managed = (flows: string) => `services:
  a:${BASELINE}
    networks: [z3]
    x-mlsec: { flows: [${flows}] }
  b:${BASELINE}
    networks: [z3]
    x-mlsec: {}
  c:${BASELINE}
    networks: [z3]
    x-mlsec: {}
networks:
  z3: { internal: true }
`;

  it('passes when every pair on a network is a declared flow, in either direction', () => {
    expect(hitsOf(zones(managed('{ to: b, port: 80 }, { to: c, port: 80 }')), 'ZONE-30')).toEqual(['ZONE-30[z3]@36']);
    const allDeclared = managed('{ to: b, port: 80 }, { to: c, port: 80 }').replace('    x-mlsec: {}\n  c:', '    x-mlsec: { flows: [{ to: c, port: 80 }] }\n  c:');
    expect(hitsOf(zones(allDeclared), 'ZONE-30')).toEqual([]);
  });

  it('reports each network with undeclared pairs once, counting them, and stays silent on files without flow metadata', () => {
    expect(zones(managed('')).find((f) => f.ruleId === 'ZONE-30')?.message).toBe(
      "network 'z3' lets 3 pair(s) of services reach each other without a declared flow, e.g. a <-> b, a <-> c, b <-> c",
    );
    expect(hitsOf(zones(managed('')), 'ZONE-30')).toEqual(['ZONE-30[z3]@36']);
    expect(hitsOf(zones(managed('').replace(/\n {4}x-mlsec: \{[^\n]*\}/g, '')), 'ZONE-30')).toEqual([]);
  });
});

describe('robustness', () => {
  it.each([
    'services: null',
    'services: { a: null, b: 3, c: [] }',
    'services: { a: { networks: 7, ports: "x", environment: 5, x-mlsec: { flows: 3, overrides: "y" } } }\nnetworks: 4\nsecrets: { s: null }',
    '[]',
  ])('never throws on %s', (text) => {
    expect(() => zones(text, 'http: { routers: { r: null, s: { middlewares: 5, service: 7 } } }', 'entryPoints: { a: null }')).not.toThrow();
  });
});
