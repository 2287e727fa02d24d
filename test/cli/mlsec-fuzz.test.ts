import * as fs from 'fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DOCUMENT_KINDS } from '../../lib';
import { fixture, mlsec, scratchDir, STACK_FRAME } from './support';

/**
 * Whatever bytes `mlsec check` is given, it answers with exit status 0, 1 or 2 and a message: it
 * never throws, never prints a stack trace and never reports an internal error (a rule crashing
 * on an odd shape is a bug the rule must fix).
 */
const scratch = scratchDir();
afterAll(() => scratch.cleanup());

let counter = 0;

async function checkSurvives(name: string, content: string | Uint8Array, extraArgs: string[] = []): Promise<void> {
  const file = scratch.write(`${counter++}/${name}`, content);
  let run;
  try {
    run = await mlsec('check', ...extraArgs, file);
  } catch (err) {
    throw new Error(`main() threw on ${file}: ${(err as Error).stack}`);
  }
  expect([0, 1, 2], run.stderr).toContain(run.code);
  expect(run.stderr, run.stderr).not.toMatch(STACK_FRAME);
  expect(run.stdout).not.toMatch(STACK_FRAME);
  expect(run.stderr).not.toContain('internal error');
  if (run.code === 2) expect(run.stderr).toMatch(/^mlsec: \S/);
}

const FILE_NAMES = ['docker-compose.yml', 'compose.yaml', 'traefik.yml', 'dynamic.yml', 'realm-export.json', 'policy.hcl', 'vault.hcl', 'input', 'data.json'];
const FIXTURES = ['compose/docker-compose.v3.yml', 'compose/compose.yaml', 'traefik/traefik.yml', 'traefik/dynamic.yml', 'vault/app-policy.hcl', 'vault/vault.hcl', 'keycloak/lab-realm.json'];
const FIXTURE_TEXT = new Map(FIXTURES.map((f) => [f, fs.readFileSync(fixture(f), 'utf8')]));
const TOKENS = ['{', '}', '[', ']', ':', ': ', ',', '"', "'", '-', '- ', '#', '//', '/*', '*/', '\n', '  ', '\t', '=', '<<EOT\n', '<<: *x', '&x ', '*x', '!!binary ', '|', '>', '%', '@', '\\', '\u0000', '\uFEFF', 'null', '~', 'true', '0x1F', '1e999', 'services', 'path', 'realm', 'http'];

/** A fixture with a few random edits: deletions, insertions of syntax tokens, duplicated or swapped slices. */
const mutatedFixture = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(
      fc.record({ kind: fc.constantFrom('delete', 'insert', 'duplicate'), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 40 }), token: fc.constantFrom(...TOKENS) }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([name, edits]) => {
    let text = FIXTURE_TEXT.get(name)!;
    for (const e of edits) {
      const at = Math.floor(e.at * text.length);
      if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.len);
      else if (e.kind === 'insert') text = text.slice(0, at) + e.token + text.slice(at);
      else text = text.slice(0, at) + text.slice(at, at + e.len) + text.slice(at);
    }
    return { name: name.split('/')[1], text };
  });

/** Structured documents whose sections hold arbitrary JSON values (wrong types, nulls, deep nesting). */
const oddShapes = fc.jsonValue({ maxDepth: 4 }).chain((v) =>
  fc.constantFrom(
    { type: 'compose', doc: { services: { api: v } } },
    { type: 'compose', doc: { services: v, networks: v, volumes: v, secrets: v } },
    { type: 'compose', doc: { services: { api: { image: 'nginx:1.27', ports: v, volumes: v, environment: v, 'x-mlsec': v, networks: v, security_opt: v, cap_add: v, user: v, deploy: v, labels: v } } } },
    { type: 'traefik-dynamic', doc: { http: { routers: v, middlewares: v, services: v, serversTransports: v } } },
    { type: 'traefik-dynamic', doc: { http: { routers: { r: v }, middlewares: { m: v } }, tls: v } },
    { type: 'traefik-static', doc: { entryPoints: v, providers: v, api: v, log: v, accessLog: v, certificatesResolvers: v } },
    { type: 'traefik-static', doc: { entryPoints: { web: v }, providers: { docker: v } } },
    { type: 'keycloak-realm', doc: { realm: 'lab', clients: v, users: v, identityProviders: v, roles: v, components: v, smtpServer: v } },
    { type: 'keycloak-realm', doc: { realm: 'lab', clients: [v], users: [v], passwordPolicy: v, browserSecurityHeaders: v } },
    { type: 'keycloak-realm', doc: v },
  ),
);

/** HCL built from arbitrary values, for the Vault rules. */
const oddHcl = fc
  .tuple(fc.constantFrom('vault-policy', 'vault-config'), fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()), { maxLength: 4 }), fc.string({ maxLength: 20 }))
  .map(([type, values, text]) => {
    const list = JSON.stringify(values);
    const str = JSON.stringify(text);
    const body =
      type === 'vault-policy'
        ? `path ${str} {\n  capabilities = ${list}\n}\npath "kv/*" {\n  capabilities = ${JSON.stringify(values[0] ?? null)}\n  allowed_parameters = { x = ${list} }\n}\n`
        : `ui = ${JSON.stringify(values[0] ?? true)}\nlistener "tcp" {\n  address = ${str}\n  tls_disable = ${list}\n}\nseal ${str} {\n  token = ${str}\n}\nstorage "raft" { path = ${list} }\n`;
    return { type, body };
  });

describe('mlsec check never crashes', () => {
  it('on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FILE_NAMES), fc.uint8Array({ maxLength: 300 }), async (name, bytes) => checkSurvives(name, bytes)),
      { numRuns: 120 },
    );
  });

  it('on random syntax-heavy text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FILE_NAMES), fc.array(fc.constantFrom(...TOKENS, 'a', 'b', '1', ' '), { maxLength: 80 }), async (name, parts) => checkSurvives(name, parts.join(''))),
      { numRuns: 120 },
    );
  });

  it('on malformed versions of realistic files', async () => {
    await fc.assert(fc.asyncProperty(mutatedFixture, async ({ name, text }) => checkSurvives(name, text)), { numRuns: 100 });
  });

  it('on random bytes with every --type forced', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...DOCUMENT_KINDS), fc.string({ maxLength: 200 }), async (type, text) => checkSurvives('input', text, ['--type', type])),
      { numRuns: 60 },
    );
  });

  it('on odd-shaped YAML/JSON documents (rules meet wrong types and nulls)', async () => {
    await fc.assert(fc.asyncProperty(oddShapes, async ({ type, doc }) => checkSurvives('input.json', JSON.stringify(doc), ['--type', type])), { numRuns: 150 });
  });

  it('on odd-shaped Vault HCL', async () => {
    await fc.assert(fc.asyncProperty(oddHcl, async ({ type, body }) => checkSurvives('input.hcl', body, ['--type', type])), { numRuns: 60 });
  });
});
