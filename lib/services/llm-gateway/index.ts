export * from './llm-filters';
export * from './llm-gateway';
export * from './llm-request-filter';
