import { describeValue } from '../../core/prop-rules';
import type { VaultCiRole } from '../../vault/vault-auth-roles';
import { MODEL_SETTINGS_FILE } from './served-model';

/** Props of a model server's release: who may publish its release record. */
export interface ModelReleaseProps {
  /**
   * The CI role (`vault.addCiRole`) whose workflow signs the artifact's digest and writes the
   * release record. The server gives it `create`/`update` on exactly the record's KV path and
   * `transit/sign/<signing key>` (`allowSign`, merged with any earlier grant).
   */
  readonly ciRole: VaultCiRole;
}

/**
 * The release record of a served model: the KV v2 secret `<vps>/release/<model>/record`
 * (`kv/data/<vps>/release/<model>/record`), written by the CI release role after it signed the
 * digest, e.g. `POST /v1/kv/data/lab/release/fraud-score/record` with
 * `{"data": {"artifact_path": …, "sha256": …, "signature": …}}` and its own token. The fetch
 * job's agent renders the three fields into files; the job checks each strictly before any
 * download, and refuses the release (nothing installed) on an empty, missing or malformed field.
 */
export interface ModelReleaseRecord {
  /**
   * The artifact's path below the registry's proxied artifact root (what follows
   * `/api/2.0/mlflow-artifacts/artifacts/`), e.g. `3/5f1c…/artifacts/model/model.joblib`:
   * 1 to 16 segments of letters, digits and `._-` (at most 128 each), none starting with ".";
   * its last segment, not `model-settings.json`, is the file name in the volume.
   */
  readonly artifact_path: string;
  /** The artifact's SHA-256, 64 lower-case hex digits. */
  readonly sha256: string;
  /** The Transit signature of the digest (`vault:v<N>:<base64>`), as `transit/sign/model-sign` returned it. */
  readonly signature: string;
}

/** The record's fields, as the fetch job's agent renders them: field → `*_FILE` variable and file name. */
export const MODEL_RELEASE_FIELDS = {
  artifact_path: { envVar: 'MLSEC_MODEL_ARTIFACT_PATH_FILE', fileName: 'release-artifact-path' },
  sha256: { envVar: 'MLSEC_MODEL_SHA256_FILE', fileName: 'release-sha256' },
  signature: { envVar: 'MLSEC_MODEL_SIGNATURE_FILE', fileName: 'release-signature' },
} as const;

/** The record's path below the KV mount (four segments, CONTROLS.md §4.1). */
export function modelReleasePath(vps: string, model: string): string {
  return `${vps}/release/${model}/record`;
}

const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}';
const ARTIFACT_PATH = new RegExp(`^(?:${SEGMENT}/){0,15}${SEGMENT}$`);
const SHA256 = /^[0-9a-f]{64}$/;
/** Transit's signature string: key version, then standard base64 of the DER signature (ECDSA P-256: 8–72 bytes). */
const SIGNATURE = /^vault:v[1-9][0-9]{0,5}:[A-Za-z0-9+/]{8,128}={0,2}$/;

/**
 * What is wrong with a release record, or nothing: the reference of the checks the generated
 * fetch script makes in sh (the unit test runs both on the same inputs). For release tooling
 * that wants to refuse a record before writing it.
 */
export function modelReleaseRecordProblems(record: Partial<Record<keyof ModelReleaseRecord, unknown>>): string[] {
  const r = record ?? {};
  const out: string[] = [];
  if (typeof r.artifact_path !== 'string' || !ARTIFACT_PATH.test(r.artifact_path)) {
    out.push(`artifact_path must be 1 to 16 segments of letters, digits and ._-, none starting with "." (got ${describeValue(r.artifact_path)})`);
  } else if (r.artifact_path.split('/').pop() === MODEL_SETTINGS_FILE) {
    out.push(`artifact_path must not end in '${MODEL_SETTINGS_FILE}': the job writes that file itself (got ${describeValue(r.artifact_path)})`);
  }
  if (typeof r.sha256 !== 'string' || !SHA256.test(r.sha256)) out.push(`sha256 must be 64 lower-case hex digits (got ${describeValue(r.sha256)})`);
  if (typeof r.signature !== 'string' || !SIGNATURE.test(r.signature)) out.push(`signature must be a Transit signature "vault:v<N>:<base64>" (got ${describeValue(r.signature)})`);
  return out;
}
