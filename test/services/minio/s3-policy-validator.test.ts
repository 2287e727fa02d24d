import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { S3_POLICY_SCHEMA } from '../../../lib/services/minio/s3-policy-schema';
import { KNOWN_S3_ACTIONS, s3PolicyProblems } from '../../../lib/services/minio/s3-policy-validator';

/** Read-only access to one source's prefix in the raw bucket: the shape our library generates. */
function leastPrivilege(): Record<string, any> {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadSourceA', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::raw/source-a/*'] },
      {
        Sid: 'ListSourceA',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: ['arn:aws:s3:::raw'],
        Condition: { StringLike: { 's3:prefix': ['source-a/*'] } },
      },
    ],
  };
}

/** The policy after `mutate`, which must yield exactly one problem: at `pointer`, matching `says`. */
function expectOneProblem(mutate: (doc: Record<string, any>) => void, pointer: string, says: RegExp): void {
  const doc = leastPrivilege();
  mutate(doc);
  const problems = s3PolicyProblems(doc);
  expect(problems).toHaveLength(1);
  expect(problems[0].startsWith(`${pointer}: `)).toBe(true);
  expect(problems[0]).toMatch(says);
}

describe('s3PolicyProblems', () => {
  it('accepts a least-privilege policy: GetObject on a prefix, ListBucket on the bucket with an s3:prefix condition', () => {
    expect(s3PolicyProblems(leastPrivilege())).toEqual([]);
  });

  it('is a draft-07 schema that compiles under ajv strict mode', () => {
    expect(S3_POLICY_SCHEMA.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(() => new Ajv({ strict: true, allowUnionTypes: true }).compile(S3_POLICY_SCHEMA)).not.toThrow();
  });

  it.each<[string, (doc: Record<string, any>) => void, string, RegExp]>([
    ['missing Version', (d) => delete d.Version, '/Version', /is required/],
    ['a wrong Version', (d) => (d.Version = '2008-10-17'), '/Version', /"2012-10-17".*got "2008-10-17"/],
    ['an empty Statement', (d) => (d.Statement = []), '/Statement', /fewer than 1 items/],
    ["Effect 'allow' (lowercase)", (d) => (d.Statement[0].Effect = 'allow'), '/Statement/0/Effect', /"Allow" or "Deny".*got "allow"/],
    ['both Action and NotAction', (d) => (d.Statement[0].NotAction = ['s3:PutObject']), '/Statement/0', /exactly one of Action or NotAction, but both/],
    ['neither Action nor NotAction', (d) => delete d.Statement[0].Action, '/Statement/0', /exactly one of Action or NotAction, but neither/],
    ["unknown action 's3:GetObjekt'", (d) => (d.Statement[0].Action = ['s3:GetObjekt']), '/Statement/0/Action/0', /"s3:GetObjekt" is not an s3 action MinIO supports/],
    ['a resource that is not an ARN', (d) => (d.Statement[0].Resource = ['raw/source-a/*']), '/Statement/0/Resource/0', /S3 ARN.*got "raw\/source-a\/\*"/],
    ['a resource with whitespace', (d) => (d.Statement[0].Resource = ['arn:aws:s3:::raw/source a/*']), '/Statement/0/Resource/0', /without whitespace/],
    ['a Principal', (d) => (d.Statement[0].Principal = { AWS: ['*'] }), '/Statement/0/Principal', /must be absent.*bucket policies/],
    ['an unknown top-level key', (d) => (d.Policy = {}), '/Policy', /not a known key here \(expected one of Version, Id, Statement\)/],
    ['an unknown condition operator', (d) => (d.Statement[1].Condition = { StringLikes: { 's3:prefix': 'a/*' } }), '/Statement/1/Condition/StringLikes', /condition operator MinIO knows/],
    ['a condition value that is a number', (d) => (d.Statement[1].Condition.StringLike['s3:prefix'] = 5), '/Statement/1/Condition/StringLike/s3:prefix', /string or a non-empty array of strings.*got 5/],
  ])('rejects %s, naming the pointer', (_name, mutate, pointer, says) => {
    expectOneProblem(mutate, pointer, says);
  });

  it('rejects what AWS accepts but MinIO does not: a bare "*" resource, Arn* operators, IfExists suffixes', () => {
    expectOneProblem((d) => (d.Statement[0].Resource = '*'), '/Statement/0/Resource', /S3 ARN/);
    expectOneProblem((d) => (d.Statement[1].Condition = { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::raw' } }), '/Statement/1/Condition/ArnLike', /condition operator/);
    expectOneProblem((d) => (d.Statement[1].Condition = { StringLikeIfExists: { 's3:prefix': 'a/*' } }), '/Statement/1/Condition/StringLikeIfExists', /condition operator/);
    expectOneProblem((d) => (d.Statement[0].Resource = ['arn:aws:s3:::/raw']), '/Statement/0/Resource/0', /S3 ARN/);
  });

  it('accepts the MinIO operator spellings, with ForAnyValue:/ForAllValues: qualifiers', () => {
    const doc = leastPrivilege();
    doc.Statement[1].Condition = {
      'ForAnyValue:StringLike': { 's3:prefix': ['source-a/*', 'source-a'] },
      NumericGreaterThanIfExists: { 's3:max-keys': '10' },
      IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
    };
    expect(s3PolicyProblems(doc)).toEqual([]);
  });

  it('requires exactly one of Resource/NotResource for s3 statements, but not for admin ones', () => {
    expectOneProblem((d) => delete d.Statement[0].Resource, '/Statement/0', /exactly one of Resource or NotResource, but neither/);
    expectOneProblem((d) => (d.Statement[0].NotResource = 'arn:aws:s3:::other/*'), '/Statement/0', /but both/);
    expectOneProblem((d) => (d.Statement[0] = { Effect: 'Deny', NotAction: 's3:GetObject' }), '/Statement/0', /Resource or NotResource/);
    const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['admin:ServerInfo'] }] };
    expect(s3PolicyProblems(admin)).toEqual([]);
  });

  it('accepts wildcard actions that match a supported action, and reports those that match none', () => {
    const doc = leastPrivilege();
    doc.Statement[0].Action = ['s3:Get*', 's3:*', '*', 's3:PutObjec?'];
    expect(s3PolicyProblems(doc)).toEqual([]);
    expectOneProblem((d) => (d.Statement[0].Action = 's3:Gett*'), '/Statement/0/Action', /matches no s3 action/);
    const notAction = (d: Record<string, any>): void => {
      delete d.Statement[0].Action;
      d.Statement[0].NotAction = ['s3:PutObjekt'];
    };
    expectOneProblem(notAction, '/Statement/0/NotAction/0', /"s3:PutObjekt" is not an s3 action/);
  });

  it('reports what MinIO checks beyond the grammar: mixed namespaces, listing keys on non-listing actions', () => {
    expectOneProblem((d) => (d.Statement[0].Action = ['s3:GetObject', 'admin:ServerInfo']), '/Statement/0/Action', /one namespace per statement/);
    expectOneProblem((d) => d.Statement[1].Action.push('s3:GetObject'), '/Statement/1/Condition', /"s3:prefix".*s3:GetObject/);
  });

  it('reports every problem at once, and copes with a document that is not an object', () => {
    const problems = s3PolicyProblems({ Version: 1, Statement: [{ Effect: 'allow', Action: 's3:GetObjekt', Resource: '*' }] });
    expect(problems.map((p) => p.split(': ')[0]).sort()).toEqual(['/Statement/0/Action', '/Statement/0/Effect', '/Statement/0/Resource', '/Version']);
    expect(s3PolicyProblems('policy')).toEqual(['/: must be object (got "policy")']);
    expect(s3PolicyProblems({ Version: '2012-10-17', Statement: ['s3:GetObject'] })).toEqual(['/Statement/0: must be object (got "s3:GetObject")']);
  });

  it('knows the MinIO s3 actions a policy generator reaches for', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads',
      's3:ListMultipartUploadParts', 's3:AbortMultipartUpload', 's3:GetObjectVersion', 's3:DeleteObjectVersion', 's3:GetBucketVersioning',
      's3:GetObjectRetention', 's3:PutObjectRetention', 's3:GetObjectLegalHold', 's3:BypassGovernanceRetention', 's3:GetObjectTagging',
      's3:PutObjectTagging', 's3:ListAllMyBuckets']) {
      expect(KNOWN_S3_ACTIONS).toContain(action);
    }
    expect(new Set(KNOWN_S3_ACTIONS).size).toBe(KNOWN_S3_ACTIONS.length);
    expect(KNOWN_S3_ACTIONS.every((a) => /^s3:[A-Za-z]+$/.test(a))).toBe(true);
  });
});
