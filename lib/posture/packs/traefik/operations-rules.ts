import type { PostureModel } from '../../posture-model';
import type { Rule, RuleHit } from '../../rule';
import type { DocumentPath } from '../../source-document';
import { traefikCliOptions } from './cli-options';
import { EntryPoints } from './entry-points';
import { entriesOf, hasKey, isFalse, isRecord, itemsOf, stringOf } from './value-readers';

/** Request/response headers that carry credentials and must not reach the access log. */
const SECRET_HEADERS = ['Authorization', 'Proxy-Authorization', 'Cookie', 'Set-Cookie'];

/** Directories that are ephemeral or shared inside a container. */
const EPHEMERAL_DIR = /^\/(tmp|var\/tmp|dev\/shm)(\/|$)/;

/**
 * TRF-19: `accessLog` is absent from `traefik.yml` (no access log), or it keeps a credential
 * header (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`: its
 * `fields.headers.names` entry, else `fields.headers.defaultMode`, is `keep`; Traefik's default
 * is `drop`, `redact` is fine); `log.level` is DEBUG or TRACE in the file or on the command line.
 */
export const TRF_19: Rule = {
  id: 'TRF-19',
  title: 'Access logging is on, drops credential headers, and the log level is not DEBUG',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Without an access log abuse and incidents cannot be reconstructed; logging Authorization or Cookie copies live credentials into log storage, and DEBUG logs include request details and configuration.',
  remediation: 'Enable accessLog (format: json) with fields.headers.defaultMode: drop (or redact Authorization/Cookie explicitly) and use log.level INFO or WARN.',
  controls: { 'owasp-llm-2025': ['LLM02'], 'nist-800-53-r5': ['AU-2', 'AU-3', 'AU-12', 'AU-9'], 'csa-aicm': ['LOG', 'DSP'] },
  kinds: ['traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('traefik-static')) {
      const data = isRecord(document.data) ? document.data : {};
      if (!hasKey(data, 'accessLog')) {
        hits.push({ document, path: ['accessLog'], message: 'accessLog is not configured, so no access log is written', granular: 'accessLog' });
      } else {
        const fields = isRecord(data.accessLog) ? data.accessLog.fields : undefined;
        const headers = isRecord(fields) ? fields.headers : undefined;
        const defaultMode = (isRecord(headers) ? stringOf(headers.defaultMode) : undefined) ?? 'drop';
        const names = isRecord(headers) ? entriesOf(headers.names) : [];
        for (const header of SECRET_HEADERS) {
          const named = names.find(([k]) => k.toLowerCase() === header.toLowerCase());
          const mode = named ? String(named[1]) : defaultMode;
          if (mode.trim().toLowerCase() !== 'keep') continue;
          const path: DocumentPath = named ? ['accessLog', 'fields', 'headers', 'names', named[0]] : ['accessLog', 'fields', 'headers', 'defaultMode'];
          hits.push({ document, path, message: `accessLog keeps the ${header} header`, granular: `accessLog.${header}` });
        }
      }
      const level = isRecord(data.log) ? stringOf(data.log.level) : undefined;
      if (level !== undefined && /^(debug|trace)$/i.test(level.trim())) {
        hits.push({ document, path: ['log', 'level'], message: `log.level is ${level}`, granular: 'log.level' });
      }
    }
    for (const option of traefikCliOptions(model)) {
      if (option.key === 'log.level' && /^(debug|trace)$/i.test(option.value.trim())) {
        hits.push({ document: option.document, path: option.path, message: `service '${option.service}' starts Traefik with log.level=${option.value}`, granular: 'log.level' });
      }
    }
    return hits;
  },
};

/**
 * TRF-20: an ACME resolver keeps `storage` unset (acme.json in the working directory), relative,
 * or under /tmp, /var/tmp or /dev/shm, or — when the model has the Traefik compose service — in a
 * directory that no volume of that service mounts (the 0600 mode itself is a runtime fact no
 * file shows); `caServer` is a staging or plain-HTTP endpoint; an `experimental.plugins` entry
 * has no pinned semantic `version`.
 */
