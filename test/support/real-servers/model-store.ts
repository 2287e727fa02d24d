/**
 * The Z5 model store (a generated MinioServer named `model-store`) for real tests: MinIO on its
 * agent's files, then its generated bootstrap job (buckets, users, policies) run as written.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'vitest';
import { deliveredPath, GeneratedHost, GeneratedVault, renderAgentFiles } from './generated-stack';
import { minioBinaries, MinioServer as RunningMinio, startMinio } from './minio';

/** The running store and the folder its agent rendered (root keys, certificate). */
export interface RunningModelStore {
  readonly minio: RunningMinio;
  readonly storeOut: string;
}

/** Starts `model-store` from the generated compose environment and runs its bootstrap job. */
export async function startGeneratedModelStore(host: GeneratedHost, vault: GeneratedVault, compose: { services: Record<string, { environment?: Record<string, string> }> }): Promise<RunningModelStore> {
  const storeOut = await renderAgentFiles(host, vault, 'model-store');
  const minioEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(compose.services['model-store'].environment ?? {})) if (k.startsWith('MINIO_')) minioEnv[k] = String(v).replace(/^\/run\/vault\//, `${storeOut}/`);
  const minio = await startMinio({ dir: path.join(vault.bao.dir, 'minio'), env: minioEnv, certsDir: storeOut });
  const jobOut = await renderAgentFiles(host, vault, 'model-store-bootstrap');
  const config = path.join(vault.bao.dir, 'model-store-config');
  for (const [rel, text] of Object.entries(host.files).filter(([rel]) => rel.startsWith('model-store/'))) {
    fs.mkdirSync(path.dirname(path.join(config, rel.slice('model-store/'.length))), { recursive: true });
    fs.writeFileSync(path.join(config, rel.slice('model-store/'.length)), text);
  }
  const job = spawnSync('/bin/sh', [path.join(config, 'bootstrap.sh')], {
    cwd: vault.bao.dir, encoding: 'utf8',
    env: {
      PATH: `${path.dirname(minioBinaries()!.mc)}:/usr/bin:/bin`, HOME: vault.bao.dir, MLSEC_FILES_DIR: jobOut, MLSEC_CONFIG_DIR: config,
      MLSEC_CA_FILE: deliveredPath(host, 'model-store-bootstrap', 'ca.crt'), MC_CONFIG_DIR: path.join(vault.bao.dir, 'mc-job'),
      MINIO_URL: `https://model-store:${minio.port}`, MC_RESOLVE: `model-store:${minio.port}=127.0.0.1`,
    },
  });
  expect(job.status, `${job.stdout}\n${job.stderr}\n${minio.log()}`).toBe(0);
  return { minio, storeOut };
}
