/**
 * CuratedDataBroker: the compose service, the generated Benthos config (one fixed, parametrized
 * statement per published dataset) and the PostgreSQL grant, asserted control by control; the
 * config through `benthos lint`, and its request and page mappings through `benthos blobl`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Testing, Workload } from '../../../lib';
import { datasetQuery } from '../../../lib/services/data-broker';
import { lintBenthos, runBlobl } from '../../support/real-servers/benthos';
import { brokerHost, CUSTOMERS, TRANSACTIONS } from './support';

const h = brokerHost();
const assembly = Testing.synth(h.app);
const configText = assembly.file('lab/data-broker/benthos.yaml');
const config = parse(configText);
const compose = parse(assembly.file('lab/docker-compose.yml'));
const svc = compose.services['data-broker'];
const withVault = brokerHost({ vault: true });
const vaultAssembly = Testing.synth(withVault.app);
const vaultConfig = parse(vaultAssembly.file('lab/data-broker/benthos.yaml'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-data-broker-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The processors of one dataset's switch case. */
const caseOf = (c: any, name: string) => (c.pipeline.processors[1].switch as any[]).find((x) => x.check === `this.dataset == "${name}"`).processors as any[];
const sqlOf = (c: any, name: string) => caseOf(c, name)[1].switch[0].processors[0].sql_raw;

describe('CuratedDataBroker: the compose service', () => {
  it('is a hardened Z3 service (it sits with the data), exposing only 8443 (and 4195, metrics), with no health check (reason recorded)', () => {
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc['x-mlsec'].zone).toBe('z3');
    expect(svc['x-mlsec'].role).toBe('access-broker');
    expect(svc.expose).toEqual(['8443', '4195']);
    expect(svc.ports).toBeUndefined();
    expect(svc.healthcheck).toBeUndefined();
    expect(svc['x-mlsec'].overrides).toEqual([{ control: 'healthcheck', setting: 'none', reason: expect.stringMatching(/FROM scratch/) }]);
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.user).toBe('10001:10001');
  });

  it('flows only to the curated database; the Z4 clients flow only to the broker, never to the store', () => {
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'curated-db', port: 5432 }]);
    expect(compose.services['training-worker']['x-mlsec'].flows).toEqual([{ to: 'data-broker', port: 8443 }]);
    expect(compose.services.workbench['x-mlsec'].flows).toEqual([{ to: 'data-broker', port: 8443 }]);
    const z4 = Object.entries(compose.services as Record<string, any>).filter(([, s]) => s['x-mlsec']?.zone === 'z4');
    for (const [, s] of z4) expect((s.networks as string[]).some((n) => (compose.services['curated-db'].networks as string[]).includes(n) && !(svc.networks as string[]).includes(n))).toBe(false);
    const inbound = Object.entries(compose.services as Record<string, any>).filter(([, s]) => (s['x-mlsec']?.flows ?? []).some((f: any) => f.to === 'curated-db')).map(([n]) => n);
    expect(inbound).toEqual(['data-broker']);
  });

  it('holds a client certificate, the CA and its clients’ token digests (an env file), and no password', () => {
    expect((svc.secrets as { target: string }[]).map((s) => s.target).sort()).toEqual(['ca.crt', 'data-broker-clients.env', 'tls.crt', 'tls.key']);
    expect(svc.command).toEqual(['--env-file', '/run/secrets/data-broker-clients.env', '-c', '/etc/benthos/benthos.yaml']);
    expect(JSON.stringify(svc.environment)).not.toMatch(/PASS/);
    expect(configText).not.toMatch(/password|PGPASS/i);
  });

  it('gives each client the URL, the CA and its own bearer token file', () => {
    for (const client of ['training-worker', 'workbench']) {
      const c = compose.services[client];
      expect(c.environment).toMatchObject({
        MLSEC_DATA_BROKER_URL: 'https://data-broker:8443', MLSEC_DATA_BROKER_CA_FILE: '/run/secrets/ca.crt', MLSEC_DATA_BROKER_TOKEN_FILE: '/run/secrets/data-broker-token',
      });
      expect(c.secrets).toContainEqual({ source: `${client}.data-broker-token`, target: 'data-broker-token' });
    }
  });
});

