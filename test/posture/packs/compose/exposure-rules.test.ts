import { describe, expect, it } from 'vitest';
import { findingsOf, hits } from './compose-audit';

describe('CMP-14 published port bound to every interface', () => {
  const text = `services:
  api:
    image: app:1
    ports:
      - "8080:80"
      - "0.0.0.0:8443:443"
      - "[::]:9000:9000"
      - ":::9001:9001"
      - "127.0.0.1:5432:5432"
      - "[::1]:6379:6379"
      - "127.0.0.1:7000-7010:7000-7010/udp"
      - "9090"
      - 22:22
      - target: 3000
        published: 3000
      - target: 3001
        host_ip: 127.0.0.1
        published: "3001"
      - target: 3002
        host_ip: 0.0.0.0
        published: 3002
      - "\${BIND_ADDR}:4000:4000"
      - "\${BIND_ADDR:-127.0.0.1}:4001:4001"
      - "192.168.1.10:4002:4002"
  proxy:
    image: traefik:v3.1
    ports:
      - "203.0.113.10:443:8443"
      - "443:8443"
`;
  it('parses short, bracketed IPv6, range, container-only, long and interpolated syntax', async () => {
    expect(await hits(text, 'CMP-14')).toEqual([
      'CMP-14[api]@5',
      'CMP-14[api]@6',
      'CMP-14[api]@7',
      'CMP-14[api]@8',
      'CMP-14[api]@12',
      'CMP-14[api]@13',
      'CMP-14[api]@14',
      'CMP-14[api]@19',
      'CMP-14[api]@22',
      'CMP-14[api]@24',
      'CMP-14[proxy]@29',
    ]);
  });
  it('rates a host IP from an undefined variable medium', async () => {
    const found = (await findingsOf(text, 'CMP-14')).filter((f) => f.severity === 'medium').map((f) => f.line);
    expect(found).toEqual([22]);
  });
  it('reports an unquoted 22:22 that YAML 1.1 reads as 1342', async () => {
    const misread = (await findingsOf(text, 'CMP-14')).find((f) => f.line === 13);
    expect(misread?.message).toBe(
      'service \'api\' publishes port "22:22" (YAML 1.1 reads the unquoted 22:22 as the number 1342; quote it) without a host IP, so it listens on every interface',
    );
  });
  it('passes loopback binds and the proxy on a specific address', async () => {
    const compliant = `services:
  db:
    image: app:1
    ports: ["127.0.0.1:5432:5432", "[::1]:5433:5432"]
  proxy:
    image: traefik:v3.1
    ports:
      - "203.0.113.10:443:8443"
      - target: 8080
        published: 80
        host_ip: 203.0.113.10
`;
    expect(await hits(compliant, 'CMP-14')).toEqual([]);
  });
});

describe('CMP-15 backend publishes ports', () => {
  it('flags databases, Keycloak, Jupyter and declared data stores that publish anything', async () => {
    const text = `services:
  db:
    image: postgres:16.4
    ports: ["127.0.0.1:5432:5432"]
  pg:
    image: bitnami/postgresql:16
    ports: ["5433:5432"]
  kc:
    image: quay.io/keycloak/keycloak:25.0
    ports: ["127.0.0.1:8081:8080"]
  nb:
    image: jupyter/base-notebook:2024-07-29
    ports: ["127.0.0.1:8888:8888"]
  store:
    image: ghcr.io/acme/blob:1.0
    x-mlsec: { role: data-store }
    ports: ["127.0.0.1:9000:9000"]
`;
    expect(await hits(text, 'CMP-15')).toEqual(['CMP-15[db]@4', 'CMP-15[pg]@7', 'CMP-15[kc]@10', 'CMP-15[nb]@13', 'CMP-15[store]@17']);
  });
  it('passes the proxy, exporters, apps, and backends that only expose', async () => {
    const text = `services:
  proxy:
    image: traefik:v3.1
    ports: ["203.0.113.10:443:8443"]
  exporter:
    image: oliver006/redis_exporter:v1.62.0
    ports: ["127.0.0.1:9121:9121"]
  api:
    image: app:1
    ports: ["127.0.0.1:8080:8080"]
  vault:
    image: hashicorp/vault:1.17
    expose: ["8200"]
`;
    expect(await hits(text, 'CMP-15')).toEqual([]);
  });
});

describe('CMP-16 privileged host port or SSH', () => {
  it('flags host ports below 1024 outside the proxy, port 22 anywhere and sshd', async () => {
    const text = `services:
  web:
    image: app:1
    ports:
      - "127.0.0.1:80:8080"
      - "127.0.0.1:8080:8080"
      - "127.0.0.1:2222:22"
  proxy:
    image: traefik:v3.1
    ports:
      - "203.0.113.10:443:8443"
      - "203.0.113.10:22:22"
  ssh:
    image: linuxserver/openssh-server:9.7
  legacy:
    image: app:1
    command: ["/usr/sbin/sshd", "-D"]
`;
    expect(await hits(text, 'CMP-16')).toEqual(['CMP-16[web]@5', 'CMP-16[web]@7', 'CMP-16[proxy]@12', 'CMP-16[ssh]@14', 'CMP-16[legacy]@17']);
  });
  it('does not flag privileged container ports (KICS noise) or the proxy on 443', async () => {
    const text = `services:
  web:
    image: app:1
    ports: ["127.0.0.1:8080:80"]
  proxy:
    image: traefik:v3.1
    ports: ["203.0.113.10:443:443", "203.0.113.10:80:80"]
`;
    expect(await hits(text, 'CMP-16')).toEqual([]);
  });
});

describe('CMP-28 default and non-internal networks', () => {
  it('flags the default network and non-internal networks outside the proxy', async () => {
    const text = `services:
  a:
    image: a:1
  b:
    image: b:1
    networks: [default, backend]
  c:
    image: c:1
    networks:
      frontend: {}
      backend:
  proxy:
    image: traefik:v3.1
    networks: [frontend, backend]
  d:
    image: d:1
    network_mode: none
  e:
    image: e:1
    networks: [shared]
networks:
  frontend: {}
  backend:
    internal: true
  shared:
    external: true
`;
    expect(await hits(text, 'CMP-28')).toEqual(['CMP-28[a/default]@2', 'CMP-28[b/default]@6', 'CMP-28[c/frontend]@10', 'CMP-28[e/shared]@20']);
  });
  it('passes internal tier networks, an internal default and the proxy on the public network', async () => {
    const text = `services:
  proxy:
    image: traefik:v3.1
    networks: [public, edge]
  api:
    image: app:1
    networks: [edge, data]
  worker:
    image: w:1
networks:
  default:
    internal: true
  public: {}
  edge:
    internal: true
  data:
    internal: true
`;
    expect(await hits(text, 'CMP-28')).toEqual([]);
  });
});
