import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll } from 'vitest';
import { parse } from 'yaml';
import { App, Testing, VaultCiRole, VaultTransitKey } from '../../../lib';
import { ModelReleaseRecord, ModelServer, ModelServerProps, ServedModel } from '../../../lib/services/model-serving';
import { GateHost, gateHost } from '../registry-gate/support';

/** The served model: only its name (and runtime); the release record lives in Vault KV. */
export const MODEL: ServedModel = { name: 'fraud-score' };

/**
 * The registry gate's host (Vault, registry DB and store, MLflow, a trainer, the gate with a reader
 * and a publisher) plus the model-sign key, the CI release role and a model server fetching through the gate.
 */
export interface ServingHost extends GateHost {
  readonly signingKey: VaultTransitKey;
  readonly ciRole: VaultCiRole;
  readonly server: ModelServer;
}

/** Builds the host; `props` overrides ModelServer props, `model` fields of {@link MODEL}. */
export function servingHost(props: Partial<ModelServerProps> = {}, model: Partial<ServedModel> = {}, app: App = Testing.app()): ServingHost {
  const h = gateHost({}, app);
  const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
  const ciRole = h.vault.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main', environment: 'production' });
  const server = new ModelServer(h.vps, 'model-server', { model: { ...MODEL, ...model }, release: { ciRole }, registry: h.gate, signingKey, vault: h.vault, ...props });
  return { ...h, signingKey, ciRole, server };
}

/** A well-formed release record (the digest and signature need not match anything here). */
export const GOOD_RECORD: ModelReleaseRecord = {
  artifact_path: '1/0f4c2a9e5b7d4e21a3c8b6d9e0f1a2b3/artifacts/model/model.joblib',
  sha256: '6c1f4cb6e8e6c8b3b7e7f5e4d0b6a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8',
  signature: 'vault:v1:MEUCIQDx0jv3Ow8G0q4yTq5WAbcdefghijklmnopqrstuvwxyzAIgcNYnF0mR5b4Yk0Vh0z4kq2F8o0J3dWv6pQ1bLq5H2kE=',
};

/** The serving host synthesized: its compose services, the fetch job's script and the assembly. */
export function buildServing(...args: Parameters<typeof servingHost>) {
  const h = servingHost(...args);
  const assembly = Testing.synth(h.app);
  const compose = parse(assembly.file('lab/docker-compose.yml'));
  return {
    ...h, assembly, compose,
    svc: compose.services['model-server'], job: compose.services['model-server-fetch'], init: compose.services['model-server-fetch-volume-init'],
    script: assembly.file(`lab/${h.server.fetchJob.serviceName}/fetch.sh`),
  };
}

/** Runs `text` with `shell` (`sh` = dash, or busybox's ash) and the given args. */
export function runShell(shell: 'dash' | 'busybox', text: string, args: string[] = [], env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-fetch-sh-'));
  try {
    const file = path.join(dir, 'script.sh');
    fs.writeFileSync(file, text);
    const [cmd, pre] = shell === 'dash' ? ['/bin/sh', []] : [busyboxBinary(), ['sh']];
    return spawnSync(cmd, [...pre, ...args, file], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Debian's busybox (the curl image's shell and applets). */
function busyboxBinary(): string {
  const bb = spawnSync('/bin/sh', ['-c', 'command -v busybox'], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }).stdout.trim();
  if (!bb) throw new Error('busybox is not installed: run `apt-get install busybox` (the curl image\'s shell and applets; to be listed in tools/install-test-deps.sh)');
  return bb;
}

let busyboxBin: string | undefined;
/** A PATH of busybox applets only (what the curl image's shell finds). */
export function fakeBusyboxPath(): string {
  if (busyboxBin) return busyboxBin;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-busybox-'));
  for (const applet of ['sh', 'base64', 'printf', 'cat', 'rm', 'mktemp', 'tr', 'stat']) fs.symlinkSync(busyboxBinary(), path.join(dir, applet));
  busyboxBin = dir;
  return dir;
}
afterAll(() => {
  if (busyboxBin) fs.rmSync(busyboxBin, { recursive: true, force: true });
});
