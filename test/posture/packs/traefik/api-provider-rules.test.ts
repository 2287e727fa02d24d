import { describe, expect, it } from 'vitest';
import { audit, hitsOf } from '../../support';
import { auditHost, FAST_PACK, hitsIn } from './audit-files';

const pack = FAST_PACK;

describe('TRF-01 api.insecure', () => {
  it('passes a static file with the dashboard behind a router', async () => {
    const text = `api:
  dashboard: true
  insecure: false
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-01')).toEqual([]);
  });

  it('flags api.insecure: true (and the string "true")', async () => {
    const text = `entryPoints:
  web: { address: ":80" }
api:
  insecure: true
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-01')).toEqual(['TRF-01[api.insecure]@4']);
    expect(hitsOf(await audit('traefik-static', 'api: { insecure: "true" }\n', { pack }), 'TRF-01')).toEqual(['TRF-01[api.insecure]@1']);
  });

  it('flags the CLI flag and the environment variable of a Traefik container, not other services', async () => {
    const compose = `services:
  edge:
    image: traefik:v3.1.4
    command:
      - --providers.file.directory=/etc/traefik/dynamic
      - --api.insecure
    environment:
      TRAEFIK_API_INSECURE: "true"
  app:
    image: example/app:1.0.0
    command: ["--api.insecure=true"]
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-01')).toEqual(['TRF-01[api.insecure]@6', 'TRF-01[api.insecure]@8']);
  });

  it('passes --api.insecure=false', async () => {
    const compose = `services:
  traefik:
    image: docker.io/library/traefik:v3.1.4@sha256:0000000000000000000000000000000000000000000000000000000000000000
    command: ["--api.insecure=false", "--api.dashboard=true"]
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-01')).toEqual([]);
  });
});

