import type { PostureModel } from '../../posture-model';
import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { CliOption, traefikCliOptions } from './cli-options';
import { entriesOf, hasKey, isFalse, isRecord, isTrue, itemsOf, stringOf } from './value-readers';

/** The static providers that read the container runtime. */
const RUNTIME_PROVIDERS = ['docker', 'swarm'] as const;

/**
 * Services that must never get a public router from labels: data stores, message brokers,
 * vector databases, object storage and the socket proxy (by `x-mlsec.role: data-store`, or by
 * the last segment of the image repository).
 */
const NEVER_PUBLIC = /^(postgres|postgresql|mysql|mariadb|mongo|mongodb|redis|valkey|memcached|clickhouse(-server)?|elasticsearch|opensearch|kafka|zookeeper|rabbitmq|nats|etcd|cassandra|qdrant|milvus|weaviate|chroma|minio|docker-socket-proxy|socket-proxy)$/;

/**
 * TRF-03: the Docker (or Swarm) provider without `exposedByDefault: false` (Traefik's default is
 * true: every container gets a router), in `traefik.yml` or on the command line; and a compose
 * service labelled `traefik.enable=true` that is a data store, broker or socket proxy.
 */
export const TRF_03: Rule = {
  id: 'TRF-03',
  title: 'Containers are not exposed by default, and back-end stores carry no traefik.enable label',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'With exposedByDefault true every container, databases and admin tools included, gets a router on every entry point as soon as it starts; a traefik.enable label on a data store publishes it deliberately.',
  remediation: 'Set providers.docker.exposedByDefault: false and opt services in with traefik.enable=true; never label data stores, brokers or the socket proxy.',
  controls: { 'nist-800-53-r5': ['SC-7', 'CM-7', 'AC-4'], 'csa-aicm': ['IVS', 'AIS'] },
  kinds: ['traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('traefik-static')) {
      const providers = document.data?.providers;
      for (const name of RUNTIME_PROVIDERS) {
        if (!hasKey(providers, name)) continue;
        const provider = (providers as Record<string, unknown>)[name];
        const value = isRecord(provider) ? provider.exposedByDefault : undefined;
        if (isFalse(value)) continue;
        const path = isRecord(provider) && hasKey(provider, 'exposedByDefault') ? ['providers', name, 'exposedByDefault'] : ['providers', name];
        hits.push({ document, path, message: `providers.${name}.exposedByDefault is ${value === undefined || value === null ? 'unset (default true)' : String(value)}: every container gets a router`, granular: `providers.${name}` });
      }
    }
    for (const [service, options] of cliByService(model)) {
      for (const name of RUNTIME_PROVIDERS) {
        const mine = options.filter((o) => o.key === `providers.${name}` || o.key.startsWith(`providers.${name}.`));
        if (mine.length === 0 || (mine.length === 1 && mine[0].key === `providers.${name}` && isFalse(mine[0].value))) continue;
        const exposed = mine.find((o) => o.key === `providers.${name}.exposedbydefault`);
        if (exposed && isFalse(exposed.value)) continue;
        const at = exposed ?? mine[0];
        hits.push({ document: at.document, path: at.path, message: `service '${service}' enables the ${name} provider without exposedByDefault=false: every container gets a router`, granular: `providers.${name}` });
      }
    }
    for (const graph of model.serviceGraphs()) {
      for (const s of graph.services) {
        const kind = s.role === 'data-store' ? 'data-store' : repositoryName(s.data?.image);
        if (s.role !== 'data-store' && !NEVER_PUBLIC.test(kind)) continue;
        const label = traefikEnableLabel(s.data?.labels);
        if (label !== undefined) {
          hits.push({ document: s.document, path: ['services', s.name, 'labels', label], message: `service '${s.name}' (${kind}) carries traefik.enable=true but must never be routed`, granular: s.name });
        }
      }
    }
    return hits;
  },
};

/**
 * TRF-04: the Docker (or Swarm) provider reads the raw runtime socket: its `endpoint` is unset
 * (default `unix:///var/run/docker.sock`) or a `unix://`/`npipe://` socket, in `traefik.yml` or
 * on the command line; or a Traefik container mounts the runtime socket itself (the CMP-02
 * finding, seen from the proxy). A read-only socket proxy (`tcp://socket-proxy:2375`) is the
 * expected endpoint.
 */
