/** Bad inputs of the Vault constructs: each ends in a clear MlsecError naming the construct and the prop. */
import { describe, it } from 'vitest';
import { Credential, Testing, VaultServer, VaultServerProps } from '../../lib';
import { expectClearError, ExpectedError } from '../property/support';
import { labApp } from '../support/fixtures';
import { consumerWorkload } from '../services/support';

function setup(props: VaultServerProps = {}) {
  const { app, vps } = labApp();
  const vault = new VaultServer(vps, 'vault', props);
  return { app, vps, vault, api: consumerWorkload(vps, 'api') };
}

function rejects(build: (s: ReturnType<typeof setup>) => void, expected: ExpectedError, props: VaultServerProps = {}): void {
  const s = setup(props);
  build(s);
  expectClearError(() => Testing.synth(s.app), expected);
}

describe('VaultServer bad input', () => {
  it.each([['abc'], ['5d'], ['0m'], ['15 m']])('refuses tokenTtl %j', (ttl) => {
    rejects(() => undefined, { paths: ['lab/vault'], prop: "prop 'tokenTtl'", allowed: /duration/ }, { tokenTtl: ttl });
  });

  it.each([['lab/core/api'], ['lab/core/api/db/extra'], ['lab/core/API/db'], ['lab/core/../db'], ['lab/core/a b/db'], ['lab/core/"x"/db'], ['lab/core/a*/db']])('refuses the KV path %j', (path) => {
    rejects((s) => s.vault.addKvSecret('S', { path }).grantRead(s.api), { paths: ['lab/vault/S'], prop: "prop 'path'", allowed: /four segments/ });
  });

  it('refuses two KV secrets at one path and two keys with one name', () => {
    rejects((s) => { s.vault.addKvSecret('A', { path: 'lab/core/api/db' }); s.vault.addKvSecret('B', { path: 'lab/core/api/db' }); }, { paths: ['lab/vault'], prop: /addKvSecret\('B'\)/ });
    rejects((s) => { s.vault.addTransitKey('A', { name: 'k' }); s.vault.addTransitKey('B', { name: 'k' }); }, { paths: ['lab/vault'], prop: /addTransitKey\('B'\)/ });
  });

  it.each([['Key'], ['k_1'], [''], ['a'.repeat(65)], ['k"}']])('refuses the transit key name %j', (name) => {
    rejects((s) => s.vault.addTransitKey('K', { name }), { paths: ['lab/vault/K'], prop: "prop 'name'" });
  });

  it('refuses a signing grant on an encryption key and the reverse, and a derived signing key', () => {
    rejects((s) => s.vault.addTransitKey('K', { name: 'k' }).grantSign(s.api), { paths: ['lab/vault/K'], prop: /grantSign/, allowed: /not a signing key/ });
    rejects((s) => s.vault.addTransitKey('K', { name: 'k', type: 'ed25519' }).grantEncrypt(s.api), { paths: ['lab/vault/K'], prop: /grantEncrypt/, allowed: /not an encryption key/ });
    rejects((s) => s.vault.addTransitKey('K', { name: 'k', type: 'ecdsa-p256', derived: true }), { paths: ['lab/vault/K'], prop: "prop 'derived'" });
  });

  it.each([['Password'], ['pass word'], ['x}}'], ['1a']])('refuses the rendered field %j', (field) => {
    rejects((s) => s.vault.addKvSecret('S', { path: 'lab/core/api/db' }).grantRead(s.api, { fields: { [field]: 'X_FILE' } }), { paths: ['lab/vault/S'], prop: /field/ });
  });

  it.each([['DB_PASSWORD'], ['db_file'], ['X FILE']])('refuses the variable %j for a rendered field', (envVar) => {
    rejects((s) => s.vault.addKvSecret('S', { path: 'lab/core/api/db' }).grantRead(s.api, { fields: { password: envVar } }), { paths: ['lab/vault/S'], prop: /fields\.password/, allowed: /ending in FILE/ });
  });

  it('refuses granting Vault to itself', () => {
    rejects((s) => s.vault.addKvSecret('S', { path: 'lab/core/api/db' }).grantRead(s.vault), { paths: ['lab/vault'], prop: /grant/, allowed: /does not grant itself/ });
  });

  it.each([
    [{ repository: 'acme', ref: 'refs/heads/main' }, "prop 'repository'"],
    [{ repository: 'acme/lab', ref: 'main' }, "prop 'ref'"],
    [{ repository: 'acme/lab', ref: 'refs/heads/*/x' }, "prop 'ref'"],
    [{ repository: 'acme/lab', ref: 'refs/heads/main', environment: 'prod"' }, "prop 'environment'"],
    [{ repository: 'acme/lab', ref: 'refs/heads/main', audience: 'a b' }, "prop 'audience'"],
  ])('refuses the CI role %j', (props, prop) => {
    rejects((s) => s.vault.addCiRole('Ci', { name: 'release', ...props }), { paths: ['lab/vault/Ci'], prop });
  });

  it.each([
    [{ issuer: 'http://sso.example.com/realms/lab' }, "prop 'issuer'"],
    [{ redirectUris: ['https://vault.example.com/*'] }, "prop 'redirectUris'"],
    [{ redirectUris: ['http://vault.example.com/cb'] }, "prop 'redirectUris'"],
    [{ redirectUris: [] }, "prop 'redirectUris'"],
    [{ clientId: 'vault client' }, "prop 'clientId'"],
  ])('refuses the OIDC login %j', (bad, prop) => {
    rejects((s) => {
      const secret = new Credential(s.vps, 'OidcSecret', { name: 'vault-oidc-secret', description: 'Vault OIDC client secret' });
      s.vault.addOidcLogin('Oidc', { issuer: 'https://sso.example.com/realms/lab', clientId: 'vault', clientSecret: secret, redirectUris: ['https://vault.example.com/ui/vault/auth/oidc/oidc/callback'], ...bad });
    }, { paths: ['lab/vault/Oidc'], prop });
  });

  it.each([
    [{ usage: 'server', ttlHours: 73 }, /ttlHours/],
    [{ usage: 'client', ttlHours: 11 }, /ttlHours/],
    [{ usage: 'both' }, /usage/],
  ])('refuses the certificate grant %j', (options, prop) => {
    rejects((s) => s.vault.enablePki().grantIssue(s.api, options as never), { paths: ['lab/vault/Pki'], prop });
  });

  it('refuses a second certificate role for one workload', () => {
    rejects((s) => { const pki = s.vault.enablePki(); pki.grantIssue(s.api, { usage: 'server' }); pki.grantIssue(s.api, { usage: 'client' }); }, { paths: ['lab/vault/Pki'], prop: /grantIssue/, allowed: /one per workload/ });
  });

  it('refuses a second OIDC login on one server', () => {
    rejects((s) => {
      const secret = new Credential(s.vps, 'OidcSecret', { name: 'vault-oidc-secret', description: 'Vault OIDC client secret' });
      const props = { issuer: 'https://sso.example.com/realms/lab', clientId: 'vault', clientSecret: secret, redirectUris: ['https://vault.example.com/cb'] };
      s.vault.addOidcLogin('A', props);
      s.vault.addOidcLogin('B', props);
    }, { paths: ['lab/vault'], prop: /addOidcLogin\('B'\)/, allowed: /one per server/ });
  });
});

