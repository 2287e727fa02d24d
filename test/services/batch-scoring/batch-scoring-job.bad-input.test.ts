/** Bad inputs of BatchScoringJob: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { BatchScoringJob, BatchScoringJobProps } from '../../../lib/services/batch-scoring';
import { expectClearError, ExpectedError } from '../../property/support';
import { ScoringServers, scoringServers } from './support';

type Expected = Omit<ExpectedError, 'paths'> & { paths?: string[] };

function jobRejects(props: (s: ScoringServers) => Record<string, unknown>, expected: Expected) {
  const s = scoringServers();
  new BatchScoringJob(s.vps, 'batch-scoring', { modelServer: s.server, features: s.features, scored: s.scored, ...props(s) } as unknown as BatchScoringJobProps);
  return expectClearError(() => Testing.synth(s.app), { paths: ['lab/batch-scoring'], ...expected });
}

describe('BatchScoringJob bad input', () => {
  it('accepts the valid baseline', () => {
    const s = scoringServers();
    new BatchScoringJob(s.vps, 'batch-scoring', { modelServer: s.server, features: s.features, scored: s.scored });
    expect(() => Testing.synth(s.app)).not.toThrow();
  });

  it.each([[undefined], [{}], ['model-server'], [{ model: { name: 'x' } }]])('refuses the model server %j', (modelServer) => {
    jobRejects(() => ({ modelServer }), { prop: "prop 'modelServer'", allowed: /ModelServer/ });
  });

  it.each([[undefined], [null], ['features'], [{ database: 'features' }]])('refuses the feature source %j', (features) => {
    jobRejects(() => ({ features }), { prop: "prop 'features'", allowed: /server: PostgresServer/ });
  });

  it.each([
    ['database', 'Features'], ['schema', 'fs offline'], ['table', 'tx;drop table x'], ['table', 'pg_class'], ['entityColumn', 'id"'], ['entityColumn', undefined],
  ])('refuses features.%s = %j', (field, value) => {
    jobRejects((s) => ({ features: { ...s.features, [field]: value } }), { prop: `prop 'features.${field}'`, allowed: /lower-case identifier/ });
  });

  it.each([[[]], [undefined], ['amount_30d'], [Array.from({ length: 257 }, (_, i) => `c${i}`)]])('refuses the column list %j', (columns) => {
    jobRejects((s) => ({ features: { ...s.features, columns } }), { prop: "prop 'features.columns'", allowed: /1 to 256 feature column names/ });
  });

  it.each([[['amount_30d', 'amount 30d']], [['amount_30d', '*']], [['count(*)']]])('refuses the column name in %j', (columns) => {
    jobRejects((s) => ({ features: { ...s.features, columns } }), { prop: /prop 'features\.columns\[\d\]'/, allowed: /lower-case identifier/ });
  });

  it.each([[['amount_30d', 'amount_30d']], [['cust_id_hmac', 'amount_30d']]])('refuses a repeated column or the entity column in %j', (columns) => {
    jobRejects((s) => ({ features: { ...s.features, columns } }), { prop: "prop 'features.columns'", allowed: /each column once/ });
  });

  it.each([[0], [1001], [1.5], ['100']])('refuses the batch size %j', (batchSize) => {
    jobRejects(() => ({ batchSize }), { prop: "prop 'batchSize'", allowed: 'an integer from 1 to 1000' });
  });

  it.each([[undefined], [{ database: 'scored' }], ['scored-db']])('refuses the scored store %j', (scored) => {
    jobRejects(() => ({ scored }), { prop: "prop 'scored'", allowed: /server: PostgresServer/ });
  });

  it.each([['database', 'Scored'], ['schema', 'scored-core']])('refuses scored.%s = %j', (field, value) => {
    jobRejects((s) => ({ scored: { ...s.scored, [field]: value } }), { prop: `prop 'scored.${field}'`, allowed: /lower-case identifier/ });
  });

  it('refuses a feature database or score schema the server does not have', () => {
    jobRejects((s) => ({ features: { ...s.features, database: 'curated' } }), { prop: "prop 'database'", allowed: /addDatabase/ });
    jobRejects((s) => ({ scored: { ...s.scored, schema: 'other' } }), { prop: "prop 'schema'", allowed: /scored_core/ });
  });
});
