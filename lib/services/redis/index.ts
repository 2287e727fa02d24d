export * from './redis-acl';
export * from './redis-config';
export * from './redis-grant';
export * from './redis-server';
