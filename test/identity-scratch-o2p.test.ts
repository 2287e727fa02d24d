import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { it } from 'vitest';
import { Gateway, HealthCheck, Image, KeycloakServer, PostgresServer, RouteAuth, SecretsBootstrap, Testing, VaultServer, Vps, Workload, Zone } from '../lib';
it('synth', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'o2p-synth-'));
  const app = Testing.app({ outdir: path.join(work, 'out'), secretsDir: path.join(work, 'secrets') });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const database = new PostgresServer(vps, 'identity-db', { zone: Zone.Z8_SECURITY, vault });
  const keycloak = new KeycloakServer(vps, 'keycloak', { hostname: 'auth.lab.example.com', realm: { realmName: 'lab' }, database, vault });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10', vault });
  keycloak.exposeVia(gateway, { allowFrom: ['127.0.0.0/8'] });
  const ui = new Workload(vps, 'registry-ui', { zone: Zone.Z5_REGISTRY, image: Image.fromRegistry('ghcr.io/acme/stand-in', '1.0.0'), ports: [8443], healthCheck: HealthCheck.command(['true']) });
  ui.addTlsIdentity({ usage: 'server' });
  gateway.expose(ui, { host: 'registry.lab.example.com', auth: RouteAuth.oidc({ roles: ['ml-sec'] }), allowFrom: ['127.0.0.0/8'] });
  const a = Testing.synth(app);
  SecretsBootstrap.run(app, { secretsDir: path.join(work, 'secrets'), chown: false });
  console.log(work);
  for (const p of a.paths()) { const f=path.join(work,'dump',p); fs.mkdirSync(path.dirname(f),{recursive:true}); fs.writeFileSync(f,a.file(p)); }
});
