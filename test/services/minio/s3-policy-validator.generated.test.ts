import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { s3PolicyValidatorModule } from '../../../tools/generate-s3-policy-validator';

describe('the precompiled MinIO policy validator', () => {
  it('is what s3-policy-schema.ts compiles to today (else run `npx projen gen:s3-policy`)', () => {
    const committed = fs.readFileSync(path.join(__dirname, '../../../lib/services/minio/generated/s3-policy.validator.ts'), 'utf8');
    expect(committed === s3PolicyValidatorModule()).toBe(true);
  });
});
