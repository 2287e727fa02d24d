export * from './curated-data-broker';
