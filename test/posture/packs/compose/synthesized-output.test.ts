import { readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { documentAcknowledgement, PostureModel, SourceDocument, Testing } from '../../../../lib';
import { createLab } from '../../../../apps/lab';
import { auditCompose } from './compose-audit';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

/**
 * Error-level compose findings of a lab compose text: none may be open, and the acknowledged
 * ones are exactly the reasoned opt-outs the lab declares (so a new one cannot slip in).
 */
async function errorFindings(text: string): Promise<{ open: string[]; acknowledged: string[] }> {
  const model = new PostureModel([SourceDocument.parseYaml('compose', 'fixture.yml', text)]);
  const errors = (await auditCompose(text)).filter((f) => f.level === 'error');
  const show = (f: (typeof errors)[number]) => `${f.granularId}: ${documentAcknowledgement(f, model)?.reason ?? f.message}`;
  return {
    open: errors.filter((f) => documentAcknowledgement(f, model) === undefined).map(show),
    acknowledged: errors.filter((f) => documentAcknowledgement(f, model) !== undefined).map(show).sort(),
  };
}

/** The lab's only error-level opt-outs: the one-shot job that hands the MinIO volume to the non-root server. */
const LAB_ACKNOWLEDGED = [
  'CMP-09[lake-volume-init/CHOWN]: chown of the freshly created data volume to the non-root server user',
  'CMP-09[model-server-fetch-volume-init/CHOWN]: chown of the model volume to the non-root fetch job',
  'CMP-09[model-store-volume-init/CHOWN]: chown of the freshly created data volume to the non-root server user',
  'CMP-11[lake-volume-init]: changing the owner of the data volume needs root; the job exits at once and has no network',
  'CMP-11[model-server-fetch-volume-init]: changing the owner of the fresh model volume needs root; the job exits at once and has no network',
  'CMP-11[model-store-volume-init]: changing the owner of the data volume needs root; the job exits at once and has no network',
];

describe("the library's own hardened output", () => {
  it('synth-out/lab/docker-compose.yml has no unacknowledged error-level compose finding', async () => {
    const found = await errorFindings(readFileSync(path.join(ROOT, 'synth-out', 'lab', 'docker-compose.yml'), 'utf8'));
    expect(found).toEqual({ open: [], acknowledged: LAB_ACKNOWLEDGED });
  });

  it('a fresh synth of the reference lab has no unacknowledged error-level compose finding', async () => {
    const app = Testing.app();
    createLab(app);
    const found = await errorFindings(Testing.synth(app).file('lab/docker-compose.yml'));
    expect(found).toEqual({ open: [], acknowledged: LAB_ACKNOWLEDGED });
  });

  it('locates hits under services.<name>, so a workload override in x-mlsec.overrides acknowledges them', async () => {
    const text = `services:
  api:
    image: app:1.0
    read_only: false
    x-mlsec:
      construct: lab/api
      overrides:
        - control: read_only
          setting: "false"
          reason: the vendor image rewrites its config at start
`;
    const model = new PostureModel([SourceDocument.parseYaml('compose', 'fixture.yml', text)]);
    const [finding] = (await auditCompose(text)).filter((f) => f.ruleId === 'CMP-13');
    expect([finding.path, finding.constructPath]).toEqual(['services.api.read_only', 'lab/api']);
    expect(documentAcknowledgement(finding, model)?.reason).toBe('the vendor image rewrites its config at start');
  });
});
