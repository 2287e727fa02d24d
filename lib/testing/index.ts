export * from './testing';
export * from './compose-template';
export * from './match';
export * from './matcher';
export { MatchResult } from './matcher-result';
export type { ICaptureSink, MatchFailure } from './matcher-result';
export * from './capture';
