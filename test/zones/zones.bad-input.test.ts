/**
 * Bad input to the zone constructs and MlopsSecurityLab: each error names the construct path, the
 * prop and what is allowed — never a stack trace alone.
 */
import { describe, it } from 'vitest';
import { App, MlopsSecurityLab, MlopsSecurityLabProps, Testing, ThresholdProfile, Vps, Z0Sources, Z1Ingestion, Z2RawLake, Z3CuratedData, Z7Consumers, Z8SecurityServices } from '../../lib';
import { expectClearError } from '../property/support';

const LAB: MlopsSecurityLabProps = { domain: 'lab.example.com', publicAddress: '203.0.113.10', operators: ['198.51.100.0/24'] };

function labWith(props: Partial<MlopsSecurityLabProps>): App {
  const app = Testing.app();
  new MlopsSecurityLab(app, 'lab', { ...LAB, ...props });
  return app;
}

function parts() {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const security = new Z8SecurityServices(vps, 'Z8');
  return { app, vps, security, vault: security.vault };
}

describe('MlopsSecurityLab bad input', () => {
  it('names the lab and the prop for a bad domain, address or operator range', () => {
    expectClearError(() => Testing.synth(labWith({ domain: 'Lab_Example' })), { paths: ['lab'], prop: /domain/, allowed: /DNS name/ });
    expectClearError(() => Testing.synth(labWith({ publicAddress: '0.0.0.0' })), { paths: ['lab/Z1/gateway'], prop: /publicAddress/ });
    expectClearError(() => Testing.synth(labWith({ operators: ['0.0.0.0/0'] })), { paths: ['lab/Z1/gateway'], prop: /allowFrom/ });
  });

  it('refuses thresholds that contradict each other', () => {
    const thresholds = ThresholdProfile.bank().with('broken', { psi: { watch: 0.3, hold: 0.2, demote: 0.25 } });
    expectClearError(() => Testing.synth(labWith({ thresholds })), { paths: ['lab'], prop: /thresholds\.psi/, allowed: /watch < hold <= demote/ });
    expectClearError(() => Testing.synth(labWith({ thresholds: ThresholdProfile.bank().with('lax', { aucMin: 0.3 }) })), { paths: ['lab'], prop: /thresholds\.aucMin/ });
  });

  it('refuses a consumer without scopes or with a free-text purpose', () => {
    expectClearError(() => Testing.synth(labWith({ consumers: [{ clientId: 'bi', purpose: 'credit_decisioning', scopes: [] }] })), { paths: ['lab/Z7'], prop: /scopes/, allowed: /at least one API scope/ });
    expectClearError(() => Testing.synth(labWith({ consumers: [{ clientId: 'bi', purpose: 'Whatever they need', scopes: ['predict:online'] }] })), { paths: ['lab/Z7'], prop: /purpose/, allowed: /snake_case/ });
  });

  it('refuses to serve a model without a release role (nothing could sign or publish its release)', () => {
    expectClearError(() => labWith({ models: [{ name: 'fraud-score' }] }), { paths: ['lab/Z6'], prop: /releaseRole/, allowed: /the CI role that signs releases/ });
  });

  it('refuses a second LLM gateway and a model on a host outside the egress allow-list', () => {
    const llm = { systemPrompt: 'You are the assistant.', allowedHosts: ['api.openai.com'], allowedRegions: ['us'], models: [{ name: 'chat', provider: 'openai' as const, model: 'gpt-4o-mini', apiBase: 'https://evil.example.net/v1', region: 'us' }] };
    expectClearError(() => Testing.synth(labWith({ llm })), { paths: ['lab/Z6/llm-gateway'], prop: /apiBase/, allowed: /allowedHosts/ });
    const lab = new MlopsSecurityLab(Testing.app(), 'lab', { ...LAB, llm: { ...llm, models: [] } });
    expectClearError(() => lab.serving.addLlmGateway({ ...llm, models: [] }), { paths: ['lab/Z6'], prop: /addLlmGateway/, allowed: /one gateway holds all provider keys/ });
  });

  it('Z9: scraping as the gateway something that is not a Gateway, or the gateway twice', () => {
    const lab = new MlopsSecurityLab(Testing.app(), 'lab', LAB);
    expectClearError(() => lab.observability.scrapeGateway(lab.factory.mlflow as never), { paths: ['lab/Z9'], prop: /scrapeGateway/, allowed: /must be a Gateway/ });
    lab.observability.scrapeGateway(lab.ingestion.gateway);
    expectClearError(() => Testing.synth(lab.node.root as App), { paths: ['lab/Z9/prometheus'], prop: /'gateway' is already a scrape target/ });
  });
});

