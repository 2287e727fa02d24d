/** A hardened default lifted on purpose, with the reason; shown in the compose file and the posture report. */
export interface SecurityOverride {
  /** The control that was lifted, e.g. `read_only`, `cap_add`, `user`, `healthcheck`, `ports`. */
  readonly control: string;
  /** What was set instead, e.g. `NET_BIND_SERVICE` or `127.0.0.1:8443->8443/tcp`. */
  readonly setting: string;
  /** Why, in the author's words (at least 10 characters). */
  readonly reason: string;
}

/** Capabilities equivalent to privileged mode: never added, whatever the reason. */
export const FORBIDDEN_CAPABILITIES: readonly string[] = [
  'ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_PTRACE', 'SYS_BOOT', 'MAC_ADMIN', 'MAC_OVERRIDE', 'BPF', 'PERFMON',
];

/** Linux capability names compose accepts (without the CAP_ prefix). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE',
  'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN',
  'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYSLOG', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT',
  'SYS_PTRACE', 'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'WAKE_ALARM', 'ALL',
];