describe('TRF-02 dashboard router and api.debug', () => {
  const guarded = `http:
  routers:
    dashboard:
      rule: Host(\`traefik.lab.example.org\`) && (PathPrefix(\`/api\`) || PathPrefix(\`/dashboard\`))
      entryPoints: [websecure]
      service: api@internal
      middlewares: [admin@file]
      tls: {}
  middlewares:
    admin:
      chain:
        middlewares: [admin-ips, sso]
    admin-ips:
      ipAllowList:
        sourceRange: [10.8.0.0/24]
    sso:
      forwardAuth:
        address: http://oauth2-proxy:4180/oauth2/auth
        authResponseHeaders: [X-Auth-Request-User]
`;

  it('passes a dashboard router with TLS, Host(), an allow-list and forwardAuth through a chain', async () => {
    expect(hitsOf(await audit('traefik-dynamic', guarded, { pack }), 'TRF-02')).toEqual([]);
  });

  it('flags every missing safeguard of an api@internal router in one finding', async () => {
    const text = `http:
  routers:
    api:
      rule: PathPrefix(\`/dashboard\`)
      service: api@internal
      middlewares: [auth@docker, missing]
`;
    const findings = await audit('traefik-dynamic', text, { pack });
    expect(hitsOf(findings, 'TRF-02')).toEqual(['TRF-02[api]@3']);
    expect(findings.find((f) => f.ruleId === 'TRF-02')?.message).toBe("router 'api' exposes api@internal without an auth middleware, an ipAllowList, tls, a Host() rule");
  });

  it('counts entry-point middlewares and entry-point TLS from the static file', async () => {
    const findings = await auditHost({
      static: `entryPoints:
  websecure:
    address: ":443"
    http:
      tls: { certResolver: le }
      middlewares: [admin-ips@file, basic@file]
`,
      dynamic: `http:
  routers:
    dash:
      rule: Host(\`ops.lab.example.org\`)
      entryPoints: [websecure]
      service: api@internal
  middlewares:
    admin-ips: { ipAllowList: { sourceRange: [192.168.10.0/24] } }
    basic: { basicAuth: { usersFile: /run/secrets/dashboard-users } }
`,
    }, pack);
    expect(hitsIn(findings, 'TRF-02', 'dynamic.yml')).toEqual([]);
  });

  it('flags api.debug in the file and on the command line', async () => {
    expect(hitsOf(await audit('traefik-static', 'api:\n  dashboard: true\n  debug: true\n', { pack }), 'TRF-02')).toEqual(['TRF-02[api.debug]@3']);
    const compose = `services:
  traefik:
    image: traefik:v3.1.4
    command: --api.dashboard=true --api.debug=true
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-02')).toEqual(['TRF-02[api.debug]@4']);
  });
});

const PROXIED = `providers:
  docker:
    endpoint: tcp://socket-proxy:2375
    exposedByDefault: false
    network: edge
  file:
    directory: /etc/traefik/dynamic
`;

describe('TRF-03 exposedByDefault and traefik.enable on back-end stores', () => {
  it('passes a Docker provider with exposedByDefault: false', async () => {
    expect(hitsOf(await audit('traefik-static', PROXIED, { pack }), 'TRF-03')).toEqual([]);
  });

  it('flags the provider when exposedByDefault is unset or true', async () => {
    expect(hitsOf(await audit('traefik-static', 'providers:\n  docker:\n', { pack }), 'TRF-03')).toEqual(['TRF-03[providers.docker]@2']);
    const explicit = `providers:
  swarm:
    endpoint: tcp://socket-proxy:2375
    exposedByDefault: true
`;
    expect(hitsOf(await audit('traefik-static', explicit, { pack }), 'TRF-03')).toEqual(['TRF-03[providers.swarm]@4']);
  });

  it('flags the Docker provider enabled on the command line without exposedByDefault=false', async () => {
    const compose = `services:
  traefik:
    image: traefik:v3.1.4
    command:
      - --entrypoints.websecure.address=:443
      - --providers.docker=true
      - --providers.docker.endpoint=tcp://socket-proxy:2375
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-03')).toEqual(['TRF-03[providers.docker]@6']);
    const fixed = compose.replace('      - --providers.docker=true\n', '      - --providers.docker=true\n      - --providers.docker.exposedByDefault=false\n');
    expect(hitsOf(await audit('compose', fixed, { pack }), 'TRF-03')).toEqual([]);
  });

  it('flags traefik.enable=true on data stores (by image or x-mlsec role), not on an API', async () => {
    const compose = `services:
  api:
    image: example/inference-api:2.1.0
    labels:
      traefik.enable: "true"
  db:
    image: docker.io/library/postgres:16.4
    labels:
      - traefik.enable=true
      - traefik.http.routers.db.rule=Host(\`db.lab.example.org\`)
  features:
    image: example/feature-cache:1.0.0
    x-mlsec: { role: data-store }
    labels: { traefik.enable: true }
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-03')).toEqual(['TRF-03[db]@9', 'TRF-03[features]@14']);
  });
});

describe('TRF-04 raw runtime socket', () => {
  it('passes a socket-proxy endpoint, and a socket proxy that mounts the socket', async () => {
    expect(hitsOf(await audit('traefik-static', PROXIED, { pack }), 'TRF-04')).toEqual([]);
    const compose = `services:
  socket-proxy:
    image: tecnativa/docker-socket-proxy:0.2.0
    environment: { CONTAINERS: 1 }
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-04')).toEqual([]);
  });

  it('flags the default endpoint and an explicit unix socket', async () => {
    expect(hitsOf(await audit('traefik-static', 'providers:\n  docker: { exposedByDefault: false }\n', { pack }), 'TRF-04')).toEqual(['TRF-04[providers.docker]@2']);
    const unix = `providers:
  docker:
    exposedByDefault: false
    endpoint: unix:///var/run/docker.sock
`;
    expect(hitsOf(await audit('traefik-static', unix, { pack }), 'TRF-04')).toEqual(['TRF-04[providers.docker]@4']);
  });

  it('flags a Traefik container that mounts the socket or runs the provider on it from the CLI', async () => {
    const compose = `services:
  traefik:
    image: traefik:v3.1.4
    command: ["--providers.docker", "--providers.docker.exposedbydefault=false"]
    volumes:
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
        read_only: true
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-04')).toEqual(['TRF-04[providers.docker]@4', 'TRF-04[traefik]@6']);
  });
});
