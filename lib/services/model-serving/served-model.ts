import { checkPattern, collect, describeValue } from '../../core/prop-rules';

/**
 * The one model a {@link ModelServer} serves: its name and runtime. Which artifact, its digest and
 * its signature are not synth-time props: they are the model's **release record** in Vault KV,
 * written by the CI release role (see {@link ModelReleaseRecord}), so the app carries no pin and
 * no signature of a key that only exists once the host's Vault is bootstrapped.
 */
export interface ServedModel {
  /**
   * The model's name: its folder in the model volume, the name MLServer serves it under
   * (`/v2/models/<name>/infer`) and the last-but-one segment of its release record's KV path.
   * Lower-case letters, digits and "-".
   */
  readonly name: string;
  /**
   * The MLServer runtime (`implementation` of its `model-settings.json`) that loads the artifact.
   * @default 'mlserver_sklearn.SKLearnModel'
   */
  readonly runtime?: string;
}

/** The file MLServer reads a model's settings from (in the model's folder). */
export const MODEL_SETTINGS_FILE = 'model-settings.json';
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const RUNTIME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Problems of a `model` prop, each naming `model.<field>` and what is allowed. */
export function servedModelProblems(model: ServedModel | undefined): string[] {
  if (model === null || typeof model !== 'object') return [`prop 'model' is required: { name, runtime? } (got ${describeValue(model)})`];
  const m = model;
  const stale = (['artifactPath', 'sha256', 'signature'] as const).filter((k) => (m as unknown as Record<string, unknown>)[k] !== undefined);
  return collect(
    checkPattern('model.name', m.name, NAME, 'lower-case letters, digits and "-" (at most 64), starting and ending with a letter or digit'),
    m.runtime === undefined ? undefined : checkPattern('model.runtime', m.runtime, RUNTIME, 'a dotted Python class path such as "mlserver_sklearn.SKLearnModel"'),
    // A pin in the app would be silently ignored: say where it goes instead.
    stale.length === 0 ? undefined
      : `prop 'model.${stale[0]}' is not a prop any more: the artifact path, digest and signature are the release record the CI release role writes to Vault KV (got ${stale.map((k) => `model.${k}`).join(', ')})`,
  );
}

/**
 * The body of the `transit/sign/<key>` request the release pipeline makes for an artifact with
 * digest `sha256Hex` (and of the `transit/verify/<key>` request the fetch job makes, plus the
 * signature): the digest's bytes, prehashed. That is exactly an ECDSA-SHA256 signature over the
 * artifact's bytes (ASN.1 DER, Transit's default marshaling), so anyone holding the public key
 * (`transit/keys/model-sign`) can check it offline as well, e.g.
 * `openssl dgst -sha256 -verify model-sign.pem -signature sig.der <artifact>` with the base64 after
 * `vault:v1:` decoded into `sig.der`.
 */
export function modelSigningRequest(sha256Hex: string): { input: string; prehashed: true; hash_algorithm: 'sha2-256'; marshaling_algorithm: 'asn1' } {
  if (!SHA256.test(sha256Hex)) throw new Error(`modelSigningRequest: expected 64 lower-case hex digits (got ${describeValue(sha256Hex)})`);
  return { input: Buffer.from(sha256Hex, 'hex').toString('base64'), prehashed: true, hash_algorithm: 'sha2-256', marshaling_algorithm: 'asn1' };
}
