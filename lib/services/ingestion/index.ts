export * from './ingestion-contract';
export * from './ingestion-endpoint';
export * from './staging-promoter';
