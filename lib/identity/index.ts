export * from './keycloak-server';
export * from './oidc-proxy';
