export * from './tls-identity';
export * from './pki-bootstrap';
export type { CaKeyType } from './cert-builder';
export * from './spiffe-id';
