import type { PostureModel } from '../../posture-model';
import type { Rule, RuleHit } from '../../rule';
import { isPrefixGlob, isRootGlob, segmentsOf } from './path-patterns';
import { grantedAmong, PathRule, reportPath, VaultPolicy, WRITE_CAPABILITIES, writtenPattern } from './policy-document';

/**
 * Self-service endpoints every token needs (Vault's `default` policy grants them); writing them
 * is not administration, so VLT-16 and VLT-18 skip rules on exactly these patterns.
 */
export const SELF_SERVICE_PATTERNS: ReadonlySet<string> = new Set([
  'sys/leases/renew',
  'sys/leases/lookup',
  'sys/renew',
  'sys/capabilities-self',
  'sys/wrapping/wrap',
  'sys/wrapping/unwrap',
  'sys/wrapping/lookup',
  'sys/tools/hash',
  'sys/tools/hash/*',
  'sys/tools/random',
  'sys/tools/random/*',
  'sys/control-group/request',
  'sys/mfa/challenge',
  'identity/oidc/provider/+/authorize',
]);

/** `sys/` endpoints whose write access is CRITICAL for VLT-16 (the rest of `sys/` is HIGH). */
export const CRITICAL_SYS_TARGETS: readonly string[] = [
  'sys/mounts*',
  'sys/auth*',
  'sys/audit*',
  'sys/policy*',
  'sys/policies/*',
  'sys/raw*',
  'sys/seal',
  'sys/rotate*',
  'sys/generate-root*',
  'sys/rekey*',
];

/** Engine administration paths for VLT-19, per mount family, with the usual mount names. */
const ENGINE_ADMIN: readonly { readonly family: RegExp; readonly mounts: readonly string[]; readonly subpaths: readonly string[] }[] = [
  { family: /^pki([_-].*)?$/, mounts: ['pki', 'pki_int'], subpaths: ['root', 'root/*', 'sign-verbatim*', 'intermediate/*'] },
  { family: /^transit([_-].*)?$/, mounts: ['transit'], subpaths: ['keys/*'] },
  { family: /^database([_-].*)?$/, mounts: ['database'], subpaths: ['roles/*', 'static-roles/*', 'config/*'] },
  { family: /^(secret|kv)([_-].*)?$/, mounts: ['secret', 'kv'], subpaths: ['metadata/*', 'destroy/*'] },
];

/** What to check on each app (non-admin) policy rule that may write. */
interface Reach {
  readonly policy: VaultPolicy;
  readonly rule: PathRule;
  readonly writes: string[];
}

/** Rules of non-admin policies that grant a write capability, minus root globs (VLT-14's) and self-service paths. */
function appWriteRules(model: PostureModel): Reach[] {
  return VaultPolicy.all(model)
    .filter((p) => !p.admin)
    .flatMap((policy) =>
      policy.rules
        .filter((rule) => !isRootGlob(rule.pattern) && !SELF_SERVICE_PATTERNS.has(rule.pattern))
        .map((rule) => ({ policy, rule, writes: grantedAmong(rule, WRITE_CAPABILITIES) }))
        .filter((r) => r.writes.length > 0),
    );
}

/** VLT-15: `sudo` (or legacy `policy = "sudo"`) in a policy not marked admin or break-glass. */
export const VLT_15: Rule = {
  id: 'VLT-15',
  title: 'sudo granted by a non-admin policy',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'sudo opens root-protected endpoints (policies, mounts, audit, seal); only an audited admin or break-glass policy may hold it.',
  remediation: 'Remove sudo, or move the path into a policy named admin-*/break-glass-* or tagged `# mlsec:policy-role=admin` on its first line.',
  controls: { 'nist-800-53-r5': ['AC-6', 'AC-3'], 'csa-aicm': ['IAM'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const policy of VaultPolicy.all(model).filter((p) => !p.admin)) {
      for (const rule of policy.rules) {
        if (!rule.granted.has('sudo')) continue;
        for (const block of rule.blocks.filter((b) => b.capabilities.includes('sudo') || b.legacy.includes('sudo'))) {
          const viaLegacy = !block.capabilities.includes('sudo');
          hits.push({
            document: policy.document,
            path: [...block.path, viaLegacy ? 'policy' : 'capabilities'],
            granular: block.pattern,
            message: `non-admin policy grants sudo on path '${block.pattern}'${viaLegacy ? ' (legacy policy = "sudo")' : ''}`,
          });
        }
      }
    }
    return hits;
  },
};

