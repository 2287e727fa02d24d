import { posix } from 'path';
import type { Rule, RuleHit } from '../../rule';
import { ComposeService, eachService, serviceHit, servicesOf } from './compose-services';
import { asList, asMap, asText, isExtensionKey, keyValueEntries, show } from './compose-values';
import { judgeSecret } from './secret-detection';
import { writtenText } from './yaml-1-1-scalars';

/**
 * CMP-24: a secret in `environment` (map or `KEY=value` list) or `build.args`, found by name
 * (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*_KEY` …) or by value (AWS/GitHub/OpenAI/… formats, PEM
 * private keys, URLs with passwords, long high-entropy strings). Literal values are critical;
 * `${VAR}` interpolation is medium (the value still lands in the container's environment).
 * `*_FILE` variables pointing at files pass. Unsuppressible. Values are never printed.
 */
export const ENVIRONMENT_SECRET: Rule = {
  id: 'CMP-24',
  title: 'Secret value in environment',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale: 'Environment variables are visible in `docker inspect`, /proc/<pid>/environ, crash dumps and child processes, and a literal one is committed with the compose file.',
  remediation: 'Mount the secret as a file (`secrets:` + a `*_FILE` variable, or a Vault-agent-rendered file under tmpfs /run/secrets) and remove the variable.',
  controls: { 'cis-docker-1.6': ['4.10'], 'nist-800-53-r5': ['IA-5', 'SC-28'], 'csa-aicm': ['CEK', 'IAM'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const hits: RuleHit[] = [];
      const sources = [
        { steps: ['environment'], value: s.data.environment, what: 'environment variable' },
        { steps: ['build', 'args'], value: asMap(s.data.build)?.args, what: 'build arg' },
      ];
      for (const source of sources) {
        for (const { key, value, at } of keyValueEntries(source.value)) {
          const verdict = judgeSecret(key, value);
          if (!verdict) continue;
          const message =
            verdict.kind === 'literal'
              ? `service '${s.name}' sets ${source.what} ${key} to a literal secret: ${verdict.reason}`
              : `service '${s.name}' passes a secret through ${source.what} ${key}: ${verdict.reason}`;
          hits.push(serviceHit(s, [...source.steps, at], message, { granular: `${s.name}/${key}`, severity: verdict.kind === 'literal' ? undefined : 'medium' }));
        }
      }
      return hits;
    }),
};

/** Whether `file` lies inside the directory `context` (both relative to the project directory, or absolute). */
function inside(file: string, context: string): boolean {
  const rel = posix.relative(posix.resolve('/project', context), posix.resolve('/project', file));
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

/** The build context of a service (`build: .` or `build.context`, default `.`), unless it is remote (git, http). */
function buildContext(s: ComposeService): string | undefined {
  const build = s.data.build;
  const map = asMap(build);
  const context = map
    ? map.context === undefined ? '.' : writtenText(s.document, [...s.path, 'build', 'context'], map.context)
    : writtenText(s.document, [...s.path, 'build'], build);
  if (context === undefined || /^[a-z][a-z0-9+.-]*:\/\/|^git@|\.git(#|$)/i.test(context)) return undefined;
  return context;
}

/**
 * CMP-25: a top-level secret defined inline (`content:`, or none of `file:`, `environment:`,
 * `external:`), a service referencing a secret that is not declared, or a secret file inside a
 * service's build context (it can end up in an image layer).
 */
export const SECRET_DEFINITION: Rule = {
  id: 'CMP-25',
  title: 'Secret defined inline, missing, or inside a build context',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'An inline secret is committed with the file; an undeclared one fails at deploy time or silently falls back; a secret file in a build context is copied into image layers by `COPY . .`.',
  remediation: 'Declare every secret at top level with `file:` (outside any build context), `environment:` or `external: true`, and reference only declared secrets.',
  controls: { 'cis-docker-1.6': ['4.10'], 'nist-800-53-r5': ['IA-5', 'SC-28'], 'csa-aicm': ['CEK'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['compose'],
  check: (model) => {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('compose')) {
      const secrets = asMap(asMap(document.data)?.secrets) ?? {};
      const names = Object.keys(secrets).filter((n) => !isExtensionKey(n));
      const files: { name: string; file: string }[] = [];
      for (const name of names) {
        const decl = asMap(secrets[name]);
        if (decl && decl.content !== undefined) {
          hits.push({ document, path: ['secrets', name, 'content'], message: `secret '${name}' is defined inline with content:`, granular: name });
        } else if (!decl || (decl.file === undefined && decl.environment === undefined && !decl.external)) {
          hits.push({ document, path: ['secrets', name], message: `secret '${name}' has no file:, environment: or external: source (got ${show(secrets[name])})`, granular: name });
        } else if (typeof decl.file === 'string') {
          files.push({ name, file: decl.file });
        }
      }
      const services = servicesOf(document);
      for (const s of services) {
        (asList(s.data.secrets) ?? []).forEach((ref, index) => {
          const source = typeof ref === 'string' ? ref : asText(asMap(ref)?.source);
          if (source !== undefined && !names.includes(source)) {
            hits.push(serviceHit(s, ['secrets', index], `service '${s.name}' uses secret '${source}', which is not declared under top-level secrets`, { granular: `${s.name}/${source}` }));
          }
        });
      }
      // Each service's build context once, not once per secret file.
      const contexts = services.flatMap((s) => {
        const context = buildContext(s);
        return context === undefined ? [] : [{ s, context }];
      });
      for (const { name, file } of files.filter((f) => !f.file.startsWith('~'))) {
        const within = contexts.filter(({ context }) => inside(file, context)).map(({ s }) => s);
        if (within.length === 0) continue;
        const list = within.map((s) => `'${s.name}'`).join(', ');
        hits.push({ document, path: ['secrets', name, 'file'], message: `secret '${name}' file ${show(file)} lies inside the build context of service ${list}`, granular: name });
      }
    }
    return hits;
  },
};
