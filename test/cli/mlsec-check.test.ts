import { afterAll, describe, expect, it } from 'vitest';
import { RuleCatalog } from '../../lib';
import { sarifErrors } from '../posture/reports/sarif-schema';
import { fixture, mlsec, scratchDir, STACK_FRAME } from './support';

const TEXT_LINE = /^(?<file>[^\s:]+):(?<line>\d+):(?<column>\d+) (?<severity>critical|high|medium|low|info) (?<rule>(?:CMP|TRF|VLT|KC|ZONE)-\d{2}) \S.*$/;
const ALL_FIXTURES = [
  'compose/docker-compose.v3.yml',
  'compose/compose.yaml',
  'compose/hardened.compose.yml',
  'traefik/traefik.yml',
  'traefik/dynamic.yml',
  'vault/app-policy.hcl',
  'vault/vault.hcl',
  'keycloak/lab-realm.json',
];

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

describe('mlsec check: exit status', () => {
  it('exits 0 when no finding is error-level', async () => {
    const run = await mlsec('check', fixture('compose/hardened.compose.yml'));
    expect(run).toEqual({ code: 0, stdout: '', stderr: 'mlsec: 1 of 1 file checked: 0 findings (0 error-level)\n' });
  });

  it('exits 1 when there is an error-level finding', async () => {
    const run = await mlsec('check', fixture('compose/docker-compose.v3.yml'));
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toContain(`${fixture('compose/docker-compose.v3.yml')}:20:5 critical CMP-01 service 'api' sets privileged: true`);
    expect(run.stderr).toMatch(/^mlsec: 1 of 1 file checked: \d+ findings \(\d+ error-level\)\n$/);
  });

  it('exits 0 when only warning- and info-level findings remain', async () => {
    const file = scratch.write('warn-only/docker-compose.yml', (await import('fs')).readFileSync(fixture('compose/hardened.compose.yml'), 'utf8').replace(/@sha256:[0-9a-f]{64}/, ''));
    const run = await mlsec('check', file);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([`${file}:4:5 medium CMP-23 service 'scorer' image "ghcr.io/example/scorer:1.4.2" is not pinned by digest`]);
  });

  it('exits 2 on a parse error, naming file, line and column, with no stack trace', async () => {
    const file = scratch.write('broken/compose.yml', 'services:\n  api:\n    image: [unclosed\n');
    const run = await mlsec('check', file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^mlsec: ${escape(file)}:4:1: cannot parse: .+\n`));
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('exits 2 on malformed JSON and HCL, with their positions', async () => {
    const json = scratch.write('broken/realm-export.json', '{\n  "realm": "lab",\n  "clients": [ {"clientId": "x",, } ]\n}\n');
    const hcl = scratch.write('broken/policy.hcl', '# policy\npath "kv/data/*" {\n  capabilities = ["read"\n}\n');
    const j = await mlsec('check', json);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(new RegExp(`^mlsec: ${escape(json)}:3:\\d+: cannot parse: `));
    const h = await mlsec('check', hcl);
    expect(h.code).toBe(2);
    expect(h.stderr).toMatch(new RegExp(`^mlsec: ${escape(hcl)}:\\d+:\\d+: cannot parse: `));
    for (const run of [j, h]) expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('audits binary values as opaque data, and exits 2 on alias bombs, without crashing', async () => {
    const binary = scratch.write('odd/docker-compose.yml', 'services:\n  api: !!binary aGVsbG8=\n');
    const bomb = scratch.write('odd/compose.yaml', ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'services: {}'].join('\n'));
    const odd = await mlsec('check', binary);
    expect([0, 1]).toContain(odd.code);
    expect(odd.stderr).not.toMatch(STACK_FRAME);
    for (const file of [bomb]) {
      const run = await mlsec('check', file);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^mlsec: ${escape(file)}(:\\d+:\\d+)?: cannot parse: `));
      expect(run.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('exits 2 for a missing file, a directory, and a file of unknown type', async () => {
    const missing = await mlsec('check', 'no/such/compose.yml');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('mlsec: no/such/compose.yml: cannot read: no such file\n') });
    const dir = await mlsec('check', scratch.dir);
    expect(dir).toMatchObject({ code: 2, stderr: expect.stringContaining(`mlsec: ${scratch.dir}: is a directory`) });
    const unknown = scratch.write('notes.yml', 'shopping:\n  - milk\n  - bread\n');
    const run = await mlsec('check', unknown);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`mlsec: ${unknown}: cannot tell what this file is; expected a compose file`);
    expect(run.stderr).toContain('pass --type');
  });

  it('still checks the other files when one fails, and exits 2', async () => {
    const broken = scratch.write('mixed/compose.yml', 'services: {\n');
    const run = await mlsec('check', broken, fixture('compose/docker-compose.v3.yml'));
    expect(run.code).toBe(2);
    expect(lines(run.stdout).some((l) => l.includes(' CMP-01 '))).toBe(true);
    expect(run.stderr).toContain(`${broken}:`);
    expect(run.stderr).toContain('1 of 2 files checked');
  });

  it('exits 2 on usage errors, with a pointer to the help', async () => {
    const cases: [string[], string][] = [
      [[], 'mlsec: no command given (see `mlsec --help`)\n'],
      [['lint', 'x.yml'], "mlsec: unknown command 'lint': commands are check, rules, help (see `mlsec --help`)\n"],
      [['check'], 'mlsec: no FILE given (see `mlsec check --help`)\n'],
      [['check', '--format', 'xml', 'a.yml'], "mlsec: --format must be one of text, json, sarif (got 'xml') (see `mlsec check --help`)\n"],
      [['check', '--type=dockerfile', 'a.yml'], "mlsec: --type must be one of compose, traefik-static, traefik-dynamic, vault-policy, vault-config, keycloak-realm, s3-policy (got 'dockerfile') (see `mlsec check --help`)\n"],
      [['check', '--min-severity', 'severe', 'a.yml'], "mlsec: --min-severity must be one of critical, high, medium, low, info (got 'severe') (see `mlsec check --help`)\n"],
      [['check', '--min-severity'], 'mlsec: --min-severity needs a value (see `mlsec check --help`)\n'],
      [['check', '--verbose', 'a.yml'], "mlsec: unknown option '--verbose' (see `mlsec check --help`)\n"],
      [['rules', '--format', 'sarif'], "mlsec: --format must be one of text, json (got 'sarif') (see `mlsec rules --help`)\n"],
    ];
    for (const [argv, stderr] of cases) expect(await mlsec(...argv), argv.join(' ')).toEqual({ code: 2, stdout: '', stderr });
  });

  it('prints help on stdout and exits 0', async () => {
    for (const argv of [['--help'], ['help'], ['check', '--help'], ['help', 'check'], ['rules', '-h']]) {
      const run = await mlsec(...argv);
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^usage: mlsec/);
    }
    const check = await mlsec('check', '--help');
    expect(check.stdout).toContain('--min-severity SEVERITY');
    expect(check.stdout).toContain('printed AND counted for the exit');
  });
});

