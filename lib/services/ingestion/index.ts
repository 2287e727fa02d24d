export * from './ingestion-contract';
export * from './ingestion-endpoint';
