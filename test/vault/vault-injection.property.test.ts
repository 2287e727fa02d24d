/**
 * Property: a user string that reaches a generated Vault HCL file — a KV secret path, a Transit
 * key name, a policy name, a policy rule path — is either rejected by synth with an MlsecError
 * naming the construct, or it matches the documented safe pattern and every generated HCL file
 * reparses with HashiCorp's parser (hcl2json) to exactly the intended `path` blocks: the policy
 * that holds the value has exactly the intended paths and capabilities, every other policy is
 * what a reference lab gives, and no other HCL file has a `path` block at all. Failures print
 * fast-check's seed and the shrunk counterexample.
 */
import { parse } from '@cdktf/hcl2json';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Assembly, Testing, VAULT_CAPABILITIES, VaultCapability, VaultPolicy, VaultServer, Vps, Workload, Zone } from '../../lib';
import { assertClearError } from '../property/support';
import { labApp, simpleWorkload } from '../support/fixtures';

const RUNS = { numRuns: Number(process.env.FC_RUNS ?? 200) };

async function reparse(file: string, text: string): Promise<Record<string, any>> {
  try {
    return (await parse(file, text)) as Record<string, any>;
  } catch (err) {
    throw new Error(`hcl2json cannot parse ${file}:\n${text}\n${String(err)}`);
  }
}

/** Restated from the docs (not imported): VaultKvSecretProps.path, `{env}/{tenant}/{app}/{component}`. */
const KV_SEGMENT = /^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/;
const kvSafe = (s: string) => s.split('/').length === 4 && s.split('/').every((x) => KV_SEGMENT.test(x));
/** VaultTransitKeyProps.name and VaultPolicyProps.name: lower-case letters, digits and "-". */
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/**
 * VaultPolicyRule.path / VAULT_POLICY_PATH's doc: segments of letters, digits and `-_.@=:`, `+`
 * segments, `{{identity.entity|groups.…}}` templates, at most a trailing `*`; "No `..`, no empty
 * segment, no leading `/`".
 */
const SEGMENT = String.raw`(?:[A-Za-z0-9_.@=:-]+|\+|\{\{identity\.(?:entity|groups)\.[A-Za-z0-9_.]+\}\})`;
const LAST = String.raw`(?:[A-Za-z0-9_.@=:-]+\*?|\+|\*|\{\{identity\.(?:entity|groups)\.[A-Za-z0-9_.]+\}\})`;
const RULE_PATH = new RegExp(`^(?:${SEGMENT}/)*${LAST}$`);
/** A "." or ".." segment (also as the stem of a trailing glob, `..*`). */
const dotSegment = (s: string) => s.split('/').some((x) => ['.', '..'].includes(x.replace(/\*$/, '')));
const ruleSyntaxSafe = (s: string) => RULE_PATH.test(s) && !dotSegment(s);
/**
 * An application policy holding `read`: no root glob (VLT-14: `*`, a `+`, glob or template mount),
 * nothing minting tokens (VLT-18).
 */
function appReadSafe(s: string): boolean {
  const first = s.split('/')[0];
  return ruleSyntaxSafe(s) && s !== '*' && first !== '+' && !first.endsWith('*') && !first.startsWith('{{') && !s.startsWith('auth/token/create');
}

/** Values every run tries first: "." and ".." segments, names of Object.prototype members, template mounts. */
const EXAMPLES: [string][] = [
  ['..'], ['.'], ['kv/data/../../sys/mounts'], ['kv/./x'], ['prod/acme/../db'], ['prod/acme/./db'], ['kv/data/..*'],
  ['constructor'], ['__proto__'], ['tostring'], ['toString'], ['kv/data/constructor'], ['prod/acme/__proto__/db'], ['prod/constructor/api/db'],
  ['{{identity.entity.id}}/*'], ['{{identity.entity.id}}/data'],
];

/** One place a user string reaches generated HCL. */
interface Target {
  readonly name: string;
  safe(s: string): boolean;
  /** A character outside the documented set: such a string must never be accepted. */
  readonly unsafeChar: RegExp;
  /** Strings of the safe shape, so the accepting branch is exercised too. */
  readonly validLike: fc.Arbitrary<string>;
  /** A value known to be safe, for the reference lab. */
  readonly reference: string;
  /** Builds an app with `s` in place. */
  build(s: string): ReturnType<typeof labApp>['app'];
  /** The policy file that must hold `s`, and exactly which rules it has. */
  intended(s: string): { file: string; rules: Record<string, VaultCapability[]> };
  /** The construct the error must name, and the prop. */
  readonly path: string;
  readonly prop: string | RegExp;
}

/** A lab with a Vault server and an `api` workload; `grant` adds what the target needs. */
function vaultLab(grant: (vault: VaultServer, api: Workload, vps: Vps) => void) {
  const { app, vps } = labApp();
  const vault = new VaultServer(vps, 'vault');
  const api = simpleWorkload(vps, 'api', Zone.Z6_SERVING);
  // A second grant holder, so there is a policy that must not change.
  const other = simpleWorkload(vps, 'other', Zone.Z6_SERVING);
  vault.addKvSecret('OtherSecret', { path: 'prod/acme/other/db' }).grantRead(other);
  grant(vault, api, vps);
  return { app, vps };
}

