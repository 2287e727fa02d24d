/**
 * The reference lab's edge and identity, checked across artifacts: the compose file, the Traefik
 * files and the Keycloak realm must agree with each other (CONTROLS.md INV-01/02/03/14, Z8-K07).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLab } from '../../apps/lab';
import { App, Testing } from '../../lib';
import { LLM_REQUEST_FIELDS } from '../../lib/services/llm-gateway';

function lab() {
  const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
  createLab(app);
  const assembly = Testing.synth(app);
  const compose = parse(assembly.file('lab/docker-compose.yml'));
  const dynamic = assembly.paths().filter((p) => p.startsWith('lab/traefik/dynamic/')).map((p) => parse(assembly.file(p)));
  const merged = { routers: {} as Record<string, any>, middlewares: {} as Record<string, any>, services: {} as Record<string, any> };
  for (const d of dynamic) for (const k of ['routers', 'middlewares', 'services'] as const) Object.assign(merged[k], d.http?.[k] ?? {});
  // The public routers; the one internal router (the gateway's own metrics) is checked on its own.
  const internal = Object.fromEntries(Object.entries(merged.routers).filter(([, r]) => !r.entryPoints.includes('websecure')));
  for (const name of Object.keys(internal)) delete merged.routers[name];
  const realm = JSON.parse(assembly.file('lab/keycloak/realm-lab.json'));
  return { compose, merged, internal, realm, tls: dynamic.find((d) => d.tls)?.tls, llmWaf: assembly.file('lab/llm-waf/modsecurity.conf') };
}

const DATA_STORES = /(^|\/)(postgres|redis|minio\/minio|hashicorp\/vault|openbao\/openbao)(:|@)/;
const hostOf = (rule: string) => /Host\(`([^`]+)`\)/.exec(rule)?.[1];

describe('reference lab: edge and identity across artifacts', () => {
  const { compose, merged, internal, realm, tls, llmWaf } = lab();
  const services = compose.services as Record<string, any>;

  it('routes every router to an existing compose service, on a port that service listens on', () => {
    expect(Object.keys(merged.routers).length).toBeGreaterThanOrEqual(7);
    for (const [name, router] of Object.entries(merged.routers)) {
      const servers = merged.services[router.service]?.loadBalancer?.servers;
      expect(servers, name).toHaveLength(1);
      const url = new URL(servers[0].url);
      expect(services[url.hostname], `${name} -> ${url.hostname}`).toBeDefined();
      expect(services[url.hostname].expose, `${name} -> ${url.host}`).toContain(url.port);
      // The gateway can reach it: they share a network, made by a declared flow.
      expect(services.gateway['x-mlsec'].flows, name).toContainEqual({ to: url.hostname, port: Number(url.port) });
    }
  });

  it('has one router off the public entry point: the gateway\'s own metrics, internal-CA client certificates only', () => {
    expect(internal).toEqual({ metrics: { entryPoints: ['metrics'], rule: 'Host(`gateway`) && Path(`/metrics`)', service: 'prometheus@internal', tls: { options: 'mtls-clients' } } });
    expect(tls.options['mtls-clients'].clientAuth.clientAuthType).toBe('RequireAndVerifyClientCert');
    expect(services.prometheus['x-mlsec'].flows).toContainEqual({ to: 'gateway', port: 9100 });
  });

  it('routes nothing to a data store (Postgres, Redis, MinIO, Vault)', () => {
    for (const [name, router] of Object.entries(merged.routers)) {
      const target = new URL(merged.services[router.service].loadBalancer.servers[0].url).hostname;
      expect(services[target].image, name).not.toMatch(DATA_STORES);
    }
    for (const [name, s] of Object.entries(services)) {
      if (DATA_STORES.test(s.image)) expect(s.networks ?? [], name).not.toContain('edge');
    }
  });

  it('publishes host ports on the gateway only: 443 and 80', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports !== undefined).map(([n, s]) => [n, s.ports]);
    expect(published).toEqual([['gateway', ['203.0.113.10:443:8443/tcp', '203.0.113.10:80:8080/tcp']]]);
  });

  it('has exactly two doors (Z1 ingestion, Z6 inference) with client certificates, and admin UIs behind OIDC and the allow-list', () => {
    const zoneOf = (router: any) => services[new URL(merged.services[router.service].loadBalancer.servers[0].url).hostname].labels['mlsec.zone'];
    const doors = Object.entries(merged.routers).filter(([, r]) => ['z1', 'z6'].includes(zoneOf(r)));
    expect(doors.map(([n]) => n).sort()).toEqual(['ingest-transactions', 'llm-waf', 'model-server', 'scored-api']); // ingestion (through the WAF), inference, the LLM gateway (through its field filter) and the stored scores
    const host = (name: string) => /Host\(`([^`]+)`\)/.exec(merged.routers[name].rule)![1];
    // The stored scores share the inference host: still two public doors.
    expect(host('scored-api')).toBe(host('model-server'));
    expect(merged.routers['scored-api'].rule).toContain('PathPrefix(`/scores/`)');
    for (const [name, r] of doors) expect(r.tls.options, name).toBe('mtls-clients');
    expect(tls.options['mtls-clients'].clientAuth.clientAuthType).toBe('RequireAndVerifyClientCert');
    for (const [name, r] of Object.entries(merged.routers).filter(([, x]) => !['z1', 'z6'].includes(zoneOf(x)))) {
      const chain = r.middlewares.map((m: string) => merged.middlewares[m]);
      // Security headers first (so refusals carry them), then the allow-list before anything else runs.
      expect(chain[0].headers, name).toBeDefined();
      expect(chain[1].ipAllowList?.sourceRange, name).toEqual(['198.51.100.0/24']);
    }
  });

  it('gives every OIDC-protected host a forwardAuth to its own proxy and a confidential PKCE client whose redirect URI is that host', () => {
    const protectedHosts = new Map<string, string>();
    for (const [name, r] of Object.entries(merged.routers)) {
      const auth = r.middlewares.map((m: string) => merged.middlewares[m]).find((m: any) => m.forwardAuth);
      if (!auth) continue;
      const proxy = new URL(auth.forwardAuth.address).hostname;
      expect(proxy, name).toMatch(/^sso-/);
      protectedHosts.set(hostOf(r.rule)!, proxy);
    }
    expect([...protectedHosts.keys()].sort()).toEqual(['auth.lab.example.com', 'grafana.lab.example.com', 'mlflow.lab.example.com']);
    const webClients = realm.clients.filter((c: any) => c.standardFlowEnabled);
    for (const [host, proxy] of protectedHosts) {
      const client = webClients.find((c: any) => c.clientId === proxy);
      expect(client, host).toBeDefined();
      expect(client.redirectUris).toEqual([`https://${host}/oauth2/callback`]);
      expect(client.webOrigins).toEqual([`https://${host}`]);
      expect(client.attributes['pkce.code.challenge.method']).toBe('S256');
      expect(client.publicClient).toBe(false);
      expect(services[proxy].command).toContain(`--client-id=${client.clientId}`);
      expect(services[proxy].command).toContain(`--redirect-url=https://${host}/oauth2/callback`);
      // Its sign-in router sends /oauth2/ on that host to that proxy.
      const signIn = Object.values(merged.routers).find((r: any) => r.rule === `Host(\`${host}\`) && PathPrefix(\`/oauth2/\`)`) as any;
      expect(new URL(merged.services[signIn.service].loadBalancer.servers[0].url).hostname).toBe(proxy);
    }
  });

  it('matches every redirect URI and web origin of the realm to exactly one routed host, exactly', () => {
    const routedHosts = new Set(Object.values(merged.routers).map((r: any) => hostOf(r.rule)));
    for (const client of realm.clients) {
      for (const uri of [...(client.redirectUris ?? []), ...(client.webOrigins ?? [])]) {
        expect(uri, client.clientId).not.toContain('*');
        const host = new URL(uri).hostname;
        expect(routedHosts.has(host), `${client.clientId}: ${uri}`).toBe(true);
        expect(new URL(uri).protocol).toBe('https:');
      }
    }
  });

  it('keeps client secrets out of the realm file: each is a placeholder Keycloak fills at import from its Vault-rendered file', () => {
    const keycloak = services.keycloak;
    // Compose escapes `$` as `$$` so that it reaches the container's shell unexpanded.
    const script: string = keycloak.command[0].replace(/\$\$/g, '$');
    for (const client of realm.clients.filter((c: any) => !c.publicClient)) {
      const variable = /^\$\{([A-Z0-9_]+)\}$/.exec(client.secret)?.[1];
      expect(variable, client.clientId).toBeDefined();
      expect(keycloak.environment[`${variable}_FILE`], client.clientId).toMatch(/^\/run\/vault\//);
      expect(script).toContain(`${variable}="$(cat "$${variable}_FILE")"; [ -n "$${variable}" ] || { echo "keycloak: $${variable}_FILE is empty" >&2; exit 1; }; export ${variable}`);
      expect(keycloak.environment[variable!], 'never in compose').toBeUndefined();
    }
    expect(script.split('\n').pop()).toBe('exec /opt/keycloak/bin/kc.sh start --import-realm');
    expect(JSON.stringify(keycloak.environment)).not.toMatch(/PASSWORD"?:"?[^/]/);
  });

  it('sends the LLM door through llm-waf, which lets only chat-completion fields reach LiteLLM', () => {
    expect(new URL(merged.services[merged.routers['llm-waf'].service].loadBalancer.servers[0].url).hostname).toBe('llm-waf');
    // The gateway has no network to the LLM gateway; only the field filter does.
    expect(services.gateway['x-mlsec'].flows.map((f: { to: string }) => f.to)).not.toContain('llm-gateway');
    expect(services['llm-waf']['x-mlsec'].flows).toContainEqual({ to: 'llm-gateway', port: 4000 });
    expect(llmWaf).toMatch(/^SecRuleEngine On$/m);
    expect(llmWaf).not.toMatch(/^Include /m);
    const allowed = /ARGS_NAMES "!@rx \^json\\\.\(\?:([a-z_|]+)\)/.exec(llmWaf)?.[1].split('|');
    expect(allowed).toEqual([...LLM_REQUEST_FIELDS].sort());
    // LiteLLM acts on these request fields (prompt_id replaces the fixed system prompt): never allowed.
    for (const field of ['prompt_id', 'prompt_variables', 'prompt_version', 'metadata', 'tags', 'guardrails', 'api_key', 'api_base', 'base_url', 'fallbacks', 'mock_response', 'caching', 'cache']) {
      expect(allowed, field).not.toContain(field);
    }
  });
});
