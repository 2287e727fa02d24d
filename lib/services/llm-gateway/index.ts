export * from './llm-filters';
export * from './llm-gateway';