/** VLT-16: an app policy writes `sys/`: CRITICAL on mounts, auth, audit, policies, raw, seal, rotate; HIGH elsewhere. */
export const VLT_16: Rule = {
  id: 'VLT-16',
  title: 'App policy writes sys/ endpoints',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Write access to sys/ reconfigures Vault itself: an app token could mount engines, add auth methods, disable audit or rewrite policies.',
  remediation: 'Give apps no create/update/patch/delete/sudo under sys/ beyond the self-service endpoints of the default policy; keep sys/ administration in an admin policy.',
  controls: { 'nist-800-53-r5': ['AC-6', 'CM-5', 'AU-9'], 'csa-aicm': ['IAM', 'LOG'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const { policy, rule, writes } of appWriteRules(model)) {
      const critical = CRITICAL_SYS_TARGETS.map((t) => policy.decidesUnder(rule, t)).find((w) => w !== undefined);
      const reached = critical ?? policy.decidesUnder(rule, 'sys/*');
      if (reached === undefined) continue;
      hits.push({
        document: policy.document,
        path: reportPath(rule, writes),
        granular: writtenPattern(rule),
        severity: critical !== undefined ? 'critical' : 'high',
        message: `app policy path '${writtenPattern(rule)}' grants ${writes.join(', ')} on ${critical !== undefined ? 'critical endpoint' : 'system endpoint'} '${reached}'`,
      });
    }
    return hits;
  },
};

/** VLT-18: an app policy can mint tokens (`auth/token/create*`, `auth/token/roles/*`) or write `identity/*`. */
export const VLT_18: Rule = {
  id: 'VLT-18',
  title: 'App policy mints tokens or writes identity',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Token creation (orphans included) and identity writes (entities, groups, aliases) let an app grant itself or others new policies.',
  remediation: 'Remove write capabilities on auth/token/create*, auth/token/roles/* and identity/* from app policies; issue app tokens through their auth method.',
  controls: { 'nist-800-53-r5': ['AC-6', 'AC-2', 'IA-5'], 'csa-aicm': ['IAM'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const { policy, rule, writes } of appWriteRules(model)) {
      const reached = ['auth/token/create*', 'auth/token/roles/*', 'identity/*'].map((t) => policy.decidesUnder(rule, t)).find((w) => w !== undefined);
      if (reached === undefined) continue;
      hits.push({
        document: policy.document,
        path: reportPath(rule, writes),
        granular: writtenPattern(rule),
        message: `app policy path '${writtenPattern(rule)}' grants ${writes.join(', ')} on '${reached}'`,
      });
    }
    return hits;
  },
};

/** VLT-19: an app policy writes engine administration paths (PKI roots, transit keys, database roles/config, KV metadata/destroy). */
export const VLT_19: Rule = {
  id: 'VLT-19',
  title: 'App policy writes secrets-engine admin paths',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'These paths issue roots, sign anything, rotate or delete keys, change database roles or destroy every secret version; apps only need the data paths.',
  remediation: 'Limit app policies to data paths (kv/data/…, transit/encrypt/<key>, database/creds/<role>, pki/issue/<role>); keep engine administration in an admin policy.',
  controls: { 'nist-800-53-r5': ['AC-6', 'CM-5', 'SC-12'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const { policy, rule, writes } of appWriteRules(model)) {
      const reached = engineAdminTargets(rule.pattern).map((t) => policy.decidesUnder(rule, t)).find((w) => w !== undefined);
      if (reached === undefined) continue;
      hits.push({
        document: policy.document,
        path: reportPath(rule, writes),
        granular: writtenPattern(rule),
        message: `app policy path '${writtenPattern(rule)}' grants ${writes.join(', ')} on engine admin path '${reached}'`,
      });
    }
    return hits;
  },
};

/**
 * The admin paths a pattern could reach: under its own mount when its first segment is a literal
 * mount of one of the families (`pki_int/…`), under the usual mount names when the first segment
 * is a wildcard (`+/keys/*`, `p*`).
 */
function engineAdminTargets(pattern: string): string[] {
  const segments = segmentsOf(pattern);
  const mount = segments[0] ?? '';
  const literal = mount !== '+' && !(segments.length === 1 && isPrefixGlob(pattern));
  return ENGINE_ADMIN.flatMap((e) => {
    if (literal && !e.family.test(mount)) return [];
    return (literal ? [mount] : e.mounts).flatMap((m) => e.subpaths.map((s) => `${m}/${s}`));
  });
}
