export * from './alert-thresholds';
export * from './security-alert-rule';
export * from './alert-rules-document';
export * from './alertmanager-config';
export * from './alertmanager-server';
export * from './prometheus-config';
export * from './prometheus-server';
export * from './web-config';