describe('CuratedDataBroker with Vault: no secret from a bootstrap file', () => {
  const vaultCompose = parse(vaultAssembly.file('lab/docker-compose.yml'));
  const kvRules = (w: Workload) => withVault.vault!.policyOf(w)!.ruleList.map((r) => r.path).filter((x) => x.startsWith('kv/'));

  it('has its agent render the clients\' token digests from KV paths only it may read', () => {
    const broker = vaultCompose.services['data-broker'];
    expect(broker.command).toEqual(['--env-file', '/run/vault/data-broker-clients.env', '-c', '/etc/benthos/benthos.yaml']);
    expect(broker.secrets).toEqual([{ source: 'data-broker.ca.crt', target: 'ca.crt' }]);
    expect(kvRules(withVault.broker)).toEqual(['kv/data/lab/core/data-broker/token-training-worker', 'kv/data/lab/core/data-broker/token-workbench']);
    expect(vaultAssembly.file('lab/vault/agent/data-broker/data-broker-clients.env.ctmpl')).toBe(
      'MLSEC_DATA_BROKER_CLIENTS=training-worker={{ with secret "kv/data/lab/core/data-broker/token-training-worker" }}{{ .Data.data.sha256 }}{{ end }},'
      + 'workbench={{ with secret "kv/data/lab/core/data-broker/token-workbench" }}{{ .Data.data.sha256 }}{{ end }}\n',
    );
  });

  it('has each client\'s agent render its own token from a KV path only it may read; the bootstrap seeds token and digest', () => {
    for (const [client, w] of [['training-worker', withVault.worker], ['workbench', withVault.workbench]] as const) {
      const c = vaultCompose.services[client];
      expect(c.environment).toMatchObject({ MLSEC_DATA_BROKER_URL: 'https://data-broker:8443', MLSEC_DATA_BROKER_TOKEN_FILE: '/run/vault/data-broker-token' });
      expect(c.secrets).toEqual([{ source: `${client}.ca.crt`, target: 'ca.crt' }]);
      expect(kvRules(w)).toEqual([`kv/data/lab/core/${client}/data-broker`]);
      expect(vaultAssembly.file(`lab/vault/agent/${client}/data-broker-token.ctmpl`)).toBe(`{{- with secret "kv/data/lab/core/${client}/data-broker" -}}{{ .Data.data.token }}{{- end -}}\n`);
      const bootstrap = vaultAssembly.file('lab/vault/bootstrap.sh');
      expect(bootstrap).toContain(`kv put -mount=kv lab/core/${client}/data-broker token=@"$S/seed-data-broker-client-${client}" >/dev/null`);
      expect(bootstrap).toContain(`kv put -mount=kv lab/core/data-broker/token-${client} sha256=@"$S/seed-data-broker-client-${client}.sha256" >/dev/null`);
    }
    for (const p of vaultAssembly.paths()) expect(vaultAssembly.file(p), p).not.toMatch(/MLSEC_DATA_BROKER_CLIENTS=[a-z0-9-]+=[0-9a-f]{64}/);
  });
});

describe('CuratedDataBroker: the grant', () => {
  it('is SELECT on curated_core only, by certificate, as its own role with a connection per dataset', () => {
    expect(h.curatedDb.grantsMade.map((g) => [g.serviceName, g.role, g.database, g.schema, g.privileges.join(','), g.authentication, g.connectionLimit]))
      .toEqual([['data-broker', 'data_broker', 'curated', 'curated_core', 'SELECT', 'cert', 16]]);
    expect(assembly.file('lab/curated-db/pg_hba.conf')).toMatch(/^hostssl\s+curated\s+data_broker\s+samenet\s+cert map=mlsec$/m);
    expect(assembly.file('lab/curated-db/pg_ident.conf')).toMatch(/^mlsec data-broker data_broker$/m);
    const sql = assembly.file('lab/curated-db/initdb/10-mlsec-roles.sql');
    expect(sql).toMatch(/GRANT SELECT ON ALL TABLES IN SCHEMA "curated_core" TO "data_broker";/);
    expect(sql).not.toMatch(/GRANT (INSERT|UPDATE|DELETE|TRUNCATE)[^;]*"data_broker"/);
    expect(sql).not.toMatch(/CREATE ON SCHEMA[^;]*"data_broker"/);
  });
});

