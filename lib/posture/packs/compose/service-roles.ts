import type { ComposeService } from './compose-services';
import { asMap } from './compose-values';
import { parseImage } from './image-reference';

/**
 * What a service is, for the rules whose verdict depends on it (who may publish ports, add
 * NET_BIND_SERVICE or IPC_LOCK, join a public network). A synthesized service says so in
 * `x-mlsec.role`; a hand-written one is recognised by its image name.
 */

/** The `x-mlsec.role` a service declares, if any. */
export function declaredRole(service: ComposeService): string | undefined {
  const role = asMap(service.data['x-mlsec'])?.role;
  return typeof role === 'string' ? role : undefined;
}

/** Image names of reverse proxies (the edge gateway). */
const PROXY_IMAGES = /^(traefik|nginx|nginx-unprivileged|openresty|caddy|haproxy|envoy)$/;

/** Image names of backends that must sit behind the proxy (stores, secrets, identity, ML tooling). */
const BACKEND_IMAGES =
  /^(postgres|postgresql|postgis|timescaledb|mysql|mariadb|mongo|mongodb|redis|redis-stack|redis-stack-server|valkey|memcached|minio|vault|openbao|keycloak|mlflow|jupyter|jupyterhub|jupyterlab|[a-z0-9-]*-notebook|clickhouse-server|clickhouse|elasticsearch|opensearch|rabbitmq|kafka|etcd|kes)$/;

/** Helper images that sit next to a backend but are not one. */
const HELPER_IMAGE = /(^|[-_])(exporter|proxy|agent|client|cli|backup)($|[-_])/;

/** Image names of Docker-API socket proxies. */
const SOCKET_PROXY_IMAGES = /(^|[-_])socket-proxy$|^docker-socket-proxy$/;

function imageName(service: ComposeService): string {
  return parseImage(service.data.image)?.name ?? '';
}

/** Whether the service is the edge reverse proxy (`x-mlsec.role: edge-gateway`, or a proxy image). */
export function isEdgeProxy(service: ComposeService): boolean {
  const role = declaredRole(service);
  if (role !== undefined) return role === 'edge-gateway';
  const name = imageName(service);
  return PROXY_IMAGES.test(name) && !HELPER_IMAGE.test(name);
}

/** Whether the service declares itself the platform's one way out (the LLM gateway, an egress proxy); ZONE-08 checks there is only that one. */
export function isEgressGateway(service: ComposeService): boolean {
  const role = declaredRole(service);
  return role === 'llm-gateway' || role === 'egress-proxy';
}

/** Whether the service is a backend (data store, Vault, Keycloak, MLflow, MinIO, Jupyter …). */
export function isBackend(service: ComposeService): boolean {
  const role = declaredRole(service);
  if (role === 'data-store') return true;
  if (role === 'edge-gateway') return false;
  const name = imageName(service);
  return BACKEND_IMAGES.test(name) && !HELPER_IMAGE.test(name);
}

/** Whether the service runs Vault or OpenBao (the one image that needs IPC_LOCK for mlock). */
export function isSecretsStore(service: ComposeService): boolean {
  return /^(vault|openbao)$/.test(imageName(service));
}

/**
 * Whether the service is a dedicated Docker-API socket proxy, by `x-mlsec.role: socket-proxy` or
 * its image (e.g. tecnativa/docker-socket-proxy); a service name alone does not qualify.
 */
export function isSocketProxy(service: ComposeService): boolean {
  const role = declaredRole(service);
  return role !== undefined ? role === 'socket-proxy' : SOCKET_PROXY_IMAGES.test(imageName(service));
}
