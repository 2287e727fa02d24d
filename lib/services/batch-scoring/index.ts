export * from './batch-scoring-job';
export * from './scored-api';
export { ENTITY_ID_PATTERN, SCORED_COLUMNS, SCORED_SCHEMA, scoredTableOf, scoredTableSql } from './scored-store';
export type { ScoredStore } from './scored-store';
export type { ScoredApiDecisionPoint } from './scored-api-authz';
