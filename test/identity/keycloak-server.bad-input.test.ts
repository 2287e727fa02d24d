/** Bad inputs of KeycloakServer: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { KeycloakServer, KeycloakServerProps, PostgresServer, Testing, VaultServer, Vps, Zone } from '../../lib';
import { expectClearError, ExpectedError } from '../property/support';

const PATH = 'lab/keycloak';

interface Setup {
  readonly vault: VaultServer;
  readonly database: PostgresServer;
}

/** A lab with Vault and identity-db, and a KeycloakServer whose props are `props(setup)` over valid defaults. */
function build(props: (s: Setup) => Partial<KeycloakServerProps> | Record<string, unknown>) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const vault = new VaultServer(vps, 'vault');
  const database = new PostgresServer(vps, 'identity-db', { zone: Zone.Z8_SECURITY, vault });
  const make = () => new KeycloakServer(vps, 'keycloak', { hostname: 'auth.lab.example.com', realm: { realmName: 'lab' }, database, vault, ...props({ vault, database }) } as KeycloakServerProps);
  return { app, make };
}

/** Construction and synth together must fail clearly. */
function rejects(props: (s: Setup) => Partial<KeycloakServerProps> | Record<string, unknown>, expected: Omit<ExpectedError, 'paths'> & { paths?: string[] }) {
  const { app, make } = build(props);
  return expectClearError(() => {
    make();
    Testing.synth(app);
  }, { paths: [PATH], ...expected });
}

describe('KeycloakServer bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const { app, make } = build(() => ({}));
    make();
    expect(() => Testing.synth(app)).not.toThrow();
  });

  it.each([['Auth.lab.example.com'], ['https://auth.lab.example.com'], ['auth lab'], ['auth.lab.example.com/'], [''], ['auth_lab.example.com'], [undefined], [42]])('refuses the hostname %j', (hostname) => {
    rejects(() => ({ hostname }), { prop: "prop 'hostname'", allowed: /lower-case DNS name/ });
  });

  it.each([['Lab'], ['lab_1'], ['-lab'], [''], ['a'.repeat(40)], [undefined]])('refuses the realm name %j', (realmName) => {
    rejects(() => ({ realm: { realmName } }), { paths: [`${PATH}/Realm`], prop: "prop 'realmName'", allowed: /lower-case letters/ });
  });

  it('refuses the master realm', () => {
    rejects(() => ({ realm: { realmName: 'master' } }), { paths: [`${PATH}/Realm`], prop: "prop 'realmName'", allowed: /master/ });
  });

  it.each([[undefined], [null], ['identity-db'], [{}]])('refuses the database %j (not a PostgresServer)', (database) => {
    rejects(() => ({ database }), { prop: "prop 'database'", allowed: /PostgresServer/ });
  });

  it.each([[undefined], [null], ['vault'], [{}]])('refuses the vault %j (not a VaultServer)', (vault) => {
    rejects(() => ({ vault }), { prop: "prop 'vault'", allowed: /VaultServer/ });
  });

  it('names both when the database and the vault are missing', () => {
    const err = rejects(() => ({ database: undefined, vault: undefined }), { prop: "prop 'database'" });
    expect(err.message).toContain("prop 'vault'");
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('refuses missing props altogether', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    expectClearError(() => new KeycloakServer(vps, 'keycloak', undefined as unknown as KeycloakServerProps), { paths: [PATH], prop: "prop 'database'" });
  });
});
