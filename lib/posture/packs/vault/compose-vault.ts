import type { PostureModel } from '../../posture-model';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { isObject } from './hcl-values';

/** A compose service, with the document it is in. */
export interface ComposeService {
  /** The compose document. */
  readonly document: SourceDocument;
  /** Service name. */
  readonly name: string;
  /** Its data. */
  readonly data: Record<string, any>;
}

/** One `environment` entry, from the map or the list form. */
export interface EnvEntry {
  /** Variable name. */
  readonly name: string;
  /** Its value; undefined for a bare `NAME` (passed through from the host). */
  readonly value: string | undefined;
  /** Data path of the entry. */
  readonly path: DocumentPath;
}

/** Vault or OpenBao server images (`hashicorp/vault:1.17`, `openbao/openbao`, `vault@sha256:…`). */
export const VAULT_IMAGE = /(^|\/)(vault|openbao)([:@]|$)/i;

/** Every service of every compose document. */
export function composeServices(model: PostureModel): ComposeService[] {
  return model.ofKind('compose').flatMap((document) => {
    const services = document.data?.services;
    if (!isObject(services)) return [];
    return Object.entries(services).flatMap(([name, data]) => (isObject(data) ? [{ document, name, data }] : []));
  });
}

/**
 * Vault servers in compose: a Vault/OpenBao image or a service named `vault`, not running the
 * `agent` or `proxy` subcommand.
 */
export function vaultServers(model: PostureModel): ComposeService[] {
  return composeServices(model).filter((s) => {
    const image = typeof s.data.image === 'string' ? s.data.image : '';
    if (!VAULT_IMAGE.test(image) && s.name.toLowerCase() !== 'vault') return false;
    const words = commandWords(s.data.command).filter((w) => !/^(vault|bao)$/.test(w));
    return words[0] !== 'agent' && words[0] !== 'proxy';
  });
}

/** Words of a `command`/`entrypoint` in string or list form. */
export function commandWords(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((w) => w !== '');
  if (Array.isArray(value)) return value.filter((w): w is string => typeof w === 'string').flatMap((w) => w.split(/\s+/)).filter((w) => w !== '');
  return [];
}

/** The `environment` entries of a service, map or list form. */
export function environmentOf(service: ComposeService): EnvEntry[] {
  const env = service.data.environment;
  const base = ['services', service.name, 'environment'];
  if (Array.isArray(env)) {
    return env.flatMap((item, i): EnvEntry[] => {
      if (typeof item !== 'string') return [];
      const eq = item.indexOf('=');
      return [{ name: eq < 0 ? item : item.slice(0, eq), value: eq < 0 ? undefined : item.slice(eq + 1), path: [...base, i] }];
    });
  }
  if (!isObject(env)) return [];
  return Object.entries(env).map(([name, value]) => ({
    name,
    value: value === null || value === undefined ? undefined : typeof value === 'object' ? JSON.stringify(value) : String(value),
    path: [...base, name],
  }));
}

/** A compose memory size in bytes (`512m`, `1g`, `1gb`, a number of bytes), or undefined. */
export function memoryBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg])?b?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** The memory limit of a service: `mem_limit` or `deploy.resources.limits.memory`. */
export function memoryLimit(service: ComposeService): number | undefined {
  return memoryBytes(service.data.mem_limit) ?? memoryBytes(service.data.deploy?.resources?.limits?.memory);
}

/** Whether swap is off for a service: `memswap_limit` equals its memory limit. */
export function swapOff(service: ComposeService): boolean {
  const mem = memoryLimit(service);
  const swap = memoryBytes(service.data.memswap_limit);
  return mem !== undefined && swap !== undefined && mem === swap;
}

/** Whether `cap_add` grants a capability (with or without `CAP_`, or `ALL`). */
export function addsCapability(service: ComposeService, capability: string): boolean {
  const caps = Array.isArray(service.data.cap_add) ? service.data.cap_add : [];
  return caps.some((c: unknown) => typeof c === 'string' && ['ALL', capability].includes(c.toUpperCase().replace(/^CAP_/, '')));
}
