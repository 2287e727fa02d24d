import { Finding } from '../finding';
import { PostureModel } from '../posture-model';

/**
 * The zone of each finding on a compose service: a finding whose path is `services.<name>…` in a
 * compose document belongs to the zone that service declares (`x-mlsec.zone`, else the
 * `mlsec.zone` label). Other findings have no zone (undefined). Linear in the findings: service
 * names (which may contain dots) are looked up by path prefix in a map.
 */
export function findingZones(model: PostureModel, findings: readonly Finding[]): (string | undefined)[] {
  const zonesByFile = new Map<string, Map<string, string | undefined>>();
  for (const graph of model.serviceGraphs()) {
    zonesByFile.set(graph.document.file, new Map(graph.services.map((s) => [s.name, s.zone])));
  }
  return findings.map((f) => {
    const services = zonesByFile.get(f.file);
    if (!services || !f.path.startsWith('services.')) return undefined;
    const segments = f.path.slice('services.'.length).split('.');
    // Longest name first, so service `api.v2` wins over `api` for `services.api.v2.ports`.
    for (let n = segments.length; n >= 1; n--) {
      const name = segments.slice(0, n).join('.');
      if (services.has(name)) return services.get(name);
    }
    return undefined;
  });
}
