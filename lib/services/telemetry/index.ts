export * from './grafana-server';
export * from './loki-server';
export * from './otel-collector';
export * from './redaction-rules';
export type { GrafanaRoleMapping } from './grafana-settings';
