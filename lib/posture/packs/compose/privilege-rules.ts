import type { Rule, RuleHit } from '../../rule';
import type { Severity } from '../../severity';
import { eachService, keyOrService, serviceHit } from './compose-services';
import { isTrue, show, stringItems } from './compose-values';
import { isEdgeProxy, isSecretsStore } from './service-roles';
import { enablesNoNewPrivileges, securityOptions } from './security-options';

/** A capability name as docker compares it: upper case, without `CAP_`. */
export function capabilityName(text: string): string {
  return text.trim().toUpperCase().replace(/^CAP_/, '');
}

/**
 * CMP-01: `privileged: true` gives the container every capability and every host device; GPU
 * access goes through `deploy.resources.reservations.devices` instead. Unsuppressible.
 */
export const PRIVILEGED_SERVICE: Rule = {
  id: 'CMP-01',
  title: 'Service runs privileged',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  unsuppressible: true,
  rationale: 'A privileged container has all capabilities, every host device and no confinement: a compromise of it is a compromise of the host.',
  remediation: 'Remove `privileged`. Add back only the capabilities the process needs; for GPUs use `deploy.resources.reservations.devices` with `driver: nvidia` and `capabilities: [gpu]`.',
  controls: { 'cis-docker-1.6': ['5.5'], 'nist-800-53-r5': ['AC-6', 'CM-7'], 'csa-aicm': ['IVS', 'IAM'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => (isTrue(s.data.privileged) ? serviceHit(s, ['privileged'], `service '${s.name}' sets privileged: ${show(s.data.privileged)}`) : undefined)),
};

/**
 * CMP-07: without no-new-privileges, setuid binaries and file capabilities can raise privileges
 * inside the container. Every spelling docker accepts counts (`no-new-privileges`,
 * `no-new-privileges:true`, `no-new-privileges=true`); an explicit `:false` is flagged.
 */
export const NO_NEW_PRIVILEGES: Rule = {
  id: 'CMP-07',
  title: 'Service may acquire new privileges',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Without no-new-privileges a process can gain privileges through setuid/setgid binaries or file capabilities after it starts.',
  remediation: 'Add `security_opt: ["no-new-privileges:true"]` to the service.',
  controls: { 'cis-docker-1.6': ['5.26'], 'nist-800-53-r5': ['AC-6'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const options = securityOptions(s).filter((o) => o.key === 'no-new-privileges');
      const disabled = options.find((o) => !enablesNoNewPrivileges(o.value));
      if (disabled) return serviceHit(s, ['security_opt', disabled.index], `service '${s.name}' disables no-new-privileges with security_opt ${show(disabled.written)}`);
      if (options.length > 0) return undefined;
      return serviceHit(s, keyOrService(s, 'security_opt'), `service '${s.name}' does not set security_opt no-new-privileges:true`);
    }),
};

/** CMP-08: `cap_drop` must contain `ALL`, so only capabilities added back explicitly remain. */
export const CAP_DROP_ALL: Rule = {
  id: 'CMP-08',
  title: 'Service does not drop all capabilities',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: "Docker's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW …) is far more than most services need; dropping ALL makes every remaining capability a deliberate choice.",
  remediation: 'Set `cap_drop: [ALL]` and add back only what the image needs with `cap_add`.',
  controls: { 'cis-docker-1.6': ['5.4'], 'nist-800-53-r5': ['AC-6', 'CM-7'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      if (stringItems(s.data.cap_drop).some((c) => capabilityName(c.text) === 'ALL')) return undefined;
      const dropped = s.data.cap_drop === undefined ? 'has no cap_drop' : `drops only ${show(s.data.cap_drop)}`;
      return serviceHit(s, keyOrService(s, 'cap_drop'), `service '${s.name}' ${dropped}, not ALL`);
    }),
};

/** Capabilities that break container isolation outright. */
const CRITICAL_CAPABILITIES = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_BOOT', 'NET_ADMIN', 'NET_RAW', 'DAC_READ_SEARCH', 'MAC_ADMIN', 'MAC_OVERRIDE', 'BPF', 'PERFMON']);

/** Capabilities some images need to set up files and drop to their user: tolerated at medium. */
const IMAGE_SETUP_CAPABILITIES = new Set(['CHOWN', 'SETUID', 'SETGID', 'DAC_OVERRIDE']);

/**
 * CMP-09: `cap_add` outside the per-role allow-list: NET_BIND_SERVICE only for the edge proxy,
 * IPC_LOCK only for Vault/OpenBao; CHOWN/SETUID/SETGID/DAC_OVERRIDE are medium; SYS_ADMIN,
 * SYS_MODULE, SYS_PTRACE, NET_ADMIN, NET_RAW, DAC_READ_SEARCH, ALL (and the other capabilities the
 * library never grants: SYS_RAWIO, SYS_BOOT, MAC_ADMIN, MAC_OVERRIDE, BPF, PERFMON) are critical.
 */
export const CAP_ADD_ALLOW_LIST: Rule = {
  id: 'CMP-09',
  title: 'Service adds a capability outside its role allow-list',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Each added capability is kernel attack surface; some (SYS_ADMIN, SYS_MODULE, SYS_PTRACE, NET_ADMIN …) are equivalent to root on the host.',
  remediation: 'Remove the capability. Bind ports above 1024 instead of NET_BIND_SERVICE, run Vault with IPC_LOCK only, and prepare file ownership at build time instead of CHOWN/SETUID/SETGID.',
  controls: { 'cis-docker-1.6': ['5.4'], 'nist-800-53-r5': ['AC-6', 'CM-7'], 'csa-aicm': ['IVS', 'IAM'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) => {
      const hits: RuleHit[] = [];
      for (const { text, index } of stringItems(s.data.cap_add)) {
        const cap = capabilityName(text);
        let severity: Severity | undefined;
        let why: string;
        if (CRITICAL_CAPABILITIES.has(cap)) {
          severity = 'critical';
          why = 'which breaks container isolation';
        } else if (cap === 'NET_BIND_SERVICE') {
          if (isEdgeProxy(s)) continue;
          why = 'which only the edge proxy may add';
        } else if (cap === 'IPC_LOCK') {
          if (isSecretsStore(s)) continue;
          why = 'which only Vault/OpenBao may add';
        } else if (IMAGE_SETUP_CAPABILITIES.has(cap)) {
          severity = 'medium';
          why = 'which is tolerated only when the image needs it';
        } else {
          why = 'which is not on any role allow-list';
        }
        hits.push(serviceHit(s, ['cap_add', index], `service '${s.name}' adds capability ${cap}, ${why}`, { granular: `${s.name}/${cap}`, severity }));
      }
      return hits;
    }),
};

/** Confinement switches docker accepts in `security_opt`, as key → value that disables it. */
const UNCONFINED: readonly { key: string; value: string; what: string }[] = [
  { key: 'seccomp', value: 'unconfined', what: 'the seccomp filter' },
  { key: 'apparmor', value: 'unconfined', what: 'the AppArmor profile' },
  { key: 'label', value: 'disable', what: 'SELinux labelling' },
  { key: 'systempaths', value: 'unconfined', what: 'the masking of /proc and /sys paths' },
];

/**
 * CMP-10: `security_opt` turns confinement off: seccomp, AppArmor, SELinux label (and
 * `systempaths=unconfined`), in both `key:value` and `key=value` spellings.
 */
export const CONFINEMENT_DISABLED: Rule = {
  id: 'CMP-10',
  title: 'Service disables seccomp, AppArmor or SELinux confinement',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'The default seccomp, AppArmor and SELinux profiles block the syscalls and paths most container escapes use.',
  remediation: 'Remove the `unconfined`/`disable` entry; if a syscall is genuinely needed, ship a custom seccomp profile that allows just that syscall.',
  controls: { 'cis-docker-1.6': ['5.22', '5.2', '5.3'], 'nist-800-53-r5': ['AC-3', 'SC-39'], 'csa-aicm': ['IVS'] },
  kinds: ['compose'],
  check: (model) =>
    eachService(model, (s) =>
      securityOptions(s).flatMap((o) => {
        const off = UNCONFINED.find((u) => u.key === o.key && u.value === o.value);
        return off ? [serviceHit(s, ['security_opt', o.index], `service '${s.name}' disables ${off.what} with security_opt ${show(o.written)}`)] : [];
      }),
    ),
};