describe('CuratedDataBroker: the Benthos config', () => {
  it('serves GET /datasets/<published name> only, over TLS, rate-limited, Benthos’ own server for HTTPS metrics only', () => {
    expect(config.http).toEqual({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false, cert_file: '/run/secrets/tls.crt', key_file: '/run/secrets/tls.key' });
    expect(config.metrics).toEqual({ prometheus: {} });
    expect(config.input).toEqual({
      http_server: {
        address: '0.0.0.0:8443',
        path: '/datasets/{dataset:(?:risk_transactions_v1|risk_customers_v1)}',
        ws_path: '',
        allowed_verbs: ['GET'],
        timeout: '7s',
        rate_limit: 'data_broker',
        cert_file: '/run/secrets/tls.crt',
        key_file: '/run/secrets/tls.key',
        sync_response: {
          status: '${! meta("http_status") }',
          headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
        },
      },
    });
    expect(config.rate_limit_resources).toEqual([{ label: 'data_broker', local: { count: 20, interval: '1s' } }]);
    expect(config.output).toEqual({ sync_response: {} });
    // Anything else: 404; any failure: a generic 503 (no table, host or SQL).
    const cases = config.pipeline.processors[1].switch as any[];
    expect(cases.map((c) => c.check)).toEqual(['this.caller == ""', 'this.dataset == "risk_transactions_v1"', 'this.dataset == "risk_customers_v1"', undefined]);
    expect(cases[0].processors[0].mapping).toMatch(/http_status = "401"/);
    expect(cases[3].processors[0].mapping).toMatch(/http_status = "404"/);
    // The caller is the client whose token digest matches; headers and cookies are all dropped.
    expect(config.pipeline.processors[0].mapping).toMatch(/^let tokens = env\("MLSEC_DATA_BROKER_CLIENTS"\)\.or\(""\)\n/);
    expect(config.pipeline.processors[0].mapping).toMatch(/\nmeta = deleted\(\)\n/);
    expect(config.pipeline.processors[2]).toEqual({ catch: [{ mapping: 'meta = deleted()\nmeta http_status = "503"\nroot = {"error": "unavailable"}' }] });
  });

  it('runs one fixed statement per dataset: exactly its columns of its table, the request only as bound parameters', () => {
    const tx = sqlOf(config, 'risk_transactions_v1');
    expect(tx.query).toBe('SELECT "id", "amount", "channel", "occurred_at" FROM "curated_core"."transactions" WHERE "id" IS NOT NULL AND ("id" > $1 OR $1 IS NULL) ORDER BY "id" LIMIT $2');
    expect(tx.args_mapping).toBe('root = [ this.after, this.fetch ]');
    expect(tx.unsafe_dynamic_query).toBeUndefined();
    expect(tx.query).not.toMatch(/\$\{|\*/);
    expect(sqlOf(config, 'risk_customers_v1').query).toBe(datasetQuery({ ...CUSTOMERS, keyColumn: 'customer_token' }));
    expect(sqlOf(config, 'risk_customers_v1').query).toMatch(/^SELECT "customer_token", "segment" FROM "curated_core"."customers" WHERE "customer_token" IS NOT NULL/);
    // The statement runs only for a request that passed validation, by a caller given the dataset.
    expect(caseOf(config, 'risk_transactions_v1')[1].switch[0].check).toBe('@http_status == "200"');
    expect(caseOf(config, 'risk_transactions_v1')[0].mapping).toMatch(/^let allowed = \["training-worker"\]\.contains\(this\.caller\)\n/);
    expect(caseOf(config, 'risk_customers_v1')[0].mapping).toMatch(/^let allowed = \["training-worker","workbench"\]\.contains\(this\.caller\)\n/);
  });

  it('logs in by certificate (verify-full), in read-only transactions with a statement timeout, one connection per dataset', () => {
    const tx = sqlOf(config, 'risk_transactions_v1');
    expect(tx.driver).toBe('postgres');
    expect(tx.dsn).toBe('postgres://data_broker@curated-db:5432/curated?sslmode=verify-full&sslrootcert=/run/secrets/ca.crt&sslcert=/run/secrets/tls.crt&sslkey=/run/secrets/tls.key&connect_timeout=10&statement_timeout=5000&default_transaction_read_only=on');
    expect([tx.conn_max_open, tx.conn_max_idle]).toEqual([1, 1]);
    // With Vault: the agent-rendered certificate; still no password.
    expect(sqlOf(vaultConfig, 'risk_transactions_v1').dsn).toMatch(/^postgres:\/\/data_broker@curated-db:5432\/curated\?sslmode=verify-full&sslrootcert=\/run\/secrets\/ca\.crt&sslcert=\/run\/vault\/[^&]+\.crt&sslkey=\/run\/vault\/[^&]+\.key&/);
  });

  it('passes benthos lint', () => {
    const file = path.join(work, 'benthos.yaml');
    fs.writeFileSync(file, configText);
    const r = lintBenthos(file, { MLSEC_DATA_BROKER_CLIENTS: '' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const vaultFile = path.join(work, 'benthos-vault.yaml');
    fs.writeFileSync(vaultFile, vaultAssembly.file('lab/data-broker/benthos.yaml'));
    expect(lintBenthos(vaultFile, { MLSEC_DATA_BROKER_CLIENTS: '' }).status).toBe(0);
  });

  it('reads like this (snapshot)', async () => {
    await expect(configText).toMatchFileSnapshot('__snapshots__/benthos.yaml');
  });
});

describe('CuratedDataBroker: the request checks (benthos blobl)', () => {
  const validate = (name: string) => {
    const file = path.join(work, `${name}.blobl`);
    // The mapping's metadata writes are what the switch reads: print them beside the document.
    fs.writeFileSync(file, `${caseOf(config, name)[0].mapping}\nroot.status = @http_status\nroot.page = @page_limit\n`);
    return (input: object) => runBlobl(file, JSON.stringify({ caller: 'training-worker', ...input }));
  };

  it.each([
    [{ after: null, limit: null }, { after: null, fetch: 4, status: '200', page: '3' }],
    [{ after: '42', limit: '2' }, { after: '42', fetch: 3, status: '200', page: '2' }],
    [{ after: '-7', limit: '999999' }, { after: '-7', fetch: 4, status: '200', page: '3' }],
    [{ after: "1 OR 1=1", limit: null }, { error: 'bad request', status: '400', page: '0' }],
    [{ after: "1'; DROP TABLE curated_core.transactions; --", limit: '1' }, { error: 'bad request', status: '400', page: '0' }],
    [{ after: null, limit: '1; SELECT pg_read_file(\'/etc/passwd\')' }, { error: 'bad request', status: '400', page: '0' }],
    [{ after: null, limit: '0' }, { error: 'bad request', status: '400', page: '0' }],
    [{ after: null, limit: '-1' }, { error: 'bad request', status: '400', page: '0' }],
    [{ after: '', limit: null }, { error: 'bad request', status: '400', page: '0' }],
    [{ after: '1234567890123456789', limit: null }, { error: 'bad request', status: '400', page: '0' }],
  ])('integer key: %j → %j', async (input, expected) => {
    const r = await validate(TRANSACTIONS.name)({ dataset: TRANSACTIONS.name, ...input });
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.output!)).toEqual(expected);
  });

  it.each([
    [{ caller: 'workbench', after: null, limit: null }, { error: 'forbidden', status: '403', page: '0' }],
    [{ caller: '', after: null, limit: null }, { error: 'forbidden', status: '403', page: '0' }],
  ])('a caller not given the dataset: %j → %j', async (input, expected) => {
    const r = await validate(TRANSACTIONS.name)({ dataset: TRANSACTIONS.name, ...input });
    expect(JSON.parse(r.output!)).toEqual(expected);
  });

  it.each([
    [{ caller: 'workbench', after: 'tok_ABC-12.3:4', limit: '10' }, '200'],
    [{ after: "x' OR 'a'='a", limit: null }, '400'],
    [{ after: '../etc', limit: null }, '400'],
    [{ after: 'a'.repeat(129), limit: null }, '400'],
  ])('text key: %j → %s', async (input, status) => {
    const r = await validate(CUSTOMERS.name)({ dataset: CUSTOMERS.name, ...input });
    expect(JSON.parse(r.output!).status).toBe(status);
  });
});
