export * from './opa-policy';
export * from './opa-policy-types';
export * from './opa-server';
