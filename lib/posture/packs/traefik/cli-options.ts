import type { PostureModel } from '../../posture-model';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { entriesOf, isRecord, itemsOf } from './value-readers';

/** One static option given to a Traefik container on its command line or in its environment. */
export interface CliOption {
  /** Compose service name. */
  readonly service: string;
  /** The compose document. */
  readonly document: SourceDocument;
  /** Data path of the argument or environment entry. */
  readonly path: DocumentPath;
  /** Option key, lower case and dotted: `api.insecure`, `entrypoints.web.forwardedheaders.insecure`. */
  readonly key: string;
  /** Its value as text; a bare flag (`--api.insecure`) is `true`, a pass-through variable ''. */
  readonly value: string;
}

/**
 * Static options that compose passes to Traefik containers (image repository ending in
 * `traefik`, or a service called `traefik`): `--a.b.c=value` / `--a.b.c value`-less flags in
 * `command` (list or string), and `TRAEFIK_A_B_C=value` in `environment` (map or list). Traefik
 * reads its static configuration from one source (file, CLI or environment); each is audited on
 * its own.
 */
export function traefikCliOptions(model: PostureModel): readonly CliOption[] {
  return model.view(readCliOptions);
}

function readCliOptions(model: PostureModel): readonly CliOption[] {
  const out: CliOption[] = [];
  for (const graph of model.serviceGraphs()) {
    for (const service of graph.services) {
      const data = service.data;
      if (!isRecord(data) || !isTraefik(service.name, data.image)) continue;
      const base = ['services', service.name];
      const command = data.command;
      if (typeof command === 'string') {
        for (const arg of command.split(/\s+/)) addFlag(out, service.name, service.document, [...base, 'command'], arg);
      } else {
        itemsOf(command).forEach((arg, i) => addFlag(out, service.name, service.document, [...base, 'command', i], arg));
      }
      const env = data.environment;
      if (Array.isArray(env)) {
        env.forEach((entry, i) => {
          if (typeof entry !== 'string') return;
          const eq = entry.indexOf('=');
          addEnv(out, service.name, service.document, [...base, 'environment', i], eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
        });
      } else {
        for (const [name, value] of entriesOf(env)) addEnv(out, service.name, service.document, [...base, 'environment', name], name, value === null || value === undefined ? '' : String(value));
      }
    }
  }
  return Object.freeze(out);
}

/** Whether the value of a CLI option means true (a bare flag, or `true`). */
export function cliTrue(option: CliOption): boolean {
  return option.value.trim().toLowerCase() === 'true';
}

function isTraefik(name: string, image: unknown): boolean {
  if (typeof image === 'string') {
    const repository = image.toLowerCase().split('@')[0].replace(/:[^/]*$/, '');
    if (/(^|\/)traefik$/.test(repository)) return true;
  }
  return name.toLowerCase() === 'traefik';
}

function addFlag(out: CliOption[], service: string, document: SourceDocument, path: DocumentPath, arg: unknown): void {
  if (typeof arg !== 'string' || !arg.startsWith('--')) return;
  const eq = arg.indexOf('=');
  const key = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).toLowerCase();
  if (key !== '') out.push({ service, document, path, key, value: eq < 0 ? 'true' : arg.slice(eq + 1) });
}

function addEnv(out: CliOption[], service: string, document: SourceDocument, path: DocumentPath, name: string, value: string): void {
  if (!/^TRAEFIK_/i.test(name)) return;
  out.push({ service, document, path, key: name.slice('TRAEFIK_'.length).toLowerCase().replace(/_/g, '.'), value });
}
