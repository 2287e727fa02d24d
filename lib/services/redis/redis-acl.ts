import * as crypto from 'crypto';
import { REDIS_DENIED_COMMANDS, RedisGrant } from './redis-grant';

/**
 * One ACL rule line for a grant, without the password: `user <name> reset on ~<pattern>…
 * resetchannels &<pattern>… -@all +@<category>… [-@write] -@admin -@dangerous -<denied>…`. Every piece was validated upstream,
 * so no space or ACL operator can come from user input.
 */
export function aclRule(grant: RedisGrant): string {
  return [
    'user', grant.user, 'reset', 'on',
    ...grant.keys.map((k) => `~${k}`),
    'resetchannels', ...grant.channels.map((c) => `&${c}`),
    '-@all', ...grant.commands.map((c) => `+@${c}`),
    // Data-type categories (@string, @hash …) hold writes too: a grant without `write` stays read-only.
    ...(grant.commands.includes('write') ? [] : ['-@write']),
    '-@admin', '-@dangerous',
    ...REDIS_DENIED_COMMANDS.map((c) => `-${c}`),
  ].join(' ');
}

/**
 * The ACL file Redis loads (`aclfile`): the default user off with no rights, one user per grant
 * with the SHA-256 of its password (`#<hex>`, so the file holds no password), and a health user
 * that may only PING. Written by the bootstrap (it needs the credentials), never by synth.
 */
export function renderAclFile(grants: readonly RedisGrant[], passwordOf: (user: string) => string): string {
  const lines = ['user default off resetpass resetkeys resetchannels -@all'];
  for (const g of [...grants].sort((a, b) => (a.user < b.user ? -1 : 1))) {
    lines.push(`${aclRule(g).replace(' reset on ', ` reset on #${sha256Hex(passwordOf(g.user))} `)}`);
  }
  return lines.join('\n') + '\n';
}

function sha256Hex(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('hex');
}
