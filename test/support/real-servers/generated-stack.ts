/**
 * Starts real servers from a synthesized app's own files (the generated configs, init SQL,
 * vault.hcl and bootstrap) and the bootstrap-issued secrets, re-pointing only container paths,
 * host names and ports. Used by the end-to-end tests of the data tier and of Vault.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { baoBinary, RunningOpenBao, startAgent, startOpenBao } from './openbao';
import { PostgresServer as RunningPostgres, startPostgres } from './postgres';
import { ServerFile } from './process-registry';

/** The synthesized files of one Vps (paths relative to its folder) and its secrets folder. */
export interface GeneratedHost {
  /** `relative path → text` of the Vps folder. */
  readonly files: Readonly<Record<string, string>>;
  /** The secrets folder the bootstrap wrote. */
  readonly secretsDir: string;
  /** The Vps name. */
  readonly vps: string;
}

/** A delivered file of `service`. */
export function deliveredPath(host: GeneratedHost, service: string, name: string): string {
  return path.join(host.secretsDir, host.vps, 'deliver', service, name);
}

/**
 * Starts the PostgresServer `service` with its generated files, then runs its init SQL as the
 * entrypoint would. Its secret files come from its delivery folder, and (with Vault) from what its
 * agent rendered (`renderedDir`).
 */
export async function startGeneratedPostgres(host: GeneratedHost, service: string, options: { renderedDir?: string; port?: number } = {}): Promise<RunningPostgres> {
  const f = (rel: string) => host.files[`${service}/${rel}`];
  const files: Record<string, ServerFile> = {
    'postgresql.conf': { content: f('postgresql.conf'), mode: 0o644 },
    'pg_hba.conf': { content: f('pg_hba.conf'), mode: 0o644 },
    'pg_ident.conf': { content: f('pg_ident.conf'), mode: 0o644 },
    'init.sql': { content: f('initdb/10-mlsec-roles.sql'), mode: 0o644 },
    'wrapper.conf': { mode: 0o644, content: (dir) => [`include '${dir}/postgresql.conf'`, `hba_file = '${dir}/pg_hba.conf'`, `ident_file = '${dir}/pg_ident.conf'`,
      `ssl_cert_file = '${dir}/secrets/tls.crt'`, `ssl_key_file = '${dir}/secrets/tls.key'`, `ssl_ca_file = '${dir}/secrets/ca.crt'`, ''].join('\n') },
  };
  const deliveredDir = path.dirname(deliveredPath(host, service, 'x'));
  for (const dir of [deliveredDir, options.renderedDir]) {
    if (dir === undefined) continue;
    for (const name of fs.readdirSync(dir).filter((n) => !n.startsWith('.'))) files[`secrets/${name}`] = { content: fs.readFileSync(path.join(dir, name)), mode: 0o600 };
  }
  const pg = await startPostgres({ configFile: 'wrapper.conf', files, superuser: 'mlsec_admin', port: options.port });
  const previous = process.env.MLSEC_SECRETS_DIR;
  process.env.MLSEC_SECRETS_DIR = path.join(pg.dir, 'secrets');
  try {
    pg.runSqlAsSuperuser(`\\i ${pg.dir}/init.sql`);
  } finally {
    if (previous === undefined) delete process.env.MLSEC_SECRETS_DIR;
    else process.env.MLSEC_SECRETS_DIR = previous;
  }
  return pg;
}

/** A running OpenBao bootstrapped by the generated script, with a break-glass admin token for the test. */
export interface GeneratedVault {
  readonly bao: RunningOpenBao;
  /** An orphan token with the root policy (survives the bootstrap's revocation of the root token). */
  readonly admin: string;
  /** The bootstrap's output. */
  readonly bootstrapOutput: string;
  /** Runs the generated bootstrap again (with the admin token), as the operator does once every server is up. */
  rerunBootstrap(): string;
  /** Logs `role` in through AppRole (a fresh secret ID) and returns its token. */
  login(role: string): Promise<string>;
}

/**
 * Starts the VaultServer `service` (OpenBao) from its generated vault.hcl, initialises and unseals
 * it, and runs the generated bootstrap.sh with the initial root token. `postgres` maps a
 * PostgresServer name to the loopback port of a running server (Vault's database connections;
 * CA-only verification, as the service names do not resolve here). `patch` may rewrite the
 * bootstrap where the test environment differs (e.g. JWT keys instead of GitHub discovery).
 */