const TARGETS: Target[] = [
  {
    name: 'KV secret path',
    safe: kvSafe,
    unsafeChar: /[^a-z0-9_/-]/,
    validLike: fc.array(fc.stringMatching(/^[a-z0-9](?:[a-z0-9_-]{0,6}[a-z0-9])?$/), { minLength: 3, maxLength: 5 }).map((s) => s.join('/')),
    reference: 'prod/acme/api/db',
    build: (s) => vaultLab((vault, api) => vault.addKvSecret('Secret', { path: s }).grantRead(api)).app,
    intended: (s) => ({ file: 'lab/vault/policies/api.hcl', rules: { [`kv/data/${s}`]: ['read'] } }),
    path: 'lab/vault/Secret',
    prop: "prop 'path'",
  },
  {
    name: 'Transit key name',
    safe: (s) => NAME.test(s),
    unsafeChar: /[^a-z0-9-]/,
    validLike: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/),
    reference: 'pii',
    build: (s) => vaultLab((vault, api) => vault.addTransitKey('Key', { name: s }).grantEncrypt(api)).app,
    intended: (s) => ({ file: 'lab/vault/policies/api.hcl', rules: { [`transit/encrypt/${s}`]: ['update'] } }),
    path: 'lab/vault/Key',
    prop: "prop 'name'",
  },
  {
    name: 'policy name',
    safe: (s) => NAME.test(s),
    unsafeChar: /[^a-z0-9-]/,
    validLike: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/),
    reference: 'ops',
    build: (s) =>
      vaultLab((_, __, vps) => {
        new VaultPolicy(vps, 'Policy', { name: s }).addRule('kv/data/prod/acme/ops/*', ['read', 'list']);
      }).app,
    intended: (s) => ({ file: `lab/vault/policies/${s}.hcl`, rules: { 'kv/data/prod/acme/ops/*': ['read', 'list'] } }),
    path: 'lab/Policy',
    // A safe name that is already a derived policy's (`api`, `other`) clashes on the file: prop 'path' of lab/Policy/File.
    prop: /prop '(name|path)'/,
  },
  {
    name: 'rule path (application policy, read)',
    safe: appReadSafe,
    unsafeChar: /[^A-Za-z0-9_.@=:{}+*/-]/,
    validLike: ruleLike(),
    reference: 'kv/data/prod/acme/ops/*',
    build: (s) =>
      vaultLab((_, __, vps) => {
        new VaultPolicy(vps, 'Policy', { name: 'ops' }).addRule(s, ['read']);
      }).app,
    intended: (s) => ({ file: 'lab/vault/policies/ops.hcl', rules: { [s]: ['read'] } }),
    path: 'lab/Policy',
    prop: 'addRule',
  },
  {
    name: 'rule path (admin policy, read and update)',
    safe: ruleSyntaxSafe,
    unsafeChar: /[^A-Za-z0-9_.@=:{}+*/-]/,
    validLike: ruleLike(),
    reference: 'sys/mounts/*',
    build: (s) =>
      vaultLab((_, __, vps) => {
        new VaultPolicy(vps, 'Policy', { name: 'ops', adminReason: 'break-glass administration by the platform team' }).addRule(s, ['read', 'update']);
      }).app,
    intended: (s) => ({ file: 'lab/vault/policies/ops.hcl', rules: { [s]: ['read', 'update'] } }),
    path: 'lab/Policy',
    prop: 'addRule',
  },
];

/** Rule paths of the documented shape (and some near it): segments, `+`, templates, a trailing `*`. */
function ruleLike(): fc.Arbitrary<string> {
  const segment = fc.oneof(
    { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.@=:-]{1,8}$/) },
    { weight: 1, arbitrary: fc.constant('+') },
    { weight: 1, arbitrary: fc.constantFrom('{{identity.entity.id}}', '{{identity.groups.names.ops.id}}', '{{identity.entity.metadata.team}}') },
  );
  return fc
    .tuple(fc.constantFrom('kv', 'transit', 'database', 'sys', 'auth', 'secret'), fc.array(segment, { maxLength: 4 }), fc.constantFrom('', '', '*', '/*'))
    .map(([mount, rest, tail]) => [mount, ...rest].join('/') + tail);
}

