import type { PostureModel } from '../../posture-model';
import type { DocumentPath, SourceDocument } from '../../source-document';
import { isObject } from './hcl-values';
import { comparePriority, normalizePattern, overlapWitness, patternMatches } from './path-patterns';

/** Capabilities Vault knows (RULES.md VLT-17). */
export const KNOWN_CAPABILITIES: ReadonlySet<string> = new Set(['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny', 'subscribe', 'recover']);

/** Capabilities that change state. */
export const WRITE_CAPABILITIES: readonly string[] = ['create', 'update', 'patch', 'delete', 'sudo'];

/** Pre-0.5 `policy = "…"` values and the capabilities Vault maps them to. */
export const LEGACY_POLICIES: Readonly<Record<string, readonly string[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

/**
 * An admin or break-glass policy: its file name starts with `admin`, `break-glass`/`breakglass`
 * or `root` (`policies/admin-ops.hcl`), or its first line is the comment
 * `# mlsec:policy-role=admin` (or `=break-glass`). VLT-15/16/18/19 skip these.
 */
export const ADMIN_FILE_NAME = /(^|[\\/])(admin|break-?glass|root)[^\\/]*\.hcl$/i;

/** The first-line tag that marks an admin or break-glass policy. */
export const ADMIN_TAG = /^\s*(#|\/\/)\s*mlsec:policy-role\s*=\s*(admin|break-?glass)\b/i;

/** One `path "…" { … }` block as written. */
export interface PathBlock {
  /** The pattern as written (the block label). */
  readonly pattern: string;
  /** The block body. */
  readonly data: Record<string, any>;
  /** Its data path, `['path', pattern, index]`. */
  readonly path: DocumentPath;
  /** Capability strings from `capabilities` (non-strings dropped). */
  readonly capabilities: readonly string[];
  /** Capabilities from a legacy `policy = "…"` value, if it is a known one. */
  readonly legacy: readonly string[];
}

/** Every block of one pattern, merged as Vault merges them. */
export interface PathRule {
  /** The pattern as Vault stores it (leading `/` removed). */
  readonly pattern: string;
  /** The blocks, in document order. */
  readonly blocks: readonly PathBlock[];
  /** Effective capabilities: the union of all blocks, or only `deny` when any block denies. */
  readonly granted: ReadonlySet<string>;
}

/** One Vault ACL policy document, read the way Vault evaluates it. */
export class VaultPolicy {
  /** The policy of every `vault-policy` document of a model (read once per model, shared by the rules). */
  public static all(model: PostureModel): readonly VaultPolicy[] {
    return model.view(readPolicies);
  }

  /** Every path block, in document order per pattern. */
  public readonly blocks: readonly PathBlock[];
  /** One merged rule per distinct pattern. */
  public readonly rules: readonly PathRule[];
  /** Whether the file name or the first-line tag marks it admin or break-glass. */
  public readonly admin: boolean;

  constructor(public readonly document: SourceDocument) {
    // hcl2json sorts labels; put the blocks back in the order they were written.
    this.blocks = pathBlocks(document.data?.path)
      .map((block, i) => ({ block, i, line: document.locate(block.path).line }))
      .sort((a, b) => a.line - b.line || a.i - b.i)
      .map((x) => x.block);
    const merged = new Map<string, PathBlock[]>();
    for (const block of this.blocks) {
      const key = normalizePattern(block.pattern);
      (merged.get(key) ?? merged.set(key, []).get(key)!).push(block);
    }
    this.rules = [...merged.entries()].map(([pattern, blocks]) => ({ pattern, blocks, granted: effective(blocks) }));
    const firstLine = (document.text ?? '').replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    this.admin = ADMIN_FILE_NAME.test(document.file) || ADMIN_TAG.test(firstLine);
  }

  /** The rule Vault applies to a concrete request path: the highest-priority matching pattern. */
  public lookup(requestPath: string): PathRule | undefined {
    let best: PathRule | undefined;
    for (const rule of this.rules) {
      if (!patternMatches(rule.pattern, requestPath)) continue;
      if (!best || comparePriority(rule.pattern, best.pattern) > 0) best = rule;
    }
    return best;
  }

  /**
   * A request path under `target` where `rule` is the rule Vault applies (no more specific rule
   * of this policy takes over), or undefined when `rule` never decides any path under `target`.
   */
  public decidesUnder(rule: PathRule, target: string): string | undefined {
    const witness = overlapWitness(rule.pattern, target);
    if (witness === undefined) return undefined;
    for (const candidate of [witness, `${witness}x`, `${witness}/x`]) {
      if (patternMatches(rule.pattern, candidate) && patternMatches(target, candidate) && this.lookup(candidate) === rule) return candidate;
    }
    return undefined;
  }
}

/** The pattern as the policy author wrote it (first block), for messages and granular ids. */
export function writtenPattern(rule: PathRule): string {
  return rule.blocks[0]?.pattern ?? rule.pattern;
}

/** The capabilities of `granted` among `wanted`, in `wanted`'s order. */
export function grantedAmong(rule: PathRule, wanted: readonly string[]): string[] {
  return wanted.filter((c) => rule.granted.has(c));
}

/**
 * Where to report a capability of a rule: the `capabilities` (or legacy `policy`) attribute of
 * the first block that grants it.
 */
export function reportPath(rule: PathRule, capabilities: readonly string[]): DocumentPath {
  for (const block of rule.blocks) {
    if (block.capabilities.some((c) => capabilities.includes(c))) return [...block.path, 'capabilities'];
    if (block.legacy.some((c) => capabilities.includes(c))) return [...block.path, 'policy'];
  }
  return rule.blocks[0].path;
}

function readPolicies(model: PostureModel): readonly VaultPolicy[] {
  return Object.freeze(model.ofKind('vault-policy').map((d) => new VaultPolicy(d)));
}

function pathBlocks(paths: unknown): PathBlock[] {
  if (!isObject(paths)) return [];
  const out: PathBlock[] = [];
  for (const [pattern, value] of Object.entries(paths)) {
    const bodies: [Record<string, any>, DocumentPath][] = Array.isArray(value)
      ? value.flatMap((v, i): [Record<string, any>, DocumentPath][] => (isObject(v) ? [[v, ['path', pattern, i]]] : []))
      : isObject(value)
        ? [[value, ['path', pattern]]]
        : [];
    for (const [data, path] of bodies) {
      const raw = data.capabilities;
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
      const capabilities = list.filter((c): c is string => typeof c === 'string');
      const legacy = typeof data.policy === 'string' && Object.prototype.hasOwnProperty.call(LEGACY_POLICIES, data.policy) ? LEGACY_POLICIES[data.policy] : [];
      out.push({ pattern, data, path, capabilities, legacy });
    }
  }
  return out;
}

function effective(blocks: readonly PathBlock[]): ReadonlySet<string> {
  const all = new Set<string>();
  for (const b of blocks) for (const c of [...b.capabilities, ...b.legacy]) if (KNOWN_CAPABILITIES.has(c)) all.add(c);
  return all.has('deny') ? new Set(['deny']) : all;
}
