import * as fs from 'fs';
import { afterAll } from 'vitest';
import { HealthCheck, Image, Vps, Workload, Zone } from '../../lib';
import { tempDir } from '../property/support';

/** A plain consumer workload (a Python app) to hold grants. */
export function consumerWorkload(vps: Vps, id: string, zone: Zone = Zone.Z6_SERVING): Workload {
  return new Workload(vps, id, {
    zone,
    image: Image.fromRegistry('python', '3.12.7-slim-bookworm'),
    healthCheck: HealthCheck.command(['python', '-c', 'pass']),
  });
}

/**
 * A factory of empty temporary folders (an outdir is a child that must not appear), all removed
 * after the file's tests. Call it at module level.
 */
export function tempParents(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    while (dirs.length > 0) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
  });
  return () => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
}
