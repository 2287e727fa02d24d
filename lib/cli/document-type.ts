import { basename, extname } from 'path';
import { DocumentKind, SourceDocument } from '../posture/source-document';
import { UsageError } from './cli-io';

/** Top-level keys only Traefik's static configuration has. */
const TRAEFIK_STATIC_KEYS = [
  'entryPoints', 'providers', 'api', 'certificatesResolvers', 'log', 'accessLog', 'metrics', 'ping', 'serversTransport',
  'tcpServersTransport', 'global', 'experimental', 'tracing', 'hostResolver', 'spiffe', 'core', 'ocsp',
];
/** Top-level keys of Traefik's dynamic configuration (file provider). */
const TRAEFIK_DYNAMIC_KEYS = ['http', 'tcp', 'udp', 'tls'];

const VAULT_POLICY = /^[ \t]*path[ \t]+"[^"\n]*"[ \t]*\{/m;
const VAULT_CONFIG_BLOCK = /^[ \t]*(?:listener|storage|ha_storage|seal|telemetry|service_registration|hsm|entropy|user_lockout)[ \t]+"[^"\n]*"[ \t]*\{/m;
const VAULT_CONFIG_ATTRIBUTE = /^[ \t]*(?:ui|disable_mlock|api_addr|cluster_addr|cluster_name|default_lease_ttl|max_lease_ttl|plugin_directory|raw_storage_endpoint|introspection_endpoint|disable_cache|log_level|pid_file)[ \t]*=/m;

/** A YAML mapping key at column 0 (`services:`, `http:`); HCL never has one outside heredocs. */
const YAML_TOP_LEVEL_KEY = /^[A-Za-z_][\w.-]*[ \t]*:(?:[ \t]|$)/m;

const UNKNOWN_HINT =
  'expected a compose file (top-level `services:`), Traefik static (entryPoints/providers/api…) or dynamic (http/tcp/udp/tls) YAML, ' +
  'a Vault policy (`path "…" {`) or server config (listener/storage/seal/ui) in HCL, or a Keycloak realm export (JSON with `realm`); pass --type to say which';

/** A file's detected type, with its parsed document when detection had to parse it anyway. */
export interface DetectedDocument {
  /** The document type. */
  readonly kind: DocumentKind;
  /** The parsed document (YAML/JSON types); HCL is parsed afterwards, asynchronously. */
  readonly document?: SourceDocument;
}

/** The type a file name suggests (`docker-compose.yml`, `traefik.yml`, `realm-export.json`, `*.hcl`), if any. */
export function kindFromName(file: string): DocumentKind | 'vault' | undefined {
  const name = basename(file).toLowerCase();
  if (/^(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml$/.test(name)) return 'compose';
  if (/^traefik\.ya?ml$/.test(name)) return 'traefik-static';
  if (/realm.*\.json$/.test(name)) return 'keycloak-realm';
  if (extname(name) === '.hcl') return 'vault';
  return undefined;
}

/**
 * Detects the type of a file from its content, falling back on its name: HCL with `path "…" {`
 * blocks is a Vault policy, HCL with listener/storage/seal/ui a Vault server config; YAML or JSON
 * with a `services` map is compose, with a string `realm` a Keycloak realm export, with a
 * `Statement` list an S3 (MinIO) policy, with
 * http/tcp/udp/tls a Traefik dynamic configuration, with entryPoints/providers/api/… a Traefik
 * static one. Throws `DocumentParseError` for a file that is not valid YAML/JSON and
 * {@link UsageError} when the type cannot be told.
 */
export function detectDocumentType(file: string, text: string): DetectedDocument {
  const byName = kindFromName(file);
  if (byName === undefined || byName === 'vault') {
    const hcl = hclKind(text);
    if (hcl) return { kind: hcl };
    if (byName === 'vault') {
      throw new UsageError(`${file}: cannot tell whether this HCL file is a Vault policy (path "…" { … } blocks) or a Vault server config (listener/storage/seal blocks); pass --type vault-policy or --type vault-config`);
    }
  }
  // Parsed as compose (YAML 1.1) first: most files are compose, and the document is then reused.
  const hinted = byName ?? 'compose';
  const document = SourceDocument.parseYaml(hinted, file, text);
  const kind = kindFromData(file, document.data) ?? byName;
  if (!kind) throw new UsageError(`${file}: cannot tell what this file is; ${UNKNOWN_HINT}`);
  return { kind, document: kind === hinted ? document : undefined };
}

/** Vault policy or config, when the text is HCL (JSON and YAML, whose top-level keys end in `:`, are not). */
function hclKind(text: string): DocumentKind | undefined {
  if (/^\s*[{[]/.test(text) || YAML_TOP_LEVEL_KEY.test(text)) return undefined;
  const policy = VAULT_POLICY.test(text);
  const config = VAULT_CONFIG_BLOCK.test(text) || VAULT_CONFIG_ATTRIBUTE.test(text);
  if (policy && !config) return 'vault-policy';
  if (config && !policy) return 'vault-config';
  return undefined;
}

function kindFromData(file: string, data: unknown): DocumentKind | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const top = data as Record<string, unknown>;
  if ('services' in top && (top.services === null || isMap(top.services))) return 'compose';
  if (typeof top.realm === 'string') return 'keycloak-realm';
  if (Array.isArray(top.Statement) && typeof top.Version === 'string') return 's3-policy';
  const isStatic = TRAEFIK_STATIC_KEYS.some((k) => k in top);
  const isDynamic = TRAEFIK_DYNAMIC_KEYS.some((k) => isMap(top[k]));
  if (isStatic && isDynamic) {
    throw new UsageError(`${file}: has both Traefik static keys (${TRAEFIK_STATIC_KEYS.filter((k) => k in top).join(', ')}) and dynamic ones (${TRAEFIK_DYNAMIC_KEYS.filter((k) => k in top).join(', ')}); Traefik reads them from separate files: pass --type traefik-static or --type traefik-dynamic`);
  }
  if (isDynamic) return 'traefik-dynamic';
  if (isStatic) return 'traefik-static';
  return undefined;
}

function isMap(x: unknown): boolean {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
