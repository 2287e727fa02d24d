import type { ErrorObject, ValidateFunction } from 'ajv';
// The schema of s3-policy-schema.ts, precompiled by `npx projen gen:s3-policy` (a test fails when it is stale).
import validateSchema from './generated/s3-policy.validator';

/**
 * The s3: actions MinIO supports (minio/pkg `policy/action.go`, `supportedActions`, without the
 * `s3:*` wildcard). A name outside this list is refused by `mc admin policy create`.
 */
export const KNOWN_S3_ACTIONS: readonly string[] = Object.freeze([
  's3:AbortMultipartUpload',
  's3:BypassGovernanceRetention',
  's3:CreateBucket',
  's3:DeleteBucket',
  's3:DeleteBucketCors',
  's3:DeleteBucketPolicy',
  's3:DeleteObject',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersion',
  's3:DeleteObjectVersionTagging',
  's3:ForceDeleteBucket',
  's3:GetBucketCors',
  's3:GetBucketLocation',
  's3:GetBucketNotification',
  's3:GetBucketObjectLockConfiguration',
  's3:GetBucketPolicy',
  's3:GetBucketPolicyStatus',
  's3:GetBucketQOS',
  's3:GetBucketTagging',
  's3:GetBucketVersioning',
  's3:GetEncryptionConfiguration',
  's3:GetInventoryConfiguration',
  's3:GetLifecycleConfiguration',
  's3:GetObject',
  's3:GetObjectAttributes',
  's3:GetObjectLegalHold',
  's3:GetObjectRetention',
  's3:GetObjectTagging',
  's3:GetObjectVersion',
  's3:GetObjectVersionAttributes',
  's3:GetObjectVersionForReplication',
  's3:GetObjectVersionTagging',
  's3:GetReplicationConfiguration',
  's3:HeadBucket',
  's3:ListAllMyBuckets',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
  's3:ListBucketVersions',
  's3:ListMultipartUploadParts',
  's3:ListenBucketNotification',
  's3:ListenNotification',
  's3:PutBucketCors',
  's3:PutBucketNotification',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketPolicy',
  's3:PutBucketQOS',
  's3:PutBucketTagging',
  's3:PutBucketVersioning',
  's3:PutEncryptionConfiguration',
  's3:PutInventoryConfiguration',
  's3:PutLifecycleConfiguration',
  's3:PutObject',
  's3:PutObjectFanOut',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:PutReplicationConfiguration',
  's3:ReplicateDelete',
  's3:ReplicateObject',
  's3:ReplicateTags',
  's3:ResetBucketReplicationState',
  's3:RestoreObject',
]);

/**
 * Condition keys MinIO accepts only for the listing actions (and `s3:*`): a statement that also
 * grants, say, s3:GetObject and carries `s3:prefix` is refused ("unsupported condition keys").
 */
const LISTING_CONDITION_KEYS = ['s3:prefix', 's3:delimiter', 's3:max-keys'];
const LISTING_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions', 's3:*'];


/**
 * Checks a MinIO user (identity) policy document: the IAM grammar MinIO parses (see
 * `S3_POLICY_SCHEMA`), then what MinIO checks beyond the grammar — every s3: action, or wildcard
 * pattern, names a supported action; a statement does not mix s3: with admin:/kms:/sts: actions;
 * listing condition keys appear only on listing actions. Returns `"<JSON pointer>: <problem>"`
 * lines, empty when MinIO would accept the document.
 */
export function s3PolicyProblems(doc: unknown): string[] {
  // Compiled with `verbose`: the errors carry their schema, whose `description` words the messages.
  const validate = validateSchema as unknown as ValidateFunction;
  const problems = validate(doc) ? [] : schemaMessages(validate.errors ?? []);
  return [...problems, ...semanticProblems(doc)];
}

