/**
 * Which alert rules a deployment can fire: each rule names the series it reads
 * (`SecurityAlertRule.reads`), each scrape target the series it serves. A rule whose series no
 * target serves is dormant: valid, unit-tested, and silent, so the posture report names it.
 */

/** A series a rule reads or a target serves: `name`, `name{label,…}`, or a name prefix ending in `_` (a target only). */
export const SERIES_SPEC = /^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-z_][a-z0-9_]*(?:,[a-z_][a-z0-9_]*)*\})?$/;

/** Series every scrape produces whatever the target serves. */
const ALWAYS = new Set(['up']);

function parse(spec: string): { readonly name: string; readonly labels: readonly string[] } {
  const brace = spec.indexOf('{');
  return brace < 0 ? { name: spec, labels: [] } : { name: spec.slice(0, brace), labels: spec.slice(brace + 1, -1).split(',') };
}

/**
 * Whether `read` is served by one of `served`: the same metric with at least the labels the rule
 * needs, or a prefix (`traefik_`) that stands for everything a target of that kind serves.
 */
export function isServed(read: string, served: readonly string[]): boolean {
  const r = parse(read);
  if (ALWAYS.has(r.name)) return true;
  return served.some((spec) => {
    if (spec.endsWith('_') && !spec.includes('{')) return r.name.startsWith(spec);
    const s = parse(spec);
    return s.name === r.name && r.labels.every((l) => s.labels.includes(l));
  });
}
