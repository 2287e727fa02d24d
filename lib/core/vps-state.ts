import { Construct } from 'constructs';
import { MlsecError } from './errors';
import type { Vps } from './vps';

/**
 * Per-host state kept on the Vps itself (non-enumerable, under `key`), created on first use:
 * registries that several constructs of one host share.
 */
export function vpsState<T>(vps: Vps, key: symbol, create: () => T): T {
  const holder = vps as unknown as Record<symbol, T | undefined>;
  let state = holder[key];
  if (state === undefined) {
    state = create();
    Object.defineProperty(vps, key, { value: state });
  }
  return state;
}

/**
 * A construct directly under `vps` with a reserved id (`Secrets`, `Credentials` …) that holds the
 * library's own children, created on first use; a user construct with that id is an error.
 */
export function reservedChild(vps: Vps, id: string, brand: symbol, holds: string): Construct {
  const existing = vps.node.tryFindChild(id);
  if (existing === undefined) {
    const holder = new Construct(vps, id);
    Object.defineProperty(holder, brand, { value: true });
    return holder;
  }
  if (brand in existing) return existing as Construct;
  throw new MlsecError(`[${existing.node.path}] id '${id}' is reserved directly under a Vps for its ${holds}; choose another id`);
}
