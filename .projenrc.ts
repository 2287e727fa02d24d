import { javascript, typescript, TextFile } from 'projen';

const project = new typescript.TypeScriptProject({
  name: 'mlsec-cdk',
  description: 'Constructs that synthesize a hardened, single-VPS MLOps/LLM security lab: compose, Traefik, Vault, Keycloak and a posture report.',
  license: 'Apache-2.0',
  copyrightOwner: 'mlsec-cdk authors',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  projenVersion: '0.103.25',
  typescriptVersion: '5.9.3',
  runner: typescript.TypeScriptRunner.tsx(),
  srcdir: 'lib',
  libdir: 'dist',
  testdir: 'test',
  entrypoint: 'dist/index.js',
  sampleCode: false,
  jest: false,
  eslint: false,
  prettier: false,
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  package: false,
  minNodeVersion: '20.19.0',
  bin: { mlsec: 'dist/cli/mlsec.js' },
  deps: [
    'constructs@10.8.1',
    'yaml@2.9.1',
    'ajv@8.20.0',
    '@cdktf/hcl2json@0.21.0',
    'node-forge@1.4.3',
    'handlebars@4.7.10',
    '@viz-js/viz@3.31.0', // Graphviz compiled to WebAssembly: the architecture diagram needs no system package
  ],
  devDeps: [
    '@types/node@^20',
    '@types/node-forge@1.3.14',
    'tsx@4.23.15',
    'vitest@4.1.12',
    'fast-check@4.10.2',
    'dclint@3.1.0', // ships the current compose-spec JSON schema we vendor into lib/compose/generated
    'json-schema-to-typescript@15.0.4',
    'cdk8s@2.70.106', // benchmark peer
    'cdk8s-plus-32@2.5.92',
    '@keycloak/keycloak-admin-client@26.7.4', // types only: import type … from '…/lib/defs/*' (RealmRepresentation)
  ],
  tsconfig: {
    compilerOptions: {
      skipLibCheck: true,
      resolveJsonModule: true,
      esModuleInterop: true,
    },
  },
  tsconfigDev: {
    include: ['../apps/**/*.ts', '../bench/**/*.ts', '../tools/**/*.ts'],
    compilerOptions: { skipLibCheck: true, resolveJsonModule: true, esModuleInterop: true },
  },
  gitignore: ['/secrets/', '/.synth-out.tmp-*', '/.synth-out.old-*', '/.bench/', '/synth-out-scoring/', '/.synth-out-scoring.*'],
});

// vitest instead of jest; tsc type-checks the tests first because vitest does not.
project.testTask.reset('tsc --noEmit -p test/tsconfig.json');
project.testTask.exec('vitest run', { receiveArgs: true });
project.addTask('test:watch', { exec: 'vitest' });
project.addTask('test:update', { exec: 'vitest run -u' });

new TextFile(project, 'vitest.config.mts', {
  lines: [
    "import { defineConfig } from 'vitest/config';",
    'export default defineConfig({',
    "  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' },",
    '});',
  ],
});

const testDeps = project.addTask('test:deps', {
  description: 'Install the Debian packages and the real servers the tests use (skips what is present)',
  exec: 'bash tools/install-test-deps.sh',
});
testDeps.exec('bash tools/install-servers.sh');

project.addTask('gen:traefik', {
  description: 'Regenerate lib/traefik/generated/ (types) from the vendored SchemaStore Traefik v3 schemas',
  exec: 'tsx tools/generate-traefik-types.ts',
});

project.addTask('gen:s3-policy', {
  description: 'Regenerate lib/services/minio/generated/ (the precompiled MinIO policy validator) from s3-policy-schema.ts',
  exec: 'tsx tools/generate-s3-policy-validator.ts',
});

project.addTask('gen:agent-templates', {
  description: 'Regenerate lib/vault/agent/generated/ (the precompiled Vault Agent templates) from agent-template-sources.ts',
  exec: 'tsx tools/generate-agent-templates.ts',
});

project.addTask('gen:scan-service', {
  description: 'Regenerate lib/services/clamav/generated/ (the scan service program, transpiled) from runtime/scan-service-main.ts',
  exec: 'tsx tools/generate-scan-service-program.ts',
});

project.addTask('gen:rules', {
  description: 'Regenerate docs/RULES.md from the rule metadata (a test fails when it is stale)',
  exec: 'tsx tools/generate-rules-doc.ts',
});

project.addTask('mlsec', {
  description: 'Run the mlsec CLI from source, e.g. `npx projen mlsec check docker-compose.yml`',
  exec: 'tsx lib/cli/mlsec.ts',
  receiveArgs: true,
});

project.addTask('bootstrap', {
  description: 'Create or renew the operator-only secrets of apps/lab.ts (internal PKI) in secrets/, never synth-out/',
  exec: 'tsx tools/bootstrap.ts',
  receiveArgs: true,
});

project.addTask('gen:compose', {
  description: 'Regenerate lib/compose/generated/ (schema + types) from the compose-spec schema shipped by dclint',
  exec: 'tsx tools/generate-compose-types.ts',
});

project.addTask('synth', {
  description: 'Synthesize the reference lab (apps/lab.ts) into synth-out/',
  exec: 'tsx apps/lab.ts',
  receiveArgs: true,
});

project.addTask('synth:example', {
  description: 'Synthesize the second example, a platform composed zone by zone (apps/scoring-platform.ts), into synth-out-scoring/',
  exec: 'tsx apps/scoring-platform.ts',
});

project.addTask('synth:check', {
  description: 'Synthesize in memory and fail, listing the files, when synth-out/ is stale',
  exec: 'tsx apps/lab.ts',
  env: { MLSEC_SYNTH_CHECK: '1' },
});

const bench = project.addTask('bench', {
  description: 'Benchmark whole-process synth against cdk8s-plus (compiled JS)',
});
bench.spawn(project.compileTask);
bench.exec('node bench/run.mjs', { receiveArgs: true });
bench.exec('node bench/pki-bench.mjs');
bench.exec('node bench/lab-bench.mjs');

project.synth();
