import type { DocumentPath } from '../../source-document';
import type { ComposeService } from './compose-services';
import { asList, asMap, asText, isTrue } from './compose-values';
import { normalizeHostPath } from './host-paths';
import { interpolate, UNRESOLVED_MARK } from './interpolation';

/** One entry of a service's `volumes:`, from short (`src:dst:opts`) or long (`source:`) syntax. */
export interface Mount {
  /** Steps below the service, e.g. `['volumes', 0]`. */
  readonly steps: DocumentPath;
  /** How it is written, for messages. */
  readonly written: string;
  /** Short (`src:dst:opts`) or long (`source:`/`target:`) syntax. */
  readonly syntax: 'short' | 'long';
  /** Mount type: `bind`, `volume`, `tmpfs`, … (`volume` for an anonymous volume). */
  readonly type: string;
  /** Source as written, defaults of `${VAR:-x}` applied. */
  readonly source?: string;
  /**
   * Absolute host path (normalized) the mount exposes: a bind source, or the `device` of a named
   * volume declared with `driver_opts: { o: bind }`.
   */
  readonly hostPath?: string;
  /** Whether the source is a home directory (`~`, `~/…`, `${HOME}/…`). */
  readonly home: boolean;
  /** Named volume, when the source is one. */
  readonly volumeName?: string;
  /** Path in the container. */
  readonly target?: string;
  /** Whether it is mounted read-only. */
  readonly readOnly: boolean;
  /** Bind propagation, when set. */
  readonly propagation?: string;
}

const PROPAGATION = /^r?(shared|slave|private)$/;

// Seven rules read every service's mounts; the data is frozen, so one parse per service is enough.
const parsed = new WeakMap<object, readonly Mount[]>();

/** Every readable entry of the service's `volumes:` (other shapes are skipped). */
export function mountsOf(service: ComposeService): readonly Mount[] {
  let mounts = parsed.get(service.data);
  if (mounts === undefined) {
    mounts = parseMounts(service);
    if (Object.isFrozen(service.data)) parsed.set(service.data, mounts);
  }
  return mounts;
}

function parseMounts(service: ComposeService): Mount[] {
  const list = asList(service.data.volumes);
  if (!list) return [];
  const volumes = asMap(asMap(service.document.data)?.volumes);
  const out: Mount[] = [];
  list.forEach((item, index) => {
    const steps = ['volumes', index];
    const mount = typeof item === 'string' ? parseShort(item, steps) : asMap(item) ? parseLong(asMap(item)!, steps) : undefined;
    if (!mount) return;
    if (mount.volumeName !== undefined && mount.hostPath === undefined) {
      const device = volumeDevice(volumes?.[mount.volumeName]);
      out.push(device ? { ...mount, hostPath: device } : mount);
    } else {
      out.push(mount);
    }
  });
  return out;
}

/** The host directory behind a named volume declared as a local bind (`driver_opts: { o: bind, device: /path }`). */
function volumeDevice(declaration: unknown): string | undefined {
  const opts = asMap(asMap(declaration)?.driver_opts);
  const device = asText(opts?.device);
  const o = asText(opts?.o) ?? '';
  if (device === undefined || !/(^|,)r?bind(,|$)/.test(o)) return undefined;
  const text = interpolate(device).text;
  return text.startsWith('/') ? normalizeHostPath(text) : undefined;
}

function classify(source: string): { type: 'bind' | 'volume'; hostPath?: string; home: boolean; volumeName?: string } {
  if (source.startsWith('/')) return { type: 'bind', hostPath: source.includes(UNRESOLVED_MARK) ? undefined : normalizeHostPath(source), home: false };
  if (source === '~' || source.startsWith('~/') || /^\u2039(HOME|USERPROFILE)\u203a(\/|$)/.test(source)) return { type: 'bind', home: true };
  if (source.startsWith('.') || source.startsWith(UNRESOLVED_MARK) || source.includes('/') || source.includes('\\')) return { type: 'bind', home: false };
  return { type: 'volume', home: false, volumeName: source };
}

function parseShort(original: string, steps: DocumentPath): Mount {
  const text = interpolate(original.trim()).text;
  const parts = text.split(':');
  if (parts.length === 1) return { steps, written: original, syntax: 'short', type: 'volume', target: parts[0], home: false, readOnly: false };
  const source = parts[0];
  const options = (parts[2] ?? '').split(',').map((o) => o.trim());
  return {
    steps,
    written: original,
    syntax: 'short',
    ...classify(source),
    source,
    target: parts[1],
    readOnly: options.includes('ro') || options.includes('readonly'),
    propagation: options.find((o) => PROPAGATION.test(o)),
  };
}

function parseLong(map: Readonly<Record<string, unknown>>, steps: DocumentPath): Mount {
  const source = asText(map.source) === undefined ? undefined : interpolate(asText(map.source)!).text;
  const target = asText(map.target);
  const declared = asText(map.type);
  const kind = source !== undefined && source !== '' ? classify(source) : { type: 'volume' as const, home: false };
  const type = declared ?? kind.type;
  const propagation = asText(asMap(map.bind)?.propagation);
  const written = `${source ?? ''}${source !== undefined ? ':' : ''}${target ?? '?'}${isTrue(map.read_only) ? ':ro' : ''} (${type})`;
  const base = { steps, written, syntax: 'long' as const, type, source, target, readOnly: isTrue(map.read_only), propagation };
  if (type === 'bind') return { ...base, hostPath: 'hostPath' in kind ? kind.hostPath : undefined, home: kind.home };
  if (type === 'volume' && source !== undefined && source !== '') {
    return { ...base, home: false, volumeName: kind.type === 'volume' ? source : undefined, hostPath: kind.type === 'bind' ? kind.hostPath : undefined };
  }
  return { ...base, home: false };
}
