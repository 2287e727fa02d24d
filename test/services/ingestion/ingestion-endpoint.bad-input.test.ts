/** Bad inputs of IngestionEndpoint: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { FieldRule, IngestionEndpointProps, IngestionEndpoint, MinioBucket, MinioServer, Testing, ValidationError, Vps, Zone } from '../../../lib';
import { expectClearError, ExpectedError } from '../../property/support';

const PATH = 'lab/ingest';
const GOOD: IngestionEndpointProps['contract'] = { fields: { id: { type: 'string', min: 1, max: 64 }, amount: { type: 'number', min: 0 } } };

interface Setup {
  readonly staging: MinioBucket;
  readonly quarantine: MinioBucket;
}

/** Builds a lab with a lake (staging, quarantine) and an endpoint whose props are `props(buckets)` over valid defaults; expects synth to fail clearly. */
function rejects(props: (s: Setup) => Partial<IngestionEndpointProps> | Record<string, unknown>, expected: Omit<ExpectedError, 'paths'> & { paths?: string[] }) {
  const app = Testing.app();
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
  const s = { staging: lake.addBucket('Staging', { name: 'staging', expireAfterDays: 3 }), quarantine: lake.addBucket('Quarantine', { name: 'quarantine' }) };
  new IngestionEndpoint(vps, 'ingest', { source: 'transactions', contract: GOOD, senders: ['partner-a'], ...s, ...props(s) } as IngestionEndpointProps);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], ...expected });
}

const field = (rule: unknown) => ({ contract: { fields: { f: rule as FieldRule } } });

