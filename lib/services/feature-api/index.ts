export * from './feature-api';
