import type { Rule, RuleHit } from '../../rule';
import type { SourceDocument } from '../../source-document';
import { addsCapability, memoryLimit, swapOff, vaultServers } from './compose-vault';
import { blocksOf, durationSeconds, formatSeconds, LabelledBlock, labelledBlocks, show, vaultBool } from './hcl-values';

/** Storage backends that are HA by themselves. */
const HA_STORAGE = new Set(['raft', 'consul', 'etcd', 'zookeeper']);
/** Storage backends that are HA with `ha_enabled = "true"`. */
const HA_WHEN_ENABLED = new Set(['dynamodb', 'gcs', 'mysql', 'postgresql', 'spanner', 'cockroachdb', 'oci']);

/** Longest acceptable `default_lease_ttl` (VLT-13): one hour. */
export const MAX_DEFAULT_LEASE_SECONDS = 3600;
/** Longest acceptable `max_lease_ttl` (VLT-13): seven days. */
export const MAX_MAX_LEASE_SECONDS = 7 * 24 * 3600;
/** Vault's lease TTL when unset or 0: 768h. */
export const VAULT_DEFAULT_LEASE_SECONDS = 768 * 3600;

/** The `storage` (or legacy `backend`) stanzas of a config. */
export function storageOf(document: SourceDocument): LabelledBlock[] {
  return [...labelledBlocks(document.data?.storage, ['storage']), ...labelledBlocks(document.data?.backend, ['backend'])];
}

/** VLT-08: `raw_storage_endpoint` or `introspection_endpoint` turned on. */
export const VLT_08: Rule = {
  id: 'VLT-08',
  title: 'Raw storage or introspection endpoint enabled',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'sys/raw reads and writes the storage backend below the barrier (policies, tokens, keyring entries); the introspection endpoint exposes router internals.',
  remediation: 'Remove raw_storage_endpoint and introspection_endpoint (both default to false); enable them only for a supervised recovery.',
  controls: { 'nist-800-53-r5': ['AC-6', 'CM-7'], 'csa-aicm': ['IAM', 'IVS'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('vault-config')) {
      for (const key of ['raw_storage_endpoint', 'introspection_endpoint']) {
        if (vaultBool(document.data?.[key]) === true) hits.push({ document, path: [key], granular: key, message: `${key} is enabled (${show(document.data[key])})` });
      }
    }
    return hits;
  },
};

/**
 * VLT-09: storage neither raft nor HA-capable; raft without an https `cluster_addr`; `retry_join`
 * without https leader, CA or (with auto_join) TLS server name; a non-https `api_addr`.
 */
export const VLT_09: Rule = {
  id: 'VLT-09',
  title: 'Storage or cluster addressing not hardened',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Integrated storage gives snapshots and HA without another trust boundary; cluster and API addresses without TLS expose replication and forwarded requests.',
  remediation: 'Use storage "raft" with https api_addr and cluster_addr; give every retry_join an https leader_api_addr, leader_ca_cert_file and (with auto_join) leader_tls_servername.',
  controls: { 'nist-800-53-r5': ['SC-8', 'CP-9', 'CP-10'], 'csa-aicm': ['BCR', 'CEK'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('vault-config')) {
      const data = document.data ?? {};
      const storage = storageOf(document);
      const haStanza = [...labelledBlocks(data.ha_storage, ['ha_storage']), ...labelledBlocks(data.ha_backend, ['ha_backend'])].length > 0;
      for (const s of storage) {
        const ha = HA_STORAGE.has(s.label) || (HA_WHEN_ENABLED.has(s.label) && vaultBool(s.data.ha_enabled) === true) || haStanza;
        if (!ha) hits.push({ document, path: s.path, granular: 'storage', message: `storage '${s.label}' is neither raft nor HA-capable` });
        if (s.label !== 'raft') continue;
        if (!isHttps(data.cluster_addr)) {
          const path = data.cluster_addr === undefined ? s.path : ['cluster_addr'];
          hits.push({ document, path, granular: 'cluster_addr', message: data.cluster_addr === undefined ? 'raft storage without cluster_addr' : `cluster_addr '${show(data.cluster_addr)}' is not https` });
        }
        blocksOf(s.data.retry_join, [...s.path, 'retry_join']).forEach((join, j) => {
          const problems: string[] = [];
          if (join.data.leader_api_addr !== undefined && !isHttps(join.data.leader_api_addr)) problems.push(`leader_api_addr '${show(join.data.leader_api_addr)}' is not https`);
          if (!nonEmpty(join.data.leader_ca_cert_file) && !nonEmpty(join.data.leader_ca_cert)) problems.push('no leader_ca_cert_file');
          if (join.data.auto_join !== undefined && !nonEmpty(join.data.leader_tls_servername)) problems.push('auto_join without leader_tls_servername');
          if (problems.length > 0) hits.push({ document, path: join.path, granular: `retry_join[${j}]`, message: `raft retry_join ${j}: ${problems.join('; ')}` });
        });
      }
      if (data.api_addr !== undefined && !isHttps(data.api_addr)) {
        hits.push({ document, path: ['api_addr'], granular: 'api_addr', message: `api_addr '${show(data.api_addr)}' is not https` });
      }
    }
    return hits;
  },
};

