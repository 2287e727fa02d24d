/** KC-17 password policy, KC-18 brute-force protection, KC-19 registration and e-mail, KC-20 sslRequired. */
import { describe, expect, it } from 'vitest';
import { hitsOf } from '../../support';
import { check, compliantFindings, lineOf, variant } from './realm-fixtures';

const realmWith = (lines: string) => `{\n  "realm": "lab",\n${lines}\n}`;

describe('KC-17 password policy', () => {
  it('flags a missing or empty passwordPolicy once', async () => {
    expect(hitsOf(await check(realmWith('  "passwordPolicy": ""')), 'KC-17')).toEqual(['KC-17[passwordPolicy]@3']);
    const findings = await check('{\n  "realm": "lab"\n}');
    expect(hitsOf(findings, 'KC-17')).toEqual(['KC-17[passwordPolicy]@1']);
    expect(findings.find((f) => f.ruleId === 'KC-17')?.message).toBe("realm 'lab' has no passwordPolicy");
  });

  it('flags each weakness of the lab example policy: short length, no notUsername/passwordHistory, low PBKDF2 iterations', async () => {
    const findings = await check(realmWith('  "passwordPolicy": "length(8) and upperCase(1) and hashIterations(27500)"'));
    expect(hitsOf(findings, 'KC-17')).toEqual([
      'KC-17[hashIterations]@3',
      'KC-17[length]@3',
      'KC-17[notUsername]@3',
      'KC-17[passwordHistory]@3',
    ]);
    expect(findings.filter((f) => f.ruleId === 'KC-17').map((f) => f.message)).toEqual([
      "realm 'lab' hashes passwords with PBKDF2 at hashIterations(27500), below the OWASP minimum 210000",
      "realm 'lab' requires passwords of length(8), below 12",
      "realm 'lab' has no notUsername password policy",
      "realm 'lab' has no passwordHistory password policy",
    ]);
  });

  it('judges iterations against the named PBKDF2 variant and never against argon2', async () => {
    const base = 'length(12) and notUsername(undefined) and passwordHistory(3)';
    const sha256 = await check(realmWith(`  "passwordPolicy": "${base} and hashAlgorithm(pbkdf2-sha256) and hashIterations(300000)"`));
    expect(hitsOf(sha256, 'KC-17')).toEqual(['KC-17[hashIterations]@3']);
    expect(sha256.find((f) => f.ruleId === 'KC-17')?.message).toContain('pbkdf2-sha256 at hashIterations(300000), below the OWASP minimum 600000');
    const sha512 = await check(realmWith(`  "passwordPolicy": "${base} and hashAlgorithm(pbkdf2-sha512) and hashIterations(210000)"`));
    expect(hitsOf(sha512, 'KC-17')).toEqual([]);
    const argon = await check(realmWith(`  "passwordPolicy": "${base} and hashAlgorithm(argon2) and hashIterations(5)"`));
    expect(hitsOf(argon, 'KC-17')).toEqual([]);
  });

  it('treats a non-string passwordPolicy as missing', async () => {
    expect(hitsOf(await check(realmWith('  "passwordPolicy": 12')), 'KC-17')).toEqual(['KC-17[passwordPolicy]@3']);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-17')).toEqual([]);
  });
});

describe('KC-18 brute-force protection', () => {
  it('flags bruteForceProtected false or absent', async () => {
    const off = await check(realmWith('  "bruteForceProtected": false'));
    expect(hitsOf(off, 'KC-18')).toEqual(['KC-18[bruteForceProtected]@3']);
    expect(off.find((f) => f.ruleId === 'KC-18')?.message).toBe("realm 'lab' does not set bruteForceProtected: true");
    expect(hitsOf(await check('{ "realm": "lab" }'), 'KC-18')).toEqual(['KC-18[bruteForceProtected]@1']);
  });

  it('flags a failureFactor above 10, including Keycloak\'s default 30', async () => {
    const high = variant((realm) => {
      realm.failureFactor = 50;
    });
    const findings = await check(high);
    expect(hitsOf(findings, 'KC-18')).toEqual([`KC-18[failureFactor]@${lineOf(high, '"failureFactor"')}`]);
    expect(findings.find((f) => f.ruleId === 'KC-18')?.message).toBe("realm 'lab-prod' sets failureFactor 50, above 10");
    const implicit = variant((realm) => {
      delete realm.failureFactor;
    });
    const defaults = await check(implicit);
    expect(hitsOf(defaults, 'KC-18')).toEqual(['KC-18[failureFactor]@1']);
    expect(defaults.find((f) => f.ruleId === 'KC-18')?.message).toBe("realm 'lab-prod' leaves failureFactor to Keycloak's default 30, above 10");
  });

  it('accepts failureFactor 10', async () => {
    expect(hitsOf(await check(variant((realm) => (realm.failureFactor = 10))), 'KC-18')).toEqual([]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-18')).toEqual([]);
  });
});

describe('KC-19 registration and e-mail verification', () => {
  it('flags registrationAllowed true and verifyEmail false', async () => {
    const findings = await check(realmWith('  "registrationAllowed": true,\n  "verifyEmail": false'));
    expect(hitsOf(findings, 'KC-19')).toEqual(['KC-19[registrationAllowed]@3', 'KC-19[verifyEmail]@4']);
    expect(findings.filter((f) => f.ruleId === 'KC-19').map((f) => f.message)).toEqual([
      "realm 'lab' sets registrationAllowed: true",
      "realm 'lab' does not set verifyEmail: true",
    ]);
  });

  it('flags an absent verifyEmail (Keycloak default false) but not an absent registrationAllowed', async () => {
    expect(hitsOf(await check('{ "realm": "lab" }'), 'KC-19')).toEqual(['KC-19[verifyEmail]@1']);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-19')).toEqual([]);
  });
});

describe('KC-20 sslRequired', () => {
  it('flags none, in any case, and values that are not external or all', async () => {
    const none = await check(realmWith('  "sslRequired": "NONE"'));
    expect(hitsOf(none, 'KC-20')).toEqual(['KC-20[sslRequired]@3']);
    expect(none.find((f) => f.ruleId === 'KC-20')?.message).toBe('realm \'lab\' sets sslRequired: "NONE" instead of "external" or "all"');
    expect(hitsOf(await check(realmWith('  "sslRequired": false')), 'KC-20')).toEqual(['KC-20[sslRequired]@3']);
  });

  it('accepts external, all and an absent value (Keycloak default external)', async () => {
    expect(hitsOf(await check(realmWith('  "sslRequired": "external"')), 'KC-20')).toEqual([]);
    expect(hitsOf(await check('{ "realm": "lab" }'), 'KC-20')).toEqual([]);
  });

  it('is silent on the compliant realm', async () => {
    expect(hitsOf(await compliantFindings(), 'KC-20')).toEqual([]);
  });
});
