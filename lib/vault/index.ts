export * from './hcl/hcl-body';
export * from './vault-bootstrap-script';
export * from './vault-grants';
export * from './vault-policy';
export * from './vault-policy-rules';
export * from './vault-server';
export * from './vault-server-config';
