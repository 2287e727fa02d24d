export * from './crs-waf';
export * from './modsecurity-config';
export * from './waf-nginx-config';
