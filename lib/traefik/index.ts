export type { HttpMiddleware, HttpRouter, HttpService, TraefikDynamicConfiguration } from './generated/traefik-dynamic';
export type { TraefikStaticConfiguration } from './generated/traefik-static';
export * from './router-rule';
export * from './servers-transport';
export * from './traefik-dynamic-config';
export * from './traefik-static-config';
