import { Construct } from 'constructs';
import { checkPattern, collect, describeValue } from '../../core/prop-rules';
import { VpsFile } from '../../core/vps-file';
import { Credential } from '../../secrets/credential';
import { SecretSource } from '../../secrets/secret-source';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { clientTlsFiles } from '../client-tls';
import { Vps } from '../../core/vps';
import type { VaultServer } from '../../vault/vault-server';
import type { VaultKvSecret } from '../../vault/vault-grants';
import { Zone } from '../../workload/zone';
import { aclRule, renderAclFile } from './redis-acl';
import { renderRedisConfig, RedisUse } from './redis-config';
import { REDIS_APP_CATEGORIES, REDIS_FORBIDDEN_CATEGORIES, RedisCategory, RedisGrant, RedisGrantOptions } from './redis-grant';

/** Props of a {@link RedisServer}. */
export interface RedisServerProps {
  /** The zone (Z3 for the online feature store). */
  readonly zone: Zone;
  /** Cache (no persistence, LRU eviction), feature store or Celery broker (append-only file, no eviction). */
  readonly use: RedisUse;
  /**
   * The image: an official `redis` 7 image.
   * @default redis:7.2.5-bookworm
   */
  readonly image?: Image;
  /**
   * Resource limits; `maxmemory` is 3/4 of the memory limit.
   * @default the SecurityProfile in scope
   */
  readonly resources?: ResourceLimits;
  /**
   * Vault hands the grantees their passwords: each password is seeded into KV
   * (`kv/data/<vps>/core/<grantee>/<server>`) and rendered by the grantee's Vault Agent; the
   * server still gets only the SHA-256 (bootstrap-written ACL file).
   * @default none (passwords are delivered by the bootstrap)
   */
  readonly vault?: VaultServer;
}

/** The TLS port Redis listens on (plain TCP is off). */
export const REDIS_PORT = 6379;
const CONF = '/etc/redis/redis.conf';
/** A key or channel pattern: a literal prefix of safe characters, `*` only at the end. */
const KEY_PATTERN = /^[A-Za-z0-9:_.-]{1,100}\*?$/;
const ENV_PREFIX = /^[A-Z][A-Z0-9_]{0,30}_$/;

/**
 * A Redis server (L2), hardened: TLS only with client certificates, the default user off, one ACL
 * user per grant restricted to its key patterns and command categories (never `@admin` or
 * `@dangerous`; KEYS, SCAN, FLUSHALL, CONFIG, … always denied), persistence per use.
 * `grantAccess(workload, { keys, commands })` creates the flow, the ACL user and its password
 * (the server gets only its SHA-256), and delivers to the workload its password file (unless
 * `passwordFile: false`: the grantee delivers it its own way, once), a client
 * certificate and the CA bundle (`REDIS_HOST`, `REDIS_PORT`, `REDIS_USERNAME`,
 * `REDIS_PASSWORD_FILE`, `REDIS_TLS_CA_FILE`, `REDIS_TLS_CERT_FILE`, `REDIS_TLS_KEY_FILE`).
 *
 * Files: `<vps>/<service>/redis.conf` in synth-out; the ACL file `users.acl` is written by the
 * bootstrap into the server's secret folder (it carries password hashes).
 */
export class RedisServer extends Workload {
  /** What the server is for. */
  public readonly use: RedisUse;
  private readonly grants: RedisGrant[] = [];
  private readonly credentials = new Map<string, Credential>();
  private readonly grantProblems: string[] = [];
  private readonly redisProps: RedisServerProps;
  private readonly hashSecrets = new Map<string, VaultKvSecret>();

