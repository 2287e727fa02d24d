import type { ComposeResource } from './compose-resource';

/** Brand of compose L1 resources; in its own module so the project and resources do not import each other. */
export const COMPOSE_RESOURCE = Symbol.for('mlsec-cdk.ComposeResource');

/** Whether `x` is a compose L1 resource. */
export function isComposeResource(x: unknown): x is ComposeResource<object> {
  return x !== null && typeof x === 'object' && COMPOSE_RESOURCE in x;
}