export const TRF_04: Rule = {
  id: 'TRF-04',
  title: 'Traefik reads the container runtime through a read-only socket proxy, not the raw socket',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale: 'The runtime socket is root on the host: an internet-facing proxy holding it turns any proxy compromise into host compromise. A socket proxy that allows only read-only container listing removes that path.',
  remediation: 'Run a socket proxy (e.g. tecnativa/docker-socket-proxy with CONTAINERS=1 only) on an internal network, point providers.docker.endpoint at tcp://socket-proxy:2375 and remove the socket mount from Traefik; or use the file provider only.',
  controls: { 'cis-docker-1.6': ['5.32'], 'nist-800-53-r5': ['AC-6', 'CM-7', 'SC-7'], 'csa-aicm': ['IVS', 'IAM'] },
  kinds: ['traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('traefik-static')) {
      const providers = document.data?.providers;
      for (const name of RUNTIME_PROVIDERS) {
        if (!hasKey(providers, name)) continue;
        const provider = (providers as Record<string, unknown>)[name];
        const endpoint = isRecord(provider) ? stringOf(provider.endpoint) : undefined;
        if (endpoint !== undefined && !isSocket(endpoint)) continue;
        hits.push({ document, path: endpoint === undefined ? ['providers', name] : ['providers', name, 'endpoint'], message: `the ${name} provider reads ${endpoint ?? 'unix:///var/run/docker.sock (default endpoint)'} directly instead of a read-only socket proxy`, granular: `providers.${name}` });
      }
    }
    for (const [service, options] of cliByService(model)) {
      for (const name of RUNTIME_PROVIDERS) {
        const mine = options.filter((o) => o.key === `providers.${name}` || o.key.startsWith(`providers.${name}.`));
        if (mine.length === 0 || (mine.length === 1 && mine[0].key === `providers.${name}` && isFalse(mine[0].value))) continue;
        const endpoint = mine.find((o) => o.key === `providers.${name}.endpoint`);
        if (endpoint && !isSocket(endpoint.value)) continue;
        const at = endpoint ?? mine[0];
        hits.push({ document: at.document, path: at.path, message: `service '${service}' runs the ${name} provider on ${endpoint?.value ?? 'the default unix socket'} instead of a read-only socket proxy`, granular: `providers.${name}` });
      }
    }
    hits.push(...socketMounts(model));
    return hits;
  },
};

function isSocket(endpoint: string): boolean {
  return /^(unix|npipe):\/\//i.test(endpoint.trim());
}

function cliByService(model: PostureModel): Map<string, CliOption[]> {
  const byService = new Map<string, CliOption[]>();
  for (const option of traefikCliOptions(model)) (byService.get(option.service) ?? byService.set(option.service, []).get(option.service)!).push(option);
  return byService;
}

/** Runtime-socket mounts of Traefik containers (short `src:dst[:mode]` or long `source:`). */
function socketMounts(model: PostureModel): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const graph of model.serviceGraphs()) {
    for (const s of graph.services) {
      if (repositoryName(s.data?.image) !== 'traefik' && s.name.toLowerCase() !== 'traefik') continue;
      itemsOf(s.data?.volumes).forEach((volume, i) => {
        const source = typeof volume === 'string' ? volume.split(':')[0] : isRecord(volume) ? stringOf(volume.source) : undefined;
        if (source !== undefined && /(^|\/)(docker|containerd|podman)\.sock$/.test(source)) {
          hits.push(mountHit(s.document, ['services', s.name, 'volumes', i], s.name, source));
        }
      });
    }
  }
  return hits;
}

function mountHit(document: SourceDocument, path: DocumentPath, service: string, source: string): RuleHit {
  return { document, path, message: `Traefik service '${service}' mounts the runtime socket ${source} instead of using a read-only socket proxy`, granular: service };
}

/** The key (map labels) or index (list labels) of a `traefik.enable=true` label. */
function traefikEnableLabel(labels: unknown): string | number | undefined {
  for (const [key, value] of entriesOf(labels)) if (key.trim() === 'traefik.enable' && isTrue(value)) return key;
  const index = itemsOf(labels).findIndex((l) => typeof l === 'string' && /^\s*traefik\.enable\s*=\s*true\s*$/i.test(l));
  return index >= 0 ? index : undefined;
}

/** Last segment of an image repository, lower case, without registry, tag or digest. */
function repositoryName(image: unknown): string {
  if (typeof image !== 'string') return '';
  const repository = image.toLowerCase().split('@')[0].replace(/:[^/]*$/, '');
  return repository.slice(repository.lastIndexOf('/') + 1);
}
