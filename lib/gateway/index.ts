export { CLIENT_CERT_INFO_HEADER } from './client-cert-info';
export * from './gateway';
export * from './gateway-policy';
export * from './gateway-route';
export * from './route-auth';
