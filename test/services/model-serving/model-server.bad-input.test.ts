/** Bad inputs of ModelServer: each ends in a clear MlsecError naming the construct path and the prop. */
import { describe, expect, it } from 'vitest';
import { Testing, VaultServer, Vps } from '../../../lib';
import { ModelServer, ModelServerProps, ServedModel } from '../../../lib/services/model-serving';
import { gateHost } from '../registry-gate/support';
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
    expect(() => Testing.synth(servingHost({ port: 9000, maxArtifactMiB: 1 }, { runtime: 'mlserver_onnx.OnnxModel' }).app)).not.toThrow();
  });

  it.each([
    [{ artifactPath: '1/abc/artifacts/model/model.joblib' }, 'model.artifactPath'],
    [{ sha256: '6c1f4cb6e8e6c8b3b7e7f5e4d0b6a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8' }, 'model.sha256'],
    [{ signature: 'vault:v1:MEUCIQDx0jv3Ow8G' }, 'model.signature'],
  ])('refuses a pin in the app (%j): it is the release record in Vault KV now', (pin, prop) => {
    rejects(pin, `prop '${prop}'`, /release record the CI release role writes to Vault KV/);
  });

  it.each([['Fraud'], ['-a'], ['a_b'], ['a/b'], [''], ['x'.repeat(65)]])('refuses the model name %j', (name) => {
    rejects({ name }, "prop 'model.name'", /lower-case letters, digits and "-"/);
  });

  it.each([['sklearn'], ['os.system("x")'], ['a..b']])('refuses the runtime %j', (runtime) => {
    rejects({ runtime }, "prop 'model.runtime'", /dotted Python class path/);
  });

  it('refuses a missing model', () => {
    rejects({}, "prop 'model'", /is required: \{ name, runtime\? \}/, { model: undefined });
  });

  it.each([[80], [70000], [8081], [8082], [1.5]])('refuses the port %j', (port) => {
    rejects({}, "prop 'port'", /integer from 1024 to 65535|must not be 8081 or 8082/, { port });
  });

  it.each([[0], [65537], [0.5]])('refuses maxArtifactMiB %j', (maxArtifactMiB) => {
    rejects({}, "prop 'maxArtifactMiB'", /integer from 1 to 65536/, { maxArtifactMiB });
  });

  it.each([
    ['registry', /prop 'registry' must be the RegistryGate models are fetched through/],
    ['signingKey', /prop 'signingKey' must be the VaultTransitKey/],
    ['vault', /prop 'vault' must be the VaultServer/],
    ['release', /prop 'release.ciRole' must be the VaultCiRole \(vault.addCiRole\)/],
    ['release.ciRole', /prop 'release.ciRole' must be the VaultCiRole \(vault.addCiRole\)/],
  ])('refuses a missing %s at construction, naming the construct path', (missing, message) => {
    const h = gateHost();
    const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
    const ciRole = h.vault.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main' });
    const props: Record<string, unknown> = { model: MODEL, release: { ciRole }, registry: h.gate, signingKey, vault: h.vault };
    if (missing === 'release.ciRole') props.release = { ciRole: { not: 'a role' } };
    else props[missing] = missing === 'vault' ? undefined : { not: 'a construct' };
    expectClearError(() => new ModelServer(h.vps, 'model-server', props as unknown as ModelServerProps), { paths: [PATH], prop: `prop '${missing === 'release' ? 'release.ciRole' : missing}'`, allowed: message });
  });

  it('refuses the MLflow server itself as the registry: the fetch job goes through the registry gate only', () => {
    const h = gateHost();
    const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
    const ciRole = h.vault.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main' });
    const props = { model: MODEL, release: { ciRole }, registry: h.mlflow, signingKey, vault: h.vault } as unknown as ModelServerProps;
    expectClearError(() => new ModelServer(h.vps, 'model-server', props), { paths: [PATH], prop: "prop 'registry'", allowed: /must be the RegistryGate models are fetched through/ });
  });

  it('refuses a CI role of another Vault server', () => {
    const h = gateHost();
    const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
    const other = new VaultServer(new Vps(h.app, 'other', { domain: 'other.example.com' }), 'vault');
    const ciRole = other.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main' });
    new ModelServer(h.vps, 'model-server', { model: MODEL, release: { ciRole }, registry: h.gate, signingKey, vault: h.vault });
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: "prop 'release.ciRole'", allowed: /must be a CI role of prop 'vault'/ });
  });

  it('refuses two servers of one model on one Vault (one release record per model)', () => {
    const h = servingHost();
    new ModelServer(h.vps, 'model-server-b', { model: MODEL, release: { ciRole: h.ciRole }, registry: h.gate, signingKey: h.signingKey, vault: h.vault, serviceName: 'model-server-b' });
    expectClearError(() => Testing.synth(h.app), { paths: ['lab/vault'], prop: /path "lab\/release\/fraud-score\/record"/, allowed: /is already the secret/ });
  });

  it('refuses a signing key that is not ecdsa-p256', () => {
    const h = gateHost();
    const signingKey = h.vault.addTransitKey('Data', { name: 'envelope-data' });
    const ciRole = h.vault.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main' });
    new ModelServer(h.vps, 'model-server', { model: MODEL, release: { ciRole }, registry: h.gate, signingKey, vault: h.vault });
    expectClearError(() => Testing.synth(h.app), { paths: [PATH], prop: "prop 'signingKey'", allowed: /ecdsa-p256 Transit key/ });
  });
});
