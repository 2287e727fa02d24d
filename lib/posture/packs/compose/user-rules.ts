import type { Rule } from '../../rule';
import { ComposeService, eachService, serviceHit } from './compose-services';
import { isBlank, show } from './compose-values';
import { interpolate, UNRESOLVED_MARK } from './interpolation';
import { sexagesimalMisread } from './yaml-1-1-scalars';

/** The `user:` of a service as the author wrote it. */
interface WrittenUser {
  /** Text as written (recovered from the file when YAML 1.1 read `0:0` as a number). */
  readonly text: string;
  /** The number YAML 1.1 read instead, when it misread the value. */
  readonly misreadAs?: number;
  /** User part (name or uid). */
  readonly user: string;
  /** Group part, when given. */
  readonly group?: string;
}

/** The service's user, or undefined when unset, not a scalar, or taken from an undefined variable. */
function writtenUser(s: ComposeService): WrittenUser | undefined {
  const value = s.data.user;
  let text: string;
  let misreadAs: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const written = sexagesimalMisread(s.document, [...s.path, 'user'], value);
    text = written ?? String(value);
    misreadAs = written !== undefined ? value : undefined;
  } else if (typeof value === 'string' && value.trim() !== '') {
    text = value.trim();
  } else {
    return undefined;
  }
  const resolved = interpolate(text).text;
  if (resolved.includes(UNRESOLVED_MARK)) return undefined;
  const colon = resolved.indexOf(':');
  return { text, misreadAs, user: colon < 0 ? resolved : resolved.slice(0, colon), group: colon < 0 ? undefined : resolved.slice(colon + 1) };
}

function isRootId(part: string): boolean {
  return /^0+$/.test(part.trim()) || part.trim() === 'root';
}

function misreadNote(user: WrittenUser): string {
  return user.misreadAs !== undefined ? ` (YAML 1.1 reads the unquoted ${user.text} as the number ${user.misreadAs}; quote it)` : '';
}

/** CMP-11: the service runs as root: `user` is `root`, `0` or `0:*`. */
export const ROOT_USER: Rule = {
  id: 'CMP-11',
  title: 'Service runs as root',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Root in the container is root on the host kernel: any escape, writable host mount or added capability is then exercised with uid 0.',
  remediation: 'Set `user: "10001:10001"` (or the non-root uid the image documents) and give that uid ownership of its writable paths.',
  controls: { 'cis-docker-1.6': ['4.1'], 'nist-800-53-r5': ['AC-6'], 'csa-aicm': ['IAM', 'IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const user = writtenUser(s);
      if (!user || !isRootId(user.user)) return undefined;
      return serviceHit(s, ['user'], `service '${s.name}' runs as root with user ${show(user.text)}${misreadNote(user)}`);
    }),
};

/**
 * CMP-12: no explicit non-root numeric `uid:gid`. Unset (the image default, often root) is
 * medium; a user name, a uid without a group, the root group or a YAML 1.1 misread is low.
 */
export const IMPLICIT_USER: Rule = {
  id: 'CMP-12',
  title: 'Service does not set an explicit non-root uid:gid',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Without `user`, the image decides, and most images run as root. A name resolves through the image\'s /etc/passwd, and a uid alone keeps group 0.',
  remediation: 'Set `user` to a numeric non-root "uid:gid"; a uid above 10000 avoids overlap with host accounts.',
  controls: { 'cis-docker-1.6': ['4.1'], 'nist-800-53-r5': ['AC-6'], 'csa-aicm': ['IAM'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      if (isBlank(s.data.user)) return serviceHit(s, s.data.user === undefined ? [] : ['user'], `service '${s.name}' does not set user, so the image's default user (often root) applies`);
      const user = writtenUser(s);
      if (!user || isRootId(user.user)) return undefined;
      let problem: string | undefined;
      if (user.misreadAs !== undefined) problem = `sets user ${user.text}${misreadNote(user)}`;
      else if (!/^\d+$/.test(user.user.trim())) problem = `runs as the user name ${show(user.user)}, not a numeric uid`;
      else if (user.group === undefined || user.group.trim() === '') problem = `sets uid ${user.user} without a gid, so the primary group may be root (0)`;
      else if (isRootId(user.group)) problem = `runs with the root group (gid ${user.group.trim()})`;
      return problem ? serviceHit(s, ['user'], `service '${s.name}' ${problem}`, { severity: 'low' }) : undefined;
    }),
};
