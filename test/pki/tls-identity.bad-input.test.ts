/**
 * Bad input to TlsIdentity and to the bootstrap: every problem is an MlsecError (a
 * ValidationError for props) naming the construct path and the prop, and saying what is allowed;
 * the bootstrap writes nothing when the tree is invalid.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { App, MlsecError, Testing, ValidationError, Vps } from '../../lib';
import { PkiBootstrap, TlsIdentity, TlsIdentityProps } from '../../lib/pki';
import { PKI_ONLY, removeTempDirs, T0, tempDir, workload } from './support';

afterAll(removeTempDirs);

function host(dir = tempDir()): { app: App; vps: Vps; dir: string } {
  const app = new App({ outdir: path.join(dir, 'synth-out'), secretsDir: path.join(dir, 'secrets'), postureReportOnly: PKI_ONLY });
  return { app, vps: new Vps(app, 'lab', { domain: 'lab.example.com' }), dir };
}

/** Declares one identity on workload `api` and returns the errors of plan, run and synth. */
function errorsFor(props: unknown, scope: 'workload' | 'vps' = 'workload'): { plan: ValidationError; run: unknown; synth: unknown; dir: string } {
  const { app, vps, dir } = host();
  const parent = scope === 'workload' ? workload(vps, 'api') : vps;
  new TlsIdentity(parent, 'Tls', props as TlsIdentityProps);
  const catchIt = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  return { plan: catchIt(() => PkiBootstrap.plan(app)) as ValidationError, run: catchIt(() => PkiBootstrap.run(app, { now: T0 })), synth: catchIt(() => Testing.synth(app)), dir };
}

function expectProblem(props: unknown, prop: string | RegExp, allowed: RegExp, scope: 'workload' | 'vps' = 'workload'): void {
  const { plan, run, synth, dir } = errorsFor(props, scope);
  const path_ = scope === 'workload' ? 'lab/api/Tls' : 'lab/Tls';
  for (const err of [plan, run, synth]) {
    expect(err, `expected a ValidationError for ${JSON.stringify(props)}`).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues.filter((i) => i.path === path_);
    expect(issues.length, (err as Error).message).toBeGreaterThan(0);
    const line = issues.map((i) => i.message).join('\n');
    if (typeof prop === 'string') expect(line).toContain(`prop '${prop}'`);
    else expect(line).toMatch(prop);
    expect(line).toMatch(allowed);
    expect((err as Error).message).toContain(`[${path_}]`);
    expect((err as Error).message.split('\n')).toHaveLength((err as ValidationError).issues.length + 1);
  }
  expect(fs.readdirSync(dir), 'an invalid tree gets no PKI').toEqual([]);
}

const DNS_ALLOWED = /lower-case DNS name: labels of a-z, 0-9 and "-"/;

describe('dnsNames', () => {
  const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.'); // 304 characters
  it.each([
    ['a wildcard', '*.x'],
    ['a wildcard label', '*.lab.example.com'],
    ['an empty label', 'a..b'],
    ['upper case', 'DB.lab.example.com'],
    ['more than 253 characters', long],
    ['a label of 64 characters', `${'a'.repeat(64)}.example.com`],
    ['the empty string', ''],
    ['a leading hyphen', '-db'],
    ['a trailing hyphen', 'db-.example.com'],
    ['an underscore', 'db_1'],
    ['a space', 'db 1'],
    ['a trailing dot', 'db.example.com.'],
    ['an IP address', '10.0.0.1'],
    ['a URL', 'https://db'],
  ])('rejects %s', (_label, name) => {
    expectProblem({ usage: 'server', dnsNames: ['ok.example.com', name] }, 'dnsNames[1]', DNS_ALLOWED);
  });

  it('rejects a non-string element', () => expectProblem({ usage: 'server', dnsNames: [42] }, 'dnsNames[0]', DNS_ALLOWED));
  it('rejects a non-array', () => expectProblem({ usage: 'server', dnsNames: 'db.example.com' }, 'dnsNames', /must be an array of DNS names/));
  it('rejects a duplicate', () => expectProblem({ usage: 'server', dnsNames: ['db.example.com', 'db.example.com'] }, 'dnsNames', /lists "db.example.com" twice/));

  it('accepts 253 characters, 63-character labels and single labels', () => {
    const max = [...Array.from({ length: 3 }, () => 'a'.repeat(63)), 'b'.repeat(61)].join('.');
    expect(max).toHaveLength(253);
    const { app, vps } = host();
    new TlsIdentity(workload(vps, 'api'), 'Tls', { usage: 'server', dnsNames: [max, 'db', 'x1.example.com', '1x'] });
    expect(PkiBootstrap.plan(app).hosts[0].identities[0].dnsNames).toEqual(['api', max, 'db', 'x1.example.com', '1x']);
  });

  it('a server identity outside a workload needs a DNS name (a SAN is required)', () => {
    expectProblem({ usage: 'server' }, 'dnsNames', /needs at least one DNS name/, 'vps');
    expectProblem({ usage: 'server-and-client', dnsNames: [] }, 'dnsNames', /needs at least one DNS name/, 'vps');
  });
});

