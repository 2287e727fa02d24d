import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { canonicalYaml } from '../../lib/core/canonical-yaml';
import { sortKeys } from '../../lib/core/canonical-json';

/** Both YAML versions must read back exactly the data that was written. */
function roundTrips(data: unknown): void {
  const text = canonicalYaml(data);
  expect(parse(text, { version: '1.1' })).toEqual(data);
  expect(parse(text, { version: '1.2' })).toEqual(data);
}

describe('canonicalYaml', () => {
  it('quotes every scalar a YAML 1.1 reader would misread', () => {
    const tricky = ['e0', 'E5', 'e-3', '22:22', '80:80', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'null', '~', '0755', '0o755', '1e3', '.inf', '.NaN',
      '0x1F', '1_000', '2026-11-26', '-', '? x', '- x', '@at', '`tick', '!tag', '&anchor', '*alias', '|', '>', '%', '#comment', 'a #b', 'a: b', '', ' lead', 'trail ', '12:30:45', '+1', '<<'];
    for (const value of tricky) {
      const text = canonicalYaml({ v: value });
      expect(text, value).toMatch(/^v: "/);
      roundTrips({ v: value });
    }
  });

  it('writes safe strings plain so the file stays readable', () => {
    expect(canonicalYaml({ image: 'postgres:15.8', restart: 'on-failure:5', opt: 'no-new-privileges:true', path: '/var/lib/x' })).toBe(
      'image: postgres:15.8\nopt: no-new-privileges:true\npath: /var/lib/x\nrestart: on-failure:5\n',
    );
  });

  it('sorts keys at every depth, puts the given top-level keys first, drops undefined fields and maps string values', () => {
    const text = canonicalYaml(
      { volumes: { b: {}, a: {} }, x: undefined, services: { s: { z: 1, y: '$x', w: { only: undefined } } }, name: 'lab' },
      { topLevelOrder: ['name', 'services', 'networks', 'volumes'], mapString: (v) => v.replace(/\$/g, '$$$$') },
    );
    expect(text).toBe('name: lab\nservices:\n  s:\n    w: {}\n    "y": "$$x"\n    z: 1\nvolumes:\n  a: {}\n  b: {}\n');
  });

  it('escapes control, line-separator and unpaired surrogate characters but keeps real unicode', () => {
    const data = { a: 'line1\nline2\ttab', b: 'x\u2028y\u0085z', c: 'é ✓ 🙂', d: 'quote " and \\ backslash' };
    const text = canonicalYaml(data);
    expect(text).toContain('\\u2028');
    expect(text).toContain('🙂');
    roundTrips(data);
  });

  it('nests maps and lists, including maps inside lists and empty collections', () => {
    const data = { services: { api: { cap_drop: ['ALL'], volumes: [{ type: 'volume', source: 'data' }], empty: {}, none: [] } }, n: 3, f: 0.25, t: true, z: null };
    expect(canonicalYaml(data)).toMatchInlineSnapshot(`
      "f: 0.25
      "n": 3
      services:
        api:
          cap_drop:
          - ALL
          empty: {}
          none: []
          volumes:
          - source: data
            type: volume
      t: true
      z: null
      "
    `);
    roundTrips(data);
  });

  it('writes a header as comments and refuses non-finite numbers', () => {
    expect(canonicalYaml({ a: 1 }, { header: 'one\ntwo' })).toBe('# one\n# two\na: 1\n');
    expect(() => canonicalYaml({ a: Number.NaN })).toThrow(/non-finite/);
  });

  it('quotes keys that contain a colon or look like numbers', () => {
    const data = { '8080': 'x', 'a:b': 'y', yes: 'z' };
    roundTrips(data);
  });
});

describe('sortKeys', () => {
  it('sorts keys by code point at every depth and keeps array order', () => {
    const sorted = sortKeys({ b: 1, a: { d: [3, 1, 2], c: 0 }, B: 2 }) as Record<string, unknown>;
    expect(JSON.stringify(sorted)).toBe('{"B":2,"a":{"c":0,"d":[3,1,2]},"b":1}');
  });

  it('puts the given top-level keys first, in that order, and drops undefined fields', () => {
    const sorted = sortKeys({ volumes: {}, x: undefined, services: {}, name: 'lab', 'x-ext': 1 }, ['name', 'services', 'networks', 'volumes']);
    expect(Object.keys(sorted as object)).toEqual(['name', 'services', 'volumes', 'x-ext']);
  });
});
