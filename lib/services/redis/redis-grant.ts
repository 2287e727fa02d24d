import type { Credential } from '../../secrets/credential';
import type { VaultKvSecret } from '../../vault/vault-grants';
/** Redis ACL command categories an application may be granted (never @admin, @dangerous, …). */
export const REDIS_APP_CATEGORIES = ['read', 'write', 'keyspace', 'string', 'hash', 'list', 'set', 'sortedset', 'stream', 'bitmap', 'hyperloglog', 'geo', 'fast', 'transaction', 'connection', 'pubsub'] as const;

/** A command category an application may use. */
export type RedisCategory = (typeof REDIS_APP_CATEGORIES)[number];

/** Categories no application grant may include (RULES.md and the issue: no @admin, @dangerous). */
export const REDIS_FORBIDDEN_CATEGORIES = ['admin', 'dangerous', 'all', 'slow', 'blocking'];

/** Commands removed from every application user, whatever the categories let in. */
export const REDIS_DENIED_COMMANDS = ['keys', 'scan', 'flushall', 'flushdb', 'config', 'debug', 'shutdown', 'acl', 'module', 'monitor', 'save', 'bgsave', 'bgrewriteaof', 'replicaof', 'slaveof', 'cluster', 'migrate', 'restore', 'sort', 'eval', 'evalsha', 'script', 'function', 'fcall', 'client', 'swapdb', 'move', 'object', 'dump', 'failover', 'sync', 'psync', 'pfdebug', 'pfselftest', 'lastsave', 'info', 'latency', 'memory', 'slowlog', 'wait'];

/** Options of `RedisServer.grantAccess`. */
export interface RedisGrantOptions {
  /**
   * Key patterns the user may touch, e.g. `['features:*']`: letters, digits and `:_.-`, with `*`
   * only as the last character. Two grants that may write must not have overlapping patterns
   * (one writer per feature group; readers may overlap anything).
   */
  readonly keys: string[];
  /**
   * Command categories (`read`, `write`, `string`, `hash`, …), never `admin` or `dangerous`. Only
   * `write` lets the user change data: without it the rule ends in `-@write`, whatever data-type
   * categories (which hold writes too) are listed.
   */
  readonly commands: RedisCategory[];
  /**
   * Pub/sub channel patterns the user may use.
   * @default none (`resetchannels`)
   */
  readonly channels?: string[];
  /**
   * Whether the grantee gets its password as a file announced by `<prefix>PASSWORD_FILE`. `false`
   * for a grantee that delivers it its own way from the grant's `passwordSecret` (Vault: the
   * grantee may still read it) or `credential` (bootstrap), e.g. as a dotenv file, so the password
   * is never rendered twice.
   * @default true
   */
  readonly passwordFile?: boolean;
}

/** A grant as the server renders it. */
export interface RedisGrant {
  /** Construct path of the consumer. */
  readonly consumerPath: string;
  /** The ACL user name: the consumer's service name. */
  readonly user: string;
  /** Key patterns. */
  readonly keys: readonly string[];
  /** Categories. */
  readonly commands: readonly RedisCategory[];
  /** Channel patterns. */
  readonly channels: readonly string[];
  /** The user's password, for a client that cannot read a password file (a dotenv file rendered from it). */
  readonly credential?: Credential;
  /** With Vault: the KV secret the grantee's agent reads the password from (field `password`). */
  readonly passwordSecret?: VaultKvSecret;
}
