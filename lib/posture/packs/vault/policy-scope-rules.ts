import type { Rule, RuleHit } from '../../rule';
import { firstWildcardSegment, isRootGlob, isTemplated, segmentsOf } from './path-patterns';
import { grantedAmong, PathRule, reportPath, VaultPolicy, writtenPattern } from './policy-document';

/**
 * Second path segments that are engine structure rather than a name (`kv/data/…`,
 * `database/creds/…`, `transit/keys/…`): a wildcard right after one still spans the whole mount.
 */
export const STRUCTURAL_SEGMENTS: ReadonlySet<string> = new Set([
  'data', 'metadata', 'delete', 'undelete', 'destroy', 'subkeys',
  'creds', 'static-creds', 'roles', 'static-roles', 'config', 'role',
  'issue', 'sign', 'cert', 'certs', 'keys', 'encrypt', 'decrypt', 'hmac', 'verify', 'datakey', 'rewrap', 'export',
]);

/** Name parts that say a path's key names identify people or customers (VLT-22). */
export const SENSITIVE_NAME_PARTS = /^(users?|usuarios?|customers?|clientes?|patients?|pacientes?|employees?|people|persons?|members?|accounts?|emails?|pii|ssn|cpf|cnpj|tenants?)$/i;

/** VLT-14: a root glob (`*`, `/*`, `+/*`) that grants anything but deny. */
export const VLT_14: Rule = {
  id: 'VLT-14',
  title: 'Policy grants a root glob',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'A path matching every Vault path is root-equivalent for the capabilities it grants: every secret, every mount, sys/ included.',
  remediation: 'Replace the root glob with the exact mount paths the holder needs; break-glass access belongs to a time-boxed root token, not a policy.',
  controls: { 'nist-800-53-r5': ['AC-6', 'AC-3'], 'csa-aicm': ['IAM'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const policy of VaultPolicy.all(model)) {
      for (const rule of policy.rules) {
        const granted = [...rule.granted].filter((c) => c !== 'deny');
        if (!isRootGlob(rule.pattern) || granted.length === 0) continue;
        hits.push({
          document: policy.document,
          path: reportPath(rule, granted),
          granular: writtenPattern(rule),
          message: `path '${writtenPattern(rule)}' matches every Vault path and grants ${granted.join(', ')}`,
        });
      }
    }
    return hits;
  },
};

/** VLT-20: a glob spanning a whole mount (or every mount) grants read, delete or list. */
export const VLT_20: Rule = {
  id: 'VLT-20',
  title: 'Broad glob grants read, delete or list',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'A wildcard at the top of a mount (`secret/*`, `secret/data/*`, `+/…`) reaches every other app and tenant stored there.',
  remediation: "Grant the exact app path (kv/data/<env>/<app>/*) or a templated path with ids (kv/data/{{identity.entity.id}}/*).",
  controls: { 'nist-800-53-r5': ['AC-6', 'AC-3'], 'csa-aicm': ['IAM', 'DSP'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const policy of VaultPolicy.all(model)) {
      for (const rule of policy.rules) {
        const granted = grantedAmong(rule, ['read', 'delete', 'list']);
        if (granted.length === 0 || isRootGlob(rule.pattern) || !isBroad(rule.pattern)) continue;
        hits.push({
          document: policy.document,
          path: reportPath(rule, granted),
          granular: writtenPattern(rule),
          message: `broad path '${writtenPattern(rule)}' grants ${granted.join(', ')} at the top of a mount instead of one app's path`,
        });
      }
    }
    return hits;
  },
};

/**
 * Whether the first wildcard comes within the mount's top level: segment 0 or 1, or segment 2
 * after a structural segment (`kv/data/*`, `database/creds/*`). Templates count as names.
 */
export function isBroad(pattern: string): boolean {
  const segments = segmentsOf(pattern);
  const threshold = segments.length > 1 && STRUCTURAL_SEGMENTS.has(segments[1]) ? 2 : 1;
  return firstWildcardSegment(pattern) <= threshold;
}

/**
 * VLT-22: `list` where key names are sensitive: the path names people or customers, or it lists
 * the parent of a per-entity templated path (list results are not filtered by policy).
 */
export const VLT_22: Rule = {
  id: 'VLT-22',
  title: 'list discloses sensitive key names',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Vault does not filter list results by policy: whoever may list a folder sees every key name in it, and key names often carry user or customer identifiers.',
  remediation: 'Drop list where names are sensitive, key secrets by opaque ids, or (OpenBao) set list_scan_response_keys_filter_path.',
  controls: { 'nist-800-53-r5': ['AC-6', 'AC-3'], 'csa-aicm': ['DSP', 'IAM'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const policy of VaultPolicy.all(model)) {
      const reported = new Set<PathRule>();
      const report = (rule: PathRule, message: string) => {
        if (reported.has(rule)) return;
        reported.add(rule);
        hits.push({ document: policy.document, path: reportPath(rule, ['list']), granular: writtenPattern(rule), message });
      };
      const listers = policy.rules.filter((r) => r.granted.has('list') && !isRootGlob(r.pattern) && !filtersListing(r));
      for (const rule of listers) {
        const name = segmentsOf(rule.pattern).find((s) => !isTemplated(s) && s.split(/[-_.]/).some((part) => SENSITIVE_NAME_PARTS.test(part)));
        if (name !== undefined) report(rule, `path '${writtenPattern(rule)}' grants list where key names identify people or customers ('${name}'); list results are not filtered`);
      }
      for (const templated of policy.rules.filter((r) => segmentsOf(r.pattern).some(isTemplated))) {
        for (const folder of parentFolders(templated.pattern)) {
          const lister = [`${folder}/`, folder].map((p) => policy.lookup(p)).find((r) => r !== undefined && listers.includes(r));
          if (lister && lister !== templated) {
            report(lister, `path '${writtenPattern(lister)}' grants list on '${folder}/', disclosing every entity's key name that '${writtenPattern(templated)}' scopes per entity`);
          }
        }
      }
    }
    return hits;
  },
};

/** Whether a rule filters list results (OpenBao's `list_scan_response_keys_filter_path`). */
function filtersListing(rule: PathRule): boolean {
  return rule.blocks.some((b) => typeof b.data.list_scan_response_keys_filter_path === 'string' && b.data.list_scan_response_keys_filter_path !== '');
}

/** The folder holding the first templated segment, and its KV v2 `metadata/` twin. */
function parentFolders(pattern: string): string[] {
  const segments = segmentsOf(pattern);
  const k = segments.findIndex(isTemplated);
  if (k < 1) return [];
  const parent = segments.slice(0, k);
  const folders = [parent.join('/')];
  if (parent[1] === 'data') folders.push([parent[0], 'metadata', ...parent.slice(2)].join('/'));
  return folders;
}
