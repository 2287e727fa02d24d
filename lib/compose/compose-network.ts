import { Construct } from 'constructs';
import { ComposeResource, ComposeResourceProps } from './compose-resource';
import { Network } from './generated/compose-spec';

/** Props of a {@link ComposeNetwork}. */
export interface ComposeNetworkProps extends ComposeResourceProps<Network> {}

/** A compose network. Hardened L2s create these as `internal: true` per zone pair. */
export class ComposeNetwork extends ComposeResource<Network> {
  public readonly section = 'networks' as const;

  constructor(scope: Construct, id: string, props: ComposeNetworkProps = {}) {
    super(scope, id, props);
  }
}
