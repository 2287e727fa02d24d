export * from './architecture-diagram';
