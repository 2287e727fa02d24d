/**
 * The zone invariants (CONTROLS.md §2, the ZONE-xx rules) on the reference lab: it holds every
 * one, and one mutation per invariant — each a change a rushed engineer could make, through the
 * constructs or their escape hatches — makes synth fail with exactly that rule named.
 */
import { describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { App, Image, MlopsSecurityLab, PostureError, Testing, TraefikDynamicConfig, Vps, Workload, WorkloadGraph, Zone } from '../../lib';
import { Gateway } from '../../lib/gateway/gateway';
import { RouteAuth } from '../../lib/gateway/route-auth';

function lab(): { app: App; vps: MlopsSecurityLab; w: (name: string) => Workload; gateway: Gateway } {
  const app = Testing.app();
  const vps = createLab(app);
  const w = (name: string) => vps.node.findAll().find((c): c is Workload => Workload.isWorkload(c) && c.serviceName === name)!;
  const gateway = vps.node.findAll().find((c): c is Gateway => c instanceof Gateway)!;
  return { app, vps, w, gateway };
}

/** The rule ids of the findings that failed the synth. */
function failingRules(app: App): string[] {
  try {
    Testing.synth(app);
  } catch (err) {
    if (err instanceof PostureError) return [...new Set(err.findings.map((f) => f.ruleId))].sort();
    throw err;
  }
  return [];
}

/** A job of `zone` with nothing else: what an engineer adds before granting it data. */
function job(vps: Vps, name: string, zone: Zone): Workload {
  const w = new Workload(vps, name, { zone, image: Image.fromRegistry('python', '3.12.7-slim-bookworm'), resources: { memoryMiB: 512, cpus: 1 } });
  w.noHealthCheck('a one-shot job');
  return w;
}

/** A hand-written router (the L1 escape hatch) to `service` on `url`, with the chain `middlewares` defines. */
function backdoor(vps: Vps, target: string, url: string, middlewares: Record<string, object> = {}): void {
  const config = new TraefikDynamicConfig(vps, 'Backdoor', { name: 'backdoor' });
  for (const [name, mw] of Object.entries(middlewares)) config.addMiddleware(name, mw as never);
  config.addRouter('backdoor', { entryPoints: ['websecure'], rule: `Host(\`${target}.lab.example.com\`)`, middlewares: Object.keys(middlewares), service: 'backdoor', tls: {} });
  config.addService('backdoor', { loadBalancer: { servers: [{ url }] } } as never);
}

const FULL_CHAIN_WITHOUT_AUTH = {
  'bd-headers': { headers: { stsSeconds: 31536000, stsIncludeSubdomains: true, contentTypeNosniff: true, frameDeny: true, referrerPolicy: 'no-referrer', contentSecurityPolicy: "default-src 'none'" } },
  'bd-limit': { rateLimit: { average: 10, burst: 20, period: '1s' } },
  'bd-body': { buffering: { maxRequestBodyBytes: 1024 } },
  'bd-inflight': { inFlightReq: { amount: 10 } },
};

describe('the reference lab holds every zone invariant', () => {
  it('synthesizes with no failing rule', () => {
    expect(failingRules(lab().app)).toEqual([]);
  });
});

describe('one mutation per invariant makes synth fail with that rule', () => {
  it('ZONE-01: a public router to a Z8 service without forwardAuth and an allow-list', () => {
    const { app, vps } = lab();
    backdoor(vps, 'keycloak', 'https://keycloak:8443', { ...FULL_CHAIN_WITHOUT_AUTH, 'bd-auth': { forwardAuth: { address: 'https://sso-auth:4443/oauth2/auth', trustForwardHeader: false, authResponseHeaders: ['X-Auth-Request-User'] } } });
    expect(failingRules(app)).toEqual(['TRF-14', 'ZONE-01']); // TRF-14: the same router as an admin UI without an allow-list
  });

  it('ZONE-02: a second service publishes a host port', () => {
    const { app, w } = lab();
    w('model-server').publishPort({ hostIp: '203.0.113.10', hostPort: 8080, containerPort: 8080, reason: 'quick debugging access for the data scientists' });
    expect(failingRules(app)).toEqual(['ZONE-02']);
  });

  it('ZONE-03: the lake routed through the gateway, even as an OIDC-protected admin UI', () => {
    const { app, w, gateway } = lab();
    gateway.expose(w('lake'), { host: 'lake.lab.example.com', auth: RouteAuth.oidc({ roles: ['admin'] }), allowFrom: ['198.51.100.0/24'] });
    expect(failingRules(app)).toEqual(['ZONE-03']);
  });

  it('ZONE-04: a Z3 job may write the raw bucket (only the promote job may)', () => {
    const { app, vps, w } = lab();
    vps.lake.rawBucket.grantWrite(w('backup-shipper'), { prefix: 'curated/' });
    expect(failingRules(app)).toEqual(['ZONE-04']);
  });

  it('ZONE-04: a service outside Z1 may write staging (a shadow source)', () => {
    const { app, vps, w } = lab();
    vps.lake.stagingBucket.grantWrite(w('backup-shipper'));
    expect(failingRules(app)).toEqual(['ZONE-04']);
  });

  it('ZONE-05: a training job with a read grant on the raw bucket', () => {
    const { app, vps } = lab();
    vps.lake.rawBucket.grantRead(job(vps, 'trainer', Zone.Z4_FACTORY));
    expect(failingRules(app)).toEqual(['ZONE-05']);
  });

  it('ZONE-05: a training job connected straight to the curated database', () => {
    const { app, vps } = lab();
    vps.curated.curatedDb.grantConnect(job(vps, 'trainer', Zone.Z4_FACTORY), { database: 'curated', privileges: ['SELECT'] });
    expect(failingRules(app)).toEqual(['ZONE-05']);
  });

  it('ZONE-06: the model server writes its own model volume (or skips the fetch job)', () => {
    const { app, w } = lab();
    w('model-server').service.addOverride('volumes', [
      { type: 'volume', source: 'model-server-models', target: '/mnt/models', read_only: false },
      { type: 'volume', source: 'model-server-vault', target: '/run/vault', read_only: true },
    ]);
    expect(failingRules(app)).toEqual(['ZONE-06']);
    const again = lab();
    again.w('model-server').service.addOverride('depends_on.model-server-fetch', undefined);
    expect(failingRules(again.app)).toEqual(['ZONE-06']);
  });

  it('ZONE-08: a second service on the non-internal edge network (egress)', () => {
    const { app, w, vps } = lab();
    WorkloadGraph.of(vps).addEdgeMember(w('model-server'));
    expect(failingRules(app)).toEqual(['ZONE-08']);
  });

  it('ZONE-10: a consumer app connected to the curated database', () => {
    const { app, vps } = lab();
    vps.curated.curatedDb.grantConnect(job(vps, 'bi-report', Zone.Z7_CONSUMERS), { database: 'curated', privileges: ['SELECT'] });
    expect(failingRules(app)).toEqual(['ZONE-10']);
  });

  it('ZONE-11: a *_FILE variable that points at a file no secret mount or Vault Agent provides', () => {
    const { app, w } = lab();
    w('model-server').addEnvironment('PROVIDER_TOKEN_FILE', '/etc/mlsec/provider-token');
    expect(failingRules(app)).toEqual(['ZONE-11']);
  });

  it('INV-11, its literal part (CMP-24): a secret value in a service environment, through the escape hatch', () => {
    const { app, w } = lab();
    w('model-server').service.addOverride('environment.PROVIDER_API_TOKEN', 'sk-live-0123456789abcdef');
    expect(failingRules(app)).toEqual(['CMP-24']);
  });

  it('ZONE-13: a service loses its read-only root without a declared reason (escape hatch)', () => {
    const { app, w } = lab();
    w('feature-store').service.addOverride('read_only', false);
    expect(failingRules(app)).toEqual(['ZONE-13']);
  });

  it('ZONE-14: a public router to the ingestion connector without its middleware chain', () => {
    const { app, vps } = lab();
    backdoor(vps, 'ingest-transactions', 'https://ingest-transactions:8443');
    expect(failingRules(app)).toContain('ZONE-14');
    expect(failingRules(app).filter((r) => r.startsWith('ZONE-'))).toEqual(['ZONE-14']);
  });

  it('ZONE-18: the model server may read the quarantine', () => {
    const { app, vps, w } = lab();
    vps.lake.quarantineBucket.grantRead(w('model-server'));
    expect(failingRules(app)).toEqual(['ZONE-18']);
  });

  it('ZONE-15: a public router that reaches its backend over plain HTTP without a declared exception', () => {
    const { app, vps } = lab();
    backdoor(vps, 'model-server', 'http://model-server:8080', { ...FULL_CHAIN_WITHOUT_AUTH, 'bd-auth': { forwardAuth: { address: 'https://sso-auth:4443/oauth2/auth', trustForwardHeader: false, authResponseHeaders: ['X-Auth-Request-User'] } } });
    expect(failingRules(app)).toEqual(['ZONE-15']);
  });
});
