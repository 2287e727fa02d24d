export * from './data-source';
export * from './z0-sources';