export const TRF_20: Rule = {
  id: 'TRF-20',
  title: 'ACME storage is persistent and private, the CA is production, plugins are pinned',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'acme.json holds the private keys of every certificate: it must live on a dedicated 0600 volume; staging certificates are untrusted by browsers; an unpinned plugin is code fetched from the internet into the proxy at start.',
  remediation: 'Set storage to a file on a dedicated volume (e.g. /letsencrypt/acme.json, chmod 600), use the production caServer, and pin every plugin version (v1.2.3).',
  controls: { 'owasp-llm-2025': ['LLM03'], 'nist-800-53-r5': ['SC-12', 'SC-17', 'SI-7', 'CM-2'], 'csa-aicm': ['CEK', 'STA'] },
  kinds: ['traefik-static', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    const mounts = traefikMountTargets(model);
    for (const document of model.ofKind('traefik-static')) {
      for (const [name, resolver] of entriesOf(document.data?.certificatesResolvers)) {
        const acme = isRecord(resolver) ? resolver.acme : undefined;
        if (!isRecord(acme)) continue;
        const base = ['certificatesResolvers', name, 'acme'];
        const storage = stringOf(acme.storage)?.trim();
        const problem = storage === undefined ? 'keeps acme.json in the working directory (storage unset)'
          : !storage.startsWith('/') ? `keeps ${storage} relative to the working directory`
          : EPHEMERAL_DIR.test(storage) ? `keeps ${storage} in an ephemeral directory`
          : mounts !== undefined && !mounts.some((m) => storage === m || storage.startsWith(m.endsWith('/') ? m : `${m}/`)) ? `keeps ${storage} outside every volume of the Traefik service`
          : undefined;
        if (problem) hits.push({ document, path: storage === undefined ? base : [...base, 'storage'], message: `ACME resolver '${name}' ${problem}`, granular: name });
        const ca = stringOf(acme.caServer)?.trim();
        if (ca !== undefined && (/staging/i.test(ca) || /^http:/i.test(ca))) {
          hits.push({ document, path: [...base, 'caServer'], message: `ACME resolver '${name}' uses caServer ${ca}`, granular: name });
        }
      }
      const experimental = document.data?.experimental;
      for (const [name, plugin] of entriesOf(isRecord(experimental) ? experimental.plugins : undefined)) {
        const version = isRecord(plugin) ? stringOf(plugin.version)?.trim() : undefined;
        if (version === undefined || !/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version)) {
          const path = isRecord(plugin) && hasKey(plugin, 'version') ? ['experimental', 'plugins', name, 'version'] : ['experimental', 'plugins', name];
          hits.push({ document, path, message: `plugin '${name}' is not pinned to a version (${version ?? 'no version'})`, granular: name });
        }
      }
    }
    return hits;
  },
};

/**
 * TRF-22: `metrics.prometheus` or `ping` is served on a public entry point (their default is the
 * internal `traefik` entry point; `manualRouting: true` leaves exposure to routers); and
 * `global.sendAnonymousUsage` is not explicitly false.
 */
export const TRF_22: Rule = {
  id: 'TRF-22',
  title: 'Metrics and ping stay off public entry points; anonymous usage reporting is off',
  severity: 'info',
  level: 'info',
  priority: 'P3',
  rationale: 'Metrics reveal routers, services, back-end names and traffic patterns to anyone; ping on a public port is a free fingerprint; usage reporting sends data about the deployment to a third party.',
  remediation: 'Serve metrics and ping on an internal entry point (e.g. metrics on :8082 reached only by Prometheus), and set global.sendAnonymousUsage: false.',
  controls: { 'nist-800-53-r5': ['SC-7', 'CM-7'], 'csa-aicm': ['IVS', 'DSP'] },
  kinds: ['traefik-static'],
  check(model) {
    const hits: RuleHit[] = [];
    const eps = EntryPoints.of(model);
    for (const document of model.ofKind('traefik-static')) {
      const data = isRecord(document.data) ? document.data : {};
      const exposed: [string, unknown, DocumentPath][] = [];
      if (isRecord(data.metrics) && hasKey(data.metrics, 'prometheus')) exposed.push(['metrics.prometheus', data.metrics.prometheus, ['metrics', 'prometheus']]);
      if (hasKey(data, 'ping')) exposed.push(['ping', data.ping, ['ping']]);
      for (const [what, settings, path] of exposed) {
        const s = isRecord(settings) ? settings : {};
        if (s.manualRouting === true) continue;
        const ep = stringOf(s.entryPoint) ?? 'traefik';
        if (eps.isPublic(ep)) {
          hits.push({ document, path: hasKey(s, 'entryPoint') ? [...path, 'entryPoint'] : path, message: `${what} is served on public entryPoint '${ep}'`, granular: what });
        }
      }
      const global = data.global;
      if (!(isRecord(global) && isFalse(global.sendAnonymousUsage))) {
        const path = isRecord(global) && hasKey(global, 'sendAnonymousUsage') ? ['global', 'sendAnonymousUsage'] : ['global'];
        hits.push({ document, path, message: 'global.sendAnonymousUsage is not set to false', granular: 'global.sendAnonymousUsage' });
      }
    }
    return hits;
  },
};

/**
 * Volume targets of the Traefik compose service(s) (tmpfs does not count: it is lost on
 * restart), or undefined when the model has none (then nothing about mounts can be said).
 */
function traefikMountTargets(model: PostureModel): string[] | undefined {
  let found = false;
  const targets: string[] = [];
  for (const graph of model.serviceGraphs()) {
    for (const s of graph.services) {
      const image = typeof s.data?.image === 'string' ? s.data.image.toLowerCase().split('@')[0].replace(/:[^/]*$/, '') : '';
      if (!/(^|\/)traefik$/.test(image) && s.name.toLowerCase() !== 'traefik') continue;
      found = true;
      for (const volume of itemsOf(s.data?.volumes)) {
        const target = typeof volume === 'string' ? volume.split(':')[1] : isRecord(volume) ? stringOf(volume.target) : undefined;
        if (target) targets.push(target);
      }
    }
  }
  return found ? targets : undefined;
}
