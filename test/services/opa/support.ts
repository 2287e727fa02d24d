import { HealthCheck, Image, Testing, VaultServer, Vps, Workload, Zone } from '../../../lib';
import { OpaPolicy, OpaServer } from '../../../lib/services/opa';

/** A workload of the lab that calls the PDP. */
export function client(vps: Vps, id: string, zone: Zone): Workload {
  return new Workload(vps, id, { zone, image: Image.fromRegistry(`ghcr.io/acme/${id}`, '1.0.0'), ports: [8443], healthCheck: HealthCheck.command(['true']) });
}

/**
 * The PDP of the catalog: Z1 route allow-map, Z6 inference scope, Z5 registry download; the model
 * gateway may ask about inference, the registry fetcher about downloads, and the batch job holds a
 * lab certificate but no grant.
 */
export function pdpHost(options: { outdir?: string; secretsDir?: string } = {}) {
  const app = Testing.app(options);
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const opa = new OpaServer(vps, 'opa', { vault });
  opa.addPolicy(OpaPolicy.routeAllowList({ package: 'z1.ingest', routes: [
    { client: 'partner-a', pathPrefix: '/ingest/partner-a/', methods: ['POST'] },
    { client: 'partner-b', pathPrefix: '/ingest/partner-b/', methods: ['POST', 'PUT'] },
  ] }));
  opa.addPolicy(OpaPolicy.inferenceScope({ package: 'z6.inference', models: [{ name: 'churn', versions: ['v2'], tenants: ['acme'] }, { name: 'fraud', versions: ['v1', 'v2'] }] }));
  opa.addPolicy(OpaPolicy.registryDownload({ package: 'z5.registry.download' }));
  const gateway = client(vps, 'model-gateway', Zone.Z6_SERVING);
  const fetcher = client(vps, 'model-fetcher', Zone.Z6_SERVING);
  const batch = client(vps, 'batch-job', Zone.Z6_SERVING);
  const gatewayGrant = opa.grantQuery(gateway, { packages: ['z6.inference'] });
  const fetcherGrant = opa.grantQuery(fetcher, { packages: ['z5.registry.download'] });
  // A valid lab client certificate, and no grant.
  vault.enablePki().grantIssue(batch, { usage: 'client' });
  return { app, vps, vault, opa, gateway, fetcher, batch, gatewayGrant, fetcherGrant };
}
