/**
 * Whether a Vault ACL policy path pattern covers a request path, with the semantics of Vault's
 * policy documentation (https://developer.hashicorp.com/vault/docs/concepts/policies, "Policy
 * syntax": a path is an exact match or, with a trailing `*`, a prefix glob; a `+` stands for any
 * characters bounded within a single path segment) and of its ACL matcher (`vault/acl.go`,
 * `CheckAllowedFromNonExactPaths`; OpenBao's is the same):
 *
 * - a pattern is `/`-separated literal segments, compared exactly (case-sensitive);
 * - a segment that is exactly `+` matches exactly one path segment: any non-empty text without
 *   `/` (`secret/+/teamb` matches `secret/foo/teamb`, not `secret/foo/bar/teamb`). A `+` inside
 *   a segment (`a+b`) is a literal character;
 * - a trailing `*` is a prefix glob: it matches any suffix, `/` included, and the empty one
 *   (`secret/foo*` matches `secret/foo`, `secret/food` and `secret/foo/bar`; `*` alone matches
 *   every path). A `*` anywhere else is a literal character. `+*` (a `+` segment then the glob)
 *   matches one segment and then anything (Vault accepts it; OpenBao refuses such a policy);
 * - without a trailing `*` the match is exact: the same number of segments, each matching;
 * - an identity template (`{{identity.entity.id}}`, `{{identity.groups.names.ops.id}}` …) is
 *   resolved per token at request time; here it is treated conservatively as a wildcard for one
 *   non-empty segment (text without `/`), wherever it sits in a segment.
 *
 * A leading `/` of the pattern is dropped, as Vault's policy parser does, and the request path
 * loses its leading `/`s, as Vault strips them before the ACL check. Which rule wins when several
 * patterns match (Vault's priority order) does not matter here: these functions answer "could
 * this pattern grant anything on this path", the question an isolation check asks. Vault's own
 * matcher would also let `+` match an empty segment (`a//b`); this one requires a non-empty one.
 */
export function vaultPathMatches(pattern: string, path: string): boolean {
  if (typeof pattern !== 'string' || typeof path !== 'string') return false;
  // Vault drops one leading `/` of a policy path, and every leading `/` of a request path.
  const rule = pattern.startsWith('/') ? pattern.slice(1) : pattern;
  const request = path.replace(/^\/+/, '');
  const glob = rule.endsWith('*');
  const wanted = (glob ? rule.slice(0, -1) : rule).split('/');
  const given = request.split('/');
  if (given.length < wanted.length || (!glob && given.length !== wanted.length)) return false;
  for (let i = 0; i < wanted.length; i++) {
    const last = i === wanted.length - 1;
    if (wanted[i] === '+') {
      if (given[i] === '') return false;
      continue;
    }
    // The segment the glob extends: its text (templates included) must be a prefix of the path segment.
    if (!segmentMatches(pieces(wanted[i]), given[i], glob && last)) return false;
  }
  return true;
}

/** Whether any of `patterns` covers `path` (see {@link vaultPathMatches}). */
export function anyPatternMatches(patterns: readonly string[], path: string): boolean {
  return patterns.some((p) => vaultPathMatches(p, path));
}

const TEMPLATE = /\{\{[^{}]*\}\}/g;

/** A pattern segment as literal texts separated by template holes: `a{{x}}b` → ['a', 'b']. */
function pieces(segment: string): string[] {
  return segment.split(TEMPLATE);
}

/**
 * Whether the literal texts `parts` (with one template hole, ≥ 1 character, between each two)
 * match the whole of `text`, or a prefix of it when `prefix`.
 */
function segmentMatches(parts: readonly string[], text: string, prefix: boolean): boolean {
  const [first, ...rest] = parts;
  if (!text.startsWith(first)) return false;
  if (rest.length === 0) return prefix || text.length === first.length;
  // A hole takes one or more characters, then the next literal part must follow.
  for (let end = first.length + 1; end <= text.length; end++) {
    if (segmentMatches(rest, text.slice(end), prefix)) return true;
  }
  return false;
}
