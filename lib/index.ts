export * from './core';
export * from './compose';
export * from './workload';
export * from './posture';
export * from './pki';
export * from './secrets';
export * from './services';
export * from './testing';
