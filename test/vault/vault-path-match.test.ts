/**
 * `vaultPathMatches` / `anyPatternMatches`: Vault's ACL path semantics (policy docs, acl.go) as a
 * table, and a property against an independent reference built by translating the pattern into
 * a regular expression (the library walks segments; the reference never splits the path).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyPatternMatches, vaultPathMatches } from '../../lib/vault/vault-path-match';

const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 1000) };

/** [pattern, path, matches] */
const TABLE: readonly (readonly [string, string, boolean])[] = [
  // Exact paths.
  ['secret/foo', 'secret/foo', true],
  ['secret/foo', 'secret/foo/', false],
  ['secret/foo', 'secret/fo', false],
  ['secret/foo', 'secret/food', false],
  ['secret/foo', 'secret/foo/bar', false],
  ['secret/foo', 'Secret/foo', false],
  ['secret/foo', 'secret', false],
  // The documented prefix glob: any suffix, "/" included, and the empty one.
  ['secret/foo*', 'secret/foo', true],
  ['secret/foo*', 'secret/food', true],
  ['secret/foo*', 'secret/foo/bar', true],
  ['secret/foo*', 'secret/fo', false],
  ['secret/foo*', 'secret/bar', false],
  ['secret/*', 'secret/', true],
  ['secret/*', 'secret/a/b/c', true],
  ['secret/*', 'secret', false],
  ['secret/*', 'secrets/a', false],
  ['*', '', true],
  ['*', 'sys/mounts', true],
  // A "*" anywhere but at the end is a literal.
  ['secret/*/config', 'secret/app/config', false],
  ['secret/*/config', 'secret/*/config', true],
  ['a*b', 'a*b', true],
  ['a*b', 'axb', false],
  // The documented "+": exactly one segment.
  ['secret/+/teamb', 'secret/foo/teamb', true],
  ['secret/+/teamb', 'secret/foo/bar/teamb', false],
  ['secret/+/teamb', 'secret/teamb', false],
  ['secret/+/teamb', 'secret//teamb', false],
  ['secret/+/teamb', 'secret/foo/teamc', false],
  ['+', 'sys', true],
  ['+', 'sys/mounts', false],
  ['+', '', false],
  ['+/x', 'kv/x', true],
  ['+/x', 'kv/y/x', false],
  ['secret/+/+', 'secret/a/b', true],
  ['secret/+/+', 'secret/a/b/c', false],
  ['secret/+', 'secret/a', true],
  ['secret/+', 'secret/', false],
  // "+" with a prefix glob after it: one segment, then anything.
  ['secret/+/foo*', 'secret/a/foo', true],
  ['secret/+/foo*', 'secret/a/food/x', true],
  ['secret/+/foo*', 'secret/a/b/foo', false],
  ['secret/+*', 'secret/a', true],
  ['secret/+*', 'secret/a/b/c', true],
  ['secret/+*', 'secret/', false],
  ['secret/+/*', 'secret/a/', true],
  ['secret/+/*', 'secret/a', false],
  // A "+" inside a segment is a literal.
  ['secret/a+b', 'secret/a+b', true],
  ['secret/a+b', 'secret/aXb', false],
  ['secret/+a', 'secret/xa', false],
  // Identity templates: conservatively one non-empty segment.
  ['kv/data/{{identity.entity.id}}/*', 'kv/data/4a5b/app', true],
  ['kv/data/{{identity.entity.id}}/*', 'kv/data/4a5b', false],
  ['kv/data/{{identity.entity.id}}/config', 'kv/data/4a5b/config', true],
  ['kv/data/{{identity.entity.id}}/config', 'kv/data/a/b/config', false],
  ['kv/data/{{identity.entity.id}}/config', 'kv/data//config', false],
  ['kv/data/{{identity.entity.id}}', 'kv/data/x', true],
  ['kv/data/{{identity.entity.id}}', 'kv/data/x/y', false],
  ['kv/data/app-{{identity.entity.name}}', 'kv/data/app-alice', true],
  ['kv/data/app-{{identity.entity.name}}', 'kv/data/app-', false],
  ['kv/data/app-{{identity.entity.name}}', 'kv/data/web-alice', false],
  ['kv/{{identity.entity.name}}-{{identity.entity.id}}/x', 'kv/a-b/x', true],
  ['kv/{{identity.entity.name}}-{{identity.entity.id}}/x', 'kv/a-/x', false],
  ['kv/{{identity.entity.name}}*', 'kv/alice/anything/below', true],
  ['kv/{{identity.entity.name}}*', 'kv/', false],
  ['kv/{{unclosed', 'kv/{{unclosed', true],
  ['kv/{{unclosed', 'kv/x', false],
  // Leading slashes: one dropped from the pattern (Vault's policy parser), all from the request.
  ['/sys/mounts', 'sys/mounts', true],
  ['sys/mounts', '/sys/mounts', true],
  ['sys/mounts', '//sys/mounts', true],
  ['//sys/mounts', 'sys/mounts', false],
  // Trailing slashes are significant.
  ['secret/foo/', 'secret/foo/', true],
  ['secret/foo/', 'secret/foo', false],
];

