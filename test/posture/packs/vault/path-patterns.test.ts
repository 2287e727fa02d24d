import { describe, expect, it } from 'vitest';
import { coversPublicAddresses } from '../../../../lib/posture/packs/vault/cidr-ranges';
import { durationSeconds, vaultBool } from '../../../../lib/posture/packs/vault/hcl-values';
import { hostOf, isLoopbackAddress } from '../../../../lib/posture/packs/vault/listeners';
import { comparePriority, firstWildcardSegment, isRootGlob, overlapWitness, patternMatches } from '../../../../lib/posture/packs/vault/path-patterns';
import { isBroad } from '../../../../lib/posture/packs/vault/policy-scope-rules';

describe('Vault path patterns', () => {
  it('matches a trailing * as a prefix glob and + as exactly one segment', () => {
    expect(patternMatches('secret/*', 'secret/a/b')).toBe(true);
    expect(patternMatches('secret/foo*', 'secret/foobar/baz')).toBe(true);
    expect(patternMatches('secret/+/config', 'secret/app/config')).toBe(true);
    expect(patternMatches('secret/+/config', 'secret/a/b/config')).toBe(false);
    expect(patternMatches('secret/*/config', 'secret/app/config')).toBe(false); // a * inside is literal
    expect(patternMatches('/sys/mounts', 'sys/mounts')).toBe(true); // leading slash dropped
    expect(patternMatches('secret/a+b', 'secret/aXb')).toBe(false); // + inside a segment is literal
  });

  it('treats identity templates as one segment when asking about overlap', () => {
    expect(overlapWitness('kv/data/{{identity.entity.id}}/*', 'kv/data/*')).toBeDefined();
    expect(overlapWitness('kv/data/{{identity.entity.id}}/x', 'kv/data/a/b/x')).toBeUndefined();
  });

  it('finds a witness path only when two patterns overlap', () => {
    expect(overlapWitness('+/mounts', 'sys/mounts*')).toBe('sys/mounts');
    expect(overlapWitness('kv/data/*', 'sys/*')).toBeUndefined();
    expect(overlapWitness('auth/token/create', 'auth/token/create*')).toBe('auth/token/create');
  });

  it('orders patterns by Vault priority rules', () => {
    expect(comparePriority('secret/app', 'secret/*')).toBeGreaterThan(0); // exact beats glob
    expect(comparePriority('secret/app/*', 'secret/*')).toBeGreaterThan(0); // later wildcard wins
    expect(comparePriority('secret/x/+', 'secret/x/*')).toBeGreaterThan(0); // no trailing glob wins
    expect(comparePriority('a/+/+', 'a/+/b')).toBeLessThan(0); // more + loses
    expect(comparePriority('a/+/bc', 'a/+/b')).toBeGreaterThan(0); // longer wins
    expect(comparePriority('a/+/c', 'a/+/b')).toBeGreaterThan(0); // then lexicographically larger
  });

  it('recognises root globs and the first wildcard segment', () => {
    expect(['*', '/*', '+/*', '+/+/*'].map(isRootGlob)).toEqual([true, true, true, true]);
    expect(['+', 'sys/*', '+/data/*', 'secret*'].map(isRootGlob)).toEqual([false, false, false, false]);
    expect(firstWildcardSegment('kv/data/app/*')).toBe(3);
    expect(firstWildcardSegment('kv/data/app*')).toBe(2);
    expect(firstWildcardSegment('kv/+/app')).toBe(1);
    expect(firstWildcardSegment('kv/data/app')).toBe(Infinity);
  });

  it('calls globs at the top of a mount broad', () => {
    expect(['secret/*', 'secret/data/*', 'database/creds/*', '+/data/x', 'kv/+/x'].map(isBroad)).toEqual([true, true, true, true, true]);
    expect(['kv/data/app/*', 'secret/app/*', 'kv/data/{{identity.entity.id}}/*', 'kv/data/app'].map(isBroad)).toEqual([false, false, false, false]);
  });
});

describe('value readers', () => {
  it('reads booleans as Vault does', () => {
    expect([true, 1, '1', 'true', 'True', 'T', 2].map(vaultBool)).toEqual([true, true, true, true, true, true, true]);
    expect([false, 0, '0', 'false', 'F', ''].map(vaultBool)).toEqual([false, false, false, false, false, false]);
    expect(['yes', null, undefined, {}, []].map(vaultBool)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('reads durations as seconds', () => {
    expect(['768h', '1h30m', '90', '2d', '15m', 3600].map(durationSeconds)).toEqual([2764800, 5400, 90, 172800, 900, 3600]);
    expect(['forever', '', '1 h', null, Infinity].map(durationSeconds)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('tells public ranges from private ones', () => {
    expect(['0.0.0.0/0', '::/0', '8.8.8.8', '203.0.113.0/24', '2001:db8::/32', '10.0.0.0/7'].map(coversPublicAddresses)).toEqual([true, true, true, true, true, true]);
    expect(['10.0.0.0/8', '172.31.0.0/16', '192.168.0.1', '127.0.0.1', 'fd12::/16', 'fe80::1/64', '::1'].map(coversPublicAddresses)).toEqual([
      false, false, false, false, false, false, false,
    ]);
    expect(['vault', '300.1.1.1', '10.0.0.0/33', '1.2.3.4/8/9'].map(coversPublicAddresses)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('reads listener hosts', () => {
    expect(['127.0.0.1:8200', '[::1]:8200', 'localhost:8200', '0.0.0.0:8200', '[::]:8200', 'vault:8200'].map(isLoopbackAddress)).toEqual([true, true, true, false, false, false]);
    expect(hostOf('[fe80::1]:8200')).toBe('fe80::1');
  });
});
