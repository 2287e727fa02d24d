/**
 * Z0, the source registry: what it writes, and its invariant both ways (a source without a routed
 * connector, a connector without a source), plus bad input naming the construct and the prop.
 */
import { describe, expect, it } from 'vitest';
import { DataSourceProps, Gateway, IngestionEndpoint, MinioServer, RouteAuth, Testing, Vps, Z0Sources, Zone } from '../../lib';
import { expectClearError, ExpectedError } from '../property/support';

const TRANSACTIONS: DataSourceProps = {
  name: 'transactions', owner: 'payments-data@bank.example', classification: 'confidential',
  purpose: 'card transactions for fraud scoring under the partner agreement', identity: 'partner-a',
  contract: { fields: { id: { type: 'string' }, amount: { type: 'number', min: 0.01 } } },
};

function host() {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const staging = lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 });
  const quarantine = lake.addBucket('Quarantine', { name: 'quarantine' });
  const gateway = new Gateway(vps, 'gateway', { publicAddress: '203.0.113.10' });
  return { app, vps, staging, quarantine, gateway, sources: new Z0Sources(vps) };
}

function rejects(build: (h: ReturnType<typeof host>) => void, expected: ExpectedError): void {
  const h = host();
  build(h);
  expectClearError(() => Testing.synth(h.app), expected);
}

describe('Z0Sources', () => {
  it('writes the catalog of sources: owner, classification, purpose, sender, contract and the route in', () => {
    const h = host();
    const source = h.sources.addSource('Transactions', TRANSACTIONS);
    const ingest = source.addIngestion({ staging: h.staging, quarantine: h.quarantine });
    h.gateway.expose(ingest, { host: 'ingest.lab.example.com', pathPrefix: ingest.path, port: 8443, auth: RouteAuth.mtls() });
    const catalog = JSON.parse(Testing.synth(h.app).file('lab/sources/catalog.json'));
    expect(catalog).toEqual({
      sources: [{
        name: 'transactions', owner: 'payments-data@bank.example', classification: 'confidential',
        purpose: TRANSACTIONS.purpose, identity: 'partner-a', retentionDays: 365, contract: TRANSACTIONS.contract,
        ingestion: { service: 'ingest-transactions', routes: [{ host: 'ingest.lab.example.com', path: '/ingest/transactions' }] },
      }],
    });
    expect(ingest).toBeInstanceOf(IngestionEndpoint);
    expect(source.addIngestion({ staging: h.staging, quarantine: h.quarantine })).toBe(ingest);
  });

  it('refuses a source without an ingestion connector, and one whose connector is not routed', () => {
    rejects((h) => { h.sources.addSource('Transactions', TRANSACTIONS); }, { paths: ['lab/Z0Sources'], prop: /source 'transactions'/, allowed: /no ingestion connector: call addIngestion\(\)/ });
    rejects((h) => { h.sources.addSource('Transactions', TRANSACTIONS).addIngestion({ staging: h.staging, quarantine: h.quarantine }); }, { paths: ['lab/Z0Sources'], prop: /source 'transactions'/, allowed: /is not routed: expose it through the gateway/ });
  });

  it('refuses an ingestion connector that belongs to no registered source', () => {
    rejects((h) => {
      const rogue = new IngestionEndpoint(h.vps, 'ingest-rogue', { source: 'rogue', contract: TRANSACTIONS.contract, staging: h.staging, quarantine: h.quarantine, senders: ['partner-a'] });
      h.gateway.expose(rogue, { host: 'ingest.lab.example.com', pathPrefix: rogue.path, port: 8443, auth: RouteAuth.mtls() });
    }, { paths: ['lab/Z0Sources'], prop: /ingestion connector 'lab\/ingest-rogue'/, allowed: /belongs to no registered source/ });
  });

  it('refuses a source registered twice', () => {
    rejects((h) => { h.sources.addSource('A', TRANSACTIONS); h.sources.addSource('B', TRANSACTIONS); }, { paths: ['lab/Z0Sources'], prop: /source 'transactions' is registered twice/ });
  });
});

describe('DataSource bad input', () => {
  it.each<[Partial<DataSourceProps>, string | RegExp, RegExp]>([
    [{ name: 'Transactions' }, "prop 'name'", /lower-case letters/],
    [{ owner: 'payments team' }, "prop 'owner'", /team's address/],
    [{ classification: 'secret' as never }, "prop 'classification'", /public, internal, confidential, restricted/],
    [{ purpose: 'fraud' }, "prop 'purpose'", /why the data is collected/],
    [{ identity: 'partner a' }, "prop 'identity'", /CN or client id/],
    [{ retentionDays: 0 }, "prop 'retentionDays'", /1 to 3650/],
  ])('refuses %j', (change, prop, allowed) => {
    rejects((h) => {
      const s = h.sources.addSource('Transactions', { ...TRANSACTIONS, ...change });
      const ingest = s.addIngestion({ staging: h.staging, quarantine: h.quarantine });
      if (change.name === undefined) h.gateway.expose(ingest, { host: 'ingest.lab.example.com', pathPrefix: ingest.path, port: 8443, auth: RouteAuth.mtls() });
    }, { paths: ['lab/Z0Sources/Transactions'], prop, allowed });
  });
});

