export * from './gateway';
export * from './gateway-policy';
export * from './gateway-route';
export * from './route-auth';
