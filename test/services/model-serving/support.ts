import { App, Testing, VaultTransitKey } from '../../../lib';
import { ModelServer, ModelServerProps, ServedModel } from '../../../lib/services/model-serving';
import { FactoryHost, factoryHost } from '../mlflow/support';

/** A pinned model whose values pass validation (the digest of "model bytes\n", a well-formed signature). */
export const MODEL: ServedModel = {
  name: 'fraud-score',
  artifactPath: '1/0f4c2a9e5b7d4e21a3c8b6d9e0f1a2b3/artifacts/model/model.joblib',
  sha256: '6c1f4cb6e8e6c8b3b7e7f5e4d0b6a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8',
  signature: 'vault:v1:MEUCIQDx0jv3Ow8G0q4yTq5WAbcdefghijklmnopqrstuvwxyzAIgcNYnF0mR5b4Yk0Vh0z4kq2F8o0J3dWv6pQ1bLq5H2kE=',
};

/** The factory host (Vault, registry DB and store, MLflow, a trainer) plus the model-sign key, the CI role and a model server. */
export interface ServingHost extends FactoryHost {
  readonly signingKey: VaultTransitKey;
  readonly server: ModelServer;
}

/** Builds the host; `props` overrides ModelServer props, `model` fields of {@link MODEL}. */
export function servingHost(props: Partial<ModelServerProps> = {}, model: Partial<ServedModel> = {}, app: App = Testing.app()): ServingHost {
  const h = factoryHost({}, app);
  const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
  h.vault.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main', environment: 'production' }).allowSign(signingKey);
  const server = new ModelServer(h.vps, 'model-server', { model: { ...MODEL, ...model }, registry: h.mlflow, signingKey, vault: h.vault, ...props });
  return { ...h, signingKey, server };
}
