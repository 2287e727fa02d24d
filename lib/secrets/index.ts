export * from './credential';
export * from './secret-render-context';
export * from './secret-delivery';
export * from './secret-source';
export * from './secrets-bootstrap';
