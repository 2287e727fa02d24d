import { checkPattern, collect, describeValue } from '../../core/prop-rules';

/**
 * The one model a {@link ModelServer} serves, pinned: where it is in the registry, its digest and
 * its signature.
 *
 * What is signed: the artifact's SHA-256 digest itself, with the Transit key `model-sign`
 * (ECDSA P-256): `transit/sign/model-sign` with `prehashed=true`, `hash_algorithm=sha2-256` and
 * `input` = base64 of the 32 digest bytes (see {@link modelSigningRequest}). That is exactly an
 * ECDSA-SHA256 signature over the artifact's bytes (ASN.1 DER, Transit's default marshaling), so
 * anyone holding the public key (`transit/keys/model-sign`) can check it offline as well, e.g.
 * `openssl dgst -sha256 -verify model-sign.pem -signature sig.der <artifact>` with the base64 after
 * `vault:v1:` decoded into `sig.der`.
 */
export interface ServedModel {
  /**
   * The model's name: its folder in the model volume and the name MLServer serves it under
   * (`/v2/models/<name>/infer`). Lower-case letters, digits and "-".
   */
  readonly name: string;
  /**
   * The artifact's path below the registry's proxied artifact root (what follows
   * `/api/2.0/mlflow-artifacts/artifacts/`), e.g. `3/5f1c…/artifacts/model/model.joblib`.
   * Segments of letters, digits and `._-`, none starting with "."; its last segment is the file
   * name in the volume.
   */
  readonly artifactPath: string;
  /** The artifact's SHA-256, 64 lower-case hex digits. */
  readonly sha256: string;
  /** The Transit signature of the digest (`vault:v<N>:<base64>`), as `transit/sign/model-sign` returned it. */
  readonly signature: string;
  /**
   * The MLServer runtime (`implementation` of its `model-settings.json`) that loads the artifact.
   * @default 'mlserver_sklearn.SKLearnModel'
   */
  readonly runtime?: string;
}

/** The file MLServer reads a model's settings from (in the model's folder). */
export const MODEL_SETTINGS_FILE = 'model-settings.json';
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}';
const ARTIFACT_PATH = new RegExp(`^(?:${SEGMENT}/){0,15}${SEGMENT}$`);
const SHA256 = /^[0-9a-f]{64}$/;
/** Transit's signature string: key version, then standard base64 of the DER signature (ECDSA P-256: 8–72 bytes). */
const SIGNATURE = /^vault:v[1-9][0-9]{0,5}:[A-Za-z0-9+/]{8,128}={0,2}$/;
const RUNTIME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** The artifact's file name (the last segment of its path). */
export function artifactFileName(model: ServedModel): string {
  return String(model.artifactPath).split('/').pop() ?? '';
}

/** Problems of a `model` prop, each naming `model.<field>` and what is allowed. */
export function servedModelProblems(model: ServedModel | undefined): string[] {
  if (model === null || typeof model !== 'object') return [`prop 'model' is required: { name, artifactPath, sha256, signature } (got ${describeValue(model)})`];
  const m = model;
  return collect(
    checkPattern('model.name', m.name, NAME, 'lower-case letters, digits and "-" (at most 64), starting and ending with a letter or digit'),
    checkPattern('model.artifactPath', m.artifactPath, ARTIFACT_PATH,
      'a relative path of 1 to 16 segments of letters, digits and ._-, none starting with "." (no "..", no leading or trailing "/", no empty segment)'),
    typeof m.artifactPath === 'string' && artifactFileName(m) === MODEL_SETTINGS_FILE
      ? `prop 'model.artifactPath' must not end in '${MODEL_SETTINGS_FILE}': the job writes that file itself (got ${describeValue(m.artifactPath)})`
      : undefined,
    checkPattern('model.sha256', m.sha256, SHA256, 'the artifact\'s SHA-256 as 64 lower-case hex digits'),
    checkPattern('model.signature', m.signature, SIGNATURE, 'a Transit signature "vault:v<N>:<base64>" of the digest, as transit/sign returns it'),
    m.runtime === undefined ? undefined : checkPattern('model.runtime', m.runtime, RUNTIME, 'a dotted Python class path such as "mlserver_sklearn.SKLearnModel"'),
  );
}

/**
 * The body of the `transit/sign/<key>` request the release pipeline makes for an artifact with
 * digest `sha256Hex` (and of the `transit/verify/<key>` request the fetch job makes, plus the
 * signature): the digest's bytes, prehashed.
 */
export function modelSigningRequest(sha256Hex: string): { input: string; prehashed: true; hash_algorithm: 'sha2-256'; marshaling_algorithm: 'asn1' } {
  if (!SHA256.test(sha256Hex)) throw new Error(`modelSigningRequest: expected 64 lower-case hex digits (got ${describeValue(sha256Hex)})`);
  return { input: Buffer.from(sha256Hex, 'hex').toString('base64'), prehashed: true, hash_algorithm: 'sha2-256', marshaling_algorithm: 'asn1' };
}
