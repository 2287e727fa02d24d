import type { Rule, RuleHit } from '../../rule';
import type { ServiceNode } from '../../service-graph';
import { mountsOf } from '../compose/volume-mounts';
import { commandWords, VAULT_IMAGE } from '../vault/compose-vault';

/** INV-11 (synth-time part): secret material never sits in or is pointed at from the output folder. */
export const ZONE_11: Rule = {
  id: 'ZONE-11',
  title: 'Secrets are files outside the synthesized output, read through *_FILE paths under /run/secrets or a Vault Agent\'s output',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'synth-out is reviewed and committed; a secret file inside it, or a *_FILE variable that points anywhere but a mounted secret, leaks or misroutes secret material (CONTROLS.md INV-11).',
  remediation: 'Keep secret files in the operator-only folder outside synth-out and point *_FILE variables at /run/secrets/<name>, or at the volume a Vault Agent sidecar renders into.',
  controls: { 'nist-800-53-r5': ['IA-5', 'SC-28'], 'csa-aicm': ['CEK', 'DSP'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['compose'],
  unsuppressible: true,
  check(model) {
    const hits: RuleHit[] = [];
    for (const document of model.ofKind('compose')) {
      for (const [name, secret] of Object.entries<any>(document.data?.secrets ?? {})) {
        const file = secret?.file;
        if (typeof file === 'string' && !file.startsWith('/') && !file.split('/').includes('..')) {
          hits.push({ document, path: ['secrets', name, 'file'], message: `secret '${name}' is read from '${file}', inside the compose project folder`, granular: name });
        }
      }
    }
    for (const graph of model.serviceGraphs()) {
      const agentVolumes = vaultAgentVolumes(graph.services);
      for (const s of graph.services) {
        // Also allowed: a directory where the service mounts a volume a Vault Agent renders into.
        const rendered = (s.data !== null && typeof s.data === 'object' ? mountsOf({ name: s.name, document: s.document, data: s.data, path: ['services', s.name] }) : [])
          .filter((m) => m.volumeName !== undefined && agentVolumes.has(m.volumeName) && m.target)
          .map((m) => `${m.target!.replace(/\/$/, '')}/`);
        for (const [key, value] of environmentOf(s)) {
          if (/FILE$/.test(key) && typeof value === 'string' && /(PASS|SECRET|TOKEN|KEY|CRED)/i.test(key) && !value.startsWith('/run/secrets/') && !rendered.some((dir) => value.startsWith(dir))) {
            hits.push({ document: s.document, path: ['services', s.name, 'environment', key], message: `service '${s.name}' points ${key} at '${value}', not at a mounted secret under /run/secrets/ or a Vault Agent's output`, granular: `${s.name}:${key}` });
          }
        }
      }
    }
    return hits;
  },
};

/** Named volumes that a Vault/OpenBao Agent service mounts writable: what it renders lands there. */
function vaultAgentVolumes(services: readonly ServiceNode[]): Set<string> {
  const out = new Set<string>();
  for (const s of services) {
    if (s.data === null || typeof s.data !== 'object' || typeof s.data.image !== 'string' || !VAULT_IMAGE.test(s.data.image)) continue;
    const words = [...commandWords(s.data.entrypoint), ...commandWords(s.data.command)].filter((w) => !/^(vault|bao)$/.test(w));
    if (words[0] !== 'agent') continue;
    for (const m of mountsOf({ name: s.name, document: s.document, data: s.data, path: ['services', s.name] })) if (m.volumeName !== undefined && !m.readOnly) out.add(m.volumeName);
  }
  return out;
}

/** INV-13: the container baseline on every service (digest pinning is CMP-23's, a warning). */
export const ZONE_13: Rule = {
  id: 'ZONE-13',
  title: 'Every service keeps the container baseline',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Read-only root, no-new-privileges, all capabilities dropped, a non-root user, CPU/memory/pids limits and a health check are the baseline of every zone (CONTROLS.md INV-13); a control lifted on purpose carries its reason in x-mlsec.overrides.',
  remediation: 'Restore the missing controls, or lift one explicitly with its intent method and a reason (allowWritableRootFilesystem, runAsRoot, noHealthCheck …).',
  controls: { 'cis-docker-1.6': ['5.4', '5.11', '5.12', '5.13', '5.26', '5.27', '5.29'], 'nist-800-53-r5': ['CM-6', 'CM-7', 'AC-6', 'SC-6'], 'csa-aicm': ['IVS', 'TVM'] },
  kinds: ['compose'],
  check(model) {
    const hits: RuleHit[] = [];
    for (const graph of model.serviceGraphs()) {
      for (const s of graph.services) {
        const missing = baselineGaps(s).filter((gap) => !overridden(s, gap.control));
        if (missing.length > 0) {
          hits.push({ document: s.document, path: ['services', s.name], message: `service '${s.name}' lacks ${missing.map((m) => m.label).join(', ')}`, granular: s.name });
        }
      }
    }
    return hits;
  },
};

function baselineGaps(s: ServiceNode): { control: string; label: string }[] {
  const d = s.data ?? {};
  const securityOpt: unknown[] = Array.isArray(d.security_opt) ? d.security_opt : [];
  const capDrop: unknown[] = Array.isArray(d.cap_drop) ? d.cap_drop : [];
  const limits = d.deploy?.resources?.limits ?? {};
  const user = typeof d.user === 'string' ? d.user : typeof d.user === 'number' ? String(d.user) : '';
  const health = d.healthcheck;
  const gaps = [
    { control: 'read_only', label: 'read_only: true', ok: d.read_only === true },
    { control: 'no-new-privileges', label: 'no-new-privileges', ok: securityOpt.some((o) => typeof o === 'string' && /^no-new-privileges([:=]true)?$/.test(o)) },
    { control: 'cap_drop', label: 'cap_drop: [ALL]', ok: capDrop.includes('ALL') },
    { control: 'user', label: 'a non-root user', ok: user !== '' && !/^(root|0)(:|$)/.test(user) },
    { control: 'memory', label: 'a memory limit', ok: limits.memory !== undefined || d.mem_limit !== undefined },
    { control: 'cpus', label: 'a CPU limit', ok: limits.cpus !== undefined || d.cpus !== undefined },
    { control: 'pids', label: 'a pids limit', ok: positive(d.pids_limit) || positive(limits.pids) },
    { control: 'healthcheck', label: 'a health check', ok: health !== undefined && health?.disable !== true && !(Array.isArray(health?.test) && health.test[0] === 'NONE') },
  ];
  return gaps.filter((g) => !g.ok);
}

function positive(value: unknown): boolean {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && n > 0;
}

/** Whether the service lifted this control on purpose, with a reason, through its intent method. */
function overridden(s: ServiceNode, control: string): boolean {
  const overrides = s.data?.['x-mlsec']?.overrides;
  return Array.isArray(overrides) && overrides.some((o: any) => o?.control === control && typeof o?.reason === 'string' && o.reason.trim().length >= 10);
}

function environmentOf(s: ServiceNode): [string, unknown][] {
  const env = s.data?.environment;
  if (Array.isArray(env)) {
    return env.filter((e): e is string => typeof e === 'string').map((e) => {
      const i = e.indexOf('=');
      return (i < 0 ? [e, undefined] : [e.slice(0, i), e.slice(i + 1)]) as [string, unknown];
    });
  }
  return env && typeof env === 'object' ? Object.entries(env) : [];
}
