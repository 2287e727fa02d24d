import { describe, expect, it } from 'vitest';
import { Match, Matcher, MatchResult } from '../../lib';

/** The mismatch lines of `value` against `pattern` (empty when it matches). */
function mismatches(pattern: Matcher, value: unknown): string[] {
  return pattern.test(value).mismatchLines();
}

describe('Match.objectLike', () => {
  it('accepts extra keys, at every depth of nested literal objects', () => {
    const pattern = Match.objectLike({ read_only: true, deploy: { resources: { limits: { cpus: '0.5' } } } });
    expect(mismatches(pattern, { read_only: true, user: '1:1', deploy: { resources: { limits: { cpus: '0.5', memory: '256M' } } } })).toEqual([]);
  });

  it('reports each mismatch with its JSON path', () => {
    const pattern = Match.objectLike({ read_only: true, deploy: { resources: { limits: { cpus: '0.5' } } }, user: '10001:10001' });
    expect(mismatches(pattern, { read_only: false, deploy: { resources: { limits: { cpus: 1 } } } })).toEqual([
      '/read_only: expected true, got false',
      '/deploy/resources/limits/cpus: expected "0.5", got 1',
      '/user: missing key, expected "10001:10001"',
    ]);
  });

  it('matches literal arrays exactly, their object elements partially (aws-cdk semantics)', () => {
    const pattern = Match.objectLike({ secrets: [{ source: 'db' }] });
    expect(mismatches(pattern, { secrets: [{ source: 'db', target: 'db' }] })).toEqual([]);
    expect(mismatches(pattern, { secrets: [{ source: 'db' }, { source: 'other' }] })).toEqual([
      '/secrets/1: unexpected element {"source":"other"} (expected 1 element, got 2)',
    ]);
    expect(mismatches(Match.objectLike({ cap_drop: ['ALL'] }), { cap_drop: ['ALL', 'NET_RAW'] })).toEqual([
      '/cap_drop: expected ["ALL"], got ["ALL","NET_RAW"]',
    ]);
    expect(mismatches(Match.objectLike({ networks: ['z3', 'z3-z6'] }), { networks: ['z3', 'z6'] })).toEqual([
      '/networks/1: expected "z3-z6", got "z6"',
    ]);
  });

  it('rejects values that are not objects, and null', () => {
    expect(mismatches(Match.objectLike({ a: 1 }), ['a'])).toEqual(['/: expected an object, got ["a"]']);
    expect(mismatches(Match.objectLike({ a: { b: 1 } }), { a: null })).toEqual(['/a: expected an object, got null']);
  });

  it('refuses a pattern that is not a plain object', () => {
    expect(() => Match.objectLike(['x'] as any)).toThrow(/Match.objectLike\(\) expects a plain object pattern, got \["x"\]/);
  });
});

describe('Match.objectEquals', () => {
  it('rejects keys the pattern does not name, also in nested literal objects', () => {
    const pattern = Match.objectEquals({ file: '../../secrets/lab/db', nested: { a: 1 } });
    expect(mismatches(pattern, { file: '../../secrets/lab/db', nested: { a: 1 } })).toEqual([]);
    expect(mismatches(pattern, { file: '../../secrets/lab/db', nested: { a: 1, b: 2 }, external: true })).toEqual([
      '/nested/b: unexpected key, got 2',
      '/external: unexpected key, got true',
    ]);
  });

  it('still honours matchers nested inside it', () => {
    expect(mismatches(Match.objectEquals({ image: Match.stringLikeRegexp('^nginx:'), ports: Match.absent() }), { image: 'nginx:1.27' })).toEqual([]);
  });
});

describe('Match.arrayWith', () => {
  it('matches a subsequence in order', () => {
    const pattern = Match.arrayWith(['a', 'c']);
    expect(mismatches(pattern, ['a', 'b', 'c', 'd'])).toEqual([]);
    expect(mismatches(pattern, ['c', 'a'])).toEqual(['/: no element after index 1 matches "c" (element 1 of arrayWith(["a","c"])); got ["c","a"]']);
    expect(mismatches(pattern, 'a')).toEqual(['/: expected an array, got "a"']);
  });

  it('matches literal object elements exactly, as aws-cdk does; objectLike makes them partial', () => {
    const volumes = [{ type: 'volume', source: 'data', target: '/data', read_only: false }];
    expect(Match.arrayWith([{ source: 'data' }]).test(volumes).isSuccess).toBe(false);
    expect(Match.arrayWith([Match.objectLike({ source: 'data' })]).test(volumes).isSuccess).toBe(true);
  });

  it('shows why the closest structured element failed', () => {
    const pattern = Match.objectLike({ volumes: Match.arrayWith([Match.objectLike({ source: 'data', read_only: true })]) });
    const lines = mismatches(pattern, { volumes: [{ source: 'logs', read_only: false }, { source: 'data', read_only: false }] });
    expect(lines[0]).toMatch(/^\/volumes: no element matches objectLike\(\{"source":"data","read_only":true\}\)/);
    expect(lines.slice(1)).toEqual(['/volumes/1/read_only: expected true, got false']);
  });

  it('refuses absent() as an element: an element is never absent', () => {
    expect(() => Match.arrayWith([Match.absent()])).toThrow(/absent\(\) cannot be an array element/);
  });
});

describe('Match.arrayEquals', () => {
  it('requires every element in order and the exact length', () => {
    expect(mismatches(Match.arrayEquals(['ALL']), ['ALL'])).toEqual([]);
    expect(mismatches(Match.arrayEquals([{ a: 1 }]), [{ a: 1, b: 2 }])).toEqual(['/0/b: unexpected key, got 2']);
    expect(mismatches(Match.arrayEquals([{ a: 1 }, { a: 2 }]), [{ a: 1 }])).toEqual([
      '/1: missing element, expected {"a":2} (expected 2 elements, got 1)',
    ]);
  });
});

