import type { Rule, RuleHit } from '../../rule';
import type { ServiceNode } from '../../service-graph';

/** A compose volume entry as `{ type, source, target, read_only }`, whichever syntax it was written in. */
function volumesOf(s: ServiceNode): { type: string; source?: string; target?: string; readOnly: boolean; index: number }[] {
  const list: unknown[] = Array.isArray(s.data?.volumes) ? s.data.volumes : [];
  return list.map((v, index) => {
    if (typeof v === 'string') {
      const [source, target, mode] = v.split(':');
      const type = source.startsWith('/') || source.startsWith('.') || source.startsWith('~') ? 'bind' : 'volume';
      return { type, source, target, readOnly: (mode ?? '').split(',').includes('ro'), index };
    }
    const m = (v ?? {}) as Record<string, unknown>;
    return { type: String(m.type ?? 'volume'), source: m.source as string | undefined, target: m.target as string | undefined, readOnly: m.read_only === true, index };
  });
}

/**
 * INV-06: only registry models are served. Every model server (role `model-server`) starts only
 * after a fetch-and-verify job (role `model-fetch`) completed successfully, reads its models from
 * a named volume that job writes, mounted read-only, and bind-mounts nothing from the host.
 */
export const ZONE_06: Rule = {
  id: 'ZONE-06',
  title: 'Model servers serve only what a fetch-and-verify job installed',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'A model copied onto the host or written by the server itself skips the registry, the digest and the signature: an unapproved or tampered model would be served (CONTROLS.md INV-06, Z6-K04).',
  remediation: 'Serve models with ModelServer: its fetch job verifies the released artifact and the server waits for it (`service_completed_successfully`) and mounts the model volume read-only; never bind-mount a model from the host.',
  controls: { 'owasp-llm-2025': ['LLM03', 'LLM04'], 'owasp-ml-2023': ['ML06', 'ML10'], 'nist-800-53-r5': ['SI-7', 'CM-2'], 'csa-aicm': ['MDS', 'STA'] },
  kinds: ['compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const graph of model.serviceGraphs()) {
      for (const server of graph.services.filter((s) => s.role === 'model-server')) {
        const at = (path: (string | number)[], message: string, granular: string) => hits.push({ document: server.document, path: ['services', server.name, ...path], message, granular });
        const dependsOn = server.data?.depends_on && typeof server.data.depends_on === 'object' && !Array.isArray(server.data.depends_on) ? server.data.depends_on : {};
        const fetchers = Object.entries(dependsOn as Record<string, { condition?: string }>)
          .filter(([name, d]) => d?.condition === 'service_completed_successfully' && graph.service(name)?.role === 'model-fetch')
          .map(([name]) => graph.service(name)!);
        if (fetchers.length === 0) {
          at(['depends_on'], `model server '${server.name}' does not wait for a fetch-and-verify job (role model-fetch, condition service_completed_successfully)`, `${server.name}:fetch`);
          continue;
        }
        const fetched = new Set(fetchers.flatMap((f) => volumesOf(f).filter((v) => v.type === 'volume' && !v.readOnly).map((v) => v.source)));
        const volumes = volumesOf(server);
        for (const v of volumes.filter((x) => x.type === 'bind')) at(['volumes', v.index], `model server '${server.name}' bind-mounts the host path '${v.source}'`, `${server.name}:${v.source}`);
        const models = volumes.filter((v) => v.type === 'volume' && fetched.has(v.source));
        if (models.length === 0) at(['volumes'], `model server '${server.name}' mounts no volume its fetch job writes`, `${server.name}:models`);
        for (const v of models.filter((x) => !x.readOnly)) at(['volumes', v.index], `model server '${server.name}' mounts the model volume '${v.source}' writable`, `${server.name}:${v.source}`);
      }
    }
    return hits;
  },
};
