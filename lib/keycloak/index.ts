export * from './keycloak-realm';
export * from './keycloak-client';
export { ABAC_ATTRIBUTES, BROWSER_SECURITY_HEADERS, GROUP_CATALOG, MFA_REQUIRED_ROLE, PASSWORD_POLICY, ROLE_CATALOG } from './realm-defaults';
export type { AbacAttribute, CatalogGroup } from './realm-defaults';
export { BROWSER_FLOW } from './realm-flows';
