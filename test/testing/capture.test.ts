import { describe, expect, it } from 'vitest';
import { Capture, ComposeTemplate, Match, Testing } from '../../lib';
import { errorOf, twoTierLab } from './fixtures';

function labTemplate(): ComposeTemplate {
  return ComposeTemplate.fromAssembly(Testing.synth(twoTierLab().app), 'lab');
}

describe('Capture', () => {
  it('captures a value of each type and refuses the wrong one', () => {
    const image = new Capture();
    const pids = new Capture();
    const readOnly = new Capture();
    const capDrop = new Capture();
    const limits = new Capture();
    labTemplate().hasService('api', { image, pids_limit: pids, read_only: readOnly, cap_drop: capDrop, deploy: { resources: { limits } } });
    expect(image.asString()).toBe('seldonio/mlserver:1.6.1');
    expect(pids.asNumber()).toBe(128);
    expect(readOnly.asBoolean()).toBe(true);
    expect(capDrop.asArray()).toEqual(['ALL']);
    expect(limits.asObject()).toEqual({ cpus: '0.5', memory: '256M' });
    expect(errorOf(() => image.asNumber())).toBe('Captured value is expected to be number but found string: "seldonio/mlserver:1.6.1"');
  });

  it('walks through every match with next(), in file order', () => {
    const user = new Capture();
    labTemplate().allServices({ user });
    expect(user.asString()).toBe('10001:10001');
    expect(user.next()).toBe(true);
    expect(user.asString()).toBe('999:999');
    expect(user.next()).toBe(false);
    expect(user.asString()).toBe('999:999');
  });

  it('captures only when its own pattern and the whole assertion match', () => {
    const tmpfs = new Capture(Match.arrayWith([Match.stringLikeRegexp('^/var/run/')]));
    expect(Object.keys(labTemplate().findServices({ tmpfs }))).toEqual(['db']);
    expect(tmpfs.asArray()).toHaveLength(2);
    expect(tmpfs.next()).toBe(false);

    const image = new Capture();
    expect(() => labTemplate().hasService('api', { image, read_only: false })).toThrow();
    expect(errorOf(() => image.asString())).toMatch(/^No value captured/);
  });

  it('captures inside arrays and never inside not()', () => {
    const first = new Capture();
    expect(Match.arrayWith([first]).test(['a', 'b']).finished().isSuccess).toBe(true);
    expect(first.asString()).toBe('a');
    const negated = new Capture();
    expect(Match.not(Match.objectLike({ a: negated })).test({ b: 1 }).finished().isSuccess).toBe(true);
    expect(() => negated.asString()).toThrow(/No value captured/);
  });

  it('does not capture absent or null values', () => {
    const missing = new Capture();
    expect(Match.objectLike({ ports: missing }).test({}).mismatchLines()).toEqual(['/ports: missing key, expected capture()']);
    expect(new Capture().test(null).mismatchLines()).toEqual(['/: expected a value to capture, got null']);
  });
});