describe('Match.absent', () => {
  it('passes a missing key and fails a present one, null included', () => {
    const pattern = Match.objectLike({ ports: Match.absent() });
    expect(mismatches(pattern, {})).toEqual([]);
    expect(mismatches(pattern, { ports: ['80:80'] })).toEqual(['/ports: expected absent, got ["80:80"]']);
    expect(mismatches(pattern, { ports: null })).toEqual(['/ports: expected absent, got null']);
  });
});

describe('Match.anyValue', () => {
  it('passes any present non-null value', () => {
    const pattern = Match.objectLike({ healthcheck: Match.anyValue() });
    expect(mismatches(pattern, { healthcheck: { test: ['CMD', 'true'] } })).toEqual([]);
    expect(mismatches(pattern, { healthcheck: false })).toEqual([]);
    expect(mismatches(pattern, {})).toEqual(['/healthcheck: missing key, expected anyValue()']);
    expect(mismatches(pattern, { healthcheck: null })).toEqual(['/healthcheck: expected any value, got null']);
  });
});

describe('Match.not', () => {
  it('passes a value the inner pattern rejects and fails one it accepts', () => {
    const pattern = Match.objectLike({ user: Match.not(Match.stringLikeRegexp('^0:')) });
    expect(mismatches(pattern, { user: '10001:10001' })).toEqual([]);
    expect(mismatches(pattern, { user: '0:0' })).toEqual(['/user: expected not(stringLikeRegexp(/^0:/)), got "0:0"']);
  });

  it('compares literals exactly and fails a missing key', () => {
    expect(mismatches(Match.not({ a: 1 }), { a: 1, b: 2 })).toEqual([]);
    expect(mismatches(Match.not({ a: 1 }), { a: 1 })).toEqual(['/: expected not({"a":1}), got {"a":1}']);
    expect(mismatches(Match.objectLike({ privileged: Match.not(true) }), {})).toEqual(['/privileged: missing key, expected not(true)']);
  });
});

describe('Match.stringLikeRegexp', () => {
  it('matches strings the expression finds a match in', () => {
    const pattern = Match.objectLike({ user: Match.stringLikeRegexp('^[1-9][0-9]*:[0-9]+$') });
    expect(mismatches(pattern, { user: '999:999' })).toEqual([]);
    expect(mismatches(pattern, { user: '0:0' })).toEqual(['/user: expected a string matching /^[1-9][0-9]*:[0-9]+$/, got "0:0"']);
    expect(mismatches(pattern, { user: 1000 })).toEqual(['/user: expected a string matching /^[1-9][0-9]*:[0-9]+$/, got 1000']);
  });

  it('is stateless even for a global RegExp', () => {
    const pattern = Match.stringLikeRegexp(/z3/g);
    expect([pattern.test('z3').isSuccess, pattern.test('z3').isSuccess, pattern.test('z3').isSuccess]).toEqual([true, true, true]);
  });
});

describe('Match.exact', () => {
  it('matches deeply and exactly, scalars by type too', () => {
    expect(mismatches(Match.exact({ a: [1, { b: 2 }] }), { a: [1, { b: 2 }] })).toEqual([]);
    expect(mismatches(Match.exact({ a: [1, { b: 2 }] }), { a: [1, { b: 2, c: 3 }] })).toEqual(['/a/1/c: unexpected key, got 3']);
    expect(mismatches(Match.exact(8080), '8080')).toEqual(['/: expected 8080, got "8080"']);
  });

  it('refuses to wrap a matcher directly', () => {
    expect(() => Match.exact(Match.anyValue())).toThrow(/Match.exact\(\) cannot directly hold another matcher \(anyValue\(\)\)/);
  });
});

describe('JSON paths and previews', () => {
  it('escapes / and ~ in keys as RFC 6901 says', () => {
    expect(mismatches(Match.objectLike({ labels: { 'a/b~c': 'x' } }), { labels: { 'a/b~c': 'y' } })).toEqual(['/labels/a~1b~0c: expected "x", got "y"']);
  });

  it('cuts long values short', () => {
    const [line] = mismatches(Match.objectLike({ command: 'short' }), { command: 'x'.repeat(500) });
    expect(line.length).toBeLessThan(120);
    expect(line).toMatch(/…$/);
  });

  it('shows YAML 1.1 timestamps for what they are', () => {
    expect(mismatches(Match.objectLike({ v: '2026-11-26' }), { v: new Date('2026-11-26T00:00:00Z') })).toEqual([
      '/v: expected "2026-11-26", got !!timestamp 2026-11-26T00:00:00.000Z',
    ]);
  });
});

describe('custom matchers', () => {
  it('work by extending Matcher and count as matchers in patterns', () => {
    class EvenMatch extends Matcher {
      public readonly name = 'even';
      public test(actual: unknown): MatchResult {
        const result = new MatchResult(actual);
        if (typeof actual !== 'number' || actual % 2 !== 0) result.recordFailure({ message: `expected an even number, got ${String(actual)}` });
        return result;
      }
    }
    expect(Matcher.isMatcher(new EvenMatch())).toBe(true);
    expect(mismatches(Match.objectLike({ pids_limit: new EvenMatch() }), { pids_limit: 127 })).toEqual(['/pids_limit: expected an even number, got 127']);
    expect(mismatches(Match.objectLike({ pids_limit: new EvenMatch() }), {})).toEqual(['/pids_limit: missing key, expected even()']);
  });
});
