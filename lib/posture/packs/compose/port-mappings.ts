import type { DocumentPath } from '../../source-document';
import type { ComposeService } from './compose-services';
import { asList, asMap, asText } from './compose-values';
import { interpolate, UNRESOLVED_MARK } from './interpolation';
import { sexagesimalMisread } from './yaml-1-1-scalars';

/** A range of ports (a single port has start = end). */
export interface PortRange {
  /** First port. */
  readonly start: number;
  /** Last port. */
  readonly end: number;
}

/** One published port of a service, from short (`ip:host:container/proto`) or long syntax. */
export interface PortMapping {
  /** Steps below the service, e.g. `['ports', 0]`. */
  readonly steps: DocumentPath;
  /** How it is written, for messages. */
  readonly written: string;
  /** Host address as written (IPv6 brackets removed); undefined when none is given. */
  readonly hostIp?: string;
  /** Host ports; undefined when docker picks an ephemeral port (or the value is unreadable). */
  readonly hostPorts?: PortRange;
  /** Container ports; undefined when unreadable. */
  readonly containerPorts?: PortRange;
  /** `tcp` unless another protocol is given. */
  readonly protocol: string;
  /** The number YAML 1.1 read instead (`22:22` → 1342), when the entry was misread. */
  readonly misreadAs?: number;
}

/** Where a published port listens on the host. */
export type BindScope = 'all-interfaces' | 'loopback' | 'specific' | 'unresolved';

/** Every entry of the service's `ports:` that could be read (other shapes are skipped). */
export function portMappings(service: ComposeService): PortMapping[] {
  const list = asList(service.data.ports);
  if (!list) return [];
  const out: PortMapping[] = [];
  list.forEach((item, index) => {
    const steps = ['ports', index];
    if (typeof item === 'number') {
      const written = sexagesimalMisread(service.document, [...service.path, ...steps], item);
      if (written !== undefined) out.push({ ...parseShort(written, steps), misreadAs: item });
      else if (Number.isInteger(item)) out.push({ steps, written: String(item), containerPorts: { start: item, end: item }, protocol: 'tcp' });
    } else if (typeof item === 'string') {
      out.push(parseShort(item, steps));
    } else {
      const map = asMap(item);
      if (map) out.push(parseLong(map, steps));
    }
  });
  return out;
}

/** Where the mapping listens: every interface (no address, `0.0.0.0`, `::`), loopback, one address, or unknown. */
export function bindScope(mapping: PortMapping): BindScope {
  const ip = mapping.hostIp?.trim();
  if (ip === undefined || ip === '') return 'all-interfaces';
  if (ip.includes(UNRESOLVED_MARK)) return 'unresolved';
  if (isUnspecifiedAddress(ip)) return 'all-interfaces';
  if (isLoopbackAddress(ip)) return 'loopback';
  return 'specific';
}

/** `0.0.0.0`, `::`, `[::]`, `::0`, `0:0:0:0:0:0:0:0`: the wildcard addresses. */
export function isUnspecifiedAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '').trim();
  return /^0+(\.0+){3}$/.test(bare) || (bare.includes(':') && /^[0:]+$/.test(bare));
}

/** `127.0.0.0/8`, `::1`, `localhost` and IPv4-mapped loopback. */
export function isLoopbackAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '').trim().toLowerCase();
  return /^127(\.\d{1,3}){3}$/.test(bare) || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || bare === '::1' || bare === 'localhost' || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

function parseShort(original: string, steps: DocumentPath): PortMapping {
  let text = interpolate(original.trim()).text;
  let protocol = 'tcp';
  const proto = /\/([A-Za-z]+)$/.exec(text);
  if (proto) {
    protocol = proto[1].toLowerCase();
    text = text.slice(0, proto.index);
  }
  let ip: string | undefined;
  let host: string | undefined;
  let container: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    ip = close < 0 ? text.slice(1) : text.slice(1, close);
    const rest = close < 0 ? '' : text.slice(close + 1).replace(/^:/, '');
    const parts = rest.split(':');
    container = parts[parts.length - 1];
    host = parts.length > 1 ? parts[parts.length - 2] : undefined;
  } else {
    const parts = text.split(':');
    container = parts[parts.length - 1];
    if (parts.length >= 2) host = parts[parts.length - 2];
    if (parts.length >= 3) ip = parts.slice(0, parts.length - 2).join(':');
  }
  return {
    steps,
    written: original,
    hostIp: ip,
    hostPorts: host === undefined ? undefined : parseRange(host),
    containerPorts: parseRange(container),
    protocol,
  };
}

function parseLong(map: Readonly<Record<string, unknown>>, steps: DocumentPath): PortMapping {
  const hostIp = asText(map.host_ip);
  const published = asText(map.published);
  const target = asText(map.target);
  const protocol = (asText(map.protocol) ?? 'tcp').toLowerCase();
  const written = `${hostIp !== undefined ? `${hostIp}:` : ''}${published ?? ''}${published !== undefined ? ':' : ''}${target ?? '?'}/${protocol}`;
  return {
    steps,
    written,
    hostIp: hostIp === undefined ? undefined : interpolate(hostIp).text.replace(/^\[|\]$/g, ''),
    hostPorts: published === undefined ? undefined : parseRange(interpolate(published).text),
    containerPorts: target === undefined ? undefined : parseRange(interpolate(target).text),
    protocol,
  };
}

function parseRange(text: string): PortRange | undefined {
  const match = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] !== undefined ? Number(match[2]) : start;
  return { start, end };
}

/** Whether a range contains a port. */
export function rangeHas(range: PortRange | undefined, port: number): boolean {
  return range !== undefined && range.start <= port && port <= range.end;
}