describe('zone bad input', () => {
  it('Z2: a staging expiry beyond 3 days', () => {
    const { app, vps, vault } = parts();
    new Z2RawLake(vps, 'Z2', { vault, stagingExpiryDays: 7 });
    expectClearError(() => Testing.synth(app), { paths: ['lab/Z2'], prop: /stagingExpiryDays/, allowed: /1 to 3|1 and 3|between 1 and 3|at most 3|3/ });
  });

  it('Z3: a dataset with personal data that is not restricted, and one without a legal basis', () => {
    const { app, vps, vault } = parts();
    const curated = new Z3CuratedData(vps, 'Z3', { vault, lake: new Z2RawLake(vps, 'Z2', { vault }) });
    curated.addDataset({ name: 'risk_customers_v1', owner: 'risk@bank.example', classification: 'confidential', purpose: 'credit risk', legalBasis: 'contract', retentionDays: 365, piiColumns: ['cpf'] });
    expectClearError(() => Testing.synth(app), { paths: ['lab/Z3'], prop: /classification/, allowed: /must be 'restricted'/ });
    const again = parts();
    new Z3CuratedData(again.vps, 'Z3', { vault: again.vault, lake: new Z2RawLake(again.vps, 'Z2', { vault: again.vault }) })
      .addDataset({ name: 'Risk-Customers', owner: 'risk@bank.example', classification: 'internal', purpose: 'credit risk', legalBasis: '', retentionDays: 365 });
    expectClearError(() => Testing.synth(again.app), { paths: ['lab/Z3'], prop: /legalBasis|name/, allowed: /required|_v<major>/ });
  });

  it('Z1: admitting a source without a lake', () => {
    const { vps, vault } = parts();
    const ingestion = new Z1Ingestion(vps, 'Z1', { publicAddress: '203.0.113.10', vault, lake: undefined as never });
    const sources = new Z0Sources(vps, 'Z0');
    const source = sources.addSource('S', { name: 'tx', owner: 'o@bank.example', classification: 'internal', purpose: 'p', identity: 'partner', contract: { fields: { id: { type: 'string' } } } });
    expectClearError(() => ingestion.admit(source), { paths: ['lab/Z1'], prop: /lake/, allowed: /Z2RawLake/ });
  });

  it.each<[string, unknown]>([
    ['no reason', { enabled: false }],
    ['a reason too short to say why', { enabled: false, reason: 'no' }],
    ['`true` (on is the default; there is nothing to set)', true],
    ['`false` without a reason', false],
  ])('Z1: the malware scan turned off with %s', (_label, malwareScan) => {
    expectClearError(() => Testing.synth(labWith({ malwareScan } as never)), { paths: ['lab/Z1'], prop: /malwareScan/, allowed: /enabled: false, reason/ });
  });

  it('Z7: consumers added to the realm directly have no Vault-held secret', () => {
    const { app, vps, security } = parts();
    new Z7Consumers(vps, 'Z7', { keycloak: security.keycloak });
    security.realm.addServiceAccountClient('Rogue', { clientId: 'rogue-app', audiences: ['inference-gw'] });
    expectClearError(() => Testing.synth(app), { paths: ['lab/Z8/keycloak'], prop: /MLSEC_KC_CLIENT_SECRET_ROGUE_APP/, allowed: /addServiceAccountClient\(\) on this KeycloakServer/ });
  });
});
