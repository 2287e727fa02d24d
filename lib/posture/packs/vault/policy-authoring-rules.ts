import type { Rule, RuleHit } from '../../rule';
import { show } from './hcl-values';
import { comparePriority, overlapWitness } from './path-patterns';
import { KNOWN_CAPABILITIES, LEGACY_POLICIES, reportPath, VaultPolicy, writtenPattern } from './policy-document';

/**
 * VLT-17: a capability Vault does not know (`*`, `write`, `Read`, a non-string), a `capabilities`
 * that is not a list, an unknown legacy `policy`, or `deny` written next to other capabilities.
 */
export const VLT_17: Rule = {
  id: 'VLT-17',
  title: 'Unknown capability or deny mixed with grants',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Vault rejects a policy with an unknown capability, so the intended grant or restriction never applies; `*` reads as "everything" to reviewers but is not a capability; deny silently discards the capabilities written beside it.',
  remediation: 'Use only create, read, update, patch, delete, list, sudo, deny, subscribe, recover; write deny alone in its own path block.',
  controls: { 'nist-800-53-r5': ['AC-3', 'CM-6'], 'csa-aicm': ['IAM'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const policy of VaultPolicy.all(model)) {
      for (const block of policy.blocks) {
        const hit = (key: string, message: string) => hits.push({ document: policy.document, path: [...block.path, key], granular: block.pattern, message });
        const raw = block.data.capabilities;
        const list: unknown[] = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
        if (raw !== undefined && !Array.isArray(raw) && typeof raw !== 'string') {
          hit('capabilities', `path '${block.pattern}' sets capabilities to ${show(raw)}, which is not a list of capabilities`);
        }
        const unknown = list.filter((c) => typeof c !== 'string' || !KNOWN_CAPABILITIES.has(c));
        if (unknown.length > 0) {
          const names = unknown.map((c) => `'${show(c)}'`).join(', ');
          const wildcard = unknown.includes('*') ? " ('*' is not a wildcard capability)" : '';
          hit('capabilities', `path '${block.pattern}' grants unknown ${unknown.length > 1 ? 'capabilities' : 'capability'} ${names}${wildcard}`);
        }
        const policyValue = block.data.policy;
        if (policyValue !== undefined && (typeof policyValue !== 'string' || !Object.prototype.hasOwnProperty.call(LEGACY_POLICIES, policyValue))) {
          hit('policy', `path '${block.pattern}' sets the legacy policy to unknown value '${show(policyValue)}'`);
        }
        const written = [...list.filter((c): c is string => typeof c === 'string' && KNOWN_CAPABILITIES.has(c)), ...block.legacy];
        const others = [...new Set(written.filter((c) => c !== 'deny'))];
        if (written.includes('deny') && others.length > 0) {
          hit(block.capabilities.includes('deny') ? 'capabilities' : 'policy', `path '${block.pattern}' combines deny with ${others.join(', ')}; deny discards them`);
        }
      }
    }
    return hits;
  },
};

/**
 * VLT-21: the same path declared twice in one policy (Vault merges the blocks silently), or a
 * deny that a more specific allow of the same policy overrides (Vault applies only the most
 * specific matching path).
 */
export const VLT_21: Rule = {
  id: 'VLT-21',
  title: 'Duplicate path or shadowed deny',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Duplicate blocks hide grants from reviewers; a deny on a broad path does not apply where a more specific path grants access, contrary to what it reads like.',
  remediation: 'Write each path once; put the deny on the exact path it must cover, or remove the overlapping allow.',
  controls: { 'nist-800-53-r5': ['AC-3', 'CM-6'], 'csa-aicm': ['IAM'] },
  kinds: ['vault-policy'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const policy of VaultPolicy.all(model)) {
      for (const rule of policy.rules) {
        if (rule.blocks.length > 1) {
          hits.push({
            document: policy.document,
            path: rule.blocks[1].path,
            granular: writtenPattern(rule),
            message: `path '${writtenPattern(rule)}' is declared ${rule.blocks.length} times in this policy; Vault merges the blocks`,
          });
        }
        if (!rule.granted.has('deny')) continue;
        const shadows = policy.rules.filter(
          (allow) => allow !== rule && allow.granted.size > 0 && !allow.granted.has('deny') && comparePriority(allow.pattern, rule.pattern) > 0 && overlapWitness(allow.pattern, rule.pattern) !== undefined,
        );
        if (shadows.length === 0) continue;
        hits.push({
          document: policy.document,
          path: reportPath(rule, ['deny']),
          granular: writtenPattern(rule),
          message: `deny on '${writtenPattern(rule)}' is overridden by the more specific ${shadows.map((s) => `'${writtenPattern(s)}' (${[...s.granted].join(', ')})`).join(', ')}`,
        });
      }
    }
    return hits;
  },
};
