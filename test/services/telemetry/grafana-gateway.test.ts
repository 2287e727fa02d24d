/**
 * Grafana behind the gateway (CONTROLS.md Z9-K08): its only public route is the one `expose`
 * creates, with the operators' allow-list and the OIDC proxy's forwardAuth in front of Grafana's
 * own OIDC login, and a backend transport that verifies Grafana's certificate for its service name.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RouteAuth, Testing } from '../../../lib';
import { GrafanaServer } from '../../../lib/services/telemetry/grafana-server';
import { LokiServer } from '../../../lib/services/telemetry/loki-server';
import { identityHost, OPERATORS } from '../../identity/support';

describe('GrafanaServer exposed through the gateway', () => {
  const { app, vps, vault, keycloak, gateway } = identityHost();
  const loki = new LokiServer(vps, 'loki', { vault });
  const clientSecret = vault.addKvSecret('GrafanaClient', { path: 'lab/core/grafana/client' });
  const grafana = new GrafanaServer(vps, 'grafana', {
    host: 'grafana.lab.example.com', vault, loki,
    oidc: { idp: keycloak, idpPort: 8443, issuerUrl: keycloak.issuerUrl, clientId: 'grafana', clientSecret },
  });
  gateway.expose(grafana, { host: 'grafana.lab.example.com', auth: RouteAuth.oidc({ roles: ['auditor', 'admin'] }), allowFrom: OPERATORS });
  const assembly = Testing.synth(app);
  const route = parse(assembly.file('lab/traefik/dynamic/route-grafana.yml')).http;
  const compose = parse(assembly.file('lab/docker-compose.yml'));

  it('routes the exact host, allow-listed, behind the OIDC proxy, to HTTPS Grafana with a verified certificate', () => {
    expect(route.routers.grafana.rule).toBe('Host(`grafana.lab.example.com`)');
    expect(route.routers.grafana.middlewares).toEqual(expect.arrayContaining(['grafana-allow', 'grafana-auth']));
    expect(route.routers.grafana.middlewares.indexOf('grafana-allow')).toBeLessThan(route.routers.grafana.middlewares.indexOf('grafana-auth'));
    expect(route.middlewares['grafana-allow'].ipAllowList.sourceRange).toEqual(OPERATORS);
    expect(route.middlewares['grafana-auth'].forwardAuth.address).toBe('https://sso-grafana:4443/oauth2/auth');
    expect(route.services.grafana.loadBalancer.servers).toEqual([{ url: 'https://grafana:3000' }]);
    expect(route.serversTransports['grafana-backend']).toMatchObject({ serverName: 'grafana', rootCAs: ['/run/secrets/ca.crt'] });
    expect(route.serversTransports['grafana-backend'].insecureSkipVerify).toBeUndefined();
  });

  it('publishes no port of its own; Loki and the collector have no route at all', () => {
    expect(compose.services.grafana.ports).toBeUndefined();
    expect(compose.services.loki.ports).toBeUndefined();
    expect(assembly.paths().filter((p) => /route-(loki|otel)/.test(p))).toEqual([]);
  });
});