describe('ttlHours (CONTROLS.md Z8-K06)', () => {
  it.each([
    ['server', 23, /from 24 to 72/],
    ['server', 73, /from 24 to 72/],
    ['server', 24.5, /from 24 to 72/],
    ['server', 0, /from 24 to 72/],
    ['server', -1, /from 24 to 72/],
    ['client', 11, /from 12 to 48/],
    ['client', 49, /from 12 to 48/],
    ['client', 72, /from 12 to 48/],
    ['server-and-client', 12, /from 24 to 48/],
    ['server-and-client', 72, /from 24 to 48/],
    ['server', '48', /from 24 to 72/],
    ['server', Number.NaN, /from 24 to 72/],
    ['server', Infinity, /from 24 to 72/],
  ])('rejects a %s certificate of %s h', (usage, ttlHours, allowed) => {
    expectProblem({ usage, ttlHours }, 'ttlHours', allowed);
  });

  it.each([
    ['server', 24],
    ['server', 72],
    ['client', 12],
    ['client', 48],
    ['server-and-client', 24],
    ['server-and-client', 48],
  ] as const)('accepts a %s certificate of %s h', (usage, ttlHours) => {
    const { app, vps } = host();
    new TlsIdentity(workload(vps, 'api'), 'Tls', { usage, ttlHours });
    expect(PkiBootstrap.plan(app).hosts[0].identities[0].ttlHours).toBe(ttlHours);
  });

  it('defaults to the maximum of the usage', () => {
    const { app, vps } = host();
    new TlsIdentity(workload(vps, 'a'), 'Tls', { usage: 'server' });
    new TlsIdentity(workload(vps, 'b'), 'Tls', { usage: 'client' });
    new TlsIdentity(workload(vps, 'c'), 'Tls', { usage: 'server-and-client' });
    expect(PkiBootstrap.plan(app).hosts[0].identities.map((i) => i.ttlHours)).toEqual([72, 48, 48]);
  });
});

describe('usage', () => {
  it.each([['serverAuth'], ['both'], ['Server'], [''], [undefined], [42], [null]])('rejects %s', (usage) => {
    expectProblem({ usage }, 'usage', /must be one of 'server', 'client', 'server-and-client'/);
  });

  it('rejects missing props', () => expectProblem(undefined, 'usage', /must be one of/));
});

describe('names and placement', () => {
  it('reports two identities whose file names collide after normalization, naming both paths', () => {
    const { app, vps } = host();
    const api = workload(vps, 'api');
    new TlsIdentity(api, 'Tls', { usage: 'server' });
    new TlsIdentity(api, 'tls', { usage: 'client' });
    let err: unknown;
    try {
      PkiBootstrap.plan(app);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('lab/api/tls');
    expect(issues[0].message).toContain("certificate name 'api.tls' collides");
    expect(issues[0].message).toContain("'lab/api/Tls'");
  });

  it('two workloads whose ids normalize apart but whose identities are distinct do not collide', () => {
    const { app, vps } = host();
    new TlsIdentity(workload(vps, 'a'), 'b-c', { usage: 'server' });
    new TlsIdentity(new Construct(vps, 'a-b'), 'c', { usage: 'server', dnsNames: ['x.example.com'] });
    expect(PkiBootstrap.plan(app).hosts[0].identities.map((i) => i.name)).toEqual(['a-b.c', 'a.b-c']);
  });

  it('rejects an id that cannot become a name', () => {
    const { app, vps } = host();
    new TlsIdentity(workload(vps, 'api'), 'tls cert', { usage: 'server' });
    expect(() => PkiBootstrap.plan(app)).toThrow(/\[lab\/api\/tls cert\] id "tls cert" is not allowed/);
  });

  it('rejects an identity outside a Vps at construction, naming its path', () => {
    const app = new App({ outdir: 'synth-out', secretsDir: 'secrets' });
    expect(() => new TlsIdentity(new Construct(app, 'loose'), 'Tls', { usage: 'client' })).toThrow(MlsecError);
    expect(() => new TlsIdentity(new Construct(app, 'loose2'), 'Tls', { usage: 'client' })).toThrow(/\[loose2\/Tls\] is not inside a Vps/);
  });

  it('rejects an over-long certificate name', () => {
    const { app, vps } = host();
    let scope: Construct = workload(vps, 'a'.repeat(40));
    scope = new Construct(scope, 'b'.repeat(30));
    new TlsIdentity(scope, 'Tls', { usage: 'server' });
    expect(() => PkiBootstrap.plan(app)).toThrow(/longer than 64 characters/);
  });

  it('other problems of the tree stop the bootstrap too (as they stop synth)', () => {
    const { app, vps, dir } = host();
    new TlsIdentity(workload(vps, 'api'), 'Tls', { usage: 'server' });
    new Vps(app, 'bad', { domain: 'NOT A DOMAIN' });
    expect(() => PkiBootstrap.run(app, { now: T0 })).toThrow(/\[bad\] prop 'domain'/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('PkiBootstrap arguments', () => {
  it('plan() and run() need the App', () => {
    const { vps } = host();
    expect(() => PkiBootstrap.plan(vps as unknown as App)).toThrow(/expects the App at the root of the tree \(got construct 'lab'\)/);
    expect(() => PkiBootstrap.run(undefined as unknown as App)).toThrow(MlsecError);
  });

  it('run() rejects an invalid clock and an unknown CA key type', () => {
    const { app } = host();
    expect(() => PkiBootstrap.run(app, { now: new Date('nope') })).toThrow(/option 'now' must be a valid Date/);
    expect(() => PkiBootstrap.run(app, { caKeyType: 'dsa' as never })).toThrow(/option 'caKeyType' must be 'ec-p256' or 'rsa-3072'/);
  });
});
