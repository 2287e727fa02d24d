import { App, Gateway, KeycloakServer, PostgresServer, Testing, VaultServer, Vps, Zone } from '../../lib';

/** The operators' source range the admin routes are limited to. */
export const OPERATORS = ['198.51.100.0/24'];

/** The identity part of the reference lab: Vault, identity-db, Keycloak and a gateway that uses it as IdP. */
export function identityHost(): { app: App; vps: Vps; vault: VaultServer; keycloak: KeycloakServer; gateway: Gateway } {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const database = new PostgresServer(vps, 'identity-db', { zone: Zone.Z8_SECURITY, vault });
  const keycloak = new KeycloakServer(vps, 'keycloak', { hostname: 'auth.lab.example.com', realm: { realmName: 'lab' }, database, vault });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10', vault });
  gateway.useIdentityProvider(keycloak);
  return { app, vps, vault, keycloak, gateway };
}