function schemaMessages(errors: ErrorObject[]): string[] {
  // A failed oneOf of `required` branches is one problem ("exactly one of …"); its branches'
  // `required` errors and the if/then/else and propertyNames wrappers add nothing. On a
  // non-object `required` holds vacuously, so key-presence errors there are only the type error.
  const exclusive = errors.filter((e) => e.keyword === 'oneOf' && requiredBranches(e.schema) !== undefined);
  const noise = (e: ErrorObject): boolean =>
    e.keyword === 'if' || e.keyword === 'propertyNames' ||
    ((e.keyword === 'oneOf' || e.keyword === 'not') && !isRecord(e.data)) ||
    exclusive.some((x) => x !== e && e.instancePath === x.instancePath && e.schemaPath.startsWith(`${x.schemaPath}/`));
  return errors.filter((e) => !noise(e)).map(describe);
}

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  const description = (e.parentSchema as { description?: unknown } | undefined)?.description;
  const shown = JSON.stringify(e.data) ?? String(e.data);
  const got = ` (got ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown})`;
  switch (e.keyword) {
    case 'required':
      return `${pointer(e.instancePath, String(params.missingProperty))}: is required`;
    case 'additionalProperties': {
      // Keys the schema names only to forbid (Principal) are not offered as expected.
      const properties = (e.parentSchema as { properties?: Record<string, { not?: unknown }> }).properties ?? {};
      const known = Object.keys(properties).filter((k) => properties[k].not === undefined).join(', ');
      return `${pointer(e.instancePath, String(params.additionalProperty))}: is not a known key here (expected one of ${known})`;
    }
    case 'oneOf': {
      const names = requiredBranches(e.schema);
      if (names) {
        const found = Array.isArray(params.passingSchemas) ? 'both are present' : 'neither is present';
        return `${pointer(e.instancePath)}: must have exactly one of ${names.join(' or ')}, but ${found}`;
      }
      break;
    }
    case 'not': {
      const both = (e.schema as { required?: string[] }).required;
      if (both) return `${pointer(e.instancePath)}: must not have both ${both.join(' and ')}`;
      break;
    }
  }
  // A value a property name failed on: point at the key itself.
  const at = e.propertyName !== undefined ? pointer(e.instancePath, e.propertyName) : pointer(e.instancePath);
  if (typeof description === 'string') return `${at}: must be ${description}${got}`;
  return `${at}: ${e.message ?? 'is invalid'}${got}`;
}

/** The property names of a oneOf whose every branch is `{ required: [name] }`. */
function requiredBranches(schema: unknown): string[] | undefined {
  if (!Array.isArray(schema)) return undefined;
  const names = schema.map((s: { required?: unknown }) => (Array.isArray(s.required) && s.required.length === 1 ? String(s.required[0]) : undefined));
  return names.every((n): n is string => n !== undefined) ? names : undefined;
}

function pointer(base: string, key?: string): string {
  const full = key === undefined ? base : `${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return full === '' ? '/' : full;
}

function semanticProblems(doc: unknown): string[] {
  const statements = isRecord(doc) && Array.isArray(doc.Statement) ? doc.Statement : [];
  const out: string[] = [];
  statements.forEach((statement: unknown, i) => {
    if (!isRecord(statement)) return;
    const at = `/Statement/${i}`;
    for (const key of ['Action', 'NotAction'] as const) {
      for (const [action, path] of strings(statement[key], `${at}/${key}`)) {
        if (isS3Action(action) && !KNOWN_S3_ACTIONS.some((known) => wildcardMatch(action, known))) {
          const what = /[*?]/.test(action) ? 'matches no s3 action MinIO supports' : 'is not an s3 action MinIO supports';
          out.push(`${path}: ${JSON.stringify(action)} ${what}`);
        }
      }
    }
    const actions = strings(statement.Action, `${at}/Action`).map(([a]) => a);
    if (actions.some((a) => /^(?:admin|kms|sts):/.test(a)) && actions.some((a) => a === '*' || a.startsWith('s3:'))) {
      out.push(`${at}/Action: mixes s3 actions with admin:/kms:/sts: actions; MinIO requires one namespace per statement`);
    }
    const keys = conditionKeys(statement.Condition);
    for (const key of LISTING_CONDITION_KEYS.filter((k) => keys.has(k))) {
      const other = actions.filter((a) => !LISTING_ACTIONS.some((l) => wildcardMatch(a, l)));
      if (other.length > 0) {
        out.push(`${at}/Condition: key ${JSON.stringify(key)} applies only to s3:ListBucket/s3:ListBucketVersions; MinIO refuses it with ${other.join(', ')} (move those to their own statement)`);
      }
    }
  });
  return out;
}

/** The strings of a string-or-array value, each with its pointer. */
function strings(value: unknown, path: string): Array<[string, string]> {
  if (typeof value === 'string') return [[value, path]];
  if (!Array.isArray(value)) return [];
  return value.flatMap((v, i): Array<[string, string]> => (typeof v === 'string' ? [[v, `${path}/${i}`]] : []));
}

function isS3Action(action: string): boolean {
  return /^s3:[A-Za-z*?]+$/.test(action);
}

function conditionKeys(condition: unknown): Set<string> {
  const keys = new Set<string>();
  if (!isRecord(condition)) return keys;
  for (const block of Object.values(condition)) if (isRecord(block)) Object.keys(block).forEach((k) => keys.add(k));
  return keys;
}

/** MinIO's wildcard match: `*` any run of characters, `?` exactly one. */
function wildcardMatch(pattern: string, text: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
