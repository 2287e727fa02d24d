import { describe, expect, it } from 'vitest';
import { audit, hitsOf } from '../../support';
import { auditHost, FAST_PACK, hitsIn } from './audit-files';

const pack = FAST_PACK;

const REDIRECTING = `entryPoints:
  web:
    address: ":80"
    http:
      redirections:
        entryPoint: { to: websecure, scheme: https }
  websecure:
    address: ":443"
  internal:
    address: "127.0.0.1:8081"
`;

const TLS_ROUTERS = `http:
  routers:
    portal:
      rule: Host(\`portal.lab.example.org\`)
      entryPoints: [websecure]
      service: portal
      tls: { certResolver: le }
    status:
      rule: Path(\`/status\`)
      entryPoints: [internal]
      service: status
`;

describe('TRF-05 plain HTTP only redirects', () => {
  it('passes a redirecting web entry point and TLS routers', async () => {
    const findings = await auditHost({ static: REDIRECTING, dynamic: TLS_ROUTERS }, pack);
    expect(hitsIn(findings, 'TRF-05', 'traefik.yml')).toEqual([]);
    expect(hitsIn(findings, 'TRF-05', 'dynamic.yml')).toEqual([]);
  });

  it('flags a port-80 entry point without a redirect, or with a redirect to http', async () => {
    const plain = `entryPoints:
  edge-http:
    address: "0.0.0.0:80"
  websecure:
    address: ":443"
`;
    expect(hitsOf(await audit('traefik-static', plain, { pack }), 'TRF-05')).toEqual(['TRF-05[edge-http]@2']);
    const toHttp = REDIRECTING.replace('scheme: https', 'scheme: http');
    expect(hitsOf(await audit('traefik-static', toHttp, { pack }), 'TRF-05')).toEqual(['TRF-05[web]@5']);
  });

  it('accepts a catch-all redirectScheme router on the web entry point instead', async () => {
    const findings = await auditHost({
      static: 'entryPoints:\n  web: { address: ":80" }\n  websecure: { address: ":443" }\n',
      dynamic: `http:
  routers:
    to-https:
      rule: PathPrefix(\`/\`)
      entryPoints: [web]
      middlewares: [https-only]
      service: noop@internal
  middlewares:
    https-only: { redirectScheme: { scheme: https, permanent: true } }
`,
    }, pack);
    expect(hitsIn(findings, 'TRF-05', 'traefik.yml')).toEqual([]);
    expect(hitsIn(findings, 'TRF-05', 'dynamic.yml')).toEqual([]);
  });

  it('flags a router bound to both, and a router on the TLS entry point without tls', async () => {
    const text = `http:
  routers:
    both:
      rule: Host(\`a.lab.example.org\`)
      entryPoints:
        - web
        - websecure
      service: a
      tls: {}
    bare:
      rule: Host(\`b.lab.example.org\`)
      entryPoints: [websecure]
      service: b
    everywhere:
      rule: Host(\`c.lab.example.org\`)
      service: c
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-05')).toEqual(['TRF-05[both]@5', 'TRF-05[bare]@10', 'TRF-05[everywhere]@14']);
  });

  it('passes a router without tls on an entry point that sets http.tls', async () => {
    const findings = await auditHost({
      static: 'entryPoints:\n  websecure:\n    address: ":443"\n    http: { tls: {} }\n',
      dynamic: 'http:\n  routers:\n    app: { rule: Host(`app.lab.example.org`), entryPoints: [websecure], service: app }\n',
    }, pack);
    expect(hitsIn(findings, 'TRF-05', 'dynamic.yml')).toEqual([]);
  });

  it('flags a public router only on the plain entry point when nothing redirects', async () => {
    const text = 'http:\n  routers:\n    legacy: { rule: Host(`old.lab.example.org`), entryPoints: [web], service: old }\n';
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-05')).toEqual(['TRF-05[legacy]@3']);
  });
});

describe('TRF-06 minimum TLS version', () => {
  it('passes TLS 1.2 and 1.3 floors', async () => {
    const text = `tls:
  options:
    default: { minVersion: VersionTLS12, sniStrict: true }
    modern: { minVersion: VersionTLS13, sniStrict: true }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-06')).toEqual([]);
  });

  it('flags a missing, old or unknown minVersion and a maxVersion below TLS 1.2', async () => {
    const text = `tls:
  options:
    default:
      sniStrict: true
    legacy:
      minVersion: VersionTLS11
    typo:
      minVersion: TLS12
    capped:
      minVersion: VersionTLS10
      maxVersion: VersionTLS11
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-06')).toEqual(['TRF-06[default]@3', 'TRF-06[legacy]@6', 'TRF-06[typo]@8', 'TRF-06[capped]@10', 'TRF-06[capped]@11']);
  });
});

describe('TRF-07 cipher suites and sniStrict', () => {
  it('passes AEAD forward-secret suites with sniStrict', async () => {
    const text = `tls:
  options:
    default:
      minVersion: VersionTLS12
      sniStrict: true
      cipherSuites:
        - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        - TLS_AES_256_GCM_SHA384
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-07')).toEqual([]);
  });

  it('flags CBC, 3DES and RSA key-exchange suites, and a missing or false sniStrict', async () => {
    const text = `tls:
  options:
    default:
      minVersion: VersionTLS12
      sniStrict: false
      cipherSuites:
        - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
        - TLS_RSA_WITH_3DES_EDE_CBC_SHA
        - TLS_RSA_WITH_AES_256_GCM_SHA384
    partner:
      minVersion: VersionTLS13
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-07')).toEqual(['TRF-07[default]@5', 'TRF-07[default]@8', 'TRF-07[default]@9', 'TRF-07[default]@10', 'TRF-07[partner]@11']);
  });
});

describe('TRF-16 back-end certificate verification', () => {
  it('passes transports with an internal CA', async () => {
    const dynamic = `http:
  serversTransports:
    vault-ca:
      serverName: vault
      rootCAs: [/run/secrets/vault-ca.pem]
      insecureSkipVerify: false
tcp:
  serversTransports:
    pg: { tls: { rootCAs: [/run/secrets/pg-ca.pem] } }
`;
    expect(hitsOf(await audit('traefik-dynamic', dynamic, { pack }), 'TRF-16')).toEqual([]);
    expect(hitsOf(await audit('traefik-static', 'serversTransport:\n  rootCAs: [/run/secrets/internal-ca.pem]\n', { pack }), 'TRF-16')).toEqual([]);
  });

  it('flags insecureSkipVerify in static, dynamic HTTP and TCP transports', async () => {
    const staticText = `serversTransport:
  insecureSkipVerify: true
tcpServersTransport:
  tls:
    insecureSkipVerify: true
`;
    expect(hitsOf(await audit('traefik-static', staticText, { pack }), 'TRF-16')).toEqual(['TRF-16[serversTransport]@2', 'TRF-16[tcpServersTransport]@5']);
    const dynamic = `http:
  serversTransports:
    lazy:
      insecureSkipVerify: true
tcp:
  serversTransports:
    lazy-tcp:
      tls: { insecureSkipVerify: "true" }
`;
    expect(hitsOf(await audit('traefik-dynamic', dynamic, { pack }), 'TRF-16')).toEqual(['TRF-16[lazy]@4', 'TRF-16[lazy-tcp]@8']);
  });

  it('flags the CLI flag', async () => {
    const compose = 'services:\n  traefik:\n    image: traefik:v3.1.4\n    environment:\n      - TRAEFIK_SERVERSTRANSPORT_INSECURESKIPVERIFY=true\n';
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-16')).toEqual(['TRF-16[serversTransport]@5']);
  });
});

describe('TRF-17 forwarded headers and PROXY protocol trust', () => {
  it('passes entry points that trust a named load balancer only', async () => {
    const text = `entryPoints:
  websecure:
    address: ":443"
    forwardedHeaders:
      trustedIPs: [10.0.0.10/32]
    proxyProtocol:
      trustedIPs: [10.0.0.10/32]
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-17')).toEqual([]);
  });

  it('flags insecure: true and trust of 0.0.0.0/0', async () => {
    const text = `entryPoints:
  web:
    address: ":80"
    forwardedHeaders:
      insecure: true
  websecure:
    address: ":443"
    proxyProtocol:
      insecure: true
    forwardedHeaders:
      trustedIPs:
        - 10.0.0.10/32
        - 0.0.0.0/0
`;
    expect(hitsOf(await audit('traefik-static', text, { pack }), 'TRF-17')).toEqual(['TRF-17[web.forwardedHeaders]@5', 'TRF-17[websecure.proxyProtocol]@9', 'TRF-17[websecure.forwardedHeaders]@13']);
  });

  it('flags the CLI flags', async () => {
    const compose = `services:
  traefik:
    image: traefik:v3.1.4
    command:
      - --entryPoints.websecure.address=:443
      - --entryPoints.websecure.forwardedHeaders.insecure
      - --entryPoints.websecure.proxyProtocol.trustedIPs=10.0.0.1/32,::/0
`;
    expect(hitsOf(await audit('compose', compose, { pack }), 'TRF-17')).toEqual(['TRF-17[websecure.forwardedHeaders]@6', 'TRF-17[websecure.proxyProtocol]@7']);
  });
});
