/**
 * Property: what the schema accepts, the real consumer accepts too. Random valid trees are fed
 * to Debian's docker-compose 1.29 (`config -q`, the reader CI uses; about 0.5 s per call, so few
 * runs). Needs docker-compose on PATH (`npx projen test:deps`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../lib';
import { dockerComposeConfig } from '../support/docker-compose';
import { buildTree, treeSpec } from './arbitraries';
import { addApi, lab } from './support';

describe('docker-compose 1.29 reads what mlsec-cdk writes (property)', () => {
  it('accepts a published port', () => {
    const l = lab();
    addApi(l).publishPort({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 8080, reason: 'operator access to the api from the host' });
    const result = dockerComposeConfig(synthesize(l.app).file('lab/docker-compose.yml'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('accepts every compose file of random valid trees', () => {
    fc.assert(
      fc.property(treeSpec, (spec) => {
        const assembly = synthesize(buildTree(spec).app);
        for (const file of assembly.paths().filter((p) => p.endsWith('/docker-compose.yml'))) {
          const result = dockerComposeConfig(assembly.file(file), file.split('/')[0]);
          expect(result.stderr, file).toBe('');
          expect(result.status, file).toBe(0);
        }
      }),
      // No shrinking: every step would spawn docker-compose again.
      { numRuns: Number(process.env.FC_RUNS_DOCKER ?? 6), endOnFailure: true },
    );
  });
});
