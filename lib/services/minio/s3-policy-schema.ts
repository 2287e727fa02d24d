/**
 * Condition operators MinIO's policy parser knows (minio/pkg `policy/condition/name.go`). MinIO
 * rejects the rest of the AWS list at `mc admin policy create`: no `Arn*` operators, and no
 * `IfExists` suffix except on the one operator it spells out, `NumericGreaterThanIfExists`.
 */
const CONDITION_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase',
  'StringLike', 'StringNotLike', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'Null', 'Bool',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals',
  'NumericGreaterThan', 'NumericGreaterThanIfExists', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
] as const;

/** An action: a namespace MinIO evaluates, a colon, a name that may hold `*`/`?` wildcards. */
const ACTION_PATTERN = '^(?:\\*|(?:s3|admin|kms|sts):[A-Za-z*?]+)$';

/**
 * An S3 ARN. MinIO parses only the `arn:aws:s3:::` form (a bare `*` is "invalid resource") and
 * rejects a path that starts with `/`; whitespace is never part of a bucket or key pattern.
 */
const RESOURCE_PATTERN = '^arn:aws:s3:::[^\\s/]\\S*$';

/** Actions outside s3: — MinIO evaluates admin/kms/sts statements without matching a Resource. */
const NON_S3_ACTION_PATTERN = '^(?:admin|kms|sts):';

const action = { type: 'string', pattern: ACTION_PATTERN, description: 'an action such as "s3:GetObject" (wildcards * and ? allowed) or "*"' } as const;

const actionList = {
  type: ['string', 'array'],
  pattern: ACTION_PATTERN,
  minItems: 1,
  items: action,
  description: 'an action such as "s3:GetObject" or "*", or a non-empty array of them',
} as const;

const resource = { type: 'string', pattern: RESOURCE_PATTERN, description: 'an S3 ARN "arn:aws:s3:::bucket[/key-pattern]" without whitespace' } as const;

const resourceList = {
  type: ['string', 'array'],
  pattern: RESOURCE_PATTERN,
  minItems: 1,
  items: resource,
  description: 'an S3 ARN "arn:aws:s3:::bucket[/key-pattern]", or a non-empty array of them',
} as const;

/**
 * A branch that requires one key. It restates the key under `properties` because ajv's strict
 * mode (strictRequired) wants every required key defined in the same schema object.
 */
function has<K extends string>(...keys: K[]) {
  return { required: keys, properties: Object.fromEntries(keys.map((k) => [k, true])) as Record<K, true> };
}

/** Only in bucket (resource) policies: a user policy applies to the user it is attached to. */
const bucketPolicyOnly = {
  not: {},
  description: 'absent: a user policy applies to the user it is attached to; principals belong in bucket policies',
} as const;

/**
 * The IAM JSON policy grammar (AWS `reference_policies_grammar`) narrowed to identity (user)
 * policies as MinIO parses them. Stricter than MinIO where MinIO is lax and we never need the
 * laxity: Version and a non-empty Statement array are required, Sid is alphanumeric, condition
 * values are strings (MinIO also takes JSON numbers and booleans).
 */
export const S3_POLICY_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'MinIO S3 user (identity) policy',
  type: 'object',
  additionalProperties: false,
  required: ['Version', 'Statement'],
  properties: {
    Version: { const: '2012-10-17', description: 'the policy language version "2012-10-17"' },
    Id: { type: 'string', minLength: 1, description: 'a non-empty policy id' },
    Statement: { type: 'array', minItems: 1, items: { $ref: '#/definitions/statement' } },
  },
  definitions: {
    statement: {
      type: 'object',
      additionalProperties: false,
      required: ['Effect'],
      properties: {
        Sid: { type: 'string', pattern: '^[A-Za-z0-9]+$', description: 'an alphanumeric statement id' },
        Effect: { enum: ['Allow', 'Deny'], description: '"Allow" or "Deny" (case-sensitive)' },
        Action: actionList,
        NotAction: actionList,
        Resource: resourceList,
        NotResource: resourceList,
        Condition: { $ref: '#/definitions/condition' },
        Principal: bucketPolicyOnly,
        NotPrincipal: bucketPolicyOnly,
      },
      allOf: [
        { oneOf: [has('Action'), has('NotAction')] },
        {
          // admin:/kms:/sts: statements match no Resource, so it may be omitted; any other
          // statement (s3:, "*", or NotAction) needs exactly one of Resource/NotResource.
          if: {
            required: ['Action'],
            properties: {
              Action: {
                anyOf: [
                  { type: 'string', pattern: NON_S3_ACTION_PATTERN },
                  { type: 'array', contains: { type: 'string', pattern: NON_S3_ACTION_PATTERN } },
                ],
              },
            },
          },
          then: { not: has('Resource', 'NotResource') },
          else: { oneOf: [has('Resource'), has('NotResource')] },
        },
      ],
    },
    condition: {
      type: 'object',
      minProperties: 1,
      propertyNames: {
        type: 'string',
        pattern: `^(?:(?:ForAnyValue|ForAllValues):)?(?:${CONDITION_OPERATORS.join('|')})$`,
        description: `a condition operator MinIO knows (${CONDITION_OPERATORS.join(', ')}; optionally prefixed ForAnyValue: or ForAllValues:)`,
      },
      // A map: the operator names are closed by propertyNames, so no additionalProperties: false.
      additionalProperties: {
        type: 'object',
        minProperties: 1,
        propertyNames: {
          type: 'string',
          pattern: '^(?:aws|s3|jwt|ldap|sts|svc):\\S+$',
          description: 'a condition key such as "s3:prefix" or "aws:SourceIp"',
        },
        additionalProperties: {
          type: ['string', 'array'],
          minItems: 1,
          items: { type: 'string', description: 'a string' },
          description: 'a string or a non-empty array of strings',
        },
      },
    },
  },
} as const;
