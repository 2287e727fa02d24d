import { readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { documentAcknowledgement, PostureModel, SourceDocument, Testing } from '../../../../lib';
import { createLab } from '../../../../apps/lab';
import { auditCompose } from './compose-audit';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

describe("the library's own hardened output", () => {
  it('synth-out/lab/docker-compose.yml has no error-level compose finding', async () => {
    const findings = await auditCompose(readFileSync(path.join(ROOT, 'synth-out', 'lab', 'docker-compose.yml'), 'utf8'));
    expect(findings.filter((f) => f.level === 'error').map((f) => `${f.granularId}@${f.line}: ${f.message}`)).toEqual([]);
  });

  it('a fresh synth of the reference lab has no error-level compose finding', async () => {
    const app = Testing.app();
    createLab(app);
    const text = Testing.synth(app).file('lab/docker-compose.yml');
    const findings = await auditCompose(text);
    expect(findings.filter((f) => f.level === 'error').map((f) => `${f.granularId}@${f.line}: ${f.message}`)).toEqual([]);
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
