/**
 * StructuredText: synth checks Traefik files, the Keycloak realm and the MinIO policies on the
 * data their writer recorded instead of parsing its own output. These tests hold the writers to
 * that: parsing the text gives exactly the recorded data, and every recorded position is where
 * the parser puts that key or item — for tricky shapes and for every such file of the lab.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLab } from '../../apps/lab';
import { App, DocumentProducers, RenderedDocument, SourceDocument, StructuredText, VpsFile } from '../../lib';

const TRICKY = {
  zeta: 'last',
  alpha: { list: [1, [2, [3]], { inner: 'x', empty: {} }, []], 'a:b': 'colon key', '0755': 'octal-looking key' },
  strings: ['yes', 'no', '22:22', 'with "quotes"', 'line\nbreak', '', ' padded '],
  nothing: null,
  dropped: undefined,
  numbers: [0, -1.5, 1e21, 3],
  nested: [{ a: [{ b: { c: [true, false] } }] }],
};

/** Every recorded position equals the one the `yaml` parser reports for that data path. */
function expectExactPositions(kind: 'traefik-dynamic' | 'keycloak-realm', file: string, text: string, locations: ReadonlyMap<string, { line: number; column: number }>) {
  const parsed = SourceDocument.parseYaml(kind, file, text);
  expect(locations.size).toBeGreaterThan(0);
  for (const [key, at] of locations) {
    // List indices are numbers in a data path: a segment under a list is one.
    const path: (string | number)[] = [];
    for (const segment of key.split('\u0000')) path.push(Array.isArray(parsed.get(path)) ? Number(segment) : segment);
    expect({ file, key: key.replace(/\u0000/g, '.'), at: parsed.locate(path) }).toEqual({ file, key: key.replace(/\u0000/g, '.'), at });
  }
}

describe('StructuredText', () => {
  it('writes canonical YAML whose parsed data and positions are the recorded ones', () => {
    const s = StructuredText.yaml(TRICKY, { header: 'a header', topLevelOrder: ['zeta'] });
    expect(s.text.startsWith('# a header\nzeta: last\n')).toBe(true);
    expect(parse(s.text)).toEqual(s.data);
    expect(Object.keys(s.data as object)).toEqual(['zeta', 'alpha', 'nested', 'nothing', 'numbers', 'strings']);
    expect(s.data).not.toHaveProperty('dropped');
    expectExactPositions('traefik-dynamic', 't.yml', s.text, s.locations);
  });

  it('writes canonical JSON whose parsed data and positions are the recorded ones', () => {
    const s = StructuredText.json(TRICKY, ['zeta']);
    expect(s.text).toBe(JSON.stringify(s.data, null, 2) + '\n');
    expect(JSON.parse(s.text)).toEqual(s.data);
    // What a reader gets: an undefined list item is null, an undefined field is gone.
    expect(StructuredText.json({ list: [undefined], gone: undefined }).data).toEqual({ list: [null] });
    expectExactPositions('keycloak-realm', 'r.json', s.text, s.locations);
  });

  it('is recognised across copies of the library, and nothing else is', () => {
    const s = StructuredText.json({ a: 1 });
    expect(StructuredText.isStructuredText(s)).toBe(true);
    expect(StructuredText.isStructuredText({ text: 'x', data: {}, locations: new Map() })).toBe(true);
    expect(StructuredText.isStructuredText({ text: 'x' })).toBe(false);
    expect(StructuredText.isStructuredText('x')).toBe(false);
  });

  it('hands data and positions to synth for every structured file of the lab, and they match the text', () => {
    const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
    const vps = createLab(app);
    const files = vps.node.findAll().filter((c): c is VpsFile => c instanceof VpsFile);
    const documents: RenderedDocument[] = files.flatMap((f) => f.renderDocuments()).filter((d) => d.locations !== undefined);
    const kinds = new Set(documents.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['keycloak-realm', 's3-policy', 'traefik-dynamic', 'traefik-static']);
    for (const d of documents) {
      expect({ path: d.path, data: parse(d.content) }).toEqual({ path: d.path, data: d.data });
      expectExactPositions(d.path.endsWith('.json') ? 'keycloak-realm' : 'traefik-dynamic', d.path, d.content, d.locations!);
    }
    expect(DocumentProducers.isProducer(files[0])).toBe(true);
  });
});
