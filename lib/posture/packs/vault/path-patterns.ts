/**
 * Vault ACL path patterns, as Vault reads them: a leading `/` is dropped; a trailing `*` is a
 * prefix glob (matches any rest, `/` included); a segment that is exactly `+` matches one path
 * segment; a `*` anywhere else is a literal. Identity templates (`{{identity.entity.id}}`) are
 * resolved per token at request time, so for overlap questions they match any text inside one
 * segment, and for priority they count as literal text.
 */

type Token = { readonly kind: 'lit'; readonly ch: string } | { readonly kind: 'seg' } | { readonly kind: 'any' };

/** A pattern as Vault stores it: leading `/` removed. */
export function normalizePattern(pattern: string): string {
  return pattern.startsWith('/') ? pattern.slice(1) : pattern;
}

/** Whether the pattern ends in a prefix glob. */
export function isPrefixGlob(pattern: string): boolean {
  return normalizePattern(pattern).endsWith('*');
}

/** The path segments of a pattern, without the trailing glob character. */
export function segmentsOf(pattern: string): string[] {
  const p = normalizePattern(pattern);
  return (p.endsWith('*') ? p.slice(0, -1) : p).split('/');
}

/** Whether a segment is (or contains) an identity template. */
export function isTemplated(segment: string): boolean {
  return /\{\{[^}]*\}\}/.test(segment);
}

/**
 * Index of the first segment holding a wildcard: a `+` segment or the segment the trailing glob
 * extends (`kv/*` → 1, `kv/data/app*` → 2); `Infinity` for an exact path.
 */
export function firstWildcardSegment(pattern: string): number {
  const p = normalizePattern(pattern);
  const segs = segmentsOf(p);
  const plus = segs.indexOf('+');
  const glob = p.endsWith('*') ? segs.length - 1 : Infinity;
  return Math.min(plus < 0 ? Infinity : plus, glob);
}

/**
 * A root glob: a pattern that matches every path (`*`, `/*`) or every path below any one or
 * more `+` segments (`+/*`, `+/+/*`).
 */
export function isRootGlob(pattern: string): boolean {
  return /^(\+\/)*\*$/.test(normalizePattern(pattern));
}

/** Tokens, keyed by pattern (bounded; cleared when full): the rules compare every pair of patterns, each many times. */
const TOKENS = new Map<string, readonly Token[]>();

function tokenize(pattern: string): readonly Token[] {
  let tokens = TOKENS.get(pattern);
  if (!tokens) {
    tokens = Object.freeze(tokensOf(pattern));
    if (TOKENS.size >= 1000) TOKENS.clear();
    TOKENS.set(pattern, tokens);
  }
  return tokens;
}

function tokensOf(pattern: string): Token[] {
  const p = normalizePattern(pattern);
  const glob = p.endsWith('*');
  const body = glob ? p.slice(0, -1) : p;
  const tokens: Token[] = [];
  body.split('/').forEach((segment, i) => {
    if (i > 0) tokens.push({ kind: 'lit', ch: '/' });
    if (segment === '+') {
      tokens.push({ kind: 'seg' });
      return;
    }
    for (const part of segment.split(/(\{\{[^}]*\}\})/)) {
      if (/^\{\{[^}]*\}\}$/.test(part)) tokens.push({ kind: 'seg' });
      else for (const ch of part) tokens.push({ kind: 'lit', ch });
    }
  });
  if (glob) tokens.push({ kind: 'any' });
  return tokens;
}

/** The character both tokens can consume, or undefined when they cannot agree. */
function agree(a: Token, b: Token): string | undefined {
  if (a.kind === 'lit' && b.kind === 'lit') return a.ch === b.ch ? a.ch : undefined;
  if (a.kind === 'lit') return b.kind === 'seg' && a.ch === '/' ? undefined : a.ch;
  if (b.kind === 'lit') return a.kind === 'seg' && b.ch === '/' ? undefined : b.ch;
  return 'x';
}

/**
 * The shortest concrete path both token lists match, or undefined when they do not overlap
 * (breadth-first search over the product of the two patterns).
 */
function witnessOf(a: readonly Token[], b: readonly Token[]): string | undefined {
  const seen = new Set<number>();
  const width = b.length + 1;
  const queue: [number, number, string][] = [[0, 0, '']];
  seen.add(0);
  const push = (i: number, j: number, text: string) => {
    const key = i * width + j;
    if (seen.has(key)) return;
    seen.add(key);
    queue.push([i, j, text]);
  };
  for (let head = 0; head < queue.length; head++) {
    const [i, j, text] = queue[head];
    if (i === a.length && j === b.length) return text;
    const ta = a[i];
    const tb = b[j];
    // A star token (segment wildcard, glob) may match nothing more.
    if (ta && ta.kind !== 'lit') push(i + 1, j, text);
    if (tb && tb.kind !== 'lit') push(i, j + 1, text);
    if (!ta || !tb) continue;
    const ch = agree(ta, tb);
    if (ch === undefined) continue;
    push(ta.kind === 'lit' ? i + 1 : i, tb.kind === 'lit' ? j + 1 : j, text + ch);
  }
  return undefined;
}

/** A concrete path matched by both patterns (the shortest), or undefined if they never overlap. */
export function overlapWitness(patternA: string, patternB: string): string | undefined {
  return witnessOf(tokenize(patternA), tokenize(patternB));
}

/** Compiled matchers, keyed by pattern (bounded; cleared when full). */
const MATCHERS = new Map<string, RegExp>();

/** Whether a pattern matches a concrete request path. */
export function patternMatches(pattern: string, path: string): boolean {
  let matcher = MATCHERS.get(pattern);
  if (!matcher) {
    const source = tokenize(pattern)
      .map((t) => (t.kind === 'lit' ? t.ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : t.kind === 'seg' ? '[^/]*' : '[\\s\\S]*'))
      .join('');
    matcher = new RegExp(`^${source}$`);
    if (MATCHERS.size >= 1000) MATCHERS.clear();
    MATCHERS.set(pattern, matcher);
  }
  return matcher.test(path);
}

/**
 * Vault's priority between two patterns that match the same request (policy docs, "priority
 * matching"): positive when `a` wins. An exact path beats any wildcard; then the later first
 * wildcard wins; then no trailing glob beats a glob; then fewer `+` segments; then the longer
 * pattern; then the lexicographically larger one.
 */
export function comparePriority(a: string, b: string): number {
  const pa = normalizePattern(a);
  const pb = normalizePattern(b);
  const wa = firstWildcardChar(pa);
  const wb = firstWildcardChar(pb);
  if (wa !== wb) return wa > wb ? 1 : -1;
  const ga = pa.endsWith('*');
  const gb = pb.endsWith('*');
  if (ga !== gb) return ga ? -1 : 1;
  const plusA = segmentsOf(pa).filter((s) => s === '+').length;
  const plusB = segmentsOf(pb).filter((s) => s === '+').length;
  if (plusA !== plusB) return plusA < plusB ? 1 : -1;
  if (pa.length !== pb.length) return pa.length > pb.length ? 1 : -1;
  return pa === pb ? 0 : pa > pb ? 1 : -1;
}

/** Character index of the first `+` segment or trailing glob; `Infinity` for an exact path. */
function firstWildcardChar(p: string): number {
  let best = p.endsWith('*') ? p.length - 1 : Infinity;
  let offset = 0;
  for (const segment of p.split('/')) {
    if (segment === '+') {
      best = Math.min(best, offset);
      break;
    }
    offset += segment.length + 1;
  }
  return best;
}