describe('IngestionEndpoint bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    const app = Testing.app();
    const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
    const lake = new MinioServer(vps, 'lake', { zone: Zone.Z2_RAW_LAKE });
    new IngestionEndpoint(vps, 'ingest', { source: 'transactions', contract: GOOD, senders: ['partner-a'], staging: lake.addBucket('S', { name: 'staging' }), quarantine: lake.addBucket('Q', { name: 'quarantine' }) });
    expect(() => Testing.synth(app)).not.toThrow();
  });

  it.each([['Transactions'], ['tx source'], ['1tx'], ['tx-'], ['tx/../raw'], ['tx_a'], [''], ['a'.repeat(33)], ['tx"}'], [undefined], [42]])('refuses the source name %j', (source) => {
    rejects(() => ({ source }), { prop: "prop 'source'", allowed: /lower-case letters, digits and "-"/ });
  });

  it.each([[[]], [undefined], [null], ['partner-a']])('refuses no sender list %j (nobody could send; a missing list is not "anyone")', (senders) => {
    rejects(() => ({ senders }), { prop: "prop 'senders'", allowed: /at least one sender: the CN of a client certificate/ });
  });

  it.each([['partner a'], ['-partner'], ['a'.repeat(65)], ['partner:a'], ['CN=partner-a'], ['partner"a'], [''], [42]])('refuses the sender %j (not a certificate CN the gateway can forward)', (sender) => {
    rejects(() => ({ senders: ['partner-b', sender] }), { prop: "prop 'senders'", allowed: /certificate CNs: a letter or digit, then letters, digits, "\.", "_" or "-", at most 64/ });
  });

  it.each([[{ fields: {} }], [{}], [undefined], [null], [{ fields: 'id' }]])('refuses the empty or missing contract %j', (contract) => {
    rejects(() => ({ contract }), { prop: "prop 'contract.fields'", allowed: /at least one field/ });
  });

  it.each([['Id'], ['1id'], ['id-x'], ['id.x'], ['id x'], ['_id'], ['a'.repeat(64)], ['id"'], ['id}'], ['this.id']])('refuses the field name %j', (name) => {
    rejects(() => ({ contract: { fields: { ok: { type: 'string' }, [name]: { type: 'string' } } } }), { prop: "prop 'contract.fields'", allowed: /lower-case letters, digits and "_"/ });
  });

  it.each([['float'], ['String'], ['date'], ['object'], [undefined], [42]])('refuses the field type %j', (type) => {
    rejects(() => field({ type }), { prop: /prop 'contract\.fields\.f\.type'/, allowed: /string, number, integer, boolean, timestamp/ });
  });

  it.each([[null], ['string']])('refuses the field rule %j', (rule) => {
    rejects(() => field(rule), { prop: /prop 'contract\.fields\.f\.type'/ });
  });

  it.each<[string, FieldRule]>([
    ['number', { type: 'number', min: 10, max: 1 }],
    ['integer', { type: 'integer', min: 0.5, max: 0 }],
    ['string', { type: 'string', min: 5, max: 4 }],
  ])('refuses min > max on a %s field', (_type, rule) => {
    rejects(() => field(rule), { prop: "prop 'contract.fields.f.min'", allowed: /is above max/ });
  });

  it.each([['1'], [Number.NaN], [Number.POSITIVE_INFINITY], [null]])('refuses the bound %j', (bound) => {
    rejects(() => field({ type: 'number', min: bound }), { prop: /prop 'contract\.fields\.f\.min'/, allowed: /finite number/ });
    rejects(() => field({ type: 'number', max: bound }), { prop: /prop 'contract\.fields\.f\.max'/, allowed: /finite number/ });
  });

  it.each<[FieldRule['type']]>([['number'], ['integer'], ['boolean'], ['timestamp']])('refuses oneOf on a %s field', (type) => {
    rejects(() => field({ type, oneOf: ['1', '2'] }), { prop: /prop 'contract\.fields\.f\.oneOf'/, allowed: /string fields only/ });
  });

  it.each([
    ['a double quote', 'BRL"'],
    ['a quote closing the list and the mapping', '"].contains(this.f) || true { root = this } #'],
    ['braces', '}{'],
    ['an interpolation', '${! env("AWS_SECRET_ACCESS_KEY") }'],
    ['a backslash', 'a\\'],
    ['a newline', 'a\nroot = this'],
    ['a space', 'B RL'],
    ['an empty value', ''],
  ])('refuses a oneOf value with %s (no injection into the Bloblang mapping)', (_label, value) => {
    const err = rejects(() => field({ type: 'string', oneOf: ['BRL', value] }), { prop: /prop 'contract\.fields\.f\.oneOf'/, allowed: /letters, digits and _\.:-/ });
    expect(err).toBeInstanceOf(ValidationError);
  });

  it.each([[[]], ['BRL'], [[1, 2]], [null]])('refuses oneOf %j (not a non-empty list of strings)', (oneOf) => {
    rejects(() => field({ type: 'string', oneOf }), { prop: /prop 'contract\.fields\.f\.oneOf'/, allowed: /non-empty list/ });
  });

  it('refuses the same bucket for staging and quarantine', () => {
    rejects((s) => ({ quarantine: s.staging }), { prop: "prop 'quarantine'", allowed: /another bucket than 'staging'/ });
  });

  it.each([['staging'], ['quarantine']])('refuses a missing %s bucket', (prop) => {
    rejects(() => ({ [prop]: undefined }), { prop: `prop '${prop}'`, allowed: /required/ });
  });

  it('refuses rule keys it does not know, a non-boolean required, bounds on booleans or timestamps, and bounds beyond ±1e15', () => {
    rejects(() => field({ type: 'number', maximum: 5 } as never), { prop: "prop 'contract.fields.f.maximum'", allowed: /not a contract rule/ });
    rejects(() => field({ type: 'number', required: 'yes' } as never), { prop: "prop 'contract.fields.f.required'", allowed: /true or false/ });
    rejects(() => field({ type: 'boolean', min: 0 }), { prop: "prop 'contract.fields.f.min'", allowed: /number, integer and string fields only/ });
    rejects(() => field({ type: 'timestamp', max: 10 }), { prop: "prop 'contract.fields.f.max'", allowed: /number, integer and string fields only/ });
    rejects(() => field({ type: 'number', max: 1e21 }), { prop: "prop 'contract.fields.f.max'", allowed: /within ±1e15/ });
  });

  it('lists every problem at once, one line each', () => {
    const err = rejects(() => ({ source: 'Bad', contract: { fields: { 'Bad-Name': { type: 'string' }, n: { type: 'number', min: 2, max: 1 }, e: { type: 'string', oneOf: ['x"'] } } } }), { prop: "prop 'source'" });
    for (const part of ["prop 'source'", 'Bad-Name', "prop 'contract.fields.n.min'", "prop 'contract.fields.e.oneOf'"]) expect(err.message).toContain(part);
  });
});
