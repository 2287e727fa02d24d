export * from './postgres-grant';
export * from './postgres-names';
export * from './postgres-server';
export * from './scram-verifier';
