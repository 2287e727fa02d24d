export * from './benthos-service';
