import { describe, expect, it } from 'vitest';
import { isExternalHost } from '../../../../lib/posture/packs/traefik/access-rules';
import { audit, hitsOf } from '../../support';
import { auditHost, FAST_PACK, hitsIn } from './audit-files';

const pack = FAST_PACK;

describe('TRF-08 admin endpoints need mTLS or forwardAuth', () => {
  it('passes an admin router with an mTLS option and one with forwardAuth', async () => {
    const text = `http:
  routers:
    vault-ui:
      rule: Host(\`vault.lab.example.org\`)
      service: vault
      tls: { options: admin-mtls@file }
    mlflow:
      rule: Host(\`mlflow.lab.example.org\`)
      middlewares: [sso]
      service: mlflow
      tls: {}
  middlewares:
    sso: { forwardAuth: { address: http://oauth2-proxy:4180/oauth2/auth, authResponseHeaders: [X-Auth-Request-User] } }
tls:
  options:
    admin-mtls:
      minVersion: VersionTLS13
      clientAuth: { clientAuthType: RequireAndVerifyClientCert, caFiles: [/run/secrets/admin-ca.pem] }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-08')).toEqual([]);
  });

  it('uses the default TLS option when a router names none', async () => {
    const text = `http:
  routers:
    minio-console:
      rule: Host(\`console.minio.lab.example.org\`)
      service: minio-console
      tls: {}
tls:
  options:
    default: { minVersion: VersionTLS12, clientAuth: { clientAuthType: RequireAndVerifyClientCert } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-08')).toEqual([]);
  });

  it('flags admin routers with a weaker client-auth mode, with none, and a whole-host Keycloak router', async () => {
    const text = `http:
  routers:
    airflow:
      rule: Host(\`airflow.lab.example.org\`)
      service: airflow-webserver
      tls: { options: optional-cert }
    keycloak:
      rule: Host(\`sso.lab.example.org\`)
      service: keycloak
      tls: {}
    keycloak-realms:
      rule: Host(\`sso.lab.example.org\`) && PathPrefix(\`/realms\`)
      service: keycloak
      tls: {}
tls:
  options:
    optional-cert: { clientAuth: { clientAuthType: VerifyClientCertIfGiven } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-08')).toEqual(['TRF-08[airflow]@3', 'TRF-08[keycloak]@7']);
  });

  it('takes the TLS option from the entry point when the router names none', async () => {
    const findings = await auditHost({
      static: 'entryPoints:\n  admin:\n    address: ":8443"\n    http: { tls: { options: admin-mtls@file } }\n',
      dynamic: `http:
  routers:
    jupyterhub: { rule: Host(\`notebooks.lab.example.org\`), entryPoints: [admin], service: jupyterhub }
tls:
  options:
    admin-mtls: { minVersion: VersionTLS13, clientAuth: { clientAuthType: RequireAndVerifyClientCert } }
`,
    }, pack);
    expect(hitsIn(findings, 'TRF-08', 'dynamic.yml')).toEqual([]);
  });
});

describe('TRF-14 admin UIs behind an IP allow-list', () => {
  it('passes admin routers with ipAllowList, directly or through a chain', async () => {
    const text = `http:
  routers:
    grafana:
      rule: Host(\`grafana.lab.example.org\`)
      middlewares: [vpn-only]
      service: grafana
    dashboard:
      rule: Host(\`traefik.lab.example.org\`)
      middlewares: [admin]
      service: api@internal
  middlewares:
    vpn-only: { ipAllowList: { sourceRange: [10.8.0.0/24, "fd00:8::/64"] } }
    admin: { chain: { middlewares: [vpn-only] } }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-14')).toEqual([]);
  });

  it('flags an admin router without an allow-list, ipWhiteList, /0 and empty ranges', async () => {
    const text = `http:
  routers:
    vault:
      rule: Host(\`vault.lab.example.org\`)
      service: vault
    pgadmin:
      rule: Host(\`db-admin.lab.example.org\`)
      middlewares: [legacy]
      service: pgadmin
  middlewares:
    legacy:
      ipWhiteList:
        sourceRange: [10.0.0.0/8]
    anyone:
      ipAllowList:
        sourceRange:
          - 192.168.0.0/16
          - ::/0
    nobody:
      ipAllowList: { sourceRange: [] }
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-14')).toEqual(['TRF-14[vault]@3', 'TRF-14[legacy]@12', 'TRF-14[anyone]@18', 'TRF-14[nobody]@20']);
  });
});

describe('TRF-15 forwardAuth', () => {
  const good = `http:
  middlewares:
    sso:
      forwardAuth:
        address: https://auth.lab.example.org/oauth2/auth
        trustForwardHeader: true
        authResponseHeaders: [X-Auth-Request-User, X-Auth-Request-Groups]
`;

  it('passes https to an external verifier and trustForwardHeader behind trusted proxies', async () => {
    const findings = await auditHost({ static: 'entryPoints:\n  websecure:\n    address: ":443"\n    forwardedHeaders: { trustedIPs: [10.0.0.2/32] }\n', dynamic: good }, pack);
    expect(hitsIn(findings, 'TRF-15', 'dynamic.yml')).toEqual([]);
  });

  it('passes plain HTTP to a service on the compose network with a header regex', async () => {
    const text = 'http:\n  middlewares:\n    opa: { forwardAuth: { address: "http://opa:8181/v1/data/z1/allow", authResponseHeadersRegex: "^X-Opa-" } }\n';
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-15')).toEqual([]);
  });

  it('flags plain HTTP to an external host, untrusted trustForwardHeader, insecureSkipVerify and no allow-list', async () => {
    const text = `http:
  middlewares:
    sso:
      forwardAuth:
        address: http://auth.example.net/verify
        trustForwardHeader: true
        tls:
          insecureSkipVerify: true
`;
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-15')).toEqual(['TRF-15[sso]@4', 'TRF-15[sso]@5', 'TRF-15[sso]@6', 'TRF-15[sso]@8']);
  });

  it('tells internal from external hosts', () => {
    expect(['keycloak', 'opa.internal', '10.1.2.3', '172.20.0.5', '127.0.0.1', 'fd00::1', 'auth.svc'].map(isExternalHost)).toEqual([false, false, false, false, false, false, false]);
    expect(['auth.example.net', '8.8.8.8', '172.32.0.1', '2001:db8::1'].map(isExternalHost)).toEqual([true, true, true, true]);
  });
});

describe('TRF-18 basicAuth/digestAuth users', () => {
  it('passes users kept in a usersFile', async () => {
    const text = 'http:\n  middlewares:\n    ops: { basicAuth: { usersFile: /run/secrets/ops-users, removeHeader: true } }\n';
    expect(hitsOf(await audit('traefik-dynamic', text, { pack }), 'TRF-18')).toEqual([]);
  });

  it('reports inline hashed users as medium and unhashed entries as high', async () => {
    const text = `http:
  middlewares:
    ops:
      basicAuth:
        users:
          - "alice:$2y$05$VhJ0X2wP7JxWf7cQm0r6UeZr4y2Z3JZQ0e1bm8lQ3hVj3Gm5m9yZa"
          - "bob:$apr1$Ww3b.9hs$3Q1bV2yqgGkS0rQn4Qe8y/"
          - "carol:hunter2hunter2"
          - "dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="
    legacy-digest:
      digestAuth:
        users:
          - "erin:traefik:a2688e031edb4be6a3797f3882655c05"
          - "frank:traefik:letmein"
`;
    const findings = await audit('traefik-dynamic', text, { pack });
    expect(hitsOf(findings, 'TRF-18')).toEqual(['TRF-18[ops]@5', 'TRF-18[ops]@8', 'TRF-18[ops]@9', 'TRF-18[legacy-digest]@12', 'TRF-18[legacy-digest]@14']);
    expect(findings.filter((f) => f.ruleId === 'TRF-18').map((f) => f.severity)).toEqual(['medium', 'high', 'high', 'medium', 'high']);
  });
});