/** Pieces that mean something to HCL (1 and 2), to Vault paths and globs, to templates and to files. */
const PIECES = [
  '"', "'", '\\', '\\"', '\n', '\r\n', '\t', ' ', '${', '$${', '%{', '}}', '{{', '{', '}', '*', '+', '..', '.', '/', '//', '/*', '*/', '#', '=', ':', '@', '[', ']',
  '\u0000', '\u007f', '\u2028', '\u00a0', 'é', 'İ', '😀', '\ud800', 'A', 'a', 'z9', '-', '_', 'kv/data/', 'sys/', 'auth/token/create', 'transit/keys/',
  '{{identity.entity.id}}', '{{identity.entity.id}', '"}\npath "sys/*" {\n  capabilities = ["sudo"]\n}\npath "', '" {} path "x', 'path', 'constructor', '__proto__',
];
const metaMix = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
function nearMiss(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.constantFrom(...PIECES), fc.nat()).map(([v, piece, at]) => {
    const i = at % (v.length + 1);
    return v.slice(0, i) + piece + v.slice(i);
  });
}

/** (path → capabilities) of a policy file, checking it is nothing but `path` blocks, one per path, each only capabilities. */
function policyRules(file: string, data: Record<string, any>): Record<string, string[]> {
  expect(Object.keys(data), `${file}: top-level keys`).toEqual(['path']);
  const out: Record<string, string[]> = {};
  for (const [path, bodies] of Object.entries(data.path as Record<string, any[]>)) {
    expect(bodies, `${file}: one block for ${JSON.stringify(path)}`).toHaveLength(1);
    expect(Object.keys(bodies[0]), `${file}: ${JSON.stringify(path)} holds only capabilities`).toEqual(['capabilities']);
    expect(bodies[0].capabilities.every((c: string) => VAULT_CAPABILITIES.includes(c as VaultCapability))).toBe(true);
    // Defined, not assigned: a path such as `__proto__` is a key like any other.
    Object.defineProperty(out, path, { value: bodies[0].capabilities, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Every HCL file of the assembly, parsed: policies as (path → capabilities), others as data. */
async function hclFiles(assembly: Assembly): Promise<{ policies: Map<string, Record<string, string[]>>; others: Map<string, Record<string, any>> }> {
  const policies = new Map<string, Record<string, string[]>>();
  const others = new Map<string, Record<string, any>>();
  for (const f of assembly.allFiles().filter((x) => x.path.endsWith('.hcl'))) {
    const data = await reparse(f.path, f.content);
    if (f.path.startsWith('lab/vault/policies/')) policies.set(f.path, policyRules(f.path, data));
    else others.set(f.path, data);
  }
  return { policies, others };
}

const referenceFiles = new Map<string, Awaited<ReturnType<typeof hclFiles>>>();
async function referenceOf(t: Target) {
  if (!referenceFiles.has(t.name)) referenceFiles.set(t.name, await hclFiles(Testing.synth(t.build(t.reference))));
  return referenceFiles.get(t.name)!;
}

type Outcome = { accepted: true } | { accepted: false; error: unknown };

async function property(t: Target, s: string): Promise<Outcome> {
  let assembly: Assembly;
  try {
    assembly = Testing.synth(t.build(s));
  } catch (error) {
    assertClearError(error, { paths: [t.path], prop: t.prop });
    return { accepted: false, error };
  }
  expect(t.safe(s), `accepted ${JSON.stringify(s)}, which does not match the documented safe pattern`).toBe(true);
  expect(t.unsafeChar.test(s), `accepted ${JSON.stringify(s)}, which has a character outside the safe set`).toBe(false);
  const { policies, others } = await hclFiles(assembly);
  const ref = await referenceOf(t);
  const intended = t.intended(s);
  const refIntended = t.intended(t.reference);
  // The policy holding the value: exactly the intended rules.
  expect(policies.get(intended.file), `${intended.file} for ${JSON.stringify(s)}`).toEqual(intended.rules);
  // Every other policy: as in the reference lab (same files, same rules).
  const rest = (m: Map<string, Record<string, string[]>>, skip: string) => Object.fromEntries([...m].filter(([f]) => f !== skip));
  expect(rest(policies, intended.file)).toEqual(rest(ref.policies, refIntended.file));
  // No other HCL file has a path block, and the same HCL files exist.
  expect([...others.keys()]).toEqual([...ref.others.keys()]);
  for (const [file, data] of others) expect(Object.keys(data), `${file} has no path block`).not.toContain('path');
  return { accepted: true };
}

describe.each(TARGETS)('$name: rejected with a clear error, or safe and written as exactly the intended path blocks (property)', (t) => {
  it('the reference value is accepted', async () => {
    expect((await property(t, t.reference)).accepted).toBe(true);
  });

  it('arbitrary binary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 80 }), async (s) => {
        await property(t, s);
      }),
      { ...RUNS, examples: EXAMPLES },
    );
  });

  it('quotes, backslashes, newlines, "${", "{{ }}", globs, "..", comments and unicode, alone, mixed and inserted into safe values', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(metaMix, nearMiss(t.validLike), t.validLike), async (s) => {
        if ((await property(t, s)).accepted) accepted++;
      }),
      { ...RUNS, examples: EXAMPLES },
    );
    expect(accepted, 'the safe shapes must be accepted too, or the property says nothing').toBeGreaterThan(0);
  });
});
