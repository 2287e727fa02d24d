/** Bad inputs of ModelServer: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing } from '../../../lib';
import { ModelServer, ModelServerProps, ServedModel } from '../../../lib/services/model-serving';
import { factoryHost } from '../mlflow/support';
import { expectClearError } from '../../property/support';
import { MODEL, servingHost } from './support';

const PATH = 'lab/model-server';

/** The serving host with `model` fields (or props) over the valid baseline; synth must fail clearly. */
function rejects(model: Record<string, unknown>, prop: string | RegExp, allowed: RegExp, props: Record<string, unknown> = {}) {
  const { app } = servingHost(props as Partial<ModelServerProps>, model as Partial<ServedModel>);
  return expectClearError(() => Testing.synth(app), { paths: [PATH], prop, allowed });
}

describe('ModelServer bad input', () => {
  it('accepts the valid baseline (so each case below fails for its own reason)', () => {
    expect(() => Testing.synth(servingHost().app)).not.toThrow();
    expect(() => Testing.synth(servingHost({ port: 9000, maxArtifactMiB: 1 }, { artifactPath: 'm.onnx', runtime: 'mlserver_onnx.OnnxModel', signature: 'vault:v12:AbCd+/09xyzw==' }).app)).not.toThrow();
  });

  it.each([['ABC'], ['6c1f'], [MODEL.sha256.toUpperCase()], [`sha256:${MODEL.sha256}`], [`${MODEL.sha256}0`], [''], [42], [undefined]])('refuses the digest %j', (sha256) => {
    rejects({ sha256 }, "prop 'model.sha256'", /64 lower-case hex digits/);
  });

  it.each([['MEUCIQDx0jv3Ow8G0q4yTq5W'], ['vault:v0:MEUCIQDx0jv3Ow8G'], ['vault:v1:'], ['vault:v1:MEUC IQDx0jv3Ow8G'], ["vault:v1:MEUCIQDx0jv3'; rm -rf /"], ['vault:v1:MEUCIQDx0jv3Ow8G\n'], [null]])('refuses the signature %j', (signature) => {
    rejects({ signature }, "prop 'model.signature'", /Transit signature "vault:v<N>:<base64>"/);
  });

  it.each([['../secrets/model.bin'], ['a/../../b'], ['/etc/passwd'], ['a//b'], ['a/b/'], ['a/./b'], ['.hidden'], ['a/.ssh/key'], ['a b/c'], ['a/$(id)'], ["a/'b"], ['a\\b'], [''], ['x/'.repeat(16) + 'y']])('refuses the artifact path %j (no traversal, no shell characters)', (artifactPath) => {
    rejects({ artifactPath }, "prop 'model.artifactPath'", /relative path of 1 to 16 segments/);
  });

  it('refuses an artifact named like the settings file the job writes', () => {
    rejects({ artifactPath: 'models/model-settings.json' }, "prop 'model.artifactPath'", /must not end in 'model-settings.json'/);
  });

  it.each([['Fraud'], ['-a'], ['a_b'], ['a/b'], [''], ['x'.repeat(65)]])('refuses the model name %j', (name) => {
    rejects({ name }, "prop 'model.name'", /lower-case letters, digits and "-"/);
  });

  it.each([['sklearn'], ['os.system("x")'], ['a..b']])('refuses the runtime %j', (runtime) => {
    rejects({ runtime }, "prop 'model.runtime'", /dotted Python class path/);
  });

  it('refuses a missing model', () => {
    rejects({}, "prop 'model'", /is required: \{ name, artifactPath, sha256, signature \}/, { model: undefined });
  });

  it.each([[80], [70000], [8081], [8082], [1.5]])('refuses the port %j', (port) => {
    rejects({}, "prop 'port'", /integer from 1024 to 65535|must not be 8081 or 8082/, { port });
  });

  it.each([[0], [65537], [0.5]])('refuses maxArtifactMiB %j', (maxArtifactMiB) => {
    rejects({}, "prop 'maxArtifactMiB'", /integer from 1 to 65536/, { maxArtifactMiB });
  });

  it.each([
    ['registry', /prop 'registry' must be the MlflowServer/],
    ['signingKey', /prop 'signingKey' must be the VaultTransitKey/],
    ['vault', /prop 'vault' must be the VaultServer/],
  ])('refuses a missing %s at construction, naming the construct path', (missing, message) => {
    const h = factoryHost();
    const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
    const props: Record<string, unknown> = { model: MODEL, registry: h.mlflow, signingKey, vault: h.vault, [missing]: missing === 'vault' ? undefined : { not: 'a construct' } };
    expectClearError(() => new ModelServer(h.vps, 'model-server', props as unknown as ModelServerProps), { paths: [PATH], prop: `prop '${missing}'`, allowed: message });
  });

  it('refuses a signing key that is not ecdsa-p256', () => {
    const h = factoryHost();
    const signingKey = h.vault.addTransitKey('Data', { name: 'envelope-data' });
    new ModelServer(h.vps, 'model-server', { model: MODEL, registry: h.mlflow, signingKey, vault: h.vault });
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: "prop 'signingKey'", allowed: /ecdsa-p256 Transit key/ });
  });
});
