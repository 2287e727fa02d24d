export * from './registry-gate';
export * from './registry-gate-config';