describe('mlsec check: output formats', () => {
  it('prints text as file:line:col severity ruleId message', async () => {
    for (const name of ALL_FIXTURES) {
      const run = await mlsec('check', fixture(name));
      // Absent env files, anchors, heredocs, comments: all parse and check (exit 0 or 1, only the summary on stderr).
      expect([0, 1], `${name}: ${run.stderr}`).toContain(run.code);
      expect(run.stderr, name).toMatch(/^mlsec: 1 of 1 file checked: \d+ findings? \(\d+ error-level\)\n$/);
      for (const line of lines(run.stdout)) {
        const match = TEXT_LINE.exec(line);
        expect(match, `${name}: ${line}`).not.toBeNull();
        expect(match!.groups!.file).toBe(fixture(name));
      }
    }
  });

  it('prints json as exactly {"findings":[{ruleId,severity,file,line,column,path,message}]}', async () => {
    const run = await mlsec('check', '--format', 'json', fixture('traefik/traefik.yml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(['findings']);
    expect(out.findings.length).toBeGreaterThan(0);
    for (const f of out.findings) {
      expect(Object.keys(f)).toEqual(['ruleId', 'severity', 'file', 'line', 'column', 'path', 'message']);
      expect(f).toEqual({
        ruleId: expect.stringMatching(/^[A-Z]+-\d{2}$/),
        severity: expect.stringMatching(/^(critical|high|medium|low|info)$/),
        file: fixture('traefik/traefik.yml'),
        line: expect.any(Number),
        column: expect.any(Number),
        path: expect.any(String),
        message: expect.any(String),
      });
    }
    expect(out.findings).toContainEqual({
      ruleId: 'TRF-01',
      severity: 'critical',
      file: fixture('traefik/traefik.yml'),
      line: 28,
      column: 3,
      path: 'api.insecure',
      message: 'api.insecure is true: the dashboard and API are served without authentication',
    });
    const clean = await mlsec('check', '--format=json', fixture('compose/hardened.compose.yml'));
    expect(clean).toEqual({ code: 0, stdout: '{\n  "findings": []\n}\n', stderr: '' });
  });

  it('prints SARIF 2.1.0 that validates, with every rule and one result per finding', async () => {
    const json = JSON.parse((await mlsec('check', '--format', 'json', fixture('vault/vault.hcl'))).stdout);
    const run = await mlsec('check', '--format', 'sarif', fixture('vault/vault.hcl'));
    expect(run.code).toBe(1);
    const log = JSON.parse(run.stdout);
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(RuleCatalog.rules().map((r) => r.id));
    expect(log.runs[0].results.map((r: any) => [r.ruleId, r.locations[0].physicalLocation.region.startLine])).toEqual(json.findings.map((f: any) => [f.ruleId, f.line]));
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'test/cli/fixtures/vault/vault.hcl' });
  });

  it('--min-severity filters what is printed and what counts for the exit status', async () => {
    const all = JSON.parse((await mlsec('check', '--format', 'json', fixture('traefik/dynamic.yml'))).stdout).findings;
    expect(all.some((f: any) => f.severity === 'high')).toBe(true);
    expect(all.some((f: any) => f.severity === 'critical')).toBe(false);
    const high = await mlsec('check', '--min-severity', 'high', fixture('traefik/dynamic.yml'));
    expect(high.code).toBe(1);
    expect(lines(high.stdout).length).toBe(all.filter((f: any) => f.severity === 'high').length);
    expect(lines(high.stdout).every((l) => / high /.test(l))).toBe(true);
    expect(high.stderr).toContain('at high or above');
    const critical = await mlsec('check', '--min-severity', 'critical', fixture('traefik/dynamic.yml'));
    expect(critical).toMatchObject({ code: 0, stdout: '' });
  });

  it('does not print findings a compose file acknowledges itself, and marks them suppressed in SARIF', async () => {
    const text = (await import('fs')).readFileSync(fixture('compose/hardened.compose.yml'), 'utf8')
      .replace('    read_only: true\n', '    read_only: false\n')
      .replace('      zone: z6\n', '      zone: z6\n      overrides:\n        - control: read_only\n          setting: "false"\n          reason: the scorer unpacks its model bundle at start\n');
    const file = scratch.write('ack/docker-compose.yml', text);
    const run = await mlsec('check', file);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(run.stderr).toContain('0 findings (0 error-level); 1 acknowledged in the files themselves, not shown');
    const sarif = JSON.parse((await mlsec('check', '--format', 'sarif', file)).stdout);
    expect(sarif.runs[0].results).toEqual([
      expect.objectContaining({ ruleId: 'CMP-13', suppressions: [expect.objectContaining({ kind: 'external', justification: 'the scorer unpacks its model bundle at start' })] }),
    ]);
  });
});

describe('mlsec rules', () => {
  it('lists the catalog as text: id, severity, level, title, controls', async () => {
    const run = await mlsec('rules');
    expect(run.code).toBe(0);
    const rule = RuleCatalog.rules()[0];
    expect(run.stdout).toMatch(new RegExp(`^  ${rule.id} +${rule.severity} +${rule.level} +${escape(rule.title)}`, 'm'));
    expect(run.stdout.split('\n')[0]).toBe(`mlsec-cdk rule catalog 2026.11.2: ${RuleCatalog.rules().length} rules`);
  });

  it('lists the catalog as json: id, title, severity, level, controls', async () => {
    const run = await mlsec('rules', '--format', 'json');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.catalogVersion).toBe('2026.11.2');
    expect(out.rules.map((r: any) => r.id)).toEqual(RuleCatalog.rules().map((r) => r.id));
    for (const r of out.rules) {
      expect(Object.keys(r)).toEqual(['id', 'pack', 'title', 'severity', 'level', 'priority', 'unsuppressible', 'controls']);
      expect(Object.keys(r.controls).length, r.id).toBeGreaterThan(0);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