describe('vaultPathMatches: Vault ACL path semantics', () => {
  it.each(TABLE)('%j on %j → %s', (pattern, path, matches) => {
    expect(vaultPathMatches(pattern, path)).toBe(matches);
  });

  it('answers false, never throws, for values that are not strings', () => {
    for (const [p, x] of [[undefined, 'a'], ['a', undefined], [null, 'a'], [1, '1'], ['*', {}]] as const) {
      expect(vaultPathMatches(p as unknown as string, x as unknown as string)).toBe(false);
    }
  });

  it('anyPatternMatches: true when one pattern of the list matches, false for an empty list', () => {
    const patterns = ['kv/data/prod/acme/a/db', 'transit/encrypt/pii', 'kv/metadata/prod/acme/a/*'];
    expect(anyPatternMatches(patterns, 'transit/encrypt/pii')).toBe(true);
    expect(anyPatternMatches(patterns, 'kv/metadata/prod/acme/a/db')).toBe(true);
    expect(anyPatternMatches(patterns, 'kv/data/prod/acme/b/db')).toBe(false);
    expect(anyPatternMatches(patterns, 'transit/decrypt/pii')).toBe(false);
    expect(anyPatternMatches([], 'kv/data/x')).toBe(false);
  });
});

/**
 * Reference: the pattern translated into one regular expression. A `+` segment and a template
 * become `[^/]+`, a trailing `*` becomes `[\s\S]*`, everything else is escaped literal text.
 */
function referenceRegex(pattern: string): RegExp {
  let p = pattern.startsWith('/') ? pattern.slice(1) : pattern;
  const glob = p.endsWith('*');
  if (glob) p = p.slice(0, -1);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const body = p
    .split('/')
    .map((segment) => (segment === '+' ? '[^/]+' : segment.split(/(\{\{[^{}]*\}\})/).map((part, i) => (i % 2 === 1 ? '[^/]+' : escape(part))).join('')))
    .join('\\/');
  return new RegExp(`^${body}${glob ? '[\\s\\S]*' : ''}$`);
}

function reference(pattern: string, path: string): boolean {
  return referenceRegex(pattern).test(path.replace(/^\/+/, ''));
}

/** Segments over a tiny alphabet, so patterns and paths collide often. */
const SEGMENTS = ['a', 'b', 'ab', 'ba', 'aab', '', 'x'];
const PATTERN_SEGMENTS = [...SEGMENTS, '+', '+', '{{identity.entity.id}}', 'a{{identity.entity.name}}', '{{x}}b', 'a+b', 'a*b', '{{', '}}', '{{a'];
const segment = fc.constantFrom(...SEGMENTS);
const path = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')),
  fc.tuple(fc.constantFrom('', '/', '//'), fc.array(segment, { minLength: 1, maxLength: 5 })).map(([lead, s]) => lead + s.join('/')),
  fc.string({ unit: fc.constantFrom('a', 'b', '/', '+', '*', '{', '}', 'x'), maxLength: 14 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const pattern = fc.oneof(
  fc
    .tuple(fc.boolean(), fc.array(fc.constantFrom(...PATTERN_SEGMENTS), { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([lead, s, glob]) => `${lead ? '/' : ''}${s.join('/')}${glob ? '*' : ''}`),
  fc.string({ unit: fc.constantFrom('a', 'b', '/', '+', '*', '{', '}', 'x'), maxLength: 14 }),
);

describe('vaultPathMatches against a regex reference (property)', () => {
  it('agrees with the regex translation on generated patterns and paths', () => {
    fc.assert(
      fc.property(pattern, path, (p, x) => {
        expect(vaultPathMatches(p, x), `pattern ${JSON.stringify(p)} path ${JSON.stringify(x)}`).toBe(reference(p, x));
      }),
      RUNS,
    );
  });

  it('agrees on paths derived from the pattern (so the matching branch is well exercised)', () => {
    // Fill each wildcard with a generated segment: mostly matches, and near misses when a filler is empty or holds "/".
    const filler = fc.constantFrom('a', 'bb', '', 'a/b', 'x');
    let matched = 0;
    fc.assert(
      fc.property(pattern, fc.array(filler, { minLength: 8, maxLength: 8 }), filler, (p, fills, tail) => {
        let i = 0;
        const next = () => fills[i++ % fills.length];
        const glob = p.endsWith('*');
        const body = (p.startsWith('/') ? p.slice(1) : p).slice(0, glob ? -1 : undefined);
        const x = body.split('/').map((s) => (s === '+' ? next() : s.replace(/\{\{[^{}]*\}\}/g, () => next()))).join('/') + (glob ? tail : '');
        const got = vaultPathMatches(p, x);
        expect(got, `pattern ${JSON.stringify(p)} path ${JSON.stringify(x)}`).toBe(reference(p, x));
        if (got) matched++;
      }),
      RUNS,
    );
    expect(matched).toBeGreaterThan(RUNS.numRuns / 10);
  });

  it('anyPatternMatches is the disjunction of vaultPathMatches', () => {
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 4 }), path, (ps, x) => {
        expect(anyPatternMatches(ps, x)).toBe(ps.some((p) => reference(p, x)));
      }),
      RUNS,
    );
  });
});
