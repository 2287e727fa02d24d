import type { ComposeService } from './compose-services';
import { stringItems } from './compose-values';

/** One `security_opt` entry, split into key and value (docker accepts both `key:value` and `key=value`). */
export interface SecurityOption {
  /** Index in the list. */
  readonly index: number;
  /** The entry as written. */
  readonly written: string;
  /** Key, lower-cased (`no-new-privileges`, `seccomp`, `apparmor`, `label`, `systempaths`). */
  readonly key: string;
  /** Value, trimmed and lower-cased; `''` when none (`no-new-privileges` alone). */
  readonly value: string;
}

/** The service's `security_opt` entries (non-strings skipped). */
export function securityOptions(service: ComposeService): SecurityOption[] {
  return stringItems(service.data.security_opt).map(({ text, index }) => {
    const trimmed = text.trim();
    const sep = /[:=]/.exec(trimmed);
    const key = (sep ? trimmed.slice(0, sep.index) : trimmed).trim().toLowerCase();
    const value = (sep ? trimmed.slice(sep.index + 1) : '').trim().toLowerCase();
    return { index, written: text, key, value };
  });
}

/** Whether a `no-new-privileges` value enables it (`''`, `true`, `1`, `yes`). */
export function enablesNoNewPrivileges(value: string): boolean {
  return value === '' || value === 'true' || value === '1' || value === 'yes';
}