  constructor(scope: Construct, id: string, props: RedisServerProps) {
    const p = props ?? ({} as RedisServerProps);
    super(scope, id, {
      zone: p.zone,
      image: p.image ?? Image.fromRegistry('redis', '7.2.5-bookworm'),
      user: '999:999', // the image's redis user, owner of /data
      ports: [REDIS_PORT],
      command: ['redis-server', CONF],
      resources: p.resources,
      // The probe needs a client certificate (tls-auth-clients yes) but no user: NOAUTH proves the server answers TLS.
      healthCheck: HealthCheck.shell(
        `redis-cli --tls --cacert /run/secrets/ca.crt --cert ${p.vault ? '/run/vault/vault-tls.crt' : '/run/secrets/tls.crt'} --key ${p.vault ? '/run/vault/vault-tls.key' : '/run/secrets/tls.key'} -h 127.0.0.1 -p ${REDIS_PORT} ping 2>&1 | grep -qE 'PONG|NOAUTH'`,
      ),
    });
    this.use = p.use;
    this.redisProps = p;
    this.addDataVolume('data', '/data');
    let tls: { certificate: string; privateKey: string; caBundle: string };
    let aclFile: string;
    if (p.vault) {
      // Everything secret comes from this server's own Vault Agent: a short-lived certificate and
      // an ACL file of password hashes read from KV paths only this server may read.
      const issued = p.vault.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 });
      tls = { ...issued, caBundle: this.addSecret(SecretSource.caBundle(Vps.of(this))) };
      aclFile = p.vault.agentOf(this)!.addTemplate({
        fileName: 'users.acl',
        template: 'redis-acl',
        values: () => ({ users: [...this.grants].sort((a, b) => (a.user < b.user ? -1 : 1)).map((g) => ({ name: g.user, path: this.hashSecrets.get(g.user)!.dataPath, rules: aclRule(g).slice(`user ${g.user} reset on `.length) })) }),
      });
    } else {
      tls = this.tlsFilesOf(this.addTlsIdentity({ usage: 'server-and-client' }));
      aclFile = this.addSecret(SecretSource.derived('users.acl', (ctx) => renderAclFile(this.grants, (user) => ctx.credential(this.credentials.get(user)!))));
    }
    const conf = new VpsFile(this, 'Config', {
      path: `${this.serviceName}/redis.conf`,
      content: () => renderRedisConfig({ producer: this.node.path, port: REDIS_PORT, tls, aclFile, memoryMiB: this.defaults.resources.memoryMiB, use: this.use }),
    });
    this.mountFile(conf, CONF);
    this.node.addValidation({
      validate: () => [
        ...this.grantProblems,
        ...collect(p.use === 'cache' || p.use === 'feature-store' || p.use === 'broker' ? undefined : `prop 'use' must be 'cache' or 'feature-store', or 'broker' for a Celery broker (got ${describeValue(p.use)})`),
      ],
    });
  }

  /**
   * Lets `workload` use keys matching `options.keys` with the command categories
   * `options.commands`, as ACL user `<service name>`.
   */
  public grantAccess(workload: Workload, options: RedisGrantOptions, envPrefix = 'REDIS_'): RedisGrant | undefined {
    const o = options ?? ({} as RedisGrantOptions);
    const where = `grantAccess(${workload?.node?.path ?? describeValue(workload)})`;
    if (!Workload.isWorkload(workload)) {
      this.grantProblems.push(`${where}: the grantee must be a Workload (got ${describeValue(workload)})`);
      return undefined;
    }
    const problems: string[] = [];
    const listOf = (prop: string, value: unknown, required: boolean): string[] => {
      if (value === undefined && !required) return [];
      if (!Array.isArray(value) || (required && value.length === 0)) {
        problems.push(`${where}: prop '${prop}' must be a ${required ? 'non-empty ' : ''}array (got ${describeValue(value)})`);
        return [];
      }
      return value as string[];
    };
    const keys = listOf('keys', o.keys, true);
    const channels = listOf('channels', o.channels, false);
    const commands = listOf('commands', o.commands, true);
    for (const [prop, list] of [['keys', keys], ['channels', channels]] as const) {
      list.forEach((k, i) => {
        const pr = checkPattern(`${where} ${prop}[${i}]`, k, KEY_PATTERN, 'a pattern of letters, digits and ":_.-" (1-100 characters) with "*" only at the end, such as "features:*"; a lone "*" is not allowed');
        if (pr) problems.push(pr);
      });
    }
    commands.forEach((c, i) => {
      if (REDIS_FORBIDDEN_CATEGORIES.includes(String(c).replace(/^[+@]+/, ''))) problems.push(`${where}: prop 'commands[${i}]' ${describeValue(c)} is never granted to an application`);
      else if (!(REDIS_APP_CATEGORIES as readonly string[]).includes(c)) problems.push(`${where}: prop 'commands[${i}]' must be one of ${REDIS_APP_CATEGORIES.join(', ')} (got ${describeValue(c)})`);
    });
    if (o.passwordFile !== undefined && typeof o.passwordFile !== 'boolean') problems.push(`${where}: prop 'passwordFile' must be true or false (got ${describeValue(o.passwordFile)})`);
    const passwordFile = o.passwordFile ?? true;
    if (!ENV_PREFIX.test(envPrefix)) problems.push(`${where}: envPrefix must be upper-case letters, digits and "_", ending in "_" (got ${describeValue(envPrefix)})`);
    if (workload === this) problems.push(`${where}: a server cannot be granted access to itself`);
    const user = workload.serviceName;
    if (user === 'default') problems.push(`${where}: service name 'default' would be Redis's default user, which stays off; rename the service`);
    if (this.grants.some((g) => g.user === user)) problems.push(`${where}: '${workload.node.path}' already has a grant on '${this.node.path}'; put every key pattern and category in one grant`);
    const writes = commands.includes('write');
    // Overlaps are judged on valid patterns only; an invalid one is already reported above.
    const validKeys = keys.filter((k) => typeof k === 'string' && KEY_PATTERN.test(k));
    for (const g of this.grants) {
      const theirWrites = g.commands.includes('write');
      const clash = validKeys.find((k) => g.keys.some((other) => patternsOverlap(k, other)));
      // A broker's queues are written by their producers and their consumers alike.
      if (clash !== undefined && writes && theirWrites && this.use !== 'broker') {
        problems.push(`${where}: key pattern '${clash}' overlaps a pattern that '${g.consumerPath}' may write, and this grant writes too; write grants must not overlap (CONTROLS.md Z3-K06: one writer per feature group, explicit readers)`);
      }
    }
    if (problems.length > 0) {
      this.grantProblems.push(...problems);
      return undefined;
    }
    workload.connections.allowTo(this, { port: REDIS_PORT });
    const client = clientTlsFiles(workload, this.redisProps.vault);
    const credential = new Credential(this, `User-${user}`, { name: `${this.serviceName}-user-${user}`, description: `password of ACL user '${user}' on ${this.node.path}` });
    this.credentials.set(user, credential);
    const vault = this.redisProps.vault;
    let password: string | undefined;
    let passwordSecret: VaultKvSecret | undefined;
    if (vault) {
      const secret = passwordSecret = vault.addKvSecret(`Redis-${this.serviceName}-${user}`, { path: `${Vps.of(this).name}/core/${user}/${this.serviceName}`, seed: { password: credential } });
      secret.grantRead(workload, passwordFile ? { fields: { password: `${envPrefix}PASSWORD_FILE` } } : {});
      // The server checks, never knows, the password: only its SHA-256, at a path of its own.
      const hash = vault.addKvSecret(`Redis-${this.serviceName}-${user}-sha256`, { path: `${Vps.of(this).name}/core/${this.serviceName}/acl-${user}`, seed: { sha256: { sha256Of: credential } } });
      hash.grantRead(this);
      this.hashSecrets.set(user, hash);
      password = workload._environment[`${envPrefix}PASSWORD_FILE`];
    } else if (passwordFile) {
      password = workload.addSecret(SecretSource.credential(credential, `${this.serviceName}.password`));
    }
    const env: Record<string, string> = {
      HOST: this.serviceName, PORT: String(REDIS_PORT), USERNAME: user,
      ...(passwordFile ? { PASSWORD_FILE: password! } : {}),
      TLS_CA_FILE: client.caBundle, TLS_CERT_FILE: client.certificate, TLS_KEY_FILE: client.privateKey,
    };
    for (const [k, v] of Object.entries(env)) {
      const name = `${envPrefix}${k}`;
      if (workload._environment[name] !== undefined && workload._environment[name] !== v && k !== 'PASSWORD_FILE') {
        this.grantProblems.push(`${where}: variable ${name} is already set by another grant; pass another envPrefix`);
      } else workload._environment[name] = v;
    }
    const grant: RedisGrant = { consumerPath: workload.node.path, user, keys: [...keys], commands: [...new Set(commands)] as RedisCategory[], channels: [...channels], credential, passwordSecret };
    this.grants.push(grant);
    return grant;
  }

  /** The grants, in the order they were made. */
  public get grantsMade(): readonly RedisGrant[] {
    return [...this.grants];
  }
}

/** Whether two key patterns (literal prefix, optional trailing `*`) can match the same key. */
export function patternsOverlap(a: string, b: string): boolean {
  const wa = a.endsWith('*');
  const wb = b.endsWith('*');
  const pa = wa ? a.slice(0, -1) : a;
  const pb = wb ? b.slice(0, -1) : b;
  if (wa && wb) return pa.startsWith(pb) || pb.startsWith(pa);
  if (wa) return pb.startsWith(pa);
  if (wb) return pa.startsWith(pb);
  return a === b;
}