export async function startGeneratedVault(host: GeneratedHost, service: string, options: { postgres?: Record<string, number>; patch?: (bootstrap: string, dir: string) => string } = {}): Promise<GeneratedVault> {
  if (!baoBinary()) throw new Error('OpenBao is not installed: run `npx projen test:deps`');
  const vaultFile = (name: string) => fs.readFileSync(deliveredPath(host, service, name));
  const bao = await startOpenBao({
    hostname: service, caFile: 'ca.crt',
    files: { 'tls.crt': { content: vaultFile('tls.crt'), mode: 0o644 }, 'tls.key': { content: vaultFile('tls.key'), mode: 0o600 }, 'ca.crt': { content: vaultFile('ca.crt'), mode: 0o644 } },
    config: (dir, api, cluster) => host.files['vault/vault.hcl'].replace(/\/run\/secrets\//g, `${dir}/`).replace('"/vault/data"', `"${dir}/data"`).replace('"/vault/audit/audit.log"', `"${dir}/audit/audit.log"`)
      .replace('"0.0.0.0:8200"', `"127.0.0.1:${api}"`).replace('"0.0.0.0:8201"', `"127.0.0.1:${cluster}"`)
      .replace(`"https://${service}:8200"`, `"https://127.0.0.1:${api}"`).replace(`"https://${service}:8201"`, `"https://127.0.0.1:${cluster}"`),
  });
  const admin = JSON.parse(bao.bao(['token', 'create', '-orphan', '-policy=root', '-format=json'], bao.rootToken).stdout).auth.client_token as string;
  const config = path.join(bao.dir, 'mlsec');
  for (const [rel, text] of Object.entries(host.files).filter(([rel]) => rel.startsWith('vault/'))) {
    const target = path.join(config, rel.slice('vault/'.length));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    let out = text;
    for (const [pgService, port] of Object.entries(options.postgres ?? {})) {
      out = out.replace(`@${pgService}:5432/postgres?sslmode=verify-full&sslrootcert=/run/secrets/ca.crt`, `@127.0.0.1:${port}/postgres?sslmode=verify-ca&sslrootcert=${bao.dir}/ca.crt`);
    }
    fs.writeFileSync(target, rel === 'vault/bootstrap.sh' && options.patch ? options.patch(out, bao.dir) : out);
  }
  fs.writeFileSync(path.join(bao.dir, 'root-token'), bao.rootToken, { mode: 0o600 });
  fs.writeFileSync(path.join(bao.dir, 'admin-token'), admin, { mode: 0o600 });
  const run = (tokenFile: string) => spawnSync('/bin/sh', [path.join(config, 'bootstrap.sh')], {
    cwd: bao.dir, encoding: 'utf8',
    env: {
      PATH: `${path.dirname(baoBinary()!)}:/usr/bin:/bin`, HOME: bao.dir, TMPDIR: bao.dir, VAULT_CLI: 'bao', VAULT_TOKEN_FILE: path.join(bao.dir, tokenFile),
      VAULT_ADDR: `https://127.0.0.1:${bao.apiPort}`, BAO_CACERT: path.join(bao.dir, 'ca.crt'), BAO_TLS_SERVER_NAME: service,
      MLSEC_CONFIG_DIR: config, MLSEC_SECRETS_DIR: path.dirname(deliveredPath(host, service, 'x')), VAULT_AUDIT_FILE: path.join(bao.dir, 'audit', 'audit.log'),
    },
  });
  const r = run('root-token');
  if (r.status !== 0) {
    await bao.stop();
    throw new Error(`the generated bootstrap failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return {
    bao, admin, bootstrapOutput: r.stdout,
    rerunBootstrap: () => {
      const again = run('admin-token');
      if (again.status !== 0) throw new Error(`the generated bootstrap failed on its second run (${again.status}):\n${again.stdout}\n${again.stderr}`);
      return again.stdout;
    },
    login: async (role) => {
      const roleId = (await bao.api('GET', `auth/approle/role/${role}/role-id`, admin)).body.data.role_id;
      const secretId = (await bao.api('PUT', `auth/approle/role/${role}/secret-id`, admin, {})).body.data.secret_id;
      return (await bao.api('PUT', 'auth/approle/login', undefined, { role_id: roleId, secret_id: secretId })).body.auth.client_token as string;
    },
  };
}

/**
 * Runs the generated Vault Agent of `workload` (its agent.hcl and templates, container paths
 * re-pointed) with a fresh role ID and wrapped secret ID until it has rendered every file;
 * returns the folder it rendered into (what the workload sees at /run/vault).
 */
export async function renderAgentFiles(host: GeneratedHost, vault: GeneratedVault, workload: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(vault.bao.dir, `agent-${workload}-`));
  const out = path.join(dir, 'out');
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(out, { mode: 0o700 });
  fs.mkdirSync(secrets, { mode: 0o700 });
  fs.copyFileSync(deliveredPath(host, `${workload}-vault-agent`, 'ca.crt'), path.join(secrets, 'ca.crt'));
  fs.writeFileSync(path.join(secrets, 'role-id'), (await vault.bao.api('GET', `auth/approle/role/${workload}/role-id`, vault.admin)).body.data.role_id);
  fs.writeFileSync(path.join(secrets, 'secret-id'), JSON.parse(vault.bao.bao(['write', '-format=json', '-wrap-ttl=60s', '-f', `auth/approle/role/${workload}/secret-id`], vault.admin).stdout).wrap_info.token);
  const templates = Object.keys(host.files).filter((rel) => rel.startsWith(`vault/agent/${workload}/`) && rel.endsWith('.ctmpl')).map((rel) => path.basename(rel, '.ctmpl'));
  for (const [rel, text] of Object.entries(host.files).filter(([rel]) => rel.startsWith(`vault/agent/${workload}/`))) {
    fs.writeFileSync(path.join(dir, path.basename(rel)), text
      .replace(/"\/run\/secrets\/(role-id|secret-id|ca\.crt)"/g, `"${secrets}/$1"`).replace(/\/vault\/agent\//g, `${dir}/`).replace(/\/run\/vault\//g, `${out}/`)
      .replace('/tmp/vault-agent.pid', path.join(dir, 'agent.pid'))
      .replace('address = "https://vault:8200"', `address = "https://127.0.0.1:${vault.bao.apiPort}"\n  tls_server_name = "vault"`));
  }
  const agent = startAgent(path.join(dir, 'agent.hcl'), dir);
  try {
    // Templates render concurrently: wait for every one, as the agent's health check does.
    for (const name of ['.ready', ...templates]) await agent.waitFor(path.join(out, name));
  } finally {
    await agent.stop();
  }
  return out;
}