function isHttps(value: unknown): boolean {
  return typeof value === 'string' && /^https:\/\//i.test(value.trim());
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * VLT-10: mlock and swap must fit. `disable_mlock = true` is fine only with raft and swap off
 * (compose `memswap_limit` equal to the memory limit); other backends need mlock on. With mlock
 * on, the compose Vault service needs `cap_add: [IPC_LOCK]`. Host swap itself is not visible;
 * without a compose document only the backend half is checked.
 */
export const VLT_10: Rule = {
  id: 'VLT-10',
  title: 'mlock and swap do not fit',
  severity: 'medium',
  level: 'warning',
  priority: 'P2',
  rationale: 'Without mlock, decrypted secrets and keys can be paged to swap and survive on disk.',
  remediation: 'With raft: disable_mlock = true and memswap_limit equal to mem_limit. Otherwise: disable_mlock = false and cap_add: [IPC_LOCK].',
  controls: { 'nist-800-53-r5': ['SC-28', 'SC-4'], 'csa-aicm': ['DSP', 'CEK'] },
  kinds: ['vault-config', 'compose'],
  check(model) {
    const hits: RuleHit[] = [];
    const servers = vaultServers(model);
    let mlockOn = false;
    for (const document of model.ofKind('vault-config')) {
      const storage = storageOf(document)[0]?.label;
      if (vaultBool(document.data?.disable_mlock) !== true) {
        mlockOn = true;
        continue;
      }
      if (storage !== undefined && storage !== 'raft') {
        hits.push({ document, path: ['disable_mlock'], granular: 'disable_mlock', message: `disable_mlock = true with storage '${storage}' lets secrets reach swap` });
        continue;
      }
      for (const s of servers.filter((x) => storage === 'raft' && !swapOff(x))) {
        const swap =
          memoryLimit(s) === undefined ? 'no memory limit' : s.data.memswap_limit === undefined ? 'no memswap_limit' : `memswap_limit ${show(s.data.memswap_limit)} differs from the memory limit`;
        hits.push({ document, path: ['disable_mlock'], granular: s.name, message: `disable_mlock = true but compose service '${s.name}' can swap (${swap})` });
      }
    }
    if (!mlockOn || model.ofKind('vault-config').length === 0) return hits;
    for (const s of servers.filter((x) => !addsCapability(x, 'IPC_LOCK'))) {
      hits.push({ document: s.document, path: ['services', s.name, 'cap_add'], granular: s.name, message: `Vault keeps mlock on but service '${s.name}' does not add IPC_LOCK` });
    }
    return hits;
  },
};

/** VLT-13: `default_lease_ttl` above 1h or `max_lease_ttl` above 7d, unset or 0 meaning Vault's 768h. */
export const VLT_13: Rule = {
  id: 'VLT-13',
  title: 'Long or unbounded lease TTLs',
  severity: 'low',
  level: 'info',
  priority: 'P3',
  rationale: 'Long leases keep leaked tokens and dynamic credentials valid for weeks; Vault defaults both TTLs to 768h.',
  remediation: `Set default_lease_ttl to at most ${formatSeconds(MAX_DEFAULT_LEASE_SECONDS)} and max_lease_ttl to at most ${formatSeconds(MAX_MAX_LEASE_SECONDS)}; tune longer mounts (PKI) per mount.`,
  controls: { 'nist-800-53-r5': ['IA-5', 'AC-12'], 'csa-aicm': ['IAM', 'CEK'] },
  kinds: ['vault-config'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('vault-config')) {
      for (const [key, limit] of [['default_lease_ttl', MAX_DEFAULT_LEASE_SECONDS], ['max_lease_ttl', MAX_MAX_LEASE_SECONDS]] as const) {
        const value = document.data?.[key];
        const seconds = value === undefined ? 0 : durationSeconds(value);
        if (seconds === undefined || seconds < 0 || (seconds > 0 && seconds <= limit)) continue;
        const message = seconds === 0 ? `${key} is ${value === undefined ? 'unset' : '0'}, so Vault's default of 768h applies` : `${key} is ${show(value)}, above ${formatSeconds(limit)}`;
        hits.push({ document, path: [key], granular: key, message });
      }
    }
    return hits;
  },
};
