import { App, Testing, VaultCiRole, VaultTransitKey } from '../../../lib';
import { ModelServer, ModelServerProps, ServedModel } from '../../../lib/services/model-serving';
import { FactoryHost, factoryHost } from '../mlflow/support';

/** The served model: only its name (and runtime); the release record lives in Vault KV. */
export const MODEL: ServedModel = { name: 'fraud-score' };

/** The factory host (Vault, registry DB and store, MLflow, a trainer) plus the model-sign key, the CI release role and a model server. */
export interface ServingHost extends FactoryHost {
  readonly signingKey: VaultTransitKey;
  readonly ciRole: VaultCiRole;
  readonly server: ModelServer;
}

/** Builds the host; `props` overrides ModelServer props, `model` fields of {@link MODEL}. */
export function servingHost(props: Partial<ModelServerProps> = {}, model: Partial<ServedModel> = {}, app: App = Testing.app()): ServingHost {
  const h = factoryHost({}, app);
  const signingKey = h.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
  const ciRole = h.vault.addCiRole('Release', { name: 'release', repository: 'acme/lab', ref: 'refs/heads/main', environment: 'production' });
  const server = new ModelServer(h.vps, 'model-server', { model: { ...MODEL, ...model }, release: { ciRole }, registry: h.mlflow, signingKey, vault: h.vault, ...props });
  return { ...h, signingKey, ciRole, server };
}
