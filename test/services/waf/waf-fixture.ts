import { App, Gateway, HealthCheck, Image, RouteAuth, Testing, Vps, Workload, Zone } from '../../../lib';
import { CrsWaf, CrsWafProps, WafRoute } from '../../../lib/services/waf';

/** The protected backend's service name and path. */
export const BACKEND = 'ingest-transactions';
export const PROTECTED_PATH = '/ingest/transactions';
export const PUBLIC_HOST = 'ingest.lab.example.com';

/** What `buildWafLab` made. */
export interface WafLab {
  readonly app: App;
  readonly vps: Vps;
  readonly waf: CrsWaf;
  readonly backend: Workload;
  readonly gateway: Gateway;
  readonly route: WafRoute;
}

/**
 * A Vps `lab` with a TLS backend (`ingest-transactions`, 8443), the WAF `waf` protecting
 * `/ingest/transactions` on it, and the gateway exposing that path through the WAF (mTLS callers).
 */
export function buildWafLab(props: CrsWafProps = {}, app: App = Testing.app()): WafLab {
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const backend = new Workload(vps, BACKEND, {
    zone: Zone.Z1_INGESTION,
    image: Image.fromRegistry('jeffail/benthos', '4.27.0'),
    ports: [8443],
    healthCheck: HealthCheck.command(['/benthos', '--version']),
  });
  backend.addTlsIdentity({ usage: 'server' });
  const waf = new CrsWaf(vps, 'waf', props);
  const route = waf.protect(backend, { port: 8443, pathPrefix: PROTECTED_PATH });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
  gateway.expose(route.workload, { host: PUBLIC_HOST, pathPrefix: route.pathPrefix, port: route.port, auth: RouteAuth.mtls() });
  return { app, vps, waf, backend, gateway, route };
}
